package rest

import (
	"net"
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
	key, err := h.svc.Login(x.r.Context(), core.Credentials{Username: username, Password: password, ClientAddr: clientAddr(x.r)})
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

// clientAddr is the host of the connection's address. X-Forwarded-For is
// not read: any client can set it, and would then choose its own bucket.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
