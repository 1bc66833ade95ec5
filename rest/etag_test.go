package rest_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	ct "github.com/callcfg/callcfg/core/coretest"
)

// wantETag is the documented ETag, built here rather than by the code
// under test.
func wantETag(c *core.Config) string {
	return `"` + hexID(c.UUID) + "-" + strconv.FormatInt(c.Modified.UnixMicro(), 16) + `"`
}

const msgIfMatch = "The If-Match header does not name the current version of this object."

// TestETags walks one configuration through conditional reads and writes.
// Each step is a request and its expected answer; the values are computed
// when the step runs, because the ETag moves with every write.
func TestETags(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		base := e.srv.URL
		id := e.w.Config
		path := configPath(id)
		cur := func() *core.Config { return e.config(t, id) }
		etag := func() string { return wantETag(cur()) }

		// stale is an ETag of this configuration that was current once.
		stale := etag()
		otherETag := wantETag(e.config(t, e.w.OtherCf))
		modifiedAt := func(m string) string { return `"` + hexID(id) + "-" + m + `"` }

		type step struct {
			name    string
			req     func() req
			status  int
			body    func() string // "" means no body
			etag    bool          // the answer carries the current ETag
			changes bool          // the configuration must have changed
		}
		get := func(token string, h map[string]string) func() req {
			return func() req { return req{method: "GET", path: path, token: token, header: h} }
		}
		ifNone := func(v func() string) func() req {
			return func() req {
				return req{method: "GET", path: path, token: ct.Manager, header: map[string]string{"If-None-Match": v()}}
			}
		}
		write := func(method, token, body string, ifMatch func() string) func() req {
			return func() req {
				return req{method: method, path: path, token: token, body: body, header: map[string]string{"If-Match": ifMatch()}}
			}
		}
		fixed := func(s string) func() string { return func() string { return s } }
		current := func() string { return wantConfig(base, cur()) }
		none := fixed("")
		patch := `{"max_auto_reassign_attempts": 4}`

		steps := []step{
			{name: "GET has the ETag", req: get(ct.Manager, nil), status: 200, body: current, etag: true},
			{name: "GET again: the same ETag", req: get(ct.Reviewer, nil), status: 200, body: current, etag: true},
			{name: "HEAD has it too", req: func() req { return req{method: "HEAD", path: path, token: ct.Manager} }, status: 200, body: none, etag: true},
			{name: "If-None-Match matching: 304", req: ifNone(etag), status: 304, body: none, etag: true},
			{name: "If-None-Match *: 304", req: ifNone(fixed("*")), status: 304, body: none, etag: true},
			{name: "If-None-Match weak: 304 (weak comparison)", req: ifNone(func() string { return "W/" + etag() }), status: 304, body: none, etag: true},
			{name: "If-None-Match in a list: 304", req: ifNone(func() string { return otherETag + ", " + etag() }), status: 304, body: none, etag: true},
			{name: "HEAD with If-None-Match: 304", req: func() req {
				return req{method: "HEAD", path: path, token: ct.Manager, header: map[string]string{"If-None-Match": etag()}}
			}, status: 304, body: none, etag: true},
			{name: "If-None-Match of another object: 200", req: ifNone(fixed(otherETag)), status: 200, body: current, etag: true},
			{name: "If-None-Match junk: 200", req: ifNone(fixed("nonsense")), status: 200, body: current, etag: true},

			{name: "PATCH without If-Match: 200, a new ETag", req: write("PATCH", ct.Manager, `{"max_auto_reassign_attempts": 5}`, none), status: 200, body: current, etag: true, changes: true},
			{name: "If-None-Match with the old ETag: 200", req: ifNone(fixed(stale)), status: 200, body: current, etag: true},
			{name: "PATCH with a stale If-Match: 412", req: write("PATCH", ct.Manager, patch, fixed(stale)), status: 412, body: fixed(detail(core.MsgStale))},
			{name: "PUT with a stale If-Match: 412", req: write("PUT", ct.Manager, patch, fixed(stale)), status: 412, body: fixed(detail(core.MsgStale))},
			{name: "PATCH with the fresh If-Match: 200", req: write("PATCH", ct.Manager, patch, etag), status: 200, body: current, etag: true, changes: true},
			{name: "PUT with the fresh If-Match: 200", req: write("PUT", ct.Manager, patch, etag), status: 200, body: current, etag: true, changes: true},
			{name: "PATCH with If-Match *: 200", req: write("PATCH", ct.Manager, patch, fixed("*")), status: 200, body: current, etag: true, changes: true},
			{name: "a weak If-Match never matches (strong comparison)", req: write("PATCH", ct.Manager, patch, func() string { return "W/" + etag() }), status: 412, body: fixed(detail(msgIfMatch))},
			{name: "a list in If-Match: 412", req: write("PATCH", ct.Manager, patch, func() string { return etag() + ", " + otherETag }), status: 412, body: fixed(detail(msgIfMatch))},
			{name: "the ETag of another object: 412", req: write("PATCH", ct.Manager, patch, fixed(otherETag)), status: 412, body: fixed(detail(msgIfMatch))},
			{name: "junk If-Match: 412", req: write("PATCH", ct.Manager, patch, fixed("nonsense")), status: 412, body: fixed(detail(msgIfMatch))},
			{name: "unquoted ETag: 412", req: write("PATCH", ct.Manager, patch, func() string { e := etag(); return e[1 : len(e)-1] }), status: 412, body: fixed(detail(msgIfMatch))},
			{name: "a non-canonical modified: 412", req: write("PATCH", ct.Manager, patch, func() string { return modifiedAt("0" + strconv.FormatInt(cur().Modified.UnixMicro(), 16)) }), status: 412, body: fixed(detail(msgIfMatch))},
			{name: "an upper-case uuid: 412", req: write("PATCH", ct.Manager, patch, func() string {
				return `"` + fmt.Sprintf("%X", id[:]) + "-" + strconv.FormatInt(cur().Modified.UnixMicro(), 16) + `"`
			}), status: 412, body: fixed(detail(msgIfMatch))},
			{name: "blank If-Match: 412", req: write("PATCH", ct.Manager, patch, fixed(" ")), status: 412, body: fixed(detail(msgIfMatch))},

			// 401 → 404 → 403 → 412/400, whatever the precondition.
			{name: "anonymous, stale: 401", req: write("PATCH", ct.Anonymous, patch, fixed(stale)), status: 401, body: fixed(detail(core.MsgNotAuthenticated))},
			{name: "anonymous, junk: 401", req: write("DELETE", ct.Anonymous, "", fixed("junk")), status: 401, body: fixed(detail(core.MsgNotAuthenticated))},
			{name: "outsider, stale: 404", req: write("PATCH", ct.Outsider, patch, fixed(stale)), status: 404, body: fixed(detail(core.MsgConfigNotFound))},
			{name: "outsider, junk: 404", req: write("PUT", ct.Outsider, patch, fixed("junk")), status: 404, body: fixed(detail(core.MsgConfigNotFound))},
			{name: "outsider, fresh: 404", req: write("DELETE", ct.Outsider, "", etag), status: 404, body: fixed(detail(core.MsgConfigNotFound))},
			{name: "outsider, If-None-Match: 404", req: func() req {
				return req{method: "GET", path: path, token: ct.Outsider, header: map[string]string{"If-None-Match": "*"}}
			}, status: 404, body: fixed(detail(core.MsgConfigNotFound))},
			{name: "reviewer, stale: 403", req: write("PATCH", ct.Reviewer, patch, fixed(stale)), status: 403, body: fixed(detail(core.MsgForbidden))},
			{name: "reviewer, junk: 403", req: write("DELETE", ct.Reviewer, "", fixed("junk")), status: 403, body: fixed(detail(core.MsgForbidden))},
			{name: "reviewer, *: 403", req: write("PUT", ct.Reviewer, patch, fixed("*")), status: 403, body: fixed(detail(core.MsgForbidden))},
			{name: "stale and an invalid body: the body's 400 first", req: write("PATCH", ct.Manager, `{"max_auto_reassign_attempts": -1}`, fixed(stale)), status: 400, body: fixed(`{"max_auto_reassign_attempts":["Ensure this value is greater than or equal to 0."]}`)},
			{name: "junk and a malformed body: the 412 first", req: write("PATCH", ct.Manager, `{`, fixed("junk")), status: 412, body: fixed(detail(msgIfMatch))},
			{name: "a missing object with If-Match *: 404", req: func() req {
				return req{method: "PATCH", path: configPath(uuid.New()), token: ct.Manager, body: patch, header: map[string]string{"If-Match": "*"}}
			}, status: 404, body: fixed(detail(core.MsgConfigNotFound))},
			{name: "a malformed path with If-Match: 404", req: func() req {
				return req{method: "DELETE", path: listPath + "nope/", token: ct.Manager, header: map[string]string{"If-Match": "junk"}}
			}, status: 404, body: fixed(detail(core.MsgConfigNotFound))},

			{name: "DELETE with a stale If-Match: 412", req: write("DELETE", ct.Manager, "", fixed(stale)), status: 412, body: fixed(detail(core.MsgStale))},
			{name: "DELETE with a weak If-Match: 412", req: write("DELETE", ct.Manager, "", func() string { return "W/" + etag() }), status: 412, body: fixed(detail(msgIfMatch))},
			{name: "DELETE with the fresh If-Match: 204", req: write("DELETE", ct.Manager, "", etag), status: 204, body: none, changes: true},
		}

		before := cur()
		for _, s := range steps {
			r := s.req()
			res := e.do(t, r)
			if s.changes && s.status == 204 {
				if c := e.configOf(t, e.w.Call); c != nil {
					t.Fatalf("%s: the configuration survived", s.name)
				}
				res.check(t, s.name, s.status, "")
				continue
			}
			after := cur()
			res.check(t, s.name, s.status, s.body())
			got := res.header.Get("ETag")
			switch {
			case s.etag && got != wantETag(after):
				t.Errorf("%s: ETag %q, want %q", s.name, got, wantETag(after))
			case !s.etag && got != "":
				t.Errorf("%s: unexpected ETag %q", s.name, got)
			}
			if s.status == 304 {
				if ct := res.header.Get("Content-Type"); ct != "" {
					t.Errorf("%s: 304 with Content-Type %q", s.name, ct)
				}
			}
			if changed := !after.Modified.Equal(before.Modified) || after.Settings != before.Settings; changed != s.changes {
				t.Errorf("%s: changed = %v, want %v (%+v → %+v)", s.name, changed, s.changes, before, after)
			}
			if s.changes && wantETag(after) == wantETag(before) {
				t.Errorf("%s: the ETag did not move", s.name)
			}
			before = after
		}

		// The old ETag of a deleted object is a 404, as anything on it is.
		e.do(t, req{method: "PATCH", path: path, token: ct.Manager, body: patch, header: map[string]string{"If-Match": wantETag(before)}}).
			check(t, "If-Match on a deleted object", 404, detail(core.MsgConfigNotFound))

		// A create answers with the ETag of what it made.
		res := e.do(t, req{method: "POST", path: listPath, token: ct.Manager, body: `{"call": "` + hexID(e.w.Call) + `"}`})
		made := e.configOf(t, e.w.Call)
		res.check(t, "POST", 201, wantConfig(base, made))
		if got := res.header.Get("ETag"); got != wantETag(made) {
			t.Errorf("POST: ETag %q, want %q", got, wantETag(made))
		}
		// Lists carry no ETag: there is no single version to name.
		if got := e.do(t, req{method: "GET", path: listPath, token: ct.Manager}).header.Get("ETag"); got != "" {
			t.Errorf("list with ETag %q", got)
		}
	})
}
