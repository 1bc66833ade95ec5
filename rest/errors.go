package rest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/callcfg/callcfg/core"
)

// httpError is a failure the adapter finds in the request itself (its
// method, media types, body), before or beside the core. It knows its status.
type httpError struct {
	status int
	detail string
	fields core.FieldErrors // a 400 with field messages instead of a detail
}

func (e *httpError) Error() string { return strconv.Itoa(e.status) + " " + e.detail }

// DRF's texts for what the adapter rejects on its own.
var (
	errNoRoute       = &httpError{status: http.StatusNotFound, detail: "Not found."}
	errInvalidPage   = &httpError{status: http.StatusNotFound, detail: "Invalid page."}
	errNotAcceptable = &httpError{status: http.StatusNotAcceptable, detail: "Could not satisfy the request Accept header."}
	errUnreadable    = &httpError{status: http.StatusBadRequest, detail: "The request body could not be read."}
)

func errMethodNotAllowed(method string) error {
	return &httpError{status: http.StatusMethodNotAllowed, detail: `Method "` + method + `" not allowed.`}
}

func errUnsupportedMediaType(contentType string) error {
	return &httpError{status: http.StatusUnsupportedMediaType, detail: `Unsupported media type "` + contentType + `" in request.`}
}

func errTooLarge(limit int64) error {
	return &httpError{status: http.StatusRequestEntityTooLarge,
		detail: "Request body too large: the limit is " + strconv.FormatInt(limit, 10) + " bytes."}
}

func errJSONParse(msg string) error {
	return &httpError{status: http.StatusBadRequest, detail: "JSON parse error - " + msg}
}

func errFields(fe core.FieldErrors) error {
	return &httpError{status: http.StatusBadRequest, fields: fe}
}

// fail answers with err. It is the one place where the core's kinds become
// statuses and bodies; a client never sees the text of an internal error.
func (h *handler) fail(x *exchange, err error) {
	status, detail, fields := http.StatusInternalServerError, core.MsgServerError, core.FieldErrors(nil)
	var he *httpError
	if errors.As(err, &he) {
		status, detail, fields = he.status, he.detail, he.fields
	} else {
		ce := core.AsError(err)
		detail = ce.Message
		switch ce.Kind {
		case core.KindUnauthenticated:
			status = http.StatusUnauthorized
			// DRF names the scheme of its first authenticator, so that a 401
			// is a 401 and not a 403.
			x.w.Header().Set("WWW-Authenticate", "Token")
		case core.KindNotFound:
			status = http.StatusNotFound
		case core.KindForbidden:
			status = http.StatusForbidden
		case core.KindInvalid:
			status = http.StatusBadRequest
			if len(ce.Fields) > 0 {
				fields = ce.Fields
			}
		case core.KindConflict:
			status = http.StatusPreconditionFailed
		case core.KindThrottled:
			// DRF's Throttled: whole seconds, rounded up.
			status = http.StatusTooManyRequests
			x.w.Header().Set("Retry-After", strconv.Itoa(ce.RetryAfterSeconds()))
		case core.KindUnavailable:
			status = http.StatusServiceUnavailable
			if !errors.Is(err, context.Canceled) {
				h.log.WarnContext(x.r.Context(), "rest: database unavailable", "method", x.method, "path", x.r.URL.Path, "err", err)
			}
		default:
			status, detail = http.StatusInternalServerError, core.MsgServerError
			h.log.ErrorContext(x.r.Context(), "rest: server error", "method", x.method, "path", x.r.URL.Path, "err", err)
		}
	}
	buf := getBuffer()
	defer putBuffer(buf)
	if fields != nil {
		buf.b = appendFieldErrors(buf.b, fields)
	} else {
		buf.b = appendDetail(buf.b, detail)
	}
	h.send(x, status, buf.b)
}

// recoverPanic turns a panic in a handler into a logged 500 instead of a
// dropped connection. It is deferred by ServeHTTP.
func (h *handler) recoverPanic(x *exchange) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	// Not wrapped: whatever the value, the client sees an internal error.
	err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
	if x.sent {
		h.log.ErrorContext(x.r.Context(), "rest: panic after the response started", "method", x.method, "path", x.r.URL.Path, "err", err)
		return
	}
	h.fail(x, err)
}
