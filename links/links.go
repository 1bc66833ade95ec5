// Package links is what both faces write the same way in their answers: a
// uuid as 32 lowercase hex digits, the base of absolute links (the
// configured public URL, or the request's own scheme and host), and the
// paths of the REST resources, so that GraphQL's Call.url and REST's call
// link are one URL. It holds no routing (each face routes its own
// requests) and no rules.
package links

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// The REST collections, as the upstream router names them; a resource is
// its collection's path, its uuid in Hex, and a slash.
const (
	ConfigsPath = "/api/call-assignment-configurations/"
	CallsPath   = "/api/proposal-protected-calls/"
)

// Hex is a uuid as both faces render it: 32 lowercase hex digits.
func Hex(id uuid.UUID) string { return string(AppendHex(nil, id)) }

// AppendHex appends Hex(id) to b.
func AppendHex(b []byte, id uuid.UUID) []byte {
	n := len(b)
	b = append(b, make([]byte, 32)...)
	hex.Encode(b[n:], id[:])
	return b
}

// AppendResource appends the absolute URL of the resource id in the
// collection path (ConfigsPath or CallsPath) under base.
func AppendResource(b []byte, base, path string, id uuid.UUID) []byte {
	b = append(b, base...)
	b = append(b, path...)
	b = AppendHex(b, id)
	return append(b, '/')
}

// Call is the absolute URL of a call's REST resource.
func Call(base string, id uuid.UUID) string {
	return string(AppendResource(make([]byte, 0, len(base)+len(CallsPath)+33), base, CallsPath, id))
}

// Base makes the base of absolute links: scheme, host and path prefix, no
// trailing slash. X-Forwarded-* headers are never trusted: behind a proxy
// the operator configures the public URL.
type Base struct {
	public string // the configured public URL, or ""
	prefix string // its path, escaped, without the trailing slash
}

// NewBase uses public, when it is set, for every request.
func NewBase(public *url.URL) Base {
	if public == nil || public.Host == "" {
		return Base{}
	}
	prefix := strings.TrimRight(public.EscapedPath(), "/")
	return Base{public: public.Scheme + "://" + public.Host + prefix, prefix: prefix}
}

// Of is the base of the links in the answer to r.
func (b Base) Of(r *http.Request) string {
	if b.public != "" {
		return b.public
	}
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// Prefix is the configured public URL's path ("" without one), which links
// carry and REST's call references may too.
func (b Base) Prefix() string { return b.prefix }
