package rest

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/links"
	"github.com/callcfg/callcfg/rest/internal/pyform"
)

// The configuration endpoints: decode, call the core, encode.

func (h *handler) listConfigs(x *exchange) {
	ctx := x.r.Context()
	var f core.ConfigFilter
	// django-filter's UUIDFilter: blank means no filter, junk is a 400
	// (after authentication, before pagination).
	v, _ := x.query.Get("call_uuid")
	if v = pyform.Strip(v); v != "" {
		id, ok := pyform.ParseUUID(v)
		if !ok {
			if h.vouch(x) {
				h.fail(x, errFields(core.FieldErrors{"call_uuid": {msgInvalidUUID}}))
			}
			return
		}
		f.CallUUID = &id
	}
	servePage(h, x,
		func() (int64, error) { return h.svc.CountConfigs(ctx, x.actor, f) },
		func(offset, limit int) ([]*core.Config, int64, error) {
			return h.svc.ListConfigsPage(ctx, x.actor, f, offset, limit)
		},
		appendConfig)
}

// sendConfig answers with a configuration and its ETag, so that a client
// can make its next write conditional without reading the object again.
func (h *handler) sendConfig(x *exchange, status int, cfg *core.Config) {
	x.w.Header()["Etag"] = []string{configETag(cfg)}
	buf := getBuffer()
	defer putBuffer(buf)
	buf.b = appendConfig(buf.b, h.base(x), cfg)
	h.send(x, status, buf.b)
}

func (h *handler) configID(x *exchange) (uuid.UUID, bool) { return h.pathID(x, core.MsgConfigNotFound) }

func (h *handler) getConfig(x *exchange) {
	id, ok := h.configID(x)
	if !ok {
		return
	}
	cfg, err := h.svc.GetConfig(x.r.Context(), x.actor, id)
	if err != nil {
		h.fail(x, err)
		return
	}
	if etag := configETag(cfg); noneMatch(x.r, etag) {
		x.w.Header()["Etag"] = []string{etag}
		h.sendEmpty(x, http.StatusNotModified)
		return
	}
	h.sendConfig(x, http.StatusOK, cfg)
}

func (h *handler) createConfig(x *exchange) {
	ctx := x.r.Context()
	in, err := h.readInput(x)
	if err != nil {
		// DRF parses the body before it looks at the call.
		if h.vouch(x) {
			h.fail(x, err)
		}
		return
	}
	p := settingsPatch(in, false)
	call := h.callField(in, &p.DecodeErrors)
	cfg, err := h.svc.CreateConfig(ctx, x.actor, call, p)
	if err != nil {
		h.fail(x, err)
		return
	}
	loc := links.AppendHex([]byte(h.base(x)+configsPath), cfg.UUID)
	x.w.Header()["Location"] = []string{string(append(loc, '/'))}
	h.sendConfig(x, http.StatusCreated, cfg)
}

func (h *handler) putConfig(x *exchange)   { h.updateConfig(x, false) }
func (h *handler) patchConfig(x *exchange) { h.updateConfig(x, true) }

func (h *handler) updateConfig(x *exchange, partial bool) {
	ctx := x.r.Context()
	id, ok := h.configID(x)
	if !ok {
		return
	}
	// DRF reads the body only once it has the object and the permission to
	// change it, so an unreadable body goes to the core with the rest and
	// cannot hide a 404 or 403.
	var p core.Patch
	if in, err := h.readInput(x); err != nil {
		p.Unreadable = err
	} else {
		p = settingsPatch(in, partial)
	}
	cfg, err := h.svc.UpdateConfig(ctx, x.actor, id, p, h.precondition(x, id))
	if err != nil {
		h.fail(x, err)
		return
	}
	h.sendConfig(x, http.StatusOK, cfg)
}

func (h *handler) deleteConfig(x *exchange) {
	id, ok := h.configID(x)
	if !ok {
		return
	}
	if err := h.svc.DeleteConfig(x.r.Context(), x.actor, id, h.precondition(x, id)); err != nil {
		h.fail(x, err)
		return
	}
	h.sendEmpty(x, http.StatusNoContent)
}

// precondition reads If-Match for a write to the configuration id. One that
// can never match is a 412, which the core reports only once the caller has
// passed the checks of the write itself: a precondition on an object one
// cannot see is a 404.
func (h *handler) precondition(x *exchange, id uuid.UUID) core.Precondition {
	pre, ok := ifMatch(x.r, id)
	if !ok {
		pre.Invalid = errIfMatch
	}
	return pre
}
