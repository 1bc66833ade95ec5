package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/graph"
	"github.com/callcfg/callcfg/graph/model"
	"github.com/callcfg/callcfg/server"
)

const fuzzSelection = `{ clientMutationId callAssignmentConfiguration { uuid autoReassignOnDecline maxAutoReassignAttempts
	assignmentExpirationDays sendReminderBeforeExpiryDays modified call { uuid } } }`

// fuzzMutations are the operations FuzzMutationVariables sends, each once
// with the whole input as one variable and once with a variable per field:
// gqlgen coerces the two differently (an omitted variable inside an input
// literal is an omitted field, a null one an explicit null).
var fuzzMutations = []struct{ field, query string }{
	{"updateCallAssignmentConfiguration", `mutation M($input: UpdateCallAssignmentConfigurationInput!) {
		updateCallAssignmentConfiguration(input: $input) ` + fuzzSelection + ` }`},
	{"createCallAssignmentConfiguration", `mutation M($input: CreateCallAssignmentConfigurationInput!) {
		createCallAssignmentConfiguration(input: $input) ` + fuzzSelection + ` }`},
	{"setCallAssignmentConfigurationForCall", `mutation M($input: SetCallAssignmentConfigurationForCallInput!) {
		setCallAssignmentConfigurationForCall(input: $input) ` + strings.Replace(fuzzSelection, "{", "{ created", 1) + ` }`},
	{"updateCallAssignmentConfiguration", `mutation M($uuid: UUID!, $auto: Boolean, $max: Int, $exp: Int, $rem: Int, $modified: DateTime, $id: String) {
		updateCallAssignmentConfiguration(input: {uuid: $uuid, autoReassignOnDecline: $auto, maxAutoReassignAttempts: $max,
			assignmentExpirationDays: $exp, sendReminderBeforeExpiryDays: $rem, modified: $modified, clientMutationId: $id}) ` + fuzzSelection + ` }`},
	{"createCallAssignmentConfiguration", `mutation M($call: UUID!, $auto: Boolean, $max: Int, $exp: Int, $rem: Int, $id: String) {
		createCallAssignmentConfiguration(input: {callUuid: $call, autoReassignOnDecline: $auto, maxAutoReassignAttempts: $max,
			assignmentExpirationDays: $exp, sendReminderBeforeExpiryDays: $rem, clientMutationId: $id}) ` + fuzzSelection + ` }`},
	{"setCallAssignmentConfigurationForCall", `mutation M($call: UUID!, $auto: Boolean, $max: Int, $exp: Int, $rem: Int, $id: String) {
		setCallAssignmentConfigurationForCall(input: {callUuid: $call, autoReassignOnDecline: $auto, maxAutoReassignAttempts: $max,
			assignmentExpirationDays: $exp, sendReminderBeforeExpiryDays: $rem, clientMutationId: $id}) ` + strings.Replace(fuzzSelection, "{", "{ created", 1) + ` }`},
}

// fuzzActors: who may change Call's configuration, who may only see it,
// who may not, and the unauthenticated.
var fuzzActors = []string{coretest.Staff, coretest.Manager, coretest.Reviewer, coretest.Support, coretest.Outsider, coretest.Anonymous}

