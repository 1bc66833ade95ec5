// Package rest is the REST face for legacy clients: it speaks the upstream
// Django REST Framework service's dialect over the core. Handlers decode,
// call the core and encode; the rules live in the core. How CPython, Django
// and DRF read a body, a query or a uuid is reproduced under internal/
// (pyjson, pyform, pyutf8); this package holds the HTTP around it.
package rest

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/links"
	"github.com/callcfg/callcfg/ops"
	"github.com/callcfg/callcfg/rest/internal/pyform"
)

// Options configure the REST face.
type Options struct {
	// PublicURL, when set, is the scheme and host (and path prefix) of
	// absolute links (the call link, pagination, Location); otherwise they
	// come from the request. X-Forwarded-* headers are never trusted.
	PublicURL *url.URL
	// MaxBodyBytes bounds a request body; larger ones get 413. Zero means 1 MiB.
	MaxBodyBytes int64
	Logger       *slog.Logger
}

const defaultMaxBodyBytes = 1 << 20

type handler struct {
	svc       *core.Service
	log       *slog.Logger
	limit     int64
	links     links.Base
	schemaDoc *schemaDocument
}

// New returns the handler of /api/ and /api-auth/.
func New(svc *core.Service, opts Options) http.Handler {
	h := &handler{svc: svc, log: opts.Logger, limit: opts.MaxBodyBytes}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.limit <= 0 {
		h.limit = defaultMaxBodyBytes
	}
	h.links = links.NewBase(opts.PublicURL)
	h.schemaDoc = newSchemaDocument(h.links.Prefix())
	return h
}

// exchange is one request on its way through the handler.
type exchange struct {
	w      http.ResponseWriter
	r      *http.Request
	method string // upper case, as Django sees it
	route  *route
	arg    string // the {uuid} segment of a detail route
	actor  core.Actor
	query  pyform.Query
	sent   bool
	links  string // the base of absolute links, once computed
	render string // the format negotiated by a route with its own renderers
}

// base is the scheme, host and prefix of absolute links: the configured
// public URL, else what the request itself says.
func (h *handler) base(x *exchange) string {
	if x.links == "" {
		x.links = h.links.Of(x.r)
	}
	return x.links
}

var (
	jsonContentType = []string{"application/json"}
	htmlContentType = []string{"text/html; charset=utf-8"}
	nosniff         = []string{"nosniff"}
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !safeMethod(r.Method) {
		// A write's change record names this face and the id the client
		// got back in X-Request-Id.
		r = r.WithContext(core.WithOrigin(r.Context(), core.Origin{Via: core.ViaREST, RequestID: ops.RequestID(r.Context())}))
	}
	x := &exchange{w: w, r: r, method: strings.ToUpper(r.Method)}
	defer h.recoverPanic(x)
	w.Header()["X-Content-Type-Options"] = nosniff
	rt, arg := matchRoute(r.URL.Path)
	if rt == nil {
		if !strings.HasSuffix(r.URL.Path, "/") {
			if rt, _ := matchRoute(r.URL.Path + "/"); rt != nil {
				h.redirectSlash(x)
				return
			}
		}
		h.fail(x, errNoRoute)
		return
	}
	x.route, x.arg = rt, arg
	ops.SetRoute(r, rt.template)
	hdr := w.Header()
	// DRF sends Allow on every response of a view, and Vary when it could
	// have rendered another media type.
	hdr["Allow"] = rt.allow
	if rt.browsable {
		// Added, not set: a CORS middleware may have put Origin there.
		hdr.Add("Vary", "Accept")
	}
	if r.URL.RawQuery != "" {
		x.query = pyform.ParseQuery(r.URL.RawQuery)
	}
	// Content negotiation comes first in DRF, then authentication.
	neg := negotiate
	if rt.negotiate != nil {
		neg = rt.negotiate
	}
	if err := neg(x); err != nil {
		h.fail(x, err)
		return
	}
	if x.method == http.MethodOptions {
		h.options(x)
		return
	}
	// Authentication once, here, for every route: as in DRF's initial(),
	// a view that needs a user answers 401 before it looks at the method,
	// the path's id, the query or the body. What follows is one call of the
	// core, which checks the key in its first statement (no round trip of
	// its own) and decides 404, 403 and 400 in that order; where the face
	// answers by itself instead, vouch checks the key first.
	var err error
	if x.actor, err = h.svc.ActorFromHeader(r.Header.Get("Authorization")); err != nil {
		h.fail(x, err)
		return
	}
	if rt.public {
		// A public view still refuses a bad key, as DRF's authentication runs
		// for every view.
		if x.actor.Authenticated() && !h.vouch(x) {
			return
		}
	} else if err := x.actor.Require(); err != nil {
		h.fail(x, err)
		return
	}
	serve := rt.methods[x.method]
	if x.method == http.MethodHead {
		serve = rt.methods[http.MethodGet]
	}
	if serve == nil {
		if rt.public || h.vouch(x) {
			h.fail(x, errMethodNotAllowed(x.method))
		}
		return
	}
	serve(h, x)
}

// vouch checks the request's key before the face answers by itself (a 405,
// a malformed id or query, an unreadable body, the API root), where no
// statement of the core's would: a bad key is a 401 first. It answers the
// request itself when the key is bad.
func (h *handler) vouch(x *exchange) bool {
	a, err := h.svc.Resolve(x.r.Context(), x.actor)
	if err != nil {
		h.fail(x, err)
		return false
	}
	x.actor = a
	return true
}

// send writes a JSON response. HEAD gets the headers GET would have,
// Content-Length included, and no body.
func (h *handler) send(x *exchange, status int, body []byte) {
	h.sendAs(x, status, jsonContentType, body)
}

func (h *handler) sendAs(x *exchange, status int, contentType []string, body []byte) {
	hdr := x.w.Header()
	hdr["Content-Type"] = contentType
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	x.sent = true
	x.w.WriteHeader(status)
	if x.method != http.MethodHead {
		_, _ = x.w.Write(body)
	}
}

// sendEmpty writes a response without a body (204): DRF drops the
// Content-Type of an empty rendering.
func (h *handler) sendEmpty(x *exchange, status int) {
	x.sent = true
	x.w.WriteHeader(status)
}

// redirectSlash sends a path without its trailing slash to the canonical
// one, as Django's APPEND_SLASH does for GET and HEAD (301, relative
// Location, query kept). Other methods get 308 so that no body is lost.
func (h *handler) redirectSlash(x *exchange) {
	loc := x.r.URL.EscapedPath() + "/"
	if x.r.URL.RawQuery != "" {
		loc += "?" + x.r.URL.RawQuery
	}
	status := http.StatusPermanentRedirect
	if x.method == http.MethodGet || x.method == http.MethodHead {
		status = http.StatusMovedPermanently
	}
	hdr := x.w.Header()
	hdr.Set("Location", loc)
	hdr["Content-Type"] = htmlContentType
	hdr["Content-Length"] = []string{"0"}
	x.sent = true
	x.w.WriteHeader(status)
}

// safeMethod reports a method that never writes, whose requests need no
// origin for the change record.
func safeMethod(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}
