package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/server/servertest"
)

// send makes a request with headers as actor and decodes a JSON answer.
func send(t *testing.T, s *servertest.Env, actor, method, path string, body any, headers map[string]string) (*http.Response, any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.Srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := s.Token(actor); tok != "" {
		req.Header.Set("Authorization", "Token "+tok)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var v any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &v)
	}
	return res, v
}

func graphQL(t *testing.T, s *servertest.Env, actor, query string, vars map[string]any) (*http.Response, any) {
	t.Helper()
	return send(t, s, actor, http.MethodPost, "/graphql", map[string]any{"query": query, "variables": vars}, nil)
}

// written is what a write through a face answered, for its change.
type written struct {
	res      *http.Response
	kind     string
	via      string
	config   uuid.UUID
	call     uuid.UUID
	modified string // the new modified the write answered; "" on delete
	changed  []string
}

func uuidOf(t *testing.T, v any) uuid.UUID {
	t.Helper()
	s, _ := v.(string)
	u, err := uuid.Parse(s)
	if err != nil {
		t.Fatalf("not a uuid: %v", v)
	}
	return u
}

// Every write through either face records exactly one change, naming the
// face, the actor and the request's id as the response gave it, with `at`
// equal to the modified the write answered.
func TestEveryFaceWriteRecordsOneChange(t *testing.T) {
	servertest.Each(t, func(t *testing.T, s *servertest.Env) {
		w := s.W
		const m = coretest.Manager
		all := []string{core.FieldAutoReassignOnDecline, core.FieldMaxAutoReassignAttempts, core.FieldAssignmentExpirationDays, core.FieldSendReminderBeforeExpiryDays}
		var bareCfg uuid.UUID
		detail := func(u uuid.UUID) string { return "/api/call-assignment-configurations/" + hex32(u) + "/" }
		gqlWrite := func(t *testing.T, field, query string, vars map[string]any) (*http.Response, any) {
			t.Helper()
			res, body := graphQL(t, s, m, query, vars)
			if res.StatusCode != http.StatusOK || servertest.Dig(body, "errors") != nil {
				t.Fatalf("%s: %d %v", field, res.StatusCode, body)
			}
			return res, servertest.Dig(body, "data."+field)
		}
		const cfgFields = `callAssignmentConfiguration { uuid modified }`

		cases := []struct {
			name  string
			write func(t *testing.T) written
		}{
			{"REST POST", func(t *testing.T) written {
				res, body := send(t, s, m, http.MethodPost, "/api/call-assignment-configurations/", map[string]any{"call": hex32(w.Bare)},
					map[string]string{"X-Request-Id": "client-chosen-id.1"})
				if res.StatusCode != http.StatusCreated {
					t.Fatalf("POST: %d %v", res.StatusCode, body)
				}
				bareCfg = uuidOf(t, servertest.Dig(body, "uuid"))
				return written{res, core.ChangeCreated, core.ViaREST, bareCfg, w.Bare, servertest.Dig(body, "modified").(string), all}
			}},
			{"REST PUT", func(t *testing.T) written {
				res, body := send(t, s, m, http.MethodPut, detail(bareCfg), map[string]any{"max_auto_reassign_attempts": 6}, nil)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("PUT: %d %v", res.StatusCode, body)
				}
				return written{res, core.ChangeUpdated, core.ViaREST, bareCfg, w.Bare, servertest.Dig(body, "modified").(string),
					[]string{core.FieldMaxAutoReassignAttempts}}
			}},
			{"REST PATCH that changes no value", func(t *testing.T) written {
				res, body := send(t, s, m, http.MethodPatch, detail(bareCfg), map[string]any{"max_auto_reassign_attempts": 6}, nil)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("PATCH: %d %v", res.StatusCode, body)
				}
				return written{res, core.ChangeUpdated, core.ViaREST, bareCfg, w.Bare, servertest.Dig(body, "modified").(string), []string{}}
			}},
			{"REST DELETE", func(t *testing.T) written {
				res, body := send(t, s, m, http.MethodDelete, detail(bareCfg), nil, nil)
				if res.StatusCode != http.StatusNoContent {
					t.Fatalf("DELETE: %d %v", res.StatusCode, body)
				}
				return written{res, core.ChangeDeleted, core.ViaREST, bareCfg, w.Bare, "", all}
			}},
			{"GraphQL create", func(t *testing.T) written {
				res, p := gqlWrite(t, "createCallAssignmentConfiguration", `mutation($c: UUID!) {
					createCallAssignmentConfiguration(input: {callUuid: $c, autoReassignOnDecline: true}) { `+cfgFields+` } }`,
					map[string]any{"c": hex32(w.Bare)})
				bareCfg = uuidOf(t, servertest.Dig(p, "callAssignmentConfiguration.uuid"))
				return written{res, core.ChangeCreated, core.ViaGraphQL, bareCfg, w.Bare, servertest.Dig(p, "callAssignmentConfiguration.modified").(string), all}
			}},
			{"GraphQL update", func(t *testing.T) written {
				res, p := gqlWrite(t, "updateCallAssignmentConfiguration", `mutation($u: UUID!) {
					updateCallAssignmentConfiguration(input: {uuid: $u, assignmentExpirationDays: 9, sendReminderBeforeExpiryDays: 3}) { `+cfgFields+` } }`,
					map[string]any{"u": hex32(bareCfg)})
				return written{res, core.ChangeUpdated, core.ViaGraphQL, bareCfg, w.Bare, servertest.Dig(p, "callAssignmentConfiguration.modified").(string),
					[]string{core.FieldAssignmentExpirationDays, core.FieldSendReminderBeforeExpiryDays}}
			}},
			{"GraphQL set for a call (update)", func(t *testing.T) written {
				res, p := gqlWrite(t, "setCallAssignmentConfigurationForCall", `mutation($c: UUID!) {
					setCallAssignmentConfigurationForCall(input: {callUuid: $c, autoReassignOnDecline: false}) { `+cfgFields+` } }`,
					map[string]any{"c": hex32(w.Bare)})
				return written{res, core.ChangeUpdated, core.ViaGraphQL, bareCfg, w.Bare, servertest.Dig(p, "callAssignmentConfiguration.modified").(string),
					[]string{core.FieldAutoReassignOnDecline}}
			}},
			{"GraphQL delete", func(t *testing.T) written {
				res, _ := gqlWrite(t, "deleteCallAssignmentConfiguration", `mutation($u: UUID!) {
					deleteCallAssignmentConfiguration(input: {uuid: $u}) { deletedUuid } }`, map[string]any{"u": hex32(bareCfg)})
				return written{res, core.ChangeDeleted, core.ViaGraphQL, bareCfg, w.Bare, "", all}
			}},
			{"GraphQL set for a call (create)", func(t *testing.T) written {
				res, p := gqlWrite(t, "setCallAssignmentConfigurationForCall", `mutation($c: UUID!) {
					setCallAssignmentConfigurationForCall(input: {callUuid: $c}) { created `+cfgFields+` } }`,
					map[string]any{"c": hex32(w.Bare)})
				bareCfg = uuidOf(t, servertest.Dig(p, "callAssignmentConfiguration.uuid"))
				return written{res, core.ChangeCreated, core.ViaGraphQL, bareCfg, w.Bare, servertest.Dig(p, "callAssignmentConfiguration.modified").(string), all}
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := w.Feed(t, coretest.Staff)
				wr := c.write(t)
				after := w.Feed(t, coretest.Staff)
				if len(after) != len(before)+1 {
					t.Fatalf("%d changes before the write, %d after", len(before), len(after))
				}
				ch := after[len(after)-1]
				if ch.Kind != wr.kind || ch.Via != wr.via || ch.ConfigurationUUID != wr.config || ch.CallUUID != wr.call {
					t.Errorf("%s via %s of %s (call %s), want %s via %s of %s (call %s)", ch.Kind, ch.Via, ch.ConfigurationUUID, ch.CallUUID,
						wr.kind, wr.via, wr.config, wr.call)
				}
				if ch.Actor == nil || ch.Actor.Username != m || ch.Actor.UUID != w.Actor(t, m).User.UUID {
					t.Errorf("actor %+v, want %s", ch.Actor, m)
				}
				id := wr.res.Header.Get("X-Request-Id")
				if id == "" || ch.RequestID == nil || *ch.RequestID != id {
					t.Errorf("request id %v, the response's X-Request-Id %q", ch.RequestID, id)
				}
				if !slices.Equal(ch.ChangedFields, wr.changed) {
					t.Errorf("changed fields %v, want %v", ch.ChangedFields, wr.changed)
				}
				if wr.modified != "" {
					mod, err := time.Parse(time.RFC3339Nano, wr.modified)
					if err != nil || !ch.At.Equal(mod) {
						t.Errorf("at %s, the write's modified %s", ch.At, wr.modified)
					}
				}
			})
		}
		if got := w.Feed(t, coretest.Staff)[2].RequestID; got == nil || *got != "client-chosen-id.1" {
			t.Errorf("the client's own request id was not kept: %v", got)
		}
	})
}

