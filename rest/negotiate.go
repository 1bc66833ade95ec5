package rest

import "strings"

// mediaType is DRF's _MediaType: a type/subtype, lower-cased, parameters
// ignored (none of the renderers or parsers here has any to compare).
type mediaType struct{ main, sub string }

func parseMediaType(s string) mediaType {
	full, _, _ := strings.Cut(s, ";")
	main, sub, _ := strings.Cut(strings.ToLower(strings.TrimSpace(full)), "/")
	return mediaType{main: main, sub: sub}
}

// matches is DRF's media_type_matches(ours, theirs): a wildcard on either
// side matches, so "*/*" as a Content-Type selects the first parser.
func (ours mediaType) matches(theirs mediaType) bool {
	if ours.sub != "*" && theirs.sub != "*" && ours.sub != theirs.sub {
		return false
	}
	return ours.main == "*" || theirs.main == "*" || ours.main == theirs.main
}

var (
	jsonMedia = mediaType{"application", "json"}
	htmlMedia = mediaType{"text", "html"}
)

// negotiate is DRF's DefaultContentNegotiation: ?format= must name one of
// the view's renderers (404 otherwise), and the Accept header must admit one
// of those (406 otherwise). A missing Accept header means */*.
func negotiate(x *exchange) error {
	json, html := true, x.route.browsable
	if format, _ := x.query.Get("format"); format != "" {
		json, html = format == "json", html && format == "api"
		if !json && !html {
			return errNoRoute
		}
	}
	values := x.r.Header.Values("Accept")
	if len(values) == 0 {
		return nil
	}
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			mt := parseMediaType(part)
			if (json && jsonMedia.matches(mt)) || (html && htmlMedia.matches(mt)) {
				return nil
			}
		}
	}
	return errNotAcceptable
}

// parserFor picks the body parser for a Content-Type as DRF's
// select_parser does: the first of the view's parsers that matches.
func parserFor(x *exchange, contentType string) (string, bool) {
	mt := parseMediaType(contentType)
	for _, p := range x.route.parses {
		if parseMediaType(p).matches(mt) {
			return p, true
		}
	}
	return "", false
}

// isFormMediaType is DRF's is_form_media_type: such a body, even empty,
// reaches the serializer as HTML form input.
func isFormMediaType(contentType string) bool {
	mt := parseMediaType(contentType)
	return mt == mediaType{"application", "x-www-form-urlencoded"} || mt == mediaType{"multipart", "form-data"}
}
