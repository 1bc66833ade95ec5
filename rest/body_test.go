package rest_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/server"
)

// TestCoercion is the contract's coercion and message table, sent as JSON
// and, where a form can say it, as a form.
func TestCoercion(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		const field = core.FieldMaxAutoReassignAttempts
		path := configPath(e.w.Config)
		ints := []struct {
			json string // the value as a JSON literal
			want int64  // when msg is ""
			msg  string
		}{
			{`5`, 5, ""},
			{`"5"`, 5, ""},
			{`5.0`, 5, ""},
			{`"5.0"`, 5, ""},
			{`" 6 "`, 6, ""},
			{`"+7"`, 7, ""},
			{`"1_000"`, 1000, ""},
			{`1e2`, 100, ""},
			{`0`, 0, ""},
			{`2147483647`, 2147483647, ""},
			{`"2147483647"`, 2147483647, ""},
			{`5.5`, 0, core.MsgInvalidInteger},
			{`"5.5"`, 0, core.MsgInvalidInteger},
			{`"x"`, 0, core.MsgInvalidInteger},
			{`""`, 0, core.MsgInvalidInteger},
			{`true`, 0, core.MsgInvalidInteger},
			{`false`, 0, core.MsgInvalidInteger},
			{`[5]`, 0, core.MsgInvalidInteger},
			{`{"a": 5}`, 0, core.MsgInvalidInteger},
			{`1e16`, 0, core.MsgInvalidInteger},
			{`"1e3"`, 0, core.MsgInvalidInteger},
			{`-1`, 0, core.MsgMinValue},
			{`"-1"`, 0, core.MsgMinValue},
			{`-99999999999999999999999999`, 0, core.MsgMinValue},
			{`2147483648`, 0, core.MsgMaxValue},
			{`99999999999999999999999999`, 0, core.MsgMaxValue},
			{`"9223372036854775808"`, 0, core.MsgMaxValue},
			{`null`, 0, core.MsgNull},
			{strconv.Quote(strings.Repeat("1", 1001)), 0, "String value too large."},
		}
		for _, c := range ints {
			res := e.do(t, req{method: "PATCH", path: path, token: coretest.Staff, body: `{"` + field + `": ` + c.json + `}`})
			if c.msg != "" {
				res.check(t, "int "+c.json, 400, `{"`+field+`":[`+strconv.Quote(c.msg)+`]}`)
				continue
			}
			cfg := e.config(t, e.w.Config)
			res.check(t, "int "+c.json, 200, wantConfig(e.srv.URL, cfg))
			if cfg.MaxAutoReassignAttempts != c.want {
				t.Errorf("int %s: stored %d, want %d", c.json, cfg.MaxAutoReassignAttempts, c.want)
			}
		}

		const bfield = core.FieldAutoReassignOnDecline
		bools := []struct {
			json string
			want bool
			ok   bool
		}{
			{`true`, true, true}, {`false`, false, true}, {`1`, true, true}, {`0`, false, true}, {`1.0`, true, true},
			{`"t"`, true, true}, {`"T"`, true, true}, {`"y"`, true, true}, {`"Y"`, true, true}, {`"yes"`, true, true},
			{`"Yes"`, true, true}, {`"YES"`, true, true}, {`"true"`, true, true}, {`"True"`, true, true}, {`"TRUE"`, true, true},
			{`"on"`, true, true}, {`"On"`, true, true}, {`"ON"`, true, true}, {`"1"`, true, true},
			{`"f"`, false, true}, {`"F"`, false, true}, {`"n"`, false, true}, {`"N"`, false, true}, {`"no"`, false, true},
			{`"No"`, false, true}, {`"NO"`, false, true}, {`"false"`, false, true}, {`"False"`, false, true}, {`"FALSE"`, false, true},
			{`"off"`, false, true}, {`"Off"`, false, true}, {`"OFF"`, false, true}, {`"0"`, false, true},
			{`2`, false, false}, {`"2"`, false, false}, {`"yEs"`, false, false}, {`""`, false, false}, {`"null"`, false, false},
			{`[]`, false, false}, {`{}`, false, false}, {`0.5`, false, false},
		}
		for _, c := range bools {
			// Start from the other value so that a silent no-op cannot pass.
			if _, err := e.w.Svc.UpdateConfig(t.Context(), e.w.Actor(t, coretest.Staff), e.w.Config,
				core.Patch{AutoReassignOnDecline: core.Some(!c.want)}, core.Precondition{}); err != nil {
				t.Fatal(err)
			}
			res := e.do(t, req{method: "PATCH", path: path, token: coretest.Staff, body: `{"` + bfield + `": ` + c.json + `}`})
			if !c.ok {
				res.check(t, "bool "+c.json, 400, `{"`+bfield+`":["Must be a valid boolean."]}`)
				continue
			}
			cfg := e.config(t, e.w.Config)
			res.check(t, "bool "+c.json, 200, wantConfig(e.srv.URL, cfg))
			if cfg.AutoReassignOnDecline != c.want {
				t.Errorf("bool %s: stored %v", c.json, cfg.AutoReassignOnDecline)
			}
		}
		e.do(t, req{method: "PATCH", path: path, token: coretest.Staff, body: `{"` + bfield + `": null}`}).
			check(t, "bool null", 400, `{"`+bfield+`":["This field may not be null."]}`)

		// Forms carry strings only; the same rules apply to them.
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		for _, c := range []struct {
			body, want string
			status     int
		}{
			{"max_auto_reassign_attempts=abc&auto_reassign_on_decline=maybe", `{"auto_reassign_on_decline":["Must be a valid boolean."],"max_auto_reassign_attempts":["A valid integer is required."]}`, 400},
			{"max_auto_reassign_attempts=-3&assignment_expiration_days=2147483648", `{"max_auto_reassign_attempts":["Ensure this value is greater than or equal to 0."],"assignment_expiration_days":["Ensure this value is less than or equal to 2147483647."]}`, 400},
			{"max_auto_reassign_attempts=1&max_auto_reassign_attempts=x", `{"max_auto_reassign_attempts":["A valid integer is required."]}`, 400},
			{"max_auto_reassign_attempts=x&max_auto_reassign_attempts=8", "", 200},
			{"max_auto_reassign_attempts=" + url.QueryEscape("٩"), "", 200},
		} {
			res := e.do(t, req{method: "PATCH", path: path, token: coretest.Staff, body: c.body, header: form})
			if c.status == 200 {
				res.check(t, "form "+c.body, 200, wantConfig(e.srv.URL, e.config(t, e.w.Config)))
				continue
			}
			res.check(t, "form "+c.body, c.status, c.want)
		}
		if got := e.config(t, e.w.Config).MaxAutoReassignAttempts; got != 9 {
			t.Errorf("form with an Arabic-Indic nine stored %d", got)
		}
	})
}

