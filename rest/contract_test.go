package rest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/rest"
)

// row is one line of the contract: a request and what must come back.
// Headers map a name to its exact value; "" means the header must be absent.
type row struct {
	name   string
	req    req
	status int
	body   string
	header map[string]string
}

func (r row) run(t *testing.T, e *env) response {
	t.Helper()
	res := e.do(t, r.req)
	res.check(t, r.name, r.status, r.body)
	for k, v := range r.header {
		if got := res.header.Get(k); got != v {
			t.Errorf("%s: header %s = %q, want %q", r.name, k, got, v)
		}
	}
	return res
}

// TestContractReads covers the rows that read: lists, details, HEAD, the
// calls, negotiation, authentication, routing and method errors.
func TestContractReads(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		base := e.srv.URL
		cfg, other := e.config(t, e.w.Config), e.config(t, e.w.OtherCf)
		call, otherCall, bare := e.call(t, e.w.Call), e.call(t, e.w.Other), e.call(t, e.w.Bare)
		all := list(wantConfig(base, other), wantConfig(base, cfg))
		one := wantConfig(base, cfg)
		dashedUpper := strings.ToUpper(e.w.Config.String())
		onePage := `<` + base + listPath + `>; rel="first", <` + base + listPath + `>; rel="last"`
		rows := []row{
			{name: "list", req: req{method: "GET", path: listPath, token: coretest.Staff}, status: 200, body: all,
				header: map[string]string{"Content-Type": "application/json", "X-Result-Count": "2", "Link": onePage,
					"Allow": "GET, POST, HEAD, OPTIONS", "Vary": "Accept", "Content-Length": strconv.Itoa(len(all))}},
			{name: "HEAD list", req: req{method: "HEAD", path: listPath, token: coretest.Staff}, status: 200, body: "",
				header: map[string]string{"Content-Type": "application/json", "X-Result-Count": "2", "Link": onePage, "Content-Length": strconv.Itoa(len(all))}},
			{name: "list filtered by call_uuid", req: req{method: "GET", path: listPath + "?call_uuid=" + hexID(e.w.Call), token: coretest.Staff}, status: 200, body: list(one),
				header: map[string]string{"X-Result-Count": "1", "Link": `<` + base + listPath + `?call_uuid=` + hexID(e.w.Call) + `>; rel="first", <` + base + listPath + `?call_uuid=` + hexID(e.w.Call) + `>; rel="last"`}},
			{name: "list filtered by a dashed call_uuid", req: req{method: "GET", path: listPath + "?call_uuid=" + e.w.Other.String(), token: coretest.Staff}, status: 200, body: list(wantConfig(base, other))},
			{name: "call_uuid of a call without configuration", req: req{method: "GET", path: listPath + "?call_uuid=" + hexID(e.w.Bare), token: coretest.Staff}, status: 200, body: "[]",
				header: map[string]string{"X-Result-Count": "0"}},
			{name: "blank call_uuid filters nothing", req: req{method: "GET", path: listPath + "?call_uuid=", token: coretest.Staff}, status: 200, body: all},
			{name: "malformed call_uuid", req: req{method: "GET", path: listPath + "?call_uuid=nope", token: coretest.Staff}, status: 400, body: `{"call_uuid":["Enter a valid UUID."]}`},
			{name: "malformed call_uuid, anonymous", req: req{method: "GET", path: listPath + "?call_uuid=nope"}, status: 401, body: detail(core.MsgNotAuthenticated)},
			{name: "retrieve", req: req{method: "GET", path: configPath(e.w.Config), token: coretest.Manager}, status: 200, body: one,
				header: map[string]string{"Content-Type": "application/json", "Allow": "GET, PUT, PATCH, DELETE, HEAD, OPTIONS", "Link": "", "X-Result-Count": ""}},
			{name: "HEAD retrieve", req: req{method: "HEAD", path: configPath(e.w.Config), token: coretest.Manager}, status: 200, body: "",
				header: map[string]string{"Content-Type": "application/json", "Content-Length": strconv.Itoa(len(one))}},
			{name: "retrieve by dashed upper-case uuid", req: req{method: "GET", path: listPath + dashedUpper + "/", token: coretest.Manager}, status: 200, body: one},
			{name: "retrieve a missing uuid", req: req{method: "GET", path: configPath(uuid.New()), token: coretest.Staff}, status: 404, body: detail(core.MsgConfigNotFound)},
			{name: "retrieve a malformed uuid", req: req{method: "GET", path: listPath + "not-a-uuid/", token: coretest.Staff}, status: 404, body: detail(core.MsgConfigNotFound)},
			{name: "malformed uuid, anonymous", req: req{method: "GET", path: listPath + "not-a-uuid/"}, status: 401, body: detail(core.MsgNotAuthenticated)},
			{name: "HEAD of a missing uuid", req: req{method: "HEAD", path: configPath(uuid.New()), token: coretest.Staff}, status: 404, body: ""},
			{name: "calls list", req: req{method: "GET", path: "/api/proposal-protected-calls/", token: coretest.Staff}, status: 200,
				body:   list(wantCall(base, bare), wantCall(base, otherCall), wantCall(base, call)),
				header: map[string]string{"X-Result-Count": "3", "Allow": "GET, HEAD, OPTIONS", "Link": `<` + base + `/api/proposal-protected-calls/>; rel="first", <` + base + `/api/proposal-protected-calls/>; rel="last"`}},
			{name: "HEAD calls list", req: req{method: "HEAD", path: "/api/proposal-protected-calls/", token: coretest.Staff}, status: 200, body: "", header: map[string]string{"X-Result-Count": "3"}},
			{name: "calls list of a reviewer", req: req{method: "GET", path: "/api/proposal-protected-calls/", token: coretest.Reviewer}, status: 200, body: list(wantCall(base, call))},
			{name: "call detail", req: req{method: "GET", path: callPath(e.w.Call), token: coretest.Reviewer}, status: 200, body: wantCall(base, call)},
			{name: "call detail hidden", req: req{method: "GET", path: callPath(e.w.Other), token: coretest.Reviewer}, status: 404, body: detail(core.MsgCallNotFound)},
			{name: "call detail malformed", req: req{method: "GET", path: "/api/proposal-protected-calls/xyz/", token: coretest.Reviewer}, status: 404, body: detail(core.MsgCallNotFound)},
			{name: "POST on calls", req: req{method: "POST", path: "/api/proposal-protected-calls/", token: coretest.Staff, body: "{}"}, status: 405, body: detail(`Method "POST" not allowed.`),
				header: map[string]string{"Allow": "GET, HEAD, OPTIONS"}},
			{name: "API root", req: req{method: "GET", path: "/api/", token: coretest.Outsider}, status: 200,
				body: `{"call-assignment-configurations":"` + base + `/api/call-assignment-configurations/","proposal-protected-calls":"` + base + `/api/proposal-protected-calls/"}`},

			// Authentication.
			{name: "no credentials", req: req{method: "GET", path: listPath}, status: 401, body: detail(core.MsgNotAuthenticated), header: map[string]string{"WWW-Authenticate": "Token"}},
			{name: "unknown token", req: req{method: "GET", path: listPath, token: "Token 0123456789abcdef"}, status: 401, body: detail(core.MsgInvalidToken), header: map[string]string{"WWW-Authenticate": "Token"}},
			{name: "token keyword without key", req: req{method: "GET", path: listPath, token: "Token "}, status: 401, body: detail("Invalid token header. No credentials provided.")},
			{name: "token with spaces", req: req{method: "GET", path: listPath, token: "Token a b"}, status: 401, body: detail("Invalid token header. Token string should not contain spaces.")},
			{name: "Bearer keyword", req: req{method: "GET", path: configPath(e.w.Config), token: "Bearer " + e.w.Tokens[coretest.Staff]}, status: 200, body: one},
			{name: "keyword in any case", req: req{method: "GET", path: configPath(e.w.Config), token: "tOKEN " + e.w.Tokens[coretest.Staff]}, status: 200, body: one},
			{name: "another scheme is anonymous", req: req{method: "GET", path: listPath, token: "Basic dXNlcjpwYXNz"}, status: 401, body: detail(core.MsgNotAuthenticated)},
			{name: "a bad token fails even where none is needed", req: req{method: "POST", path: "/api-auth/password/", token: "Token nope", body: "{}"}, status: 401, body: detail(core.MsgInvalidToken)},

			// Methods, OPTIONS, routing.
			{name: "DELETE on the list", req: req{method: "DELETE", path: listPath, token: coretest.Staff}, status: 405, body: detail(`Method "DELETE" not allowed.`),
				header: map[string]string{"Allow": "GET, POST, HEAD, OPTIONS"}},
			{name: "POST on a detail", req: req{method: "POST", path: configPath(e.w.Config), token: coretest.Staff, body: "{}"}, status: 405, body: detail(`Method "POST" not allowed.`),
				header: map[string]string{"Allow": "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"}},
			{name: "unknown method", req: req{method: "BREW", path: listPath, token: coretest.Staff}, status: 405, body: detail(`Method "BREW" not allowed.`)},
			{name: "405 comes after authentication", req: req{method: "PUT", path: listPath}, status: 401, body: detail(core.MsgNotAuthenticated)},
			{name: "GET on the login", req: req{method: "GET", path: "/api-auth/password/"}, status: 405, body: detail(`Method "GET" not allowed.`), header: map[string]string{"Allow": "POST, OPTIONS"}},
			{name: "OPTIONS list", req: req{method: "OPTIONS", path: listPath}, status: 200,
				body:   `{"name":"Call Assignment Configuration List","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}`,
				header: map[string]string{"Allow": "GET, POST, HEAD, OPTIONS"}},
			{name: "OPTIONS detail", req: req{method: "OPTIONS", path: configPath(e.w.Config)}, status: 200, body: "*", header: map[string]string{"Allow": "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"}},
			{name: "OPTIONS login", req: req{method: "OPTIONS", path: "/api-auth/password/"}, status: 200, body: "*", header: map[string]string{"Allow": "POST, OPTIONS"}},
			{name: "unknown path", req: req{method: "GET", path: "/api/nothing-here/", token: coretest.Staff}, status: 404, body: detail("Not found.")},
			{name: "unknown path without slash", req: req{method: "GET", path: "/api/nothing-here", token: coretest.Staff}, status: 404, body: detail("Not found.")},
			{name: "dots are not uuids", req: req{method: "GET", path: listPath + "a.json/", token: coretest.Staff}, status: 404, body: detail("Not found.")},
			{name: "redirect GET", req: req{method: "GET", path: "/api/call-assignment-configurations"}, status: 301, body: "",
				header: map[string]string{"Location": "/api/call-assignment-configurations/"}},
			{name: "redirect keeps the query", req: req{method: "GET", path: "/api/call-assignment-configurations?page=2&page_size=1"}, status: 301, body: "",
				header: map[string]string{"Location": "/api/call-assignment-configurations/?page=2&page_size=1"}},
			{name: "redirect HEAD", req: req{method: "HEAD", path: "/api/call-assignment-configurations/" + hexID(e.w.Config)}, status: 301, body: "",
				header: map[string]string{"Location": configPath(e.w.Config)}},
			{name: "redirect POST with 308", req: req{method: "POST", path: "/api/call-assignment-configurations", body: "{}"}, status: 308, body: "",
				header: map[string]string{"Location": "/api/call-assignment-configurations/"}},
			{name: "redirect PATCH with 308", req: req{method: "PATCH", path: "/api/call-assignment-configurations/" + hexID(e.w.Config), body: "{}"}, status: 308, body: "",
				header: map[string]string{"Location": configPath(e.w.Config)}},
			{name: "redirect DELETE with 308", req: req{method: "DELETE", path: "/api/call-assignment-configurations/" + hexID(e.w.Config)}, status: 308, body: ""},
			{name: "redirect the login", req: req{method: "POST", path: "/api-auth/password", body: "{}"}, status: 308, body: "", header: map[string]string{"Location": "/api-auth/password/"}},
			{name: "redirect /api", req: req{method: "GET", path: "/api"}, status: 301, body: "", header: map[string]string{"Location": "/api/"}},
			{name: "redirect a malformed uuid too", req: req{method: "GET", path: "/api/proposal-protected-calls/xyz"}, status: 301, body: "", header: map[string]string{"Location": "/api/proposal-protected-calls/xyz/"}},

			// Content negotiation.
			{name: "Accept JSON", req: req{method: "GET", path: configPath(e.w.Config), token: coretest.Staff, header: map[string]string{"Accept": "application/json; q=0.5"}}, status: 200, body: one},
			{name: "Accept wildcard", req: req{method: "GET", path: configPath(e.w.Config), token: coretest.Staff, header: map[string]string{"Accept": "application/*"}}, status: 200, body: one},
			{name: "Accept HTML still gets JSON", req: req{method: "GET", path: configPath(e.w.Config), token: coretest.Staff, header: map[string]string{"Accept": "text/html"}}, status: 200, body: one},
			{name: "Accept XML", req: req{method: "GET", path: configPath(e.w.Config), token: coretest.Staff, header: map[string]string{"Accept": "application/xml"}}, status: 406,
				body: detail("Could not satisfy the request Accept header.")},
			{name: "406 before 401", req: req{method: "GET", path: listPath, header: map[string]string{"Accept": "image/png"}}, status: 406, body: detail("Could not satisfy the request Accept header.")},
			{name: "the login renders JSON only", req: req{method: "POST", path: "/api-auth/password/", body: "{}", header: map[string]string{"Accept": "text/html"}}, status: 406, body: "*"},
			{name: "format=json", req: req{method: "GET", path: configPath(e.w.Config) + "?format=json", token: coretest.Staff}, status: 200, body: one},
			{name: "format=xml", req: req{method: "GET", path: configPath(e.w.Config) + "?format=xml", token: coretest.Staff}, status: 404, body: detail("Not found.")},
		}
		for _, r := range rows {
			r.run(t, e)
		}

		// Every call link leads to the call.
		var got []map[string]any
		res := e.do(t, req{method: "GET", path: listPath, token: coretest.Staff})
		if err := json.Unmarshal([]byte(res.body), &got); err != nil || len(got) != 2 {
			t.Fatalf("list: %v %s", err, res.body)
		}
		for _, c := range got {
			link := c["call"].(string)
			res := doURL(t, "", e.w.Tokens, req{method: "GET", path: link, token: coretest.Staff})
			if res.status != 200 || !strings.Contains(res.body, `"uuid":"`+c["call_uuid"].(string)+`"`) || !strings.Contains(res.body, `"name":"`+c["call_name"].(string)+`"`) {
				t.Errorf("call link %s: %d %s", link, res.status, res.body)
			}
		}
	})
}

