package rest

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"
)

// openAPIDocument describes this face for client generators. It is written
// by hand, not generated from the handlers: it is a promise to clients, and
// the tests hold the handlers to it (every operation is exercised over HTTP
// and checked against it with kin-openapi).
//
//go:embed openapi.json
var openAPIDocument []byte

// The document's one server is relative, so that it holds whatever host
// a client reached; only a path prefix of the public URL must be spelled out.
var openAPIServer = []byte(`"url": "/"`)

// schemaRenderer is one of the JSON renderers of drf-spectacular's schema
// view; its YAML renderers are not offered (no YAML library in the binary
// for a document that every generator also reads as JSON).
type schemaRenderer struct {
	format      string
	media       mediaType
	contentType []string
}

var schemaRenderers = []schemaRenderer{
	{"json", jsonMedia, jsonContentType},
	{"openapi-json", mediaType{"application", "vnd.oai.openapi+json"}, []string{"application/vnd.oai.openapi+json"}},
}

// schemaVariant is the document as served under one renderer.
type schemaVariant struct {
	contentType []string
	etag        []string
}

type schemaDocument struct {
	body     []byte
	variants []schemaVariant // one per schemaRenderers entry
}

// newSchemaDocument fixes the server URL for a public URL with a path
// prefix, and the validators of the result.
func newSchemaDocument(prefix string) *schemaDocument {
	body := openAPIDocument
	if prefix != "" {
		url := appendString([]byte(`"url": `), prefix)
		body = bytes.Replace(body, openAPIServer, url, 1)
	}
	sum := sha256.Sum256(body)
	d := &schemaDocument{body: body}
	for _, r := range schemaRenderers {
		// The media type is in the tag because a strong validator names one
		// representation, and the two differ in their Content-Type.
		tag := `"` + hex.EncodeToString(sum[:12]) + "-" + r.format + `"`
		d.variants = append(d.variants, schemaVariant{contentType: r.contentType, etag: []string{tag}})
	}
	return d
}

// negotiateSchema is DRF's content negotiation over the schema view's
// renderers: ?format= must name one (404 otherwise), and Accept must admit
// one (406 otherwise), specific media types taking precedence over
// wildcards as in DRF.
func negotiateSchema(x *exchange) error {
	candidates := schemaRenderers
	if format, _ := x.query.Get("format"); format != "" {
		candidates = nil
		for _, r := range schemaRenderers {
			if r.format == format {
				candidates = append(candidates, r)
			}
		}
		if len(candidates) == 0 {
			return errNoRoute
		}
	}
	values := x.r.Header.Values("Accept")
	if len(values) == 0 {
		x.render = candidates[0].format
		return nil
	}
	for _, wild := range []bool{false, true} {
		for _, v := range values {
			for part := range strings.SplitSeq(v, ",") {
				mt := parseMediaType(part)
				if (mt.main == "*" || mt.sub == "*") != wild {
					continue
				}
				for _, r := range candidates {
					if r.media.matches(mt) {
						x.render = r.format
						return nil
					}
				}
			}
		}
	}
	return errNotAcceptable
}

// schema serves the document. Like drf-spectacular's default it needs no
// authentication (generators fetch it anonymously; it tells nothing about
// the data), though an invalid key is still a 401 as on every view.
func (h *handler) schema(x *exchange) {
	v := h.schemaDoc.variants[0]
	for i, r := range schemaRenderers {
		if r.format == x.render {
			v = h.schemaDoc.variants[i]
		}
	}
	hdr := x.w.Header()
	hdr.Add("Vary", "Accept")
	hdr["Etag"] = v.etag
	if noneMatch(x.r, v.etag[0]) {
		h.sendEmpty(x, http.StatusNotModified)
		return
	}
	h.sendAs(x, http.StatusOK, v.contentType, h.schemaDoc.body)
}