// TestValidationAtOnce: every failing field is reported in one 400, in
// the serializer's field order, and nothing is written.
func TestValidationAtOnce(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		before := e.config(t, e.w.Config)
		all := `{"auto_reassign_on_decline":["Must be a valid boolean."],"max_auto_reassign_attempts":["A valid integer is required."],` +
			`"assignment_expiration_days":["Ensure this value is greater than or equal to 0."],"send_reminder_before_expiry_days":["This field may not be null."]}`
		body := `{"send_reminder_before_expiry_days": null, "assignment_expiration_days": -1, "max_auto_reassign_attempts": "x", "auto_reassign_on_decline": "maybe"}`
		for _, m := range []string{"PUT", "PATCH"} {
			e.do(t, req{method: m, path: configPath(e.w.Config), token: coretest.Manager, body: body}).check(t, m+" all at once", 400, all)
		}
		if after := e.config(t, e.w.Config); after.Settings != before.Settings || !after.Modified.Equal(before.Modified) {
			t.Errorf("a failed write changed the configuration: %+v", after)
		}
		withCall := func(call string) string {
			return `{"call": ` + call + `, ` + body[1:]
		}
		bare := hexID(e.w.Bare)
		for _, c := range []struct{ name, body, want string }{
			{"POST without call", body, `{"call":["This field is required."],` + all[1:]},
			{"POST with a call nobody has", withCall(`"` + hexID(e.w.OrgUUID) + `"`), `{"call":["Invalid hyperlink - Object does not exist."],` + all[1:]},
			{"POST with a call that is not a URL", withCall(`"nonsense"`), `{"call":["Invalid hyperlink - Object does not exist."],` + all[1:]},
			{"POST with the URL of something else", withCall(`"` + configPath(e.w.Config) + `"`), `{"call":["Invalid hyperlink - Object does not exist."],` + all[1:]},
			{"POST with a number for call", withCall(`5`), `{"call":["Incorrect type. Expected URL string, received int."],` + all[1:]},
			{"POST with a list for call", withCall(`["` + bare + `"]`), `{"call":["Incorrect type. Expected URL string, received list."],` + all[1:]},
			{"POST with null call", withCall(`null`), `{"call":["This field may not be null."],` + all[1:]},
			{"POST with blank call", withCall(`""`), `{"call":["This field may not be null."],` + all[1:]},
			{"POST with a good call", withCall(`"` + bare + `"`), all},
			{"POST for a configured call", `{"call": "` + hexID(e.w.Call) + `"}`, `{"call":["call assignment configuration with this call already exists."]}`},
		} {
			e.do(t, req{method: "POST", path: listPath, token: coretest.Staff, body: c.body}).check(t, c.name, 400, c.want)
		}
		if e.configOf(t, e.w.Bare) != nil {
			t.Error("a failed POST created a configuration")
		}
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		e.do(t, req{method: "POST", path: listPath, token: coretest.Staff, body: "max_auto_reassign_attempts=", header: form}).
			check(t, "form POST without call", 400, `{"call":["This field is required."]}`)
		e.do(t, req{method: "POST", path: listPath, token: coretest.Staff, body: "call=&max_auto_reassign_attempts=", header: form}).
			check(t, "form POST with blank call", 400, `{"call":["This field may not be null."]}`)
		res := e.do(t, req{method: "POST", path: listPath, token: coretest.Staff, header: form,
			body: "call=" + url.QueryEscape(e.srv.URL+callPath(e.w.Bare)) + "&max_auto_reassign_attempts=4&assignment_expiration_days=&auto_reassign_on_decline=yes"})
		if cfg := e.configOf(t, e.w.Bare); cfg == nil {
			t.Errorf("form POST: %d %s", res.status, res.body)
		} else {
			res.check(t, "form POST", 201, wantConfig(e.srv.URL, cfg))
			want := core.Settings{AutoReassignOnDecline: true, MaxAutoReassignAttempts: 4, AssignmentExpirationDays: 7, SendReminderBeforeExpiryDays: 2}
			if cfg.Settings != want {
				t.Errorf("form POST stored %+v", cfg.Settings)
			}
		}
	})
}