// A write a face refuses records nothing.
func TestRefusedFaceWritesRecordNoChange(t *testing.T) {
	servertest.Each(t, func(t *testing.T, s *servertest.Env) {
		w := s.W
		detail := "/api/call-assignment-configurations/" + hex32(w.Config) + "/"
		res, _ := send(t, s, coretest.Manager, http.MethodGet, detail, nil, nil)
		etag := res.Header.Get("ETag")
		if res, body := send(t, s, coretest.Manager, http.MethodPatch, detail, map[string]any{"max_auto_reassign_attempts": 1}, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("PATCH: %d %v", res.StatusCode, body)
		}
		cases := []struct {
			name   string
			status int
			do     func(t *testing.T) *http.Response
		}{
			{"REST PATCH by a reviewer", http.StatusForbidden, func(t *testing.T) *http.Response {
				res, _ := send(t, s, coretest.Reviewer, http.MethodPatch, detail, map[string]any{"max_auto_reassign_attempts": 2}, nil)
				return res
			}},
			{"REST PATCH by an outsider", http.StatusNotFound, func(t *testing.T) *http.Response {
				res, _ := send(t, s, coretest.Outsider, http.MethodPatch, detail, map[string]any{"max_auto_reassign_attempts": 2}, nil)
				return res
			}},
			{"REST PATCH with a bad value", http.StatusBadRequest, func(t *testing.T) *http.Response {
				res, _ := send(t, s, coretest.Manager, http.MethodPatch, detail, map[string]any{"max_auto_reassign_attempts": -2}, nil)
				return res
			}},
			{"REST PATCH with a stale ETag", http.StatusPreconditionFailed, func(t *testing.T) *http.Response {
				res, _ := send(t, s, coretest.Manager, http.MethodPatch, detail, map[string]any{"max_auto_reassign_attempts": 2}, map[string]string{"If-Match": etag})
				return res
			}},
			{"REST DELETE with a stale ETag", http.StatusPreconditionFailed, func(t *testing.T) *http.Response {
				res, _ := send(t, s, coretest.Manager, http.MethodDelete, detail, nil, map[string]string{"If-Match": etag})
				return res
			}},
			{"REST POST on a call that has one", http.StatusBadRequest, func(t *testing.T) *http.Response {
				res, _ := send(t, s, coretest.Manager, http.MethodPost, "/api/call-assignment-configurations/", map[string]any{"call": hex32(w.Call)}, nil)
				return res
			}},
			{"REST DELETE by support", http.StatusForbidden, func(t *testing.T) *http.Response {
				res, _ := send(t, s, coretest.Support, http.MethodDelete, detail, nil, nil)
				return res
			}},
			{"GraphQL update by a reviewer", http.StatusOK, func(t *testing.T) *http.Response {
				res, _ := graphQL(t, s, coretest.Reviewer, `mutation($u: UUID!) { updateCallAssignmentConfiguration(input: {uuid: $u, maxAutoReassignAttempts: 2}) { clientMutationId } }`,
					map[string]any{"u": hex32(w.Config)})
				return res
			}},
			{"GraphQL update with a stale modified", http.StatusOK, func(t *testing.T) *http.Response {
				res, _ := graphQL(t, s, coretest.Manager, `mutation($u: UUID!) { updateCallAssignmentConfiguration(input: {uuid: $u, maxAutoReassignAttempts: 2,
					modified: "2020-01-01T00:00:00Z"}) { clientMutationId } }`, map[string]any{"u": hex32(w.Config)})
				return res
			}},
			{"GraphQL create with a bad value", http.StatusOK, func(t *testing.T) *http.Response {
				res, _ := graphQL(t, s, coretest.Manager, `mutation($c: UUID!) { createCallAssignmentConfiguration(input: {callUuid: $c, maxAutoReassignAttempts: -1}) { clientMutationId } }`,
					map[string]any{"c": hex32(w.Bare)})
				return res
			}},
			{"GraphQL delete by an outsider", http.StatusOK, func(t *testing.T) *http.Response {
				res, _ := graphQL(t, s, coretest.Outsider, `mutation($u: UUID!) { deleteCallAssignmentConfiguration(input: {uuid: $u}) { deletedUuid } }`,
					map[string]any{"u": hex32(w.Config)})
				return res
			}},
		}
		n := len(w.Feed(t, coretest.Staff))
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if res := c.do(t); res.StatusCode != c.status {
					t.Fatalf("status %d, want %d", res.StatusCode, c.status)
				}
				if got := len(w.Feed(t, coretest.Staff)); got != n {
					t.Fatalf("%d changes, want %d", got, n)
				}
			})
		}
	})
}
