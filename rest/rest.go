// Package rest is the REST face for legacy clients: it speaks the upstream
// Django REST Framework service's dialect over the core.
package rest

import (
	"log/slog"
	"net/http"
	"net/url"

	"github.com/callcfg/callcfg/core"
)

// Options configure the REST face.
type Options struct {
	// PublicURL, when set, is the scheme and host of absolute links (the
	// call link, pagination); otherwise they come from the request.
	PublicURL *url.URL
	// MaxBodyBytes bounds a request body; larger ones get 413.
	MaxBodyBytes int64
	Logger       *slog.Logger
}

// New returns the handler of /api/ and /api-auth/.
func New(svc *core.Service, opts Options) http.Handler {
	return http.NotFoundHandler()
}