// TestBodies: media types, size, malformed JSON and non-object bodies, and
// where those errors fall in the order 401 → 404 → 403 → 400.
func TestBodies(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		path := configPath(e.w.Config)
		hidden := configPath(e.w.OtherCf)
		huge := `{"max_auto_reassign_attempts": 1, "pad": "` + strings.Repeat("x", 1<<20) + `"}`
		textPlain := map[string]string{"Content-Type": "text/plain"}
		parse := detail(`JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)`)
		unsupported := detail(`Unsupported media type "text/plain" in request.`)
		rows := []row{
			{name: "415", req: req{method: "POST", path: listPath, token: coretest.Staff, body: "call=x", header: textPlain}, status: 415, body: unsupported},
			{name: "415 quotes the whole Content-Type", req: req{method: "PATCH", path: path, token: coretest.Staff, body: "{}", header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
				status: 415, body: detail(`Unsupported media type "text/plain; charset=utf-8" in request.`)},
			{name: "415 for multipart", req: req{method: "PATCH", path: path, token: coretest.Staff, body: "--x--", header: map[string]string{"Content-Type": "multipart/form-data; boundary=x"}},
				status: 415, body: detail(`Unsupported media type "multipart/form-data; boundary=x" in request.`)},
			{name: "415 without a Content-Type", req: req{method: "PATCH", path: path, token: coretest.Staff, body: "{}", header: map[string]string{"Content-Type": ""}},
				status: 415, body: detail(`Unsupported media type "" in request.`)},
			{name: "an empty body needs no media type", req: req{method: "PATCH", path: path, token: coretest.Staff, header: textPlain}, status: 200, body: "*"},
			{name: "JSON with a charset", req: req{method: "PATCH", path: path, token: coretest.Staff, body: "{}", header: map[string]string{"Content-Type": "Application/JSON; charset=utf-8"}}, status: 200, body: "*"},
			{name: "413 on POST", req: req{method: "POST", path: listPath, token: coretest.Staff, body: huge}, status: 413, body: detail("Request body too large: the limit is 1048576 bytes.")},
			{name: "413 without a Content-Length", req: req{method: "POST", path: listPath, token: coretest.Staff, body: huge, chunked: true}, status: 413, body: detail("Request body too large: the limit is 1048576 bytes.")},
			{name: "a chunked body under the limit", req: req{method: "PATCH", path: path, token: coretest.Staff, body: `{}`, chunked: true}, status: 200, body: "*"},
			{name: "413 on PATCH", req: req{method: "PATCH", path: path, token: coretest.Staff, body: huge}, status: 413, body: detail("Request body too large: the limit is 1048576 bytes.")},
			{name: "malformed JSON on POST", req: req{method: "POST", path: listPath, token: coretest.Staff, body: "{call: 1}"}, status: 400, body: parse},
			{name: "malformed JSON on PUT", req: req{method: "PUT", path: path, token: coretest.Staff, body: "{call: 1}"}, status: 400, body: parse},
			{name: "NaN", req: req{method: "PATCH", path: path, token: coretest.Staff, body: `{"max_auto_reassign_attempts": NaN}`}, status: 400,
				body: detail(`JSON parse error - Out of range float values are not JSON compliant: 'NaN'`)},
			{name: "bad UTF-8", req: req{method: "PATCH", path: path, token: coretest.Staff, body: "{\"a\": \"\xff\"}"}, status: 400,
				body: detail(`JSON parse error - 'utf-8' codec can't decode byte 0xff in position 7: invalid start byte`)},
			{name: "trailing comma", req: req{method: "PATCH", path: path, token: coretest.Staff, body: `{"max_auto_reassign_attempts": 1,}`}, status: 400,
				body: detail(`JSON parse error - Illegal trailing comma before end of object: line 1 column 33 (char 32)`)},
			{name: "a list body", req: req{method: "POST", path: listPath, token: coretest.Staff, body: `[{"call": "x"}]`}, status: 400, body: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
			{name: "a string body", req: req{method: "PATCH", path: path, token: coretest.Staff, body: `"x"`}, status: 400, body: `{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}`},
			{name: "a null body", req: req{method: "PUT", path: path, token: coretest.Staff, body: `null`}, status: 400, body: `{"non_field_errors":["No data provided"]}`},

			// A bad body does not hide who may not write.
			{name: "anonymous POST with a bad body", req: req{method: "POST", path: listPath, body: "{", header: nil}, status: 401, body: detail(core.MsgNotAuthenticated)},
			{name: "anonymous POST over the limit", req: req{method: "POST", path: listPath, body: huge}, status: 401, body: detail(core.MsgNotAuthenticated)},
			{name: "anonymous PATCH with 415", req: req{method: "PATCH", path: path, body: "x", header: textPlain}, status: 401, body: detail(core.MsgNotAuthenticated)},
			{name: "PATCH of a hidden object with a bad body", req: req{method: "PATCH", path: hidden, token: coretest.Manager, body: "{"}, status: 404, body: detail(core.MsgConfigNotFound)},
			{name: "PATCH of a missing object over the limit", req: req{method: "PATCH", path: configPath(e.w.Bare), token: coretest.Staff, body: huge}, status: 404, body: detail(core.MsgConfigNotFound)},
			{name: "PATCH by a reviewer with a bad body", req: req{method: "PATCH", path: path, token: coretest.Reviewer, body: "x", header: textPlain}, status: 403, body: detail(core.MsgForbidden)},
			{name: "PUT by support over the limit", req: req{method: "PUT", path: path, token: coretest.Support, body: huge}, status: 403, body: detail(core.MsgForbidden)},
			{name: "PATCH by a manager with a bad body", req: req{method: "PATCH", path: path, token: coretest.Manager, body: "["}, status: 400, body: detail("JSON parse error - Expecting value: line 1 column 2 (char 1)")},
			// 401 → 404 → 403 → 400 with valid bodies, too.
			{name: "invalid values, hidden object", req: req{method: "PATCH", path: hidden, token: coretest.Reviewer, body: `{"max_auto_reassign_attempts": -1}`}, status: 404, body: detail(core.MsgConfigNotFound)},
			{name: "invalid values, no permission", req: req{method: "PATCH", path: path, token: coretest.Reviewer, body: `{"max_auto_reassign_attempts": -1}`}, status: 403, body: detail(core.MsgForbidden)},
			{name: "invalid values on a call one may not manage", req: req{method: "POST", path: listPath, token: coretest.Support, body: `{"call": "` + hexID(e.w.Bare) + `", "max_auto_reassign_attempts": -1}`}, status: 403, body: detail(core.MsgForbidden)},
		}
		for _, r := range rows {
			r.run(t, e)
		}
		if cfg := e.config(t, e.w.Config); cfg.MaxAutoReassignAttempts != 3 {
			t.Errorf("a refused body changed the configuration: %+v", cfg.Settings)
		}
		// A configured smaller limit applies.
		small := newServer(t, e, func(c *server.Config) { c.MaxBodyBytes = 64 })
		doURL(t, small.URL, e.w.Tokens, req{method: "PATCH", path: path, token: coretest.Staff, body: fmt.Sprintf(`{"max_auto_reassign_attempts": 1, "pad": "%s"}`, strings.Repeat("x", 64))}).
			check(t, "413 at a configured limit", 413, detail("Request body too large: the limit is 64 bytes."))
	})
}