// FuzzMutationVariables posts the three write mutations with fuzzed
// variables (the raw JSON bytes) to the whole /graphql handler, on a world
// built once. Never a 5xx or an INTERNAL_SERVER_ERROR; a response with
// errors changes nothing; one without changes at most the settings and
// modified of one configuration, or adds one to a call that had none, and
// shows what was stored.
//
// Seeds name the world's objects by placeholder (@config, @othercf, @call,
// @other, @bare, and @modified for the configuration's current modified),
// since its uuids are new on every build.
func FuzzMutationVariables(f *testing.F) {
	const update, create, set, updateVars, createVars, setVars = 0, 1, 2, 3, 4, 5
	const staff, manager, reviewer, outsider = 0, 1, 2, 4
	for _, s := range []struct {
		op, actor uint8
		vars      string
	}{
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": 5, "autoReassignOnDecline": true}}`},
		{update, manager, `{"input": {"uuid": "@CONFIG", "assignmentExpirationDays": 0, "sendReminderBeforeExpiryDays": 2147483647, "clientMutationId": "x"}}`},
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": 2147483648}}`},
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": 9223372036854775808}}`},
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": -9223372036854775809}}`},
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": 1e100, "assignmentExpirationDays": 1e400}}`},
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": 5.0, "assignmentExpirationDays": 5.5, "sendReminderBeforeExpiryDays": -0.0}}`},
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": "5", "autoReassignOnDecline": "true"}}`},
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": null, "autoReassignOnDecline": null}}`},
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": {"a": 1}, "autoReassignOnDecline": [true]}}`},
		{update, staff, `{"input": {"uuid": "@config", "autoReassignOnDecline": 1, "clientMutationId": 5}}`},
		{update, staff, `{"input": {"uuid": "@config", "modified": "@modified", "maxAutoReassignAttempts": 4}}`},
		{update, staff, `{"input": {"uuid": "@config", "modified": "2000-01-01T00:00:00Z", "maxAutoReassignAttempts": 4}}`},
		{update, staff, `{"input": {"uuid": "@config", "modified": "yesterday"}}`},
		{update, staff, `{"input": {"uuid": "@config", "modified": "0000-01-01T00:00:00+23:59"}}`},
		{update, staff, `{"input": {"uuid": "@config", "unknownField": 1}}`},
		{update, staff, `{"input": {"maxAutoReassignAttempts": 1}}`},
		{update, staff, `{"input": {"uuid": "{@config}"}}`},
		{update, staff, `{"input": {"uuid": "urn:uuid:@config"}}`},
		{update, staff, `{"input": {"uuid": "@othercf", "maxAutoReassignAttempts": 1}}`},
		{update, manager, `{"input": {"uuid": "@othercf", "maxAutoReassignAttempts": 1}}`},
		{update, reviewer, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": 1}}`},
		{update, 5, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": 1}}`},
		{update, staff, `{"input": {"uuid": "00000000000000000000000000000000", "maxAutoReassignAttempts": 1}}`},
		{update, staff, `{"input": null}`},
		{update, staff, `{"input": "@config"}`},
		{update, staff, `{"input": {"uuid": "@config", "maxAutoReassignAttempts": 1, "maxAutoReassignAttempts": -1}}`},
		{update, staff, `{"input": {"uuid": "@config", "input": {"input": {"uuid": "@config"}}}}`},
		{update, staff, `{}`}, {update, staff, `null`}, {update, staff, `[]`}, {update, staff, `5`}, {update, staff, `"x"`},
		{update, staff, `{"input": {"uuid": "@config"`},
		{update, staff, `{"input": {"uuid": "@config"}}, "query": "mutation { deleteCallAssignmentConfiguration(input: {uuid: \"@config\"}) { deletedUuid } }"`},
		{create, staff, `{"input": {"callUuid": "@bare"}}`},
		{create, manager, `{"input": {"callUuid": "@bare", "maxAutoReassignAttempts": 0, "autoReassignOnDecline": false}}`},
		{create, staff, `{"input": {"callUuid": "@call"}}`},
		{create, staff, `{"input": {"callUuid": "@bare", "sendReminderBeforeExpiryDays": -1}}`},
		{create, staff, `{"input": {"callUuid": "@bare", "sendReminderBeforeExpiryDays": 3000000000}}`},
		{create, reviewer, `{"input": {"callUuid": "@call"}}`},
		{create, outsider, `{"input": {"callUuid": "@bare"}}`},
		{create, staff, `{"input": {"callUuid": null}}`},
		{create, staff, `{"input": {"callUuid": 12345678901234567890123456789012}}`},
		{set, staff, `{"input": {"callUuid": "@bare", "maxAutoReassignAttempts": 9}}`},
		{set, manager, `{"input": {"callUuid": "@call", "assignmentExpirationDays": 1, "sendReminderBeforeExpiryDays": 1}}`},
		{set, manager, `{"input": {"callUuid": "@other", "assignmentExpirationDays": 1}}`},
		{set, staff, `{"input": {"callUuid": "@other", "autoReassignOnDecline": "yes"}}`},
		{set, staff, `{"input": {"callUuid": "@bare", "assignmentExpirationDays": 1.5e300}}`},
		{updateVars, staff, `{"uuid": "@config", "max": 6, "exp": 8, "rem": 3, "auto": false, "id": "form"}`},
		{updateVars, staff, `{"uuid": "@config", "max": null}`},
		{updateVars, staff, `{"uuid": "@config", "max": 2147483648, "exp": -1}`},
		{updateVars, staff, `{"uuid": "@config", "modified": "@modified"}`},
		{updateVars, staff, `{"uuid": "@config", "modified": null, "id": null}`},
		{updateVars, staff, `{"uuid": null}`},
		{createVars, staff, `{"call": "@bare", "max": 1}`},
		{createVars, staff, `{"call": "@bare", "auto": null}`},
		{setVars, staff, `{"call": "@call", "rem": 0}`},
		{setVars, manager, `{"call": "@bare", "max": 1e3}`},
	} {
		f.Add(s.op, s.actor, []byte(s.vars))
	}

	bdb := dbtest.Open(f, dbtest.NewURL(f, "sqlite"))
	w := coretest.Build(f, bdb)
	cfg := server.DefaultConfig()
	// An access log line per input would drown the fuzzer's output; what
	// goes wrong is logged at Warn or above.
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	handler := server.New(w.Svc, cfg)
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, op, actor uint8, vars []byte) {
		staff := w.Actor(t, coretest.Staff)
		before := w.Snapshot(t)
		refs := strings.NewReplacer("@othercf", hex(w.OtherCf), "@config", hex(w.Config), "@CONFIG", strings.ToUpper(w.Config.String()),
			"@other", hex(w.Other), "@call", hex(w.Call), "@bare", hex(w.Bare),
			"@modified", before[w.Config].Modified.Format(time.RFC3339Nano))
		vars = []byte(refs.Replace(string(vars)))
		m := fuzzMutations[int(op)%len(fuzzMutations)]
		who := fuzzActors[int(actor)%len(fuzzActors)]

		q, _ := json.Marshal(m.query)
		body := []byte(`{"query":` + string(q) + `,"variables":` + string(vars) + `}`)
		if !json.Valid(vars) && json.Valid(body) {
			// The variables closed the object and went on with keys of
			// their own (another query): not the variables any more.
			t.Skip("variables escape the variables member")
		}
		r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if who != coretest.Anonymous {
			r.Header.Set("Authorization", "Token "+w.Tokens[who])
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		after := w.Snapshot(t)
		what := m.field + " as " + who + " with " + string(vars)
		t.Logf("%s: %d %.300s", what, rec.Code, rec.Body.String())

		if rec.Code >= 500 {
			t.Fatalf("%s: %d %s", what, rec.Code, rec.Body.String())
		}
		var res struct {
			Data   map[string]json.RawMessage `json:"data"`
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatalf("%s: %d, not JSON: %q", what, rec.Code, rec.Body.String())
		}
		for _, e := range res.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == graph.CodeInternal || code == "" {
				t.Fatalf("%s: error %q with code %q", what, e.Message, code)
			}
		}
		failed := len(res.Errors) > 0
		added := coretest.CheckChange(t, failed, before, after)
		if added != uuid.Nil {
			defer func() {
				if err := w.Svc.DeleteConfig(ctx, staff, added, core.Precondition{}); err != nil {
					t.Fatalf("delete %s: %v", added, err)
				}
			}()
		}
		if failed {
			return
		}
		var payload struct {
			Config struct {
				UUID                         string
				AutoReassignOnDecline        bool
				MaxAutoReassignAttempts      int64
				AssignmentExpirationDays     int64
				SendReminderBeforeExpiryDays int64
				Modified                     string
				Call                         struct{ UUID string }
			} `json:"callAssignmentConfiguration"`
			Created *bool
		}
		if err := json.Unmarshal(res.Data[m.field], &payload); err != nil {
			t.Fatalf("%s: data %s: %v", what, res.Data[m.field], err)
		}
		id, err := model.UnmarshalUUID(payload.Config.UUID)
		if err != nil {
			t.Fatalf("%s: uuid %q", what, payload.Config.UUID)
		}
		got, ok := after[id]
		if !ok {
			t.Fatalf("%s: answered %s, which is not stored", what, id)
		}
		if p, s := payload.Config, got.Settings; p.Call.UUID != hex(got.Call) || p.AutoReassignOnDecline != s.AutoReassignOnDecline ||
			p.MaxAutoReassignAttempts != s.MaxAutoReassignAttempts || p.AssignmentExpirationDays != s.AssignmentExpirationDays ||
			p.SendReminderBeforeExpiryDays != s.SendReminderBeforeExpiryDays || p.Modified != got.Modified.UTC().Format(model.DateTimeLayout) {
			t.Fatalf("%s: answered %+v, stored %+v", what, p, got)
		}
		if payload.Created != nil && *payload.Created != (added != uuid.Nil) {
			t.Fatalf("%s: created=%v, but added %v", what, *payload.Created, added)
		}
		if strings.HasPrefix(m.field, "create") && added != id {
			t.Fatalf("%s: created %s, answered %s", what, added, id)
		}
	})
}
