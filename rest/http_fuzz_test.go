package rest_test

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

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/server"
)

// fuzzWorld is the coretest world on SQLite behind the whole server
// handler, built once per fuzz target (a migration and two bcrypt hashes
// cost far more than an input) and called in process, without a socket.
type fuzzWorld struct {
	w       *coretest.World
	handler http.Handler
	// refs turns the placeholders seeds use into this world's uuids, which
	// are new on every build: a corpus file cannot name them itself.
	refs *strings.Replacer
}

func newFuzzWorld(f *testing.F) *fuzzWorld {
	bdb := dbtest.Open(f, dbtest.NewURL(f, "sqlite"))
	w := coretest.Build(f, bdb)
	cfg := server.DefaultConfig()
	// An access log line per input would drown the fuzzer's output; what
	// goes wrong (a 500, a panic) is logged at Warn or above.
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &fuzzWorld{
		w:       w,
		handler: server.New(w.Svc, cfg),
		// Longest first: "@othercf" must not be read as "@other" + "cf".
		refs: strings.NewReplacer("@othercf", hexID(w.OtherCf), "@config", hexID(w.Config),
			"@other", hexID(w.Other), "@call", hexID(w.Call), "@bare", hexID(w.Bare)),
	}
}

// fuzzActors are who a fuzzed request comes from: those who may change the
// configuration, those who may only see it, those who may not even see it,
// and the unauthenticated.
var fuzzActors = []string{coretest.Staff, coretest.Manager, coretest.Reviewer, coretest.Support,
	coretest.Outsider, coretest.OrganizerNoRole, coretest.Anonymous, "Token not-a-key"}

func (fw *fuzzWorld) serve(method, target, contentType, actor string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	switch {
	case strings.Contains(actor, " "):
		r.Header.Set("Authorization", actor)
	case actor != coretest.Anonymous:
		r.Header.Set("Authorization", "Token "+fw.w.Tokens[actor])
	}
	rec := httptest.NewRecorder()
	fw.handler.ServeHTTP(rec, r)
	return rec
}

// restore takes the world back to its shape (Bare without a configuration)
// so that every input can try to create one.
func (fw *fuzzWorld) restore(t *testing.T, added uuid.UUID) {
	t.Helper()
	if added == uuid.Nil {
		return
	}
	if err := fw.w.Svc.DeleteConfig(context.Background(), fw.w.Actor(t, coretest.Staff), added, core.Precondition{}); err != nil {
		t.Fatalf("delete %s: %v", added, err)
	}
}

// restConfig is the part of a configuration's representation a write sets.
type restConfig struct {
	UUID                         string `json:"uuid"`
	CallUUID                     string `json:"call_uuid"`
	AutoReassignOnDecline        bool   `json:"auto_reassign_on_decline"`
	MaxAutoReassignAttempts      int64  `json:"max_auto_reassign_attempts"`
	AssignmentExpirationDays     int64  `json:"assignment_expiration_days"`
	SendReminderBeforeExpiryDays int64  `json:"send_reminder_before_expiry_days"`
}

func checkErrorBody(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body) == 0 {
		t.Fatalf("%s: %d with a body that is not a JSON object: %q", what, rec.Code, rec.Body.String())
	}
}

// Content types a client sends a body with: the two parsers' media types
// in the spellings DRF matches, and two it refuses.
var fuzzContentTypes = []string{"application/json", "application/x-www-form-urlencoded", "application/json; charset=utf-8",
	"application/x-www-form-urlencoded; charset=latin-1", "APPLICATION/JSON", "*/*", "text/plain", ""}

