package rest

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/links"
)

// A configuration's ETag is "<uuid as 32 hex digits>-<modified as hex
// microseconds since the Unix epoch>". It is a strong validator because
// every write moves modified (the core guarantees it, even for a write that
// changes no value), the databases keep it to the microsecond, and nothing
// else in the representation can change while the configuration lives: its
// call's uuid and name are fixed. The uuid is in it so that the ETag of one
// configuration can never pass for another's, and modified is in it in a
// form we can read back, so that If-Match becomes the very precondition
// GraphQL clients pass, checked by the core inside the write itself.

// errIfMatch is the answer to an If-Match that names no version of the
// object at all (weak, a list, another object, not ours): it can never match.
var errIfMatch = &httpError{status: http.StatusPreconditionFailed,
	detail: "The If-Match header does not name the current version of this object."}

func appendConfigETag(b []byte, c *core.Config) []byte {
	b = append(b, '"')
	b = links.AppendHex(b, c.UUID)
	b = append(b, '-')
	b = strconv.AppendInt(b, c.Modified.UnixMicro(), 16)
	return append(b, '"')
}

func configETag(c *core.Config) string { return string(appendConfigETag(nil, c)) }

// parseConfigETag reads back one of our strong ETags.
func parseConfigETag(s string) (uuid.UUID, time.Time, bool) {
	inner, ok := strings.CutPrefix(s, `"`)
	if !ok {
		return uuid.UUID{}, time.Time{}, false
	}
	if inner, ok = strings.CutSuffix(inner, `"`); !ok {
		return uuid.UUID{}, time.Time{}, false
	}
	hexID, micros, ok := strings.Cut(inner, "-")
	if !ok || len(hexID) != 32 {
		return uuid.UUID{}, time.Time{}, false
	}
	id, err := uuid.Parse(hexID)
	if err != nil || hexID != strings.ToLower(hexID) {
		return uuid.UUID{}, time.Time{}, false
	}
	m, err := strconv.ParseInt(micros, 16, 64)
	// Only the canonical spelling is ours; "+1f" or "01f" were never sent.
	if err != nil || strconv.FormatInt(m, 16) != micros {
		return uuid.UUID{}, time.Time{}, false
	}
	return id, time.UnixMicro(m).UTC(), true
}

// ifMatch turns If-Match into the core's precondition for a write to the
// configuration id. ok is false when the header can never match; the caller
// must still let a 401, 404 or 403 win over the 412.
//
// The comparison is strong (RFC 9110, 13.1.1): a weak tag never matches.
// A list is refused as a whole because the core takes one expected modified
// time, and a client that read the object once has exactly one ETag for it.
func ifMatch(r *http.Request, id uuid.UUID) (pre core.Precondition, ok bool) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return core.Precondition{}, true
	}
	var tags []string
	for _, v := range values {
		tags = append(tags, splitETags(v)...)
	}
	if len(tags) != 1 {
		return core.Precondition{}, false
	}
	v := tags[0]
	if v == "*" {
		// Any current version: the write only needs the object to exist,
		// which it does unless the core answers 404.
		return core.Precondition{}, true
	}
	etagID, modified, ok := parseConfigETag(v)
	if !ok || etagID != id {
		return core.Precondition{}, false
	}
	return core.Precondition{Modified: &modified}, true
}

// noneMatch reports whether If-None-Match names etag, with the weak
// comparison RFC 9110 (13.1.2) prescribes for it, or is "*".
func noneMatch(r *http.Request, etag string) bool {
	for _, v := range r.Header.Values("If-None-Match") {
		for _, tag := range splitETags(v) {
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// splitETags splits a header's list of entity tags. Commas may appear inside
// a quoted tag, so a plain split on "," would not do.
func splitETags(v string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = appendTag(out, v[start:i])
				start = i + 1
			}
		}
	}
	return appendTag(out, v[start:])
}

func appendTag(out []string, tag string) []string {
	if tag = strings.Trim(tag, " \t"); tag != "" {
		out = append(out, tag)
	}
	return out
}
