package rest

import (
	"net/http"

	"github.com/callcfg/callcfg/core"
)

// login is DRF's ObtainAuthToken: a username and password for an API key.
func (h *handler) login(x *exchange) {
	in, err := h.readInput(x)
	if err != nil {
		h.fail(x, err)
		return
	}
	var fe core.FieldErrors
	username := charField(in, "username", true, &fe)
	password := charField(in, "password", false, &fe)
	if len(fe) > 0 {
		h.fail(x, errFields(fe))
		return
	}
	key, err := h.svc.Login(x.r.Context(), username, password)
	if err != nil {
		h.fail(x, err)
		return
	}
	buf := getBuffer()
	defer putBuffer(buf)
	buf.b = append(buf.b, `{"token":`...)
	buf.b = appendString(buf.b, key)
	buf.b = append(buf.b, '}')
	h.send(x, http.StatusOK, buf.b)
}