// FuzzConfigWrite sends a fuzzed body as a PATCH, PUT or POST of a
// configuration, with a JSON or form Content-Type, from any actor, to the
// whole handler. Never a 5xx; a refused write changes nothing; a 200
// changes at most the four settings and modified of the configuration it
// names; a 201 adds one configuration to a call that had none.
func FuzzConfigWrite(f *testing.F) {
	type seed struct {
		method, contentType, actor uint8
		body                       string
	}
	const patch, put, post, patchHidden = 0, 1, 2, 3
	const asJSON, asForm = 0, 1
	const staff, manager, reviewer = 0, 1, 2
	for _, s := range []seed{
		{patch, asJSON, staff, `{"max_auto_reassign_attempts": 5}`},
		{patch, asJSON, manager, `{"auto_reassign_on_decline": "yes", "max_auto_reassign_attempts": "5.0", "assignment_expiration_days": 7.0, "send_reminder_before_expiry_days": "2"}`},
		{patch, asJSON, staff, `{"max_auto_reassign_attempts": -1, "assignment_expiration_days": 2147483648, "send_reminder_before_expiry_days": null, "auto_reassign_on_decline": "maybe"}`},
		{patch, asJSON, staff, `{"max_auto_reassign_attempts": 99999999999999999999999999, "assignment_expiration_days": 1e400, "send_reminder_before_expiry_days": 5.5}`},
		{patch, asJSON, staff, `{"max_auto_reassign_attempts": [1], "assignment_expiration_days": {"a": 1}, "auto_reassign_on_decline": 2}`},
		{patch, asJSON, staff, `{"max_auto_reassign_attempts": "` + strings.Repeat("1", 1001) + `"}`},
		{patch, asJSON, staff, `{"uuid": "@othercf", "call": "@other", "created": "2000-01-01", "modified": null}`},
		{patch, asJSON, staff, `[{"max_auto_reassign_attempts": 5}]`},
		{patch, asJSON, staff, `null`},
		{patch, asJSON, staff, `{"max_auto_reassign_attempts": 5,}`},
		{patch, asJSON, staff, "\xef\xbb\xbf{}"},
		{patch, asJSON, staff, "{\"a\": \"\xff\"}"},
		{patch, asJSON, reviewer, `{"max_auto_reassign_attempts": 5}`},
		{patch, asJSON, reviewer, `{"max_auto_reassign_attempts": "x"}`},
		{patch, asJSON, 6, `{"max_auto_reassign_attempts": 5}`},
		{patch, asJSON, 4, `not json`},
		{patchHidden, asJSON, manager, `{"max_auto_reassign_attempts": 5}`},
		{patch, asForm, staff, `max_auto_reassign_attempts=5&auto_reassign_on_decline=on`},
		{patch, asForm, staff, `max_auto_reassign_attempts=&assignment_expiration_days=%2B7.00&send_reminder_before_expiry_days=%D9%A5`},
		{patch, asForm, staff, `max_auto_reassign_attempts=5&max_auto_reassign_attempts=x&%ff=%zz`},
		{put, asForm, staff, `assignment_expiration_days=10`},
		{put, asJSON, manager, `{"auto_reassign_on_decline": true, "assignment_expiration_days": 10}`},
		{put, asJSON, staff, ``},
		{put, 6, staff, `{"max_auto_reassign_attempts": 5}`},
		{post, asJSON, staff, `{"call": "@bare", "max_auto_reassign_attempts": 5}`},
		{post, asJSON, manager, `{"call": "http://testserver/api/proposal-protected-calls/@bare/"}`},
		{post, asJSON, staff, `{"call": "/api/proposal-protected-calls/@bare/", "auto_reassign_on_decline": "1"}`},
		{post, asJSON, staff, `{"call": "@call"}`},
		{post, asJSON, reviewer, `{"call": "@call"}`},
		{post, asJSON, staff, `{"call": "@other", "max_auto_reassign_attempts": -3}`},
		{post, asJSON, staff, `{"call": 5}`},
		{post, asJSON, staff, `{"call": ""}`},
		{post, asJSON, staff, `{"call": null}`},
		{post, asJSON, staff, `{}`},
		{post, asJSON, staff, `{"call": "00000000000000000000000000000000"}`},
		{post, asForm, staff, `call=@bare&max_auto_reassign_attempts=1`},
		{post, asForm, manager, `call=urn%3Auuid%3A@bare`},
		{post, 3, staff, "call=@bare&auto_reassign_on_decline=\xe9"},
	} {
		f.Add(s.method, s.contentType, s.actor, []byte(s.body))
	}
	fw := newFuzzWorld(f)
	f.Fuzz(func(t *testing.T, method, contentType, actor uint8, body []byte) {
		body = []byte(fw.refs.Replace(string(body)))
		ct := fuzzContentTypes[int(contentType)%len(fuzzContentTypes)]
		who := fuzzActors[int(actor)%len(fuzzActors)]
		verb, target := http.MethodPatch, configPath(fw.w.Config)
		switch method % 4 {
		case put:
			verb = http.MethodPut
		case post:
			verb, target = http.MethodPost, listPath
		case patchHidden:
			// Configured, but seen only by staff and support.
			target = configPath(fw.w.OtherCf)
		}
		what := verb + " " + ct + " as " + who

		before := fw.w.Snapshot(t)
		rec := fw.serve(verb, target, ct, who, body)
		after := fw.w.Snapshot(t)
		t.Logf("%s: %d %.200s", what, rec.Code, rec.Body.String())
		if rec.Code >= 500 {
			t.Fatalf("%s: %d %s", what, rec.Code, rec.Body.String())
		}
		ok := rec.Code == http.StatusOK || rec.Code == http.StatusCreated
		if !ok {
			checkErrorBody(t, what, rec)
		}
		added := coretest.CheckChange(t, !ok, before, after)
		defer fw.restore(t, added)
		if !ok {
			return
		}
		if want := map[bool]int{true: http.StatusCreated, false: http.StatusOK}[verb == http.MethodPost]; rec.Code != want {
			t.Fatalf("%s: %d, want %d", what, rec.Code, want)
		}
		var got restConfig
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %d with %q: %v", what, rec.Code, rec.Body.String(), err)
		}
		id, err := uuid.Parse(got.UUID)
		if err != nil {
			t.Fatalf("%s: uuid %q", what, got.UUID)
		}
		if verb == http.MethodPost && id != added {
			t.Fatalf("%s: answered %s, created %s", what, id, added)
		}
		stored := after[id]
		if s := stored.Settings; got.CallUUID != hexID(stored.Call) || got.AutoReassignOnDecline != s.AutoReassignOnDecline ||
			got.MaxAutoReassignAttempts != s.MaxAutoReassignAttempts || got.AssignmentExpirationDays != s.AssignmentExpirationDays ||
			got.SendReminderBeforeExpiryDays != s.SendReminderBeforeExpiryDays {
			t.Fatalf("%s: answered %+v, stored %+v", what, got, stored)
		}
		if s := stored.Settings; s.MaxAutoReassignAttempts < 0 || s.AssignmentExpirationDays < 0 || s.SendReminderBeforeExpiryDays < 0 ||
			s.MaxAutoReassignAttempts > core.MaxInt || s.AssignmentExpirationDays > core.MaxInt || s.SendReminderBeforeExpiryDays > core.MaxInt {
			t.Fatalf("%s: stored out of range: %+v", what, s)
		}
	})
}

