package rest

import (
	"net/http"

	"github.com/callcfg/callcfg/core"
)

// The call endpoints exist so that every configuration's call link leads
// to a real resource; they are read-only.

func (h *handler) listCalls(x *exchange) {
	ctx := x.r.Context()
	servePage(h, x,
		func() (int64, error) { return h.svc.CountCalls(ctx, x.actor, core.CallFilter{}) },
		func(offset, limit int) ([]*core.Call, int64, error) {
			return h.svc.ListCallsPage(ctx, x.actor, core.CallFilter{}, offset, limit)
		},
		appendCall)
}

func (h *handler) getCall(x *exchange) {
	id, ok := h.pathID(x, core.MsgCallNotFound)
	if !ok {
		return
	}
	call, err := h.svc.GetCall(x.r.Context(), x.actor, id)
	if err != nil {
		h.fail(x, err)
		return
	}
	buf := getBuffer()
	defer putBuffer(buf)
	buf.b = appendCall(buf.b, h.base(x), call)
	h.send(x, http.StatusOK, buf.b)
}