var (
	hex32   = regexp.MustCompile(`^[0-9a-f]{32}$`)
	rfcTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$`)
)

// TestContractWrites walks a configuration through its life: create in
// every accepted way, PUT, PATCH, DELETE, with the headers and bodies.
func TestContractWrites(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		base := e.srv.URL
		bareHex := hexID(e.w.Bare)
		for _, ref := range []string{
			base + "/api/proposal-protected-calls/" + bareHex + "/",
			"https://elsewhere.example/api/proposal-protected-calls/" + bareHex + "/?x=1#y",
			"/api/proposal-protected-calls/" + bareHex + "/",
			"/api/proposal-protected-calls/" + e.w.Bare.String() + "/",
			bareHex,
			strings.ToUpper(e.w.Bare.String()),
		} {
			res := e.do(t, req{method: "POST", path: listPath, token: coretest.Manager, body: `{"call": ` + strconv.Quote(ref) + `}`})
			if res.status != 201 {
				t.Fatalf("POST call=%s: %d %s", ref, res.status, res.body)
			}
			cfg := e.configOf(t, e.w.Bare)
			if cfg == nil {
				t.Fatalf("POST call=%s created nothing", ref)
			}
			res.check(t, "POST call="+ref, 201, wantConfig(base, cfg))
			if loc := res.header.Get("Location"); loc != base+configPath(cfg.UUID) {
				t.Errorf("Location %q", loc)
			}
			if cfg.AutoReassignOnDecline || cfg.MaxAutoReassignAttempts != 3 || cfg.AssignmentExpirationDays != 7 || cfg.SendReminderBeforeExpiryDays != 2 {
				t.Errorf("defaults: %+v", cfg.Settings)
			}
			e.do(t, req{method: "DELETE", path: configPath(cfg.UUID), token: coretest.Manager}).check(t, "DELETE", 204, "")
		}

		// The representation's shape, read as a generated client would.
		res := e.do(t, req{method: "POST", path: listPath, token: coretest.Staff,
			body: `{"call": "` + bareHex + `", "auto_reassign_on_decline": true, "max_auto_reassign_attempts": 0, "assignment_expiration_days": 2147483647, "send_reminder_before_expiry_days": "4", "uuid": "ignored", "created": "ignored", "bogus": [1]}`})
		if res.status != 201 {
			t.Fatalf("POST: %d %s", res.status, res.body)
		}
		dec := json.NewDecoder(strings.NewReader(res.body))
		var keys []string
		var obj map[string]any
		if err := json.Unmarshal([]byte(res.body), &obj); err != nil {
			t.Fatal(err)
		}
		_, _ = dec.Token()
		for dec.More() {
			k, _ := dec.Token()
			keys = append(keys, k.(string))
			var skip any
			_ = dec.Decode(&skip)
		}
		wantKeys := "uuid call call_uuid call_name auto_reassign_on_decline max_auto_reassign_attempts assignment_expiration_days send_reminder_before_expiry_days created modified"
		if strings.Join(keys, " ") != wantKeys {
			t.Errorf("field order %v", keys)
		}
		if !hex32.MatchString(obj["uuid"].(string)) || !hex32.MatchString(obj["call_uuid"].(string)) || !rfcTime.MatchString(obj["created"].(string)) || !rfcTime.MatchString(obj["modified"].(string)) {
			t.Errorf("formats: %s", res.body)
		}
		if obj["auto_reassign_on_decline"] != true || obj["max_auto_reassign_attempts"] != 0.0 || obj["assignment_expiration_days"] != 2147483647.0 || obj["send_reminder_before_expiry_days"] != 4.0 {
			t.Errorf("values: %s", res.body)
		}
		id := uuid.MustParse(obj["uuid"].(string))
		path := configPath(id)

		before := e.config(t, id)
		steps := []struct {
			name   string
			method string
			body   string
			header map[string]string
			want   core.Settings
		}{
			{"PUT {} is a no-op", "PUT", "{}", nil, before.Settings},
			{"PUT one field", "PUT", `{"max_auto_reassign_attempts": 5}`, nil, core.Settings{AutoReassignOnDecline: true, MaxAutoReassignAttempts: 5, AssignmentExpirationDays: 2147483647, SendReminderBeforeExpiryDays: 4}},
			{"PATCH with a string", "PATCH", `{"assignment_expiration_days": "9"}`, nil, core.Settings{AutoReassignOnDecline: true, MaxAutoReassignAttempts: 5, AssignmentExpirationDays: 9, SendReminderBeforeExpiryDays: 4}},
			{"PATCH with 5.0", "PATCH", `{"send_reminder_before_expiry_days": 1.0}`, nil, core.Settings{AutoReassignOnDecline: true, MaxAutoReassignAttempts: 5, AssignmentExpirationDays: 9, SendReminderBeforeExpiryDays: 1}},
			{"PATCH ignores read-only and unknown keys", "PATCH", `{"uuid": "x", "call": "nonsense", "call_name": "x", "created": 1, "nope": null}`, nil, core.Settings{AutoReassignOnDecline: true, MaxAutoReassignAttempts: 5, AssignmentExpirationDays: 9, SendReminderBeforeExpiryDays: 1}},
			{"PATCH with a boolean string", "PATCH", `{"auto_reassign_on_decline": "off"}`, nil, core.Settings{MaxAutoReassignAttempts: 5, AssignmentExpirationDays: 9, SendReminderBeforeExpiryDays: 1}},
			{"PATCH with a form", "PATCH", "max_auto_reassign_attempts=6&auto_reassign_on_decline=on", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, core.Settings{AutoReassignOnDecline: true, MaxAutoReassignAttempts: 6, AssignmentExpirationDays: 9, SendReminderBeforeExpiryDays: 1}},
			{"PATCH with a form leaves an absent checkbox", "PATCH", "assignment_expiration_days=10", map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}, core.Settings{AutoReassignOnDecline: true, MaxAutoReassignAttempts: 6, AssignmentExpirationDays: 10, SendReminderBeforeExpiryDays: 1}},
			{"PUT with a form: an absent checkbox is false, a blank field absent", "PUT", "send_reminder_before_expiry_days=3&max_auto_reassign_attempts=", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, core.Settings{MaxAutoReassignAttempts: 6, AssignmentExpirationDays: 10, SendReminderBeforeExpiryDays: 3}},
			{"PATCH with an empty body", "PATCH", "", nil, core.Settings{MaxAutoReassignAttempts: 6, AssignmentExpirationDays: 10, SendReminderBeforeExpiryDays: 3}},
			{"PATCH with Content-Type */*", "PATCH", `{"max_auto_reassign_attempts": 7}`, map[string]string{"Content-Type": "*/*"}, core.Settings{MaxAutoReassignAttempts: 7, AssignmentExpirationDays: 10, SendReminderBeforeExpiryDays: 3}},
		}
		prev := before
		for _, s := range steps {
			res := e.do(t, req{method: s.method, path: path, token: coretest.Staff, body: s.body, header: s.header})
			now := e.config(t, id)
			res.check(t, s.name, 200, wantConfig(base, now))
			if now.Settings != s.want {
				t.Errorf("%s: settings %+v, want %+v", s.name, now.Settings, s.want)
			}
			if !now.Modified.After(prev.Modified) || !now.Created.Equal(before.Created) {
				t.Errorf("%s: modified %v after %v, created %v", s.name, now.Modified, prev.Modified, now.Created)
			}
			prev = now
		}

		del := e.do(t, req{method: "DELETE", path: path, token: coretest.Staff})
		del.check(t, "DELETE", 204, "")
		if ct := del.header.Get("Content-Type"); ct != "" {
			t.Errorf("204 with Content-Type %q", ct)
		}
		e.do(t, req{method: "GET", path: path, token: coretest.Staff}).check(t, "GET after DELETE", 404, detail(core.MsgConfigNotFound))
		e.do(t, req{method: "DELETE", path: path, token: coretest.Staff}).check(t, "DELETE twice", 404, detail(core.MsgConfigNotFound))
		if _, err := e.w.Svc.GetCall(t.Context(), e.w.Actor(t, coretest.Staff), e.w.Bare); err != nil {
			t.Errorf("the call must survive its configuration: %v", err)
		}

		// Deleting a call deletes its configuration, and its link 404s.
		if err := e.w.Svc.DeleteCall(t.Context(), e.w.Other); err != nil {
			t.Fatal(err)
		}
		e.do(t, req{method: "GET", path: configPath(e.w.OtherCf), token: coretest.Staff}).check(t, "configuration of a deleted call", 404, detail(core.MsgConfigNotFound))
		e.do(t, req{method: "GET", path: callPath(e.w.Other), token: coretest.Staff}).check(t, "deleted call", 404, detail(core.MsgCallNotFound))
	})
}

// TestLogin covers /api-auth/password/.
func TestLogin(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		const path = "/api-auth/password/"
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		tokenBody := regexp.MustCompile(`^\{"token":"[0-9a-f]{40}"\}$`)
		for _, c := range []struct {
			name   string
			body   string
			header map[string]string
		}{
			{"JSON", `{"username": "manager", "password": "` + coretest.DefaultPassword + `"}`, nil},
			{"form", "username=manager&password=" + strings.ReplaceAll(coretest.DefaultPassword, " ", "+"), form},
			{"username with spaces around", `{"username": "  manager ", "password": "` + coretest.DefaultPassword + `"}`, nil},
		} {
			res := e.do(t, req{method: "POST", path: path, body: c.body, header: c.header})
			if res.status != 200 || !tokenBody.MatchString(res.body) {
				t.Fatalf("%s: %d %s", c.name, res.status, res.body)
			}
			var tok struct{ Token string }
			_ = json.Unmarshal([]byte(res.body), &tok)
			e.do(t, req{method: "GET", path: configPath(e.w.Config), token: "Token " + tok.Token}).check(t, c.name+": the new key works", 200, "*")
		}
		bad := `{"non_field_errors":["Unable to log in with provided credentials."]}`
		for _, r := range []row{
			{name: "wrong password", req: req{method: "POST", path: path, body: `{"username": "manager", "password": "nope"}`}, status: 400, body: bad},
			{name: "password with spaces is not trimmed", req: req{method: "POST", path: path, body: `{"username": "manager", "password": " ` + coretest.DefaultPassword + `"}`}, status: 400, body: bad},
			{name: "unknown user", req: req{method: "POST", path: path, body: `{"username": "ghost", "password": "nope"}`}, status: 400, body: bad},
			{name: "empty body", req: req{method: "POST", path: path}, status: 400, body: `{"username":["This field is required."],"password":["This field is required."]}`},
			{name: "blank, null", req: req{method: "POST", path: path, body: `{"username": "  ", "password": null}`}, status: 400, body: `{"username":["This field may not be blank."],"password":["This field may not be null."]}`},
			{name: "wrong types", req: req{method: "POST", path: path, body: `{"username": ["x"], "password": true}`}, status: 400, body: `{"username":["Not a valid string."],"password":["Not a valid string."]}`},
			{name: "blank form fields", req: req{method: "POST", path: path, body: "username=&password=", header: form}, status: 400, body: `{"username":["This field may not be blank."],"password":["This field may not be blank."]}`},
			{name: "not an object", req: req{method: "POST", path: path, body: `[]`}, status: 400, body: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
			{name: "malformed JSON", req: req{method: "POST", path: path, body: `{"username"`}, status: 400, body: detail(`JSON parse error - Expecting ':' delimiter: line 1 column 12 (char 11)`)},
			{name: "415", req: req{method: "POST", path: path, body: `x`, header: map[string]string{"Content-Type": "text/plain"}}, status: 415, body: detail(`Unsupported media type "text/plain" in request.`)},
		} {
			r.run(t, e)
		}
		// Being logged in already does not stop a login.
		if res := e.do(t, req{method: "POST", path: path, body: `{"username": "manager", "password": "` + coretest.DefaultPassword + `"}`, token: coretest.Outsider}); res.status != http.StatusOK {
			t.Errorf("a valid token does not stop a login: %d", res.status)
		}
	})
}

// TestVaryIsAdded: a CORS layer in front may have set Vary: Origin, which
// the REST face must keep beside its own Vary: Accept.
func TestVaryIsAdded(t *testing.T) {
	t.Parallel()
	inner := rest.New(&core.Service{}, rest.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	res := doURL(t, srv.URL, nil, req{method: "OPTIONS", path: listPath})
	if got := res.header.Values("Vary"); res.status != 200 || strings.Join(got, ",") != "Origin,Accept" {
		t.Errorf("OPTIONS: %d, Vary %q", res.status, got)
	}
}