// FuzzListQuery sends a fuzzed query string to both lists, from any actor.
// Whatever the page and page_size say, the answer is a page of at most
// page_size items (1..300, never more than X-Result-Count) or "Invalid
// page.", or one of the errors the query's other parameters may earn
// (call_uuid, format); never a 5xx.
func FuzzListQuery(f *testing.F) {
	for _, q := range []string{
		"", "page=2", "page=last", "page=0", "page=-1", "page=", "page=x", "page=1.0", "page=%201%20", "page=99999999999999999999",
		"page=2147483648", "page_size=1&page=2", "page_size=1&page=3", "page_size=0", "page_size=-1", "page_size=301",
		"page_size=9223372036854775808", "page_size=%D9%A2&page=%D9%A1", "page_size=1_0", "page_size=1&page_size=2&page=last",
		"call_uuid=@call", "call_uuid=@bare", "call_uuid=%20@call%20", "call_uuid=x", "call_uuid=", "call_uuid={@other}&page=last",
		"format=json", "format=api&page=1", "format=xml", "a=%zz&b=%ff&&=&page=1", "page=%E2%82",
	} {
		for path := range uint8(2) {
			f.Add(path, uint8(0), q)
		}
	}
	f.Add(uint8(0), uint8(1), "page=2&page_size=1")
	f.Add(uint8(1), uint8(2), "page=last&page_size=1")
	f.Add(uint8(0), uint8(6), "page=last")
	fw := newFuzzWorld(f)
	f.Fuzz(func(t *testing.T, path, actor uint8, query string) {
		query = fw.refs.Replace(query)
		who := fuzzActors[int(actor)%len(fuzzActors)]
		target := []string{listPath, "/api/proposal-protected-calls/"}[path%2]
		r := httptest.NewRequest(http.MethodGet, target, nil)
		// Set raw: httptest.NewRequest would refuse what a client can still
		// put on the wire.
		r.URL.RawQuery = query
		switch {
		case strings.Contains(who, " "):
			r.Header.Set("Authorization", who)
		case who != coretest.Anonymous:
			r.Header.Set("Authorization", "Token "+fw.w.Tokens[who])
		}
		rec := httptest.NewRecorder()
		fw.handler.ServeHTTP(rec, r)
		what := "GET " + target + "?" + query + " as " + who
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusUnauthorized:
			checkErrorBody(t, what, rec)
			return
		case http.StatusNotFound:
			// Django's Paginator, or DRF's ?format= naming no renderer.
			if b := rec.Body.String(); b != `{"detail":"Invalid page."}` && b != `{"detail":"Not found."}` {
				t.Fatalf("%s: 404 %s", what, b)
			}
			return
		default:
			t.Fatalf("%s: %d %s", what, rec.Code, rec.Body.String())
		}
		var items []json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
			t.Fatalf("%s: not a JSON array: %q", what, rec.Body.String())
		}
		var total int
		if err := json.Unmarshal([]byte(rec.Header().Get("X-Result-Count")), &total); err != nil {
			t.Fatalf("%s: X-Result-Count %q", what, rec.Header().Get("X-Result-Count"))
		}
		if len(items) > core.MaxPageSize || len(items) > total {
			t.Fatalf("%s: %d items of %d", what, len(items), total)
		}
		if !strings.Contains(rec.Header().Get("Link"), `rel="last"`) {
			t.Fatalf("%s: Link %q", what, rec.Header().Get("Link"))
		}
	})
}
