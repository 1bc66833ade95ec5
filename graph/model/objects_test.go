package model_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/graph/model"
)

func TestGlobalID(t *testing.T) {
	u := uuid.MustParse("20a25e90-01e8-469d-814e-6a7b78c1700b")
	id := model.GlobalID(model.TypeCall, u)
	if raw, _ := base64.RawURLEncoding.DecodeString(id); string(raw) != "Call:20a25e9001e8469d814e6a7b78c1700b" {
		t.Errorf("GlobalID = %s (%s)", id, raw)
	}
	if typ, got, ok := model.ParseGlobalID(id); !ok || typ != model.TypeCall || got != u {
		t.Errorf("ParseGlobalID(%s) = %s %s %v", id, typ, got, ok)
	}
	if got := (*model.Config)(&core.Config{UUID: u}).GlobalID(); got != model.GlobalID(model.TypeConfig, u) {
		t.Errorf("a configuration's id %s", got)
	}
	for _, bad := range []string{"", "!!", base64.RawURLEncoding.EncodeToString([]byte("Call:123")), base64.RawURLEncoding.EncodeToString([]byte("Call" + strings.Repeat("a", 32)))} {
		if _, _, ok := model.ParseGlobalID(bad); ok {
			t.Errorf("ParseGlobalID(%q) accepted", bad)
		}
	}
}

func TestCallState(t *testing.T) {
	for state, want := range map[string]model.CallState{
		core.CallStateDraft: model.CallStateDraft, core.CallStateActive: model.CallStateActive,
		core.CallStateArchived: model.CallStateArchived, "paused": "PAUSED",
	} {
		if got := (&model.Call{State: state}).StateEnum(); got != want {
			t.Errorf("%s: %s, want %s", state, got, want)
		}
	}
}

// TestLink: a call's url is completed with the base of the request being
// answered, and written as a JSON string.
func TestLink(t *testing.T) {
	c := &model.Call{UUID: uuid.MustParse("20a25e90-01e8-469d-814e-6a7b78c1700b")}
	for base, want := range map[string]string{
		"https://cfg.example/app": `"https://cfg.example/app/api/proposal-protected-calls/20a25e9001e8469d814e6a7b78c1700b/"`,
		`http://odd"host`:         `"http://odd\"host/api/proposal-protected-calls/20a25e9001e8469d814e6a7b78c1700b/"`,
	} {
		var b strings.Builder
		if err := c.URL().MarshalGQLContext(model.WithLinkBase(context.Background(), base), &b); err != nil || b.String() != want {
			t.Errorf("%s: %s %v, want %s", base, b.String(), err, want)
		}
	}
	if err := new(model.Link).UnmarshalGQLContext(context.Background(), "x"); err == nil {
		t.Error("a link was read as input")
	}
}

func TestConfigCall(t *testing.T) {
	if (*model.Config)(&core.Config{}).Call() != nil {
		t.Error("a configuration read without its call has one")
	}
	if model.ConfigOf(nil) != nil || model.CallOf(nil) != nil {
		t.Error("nil is not nil")
	}
}
