package rest_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
)

// TestConcurrentCreates: of 20 clients creating the configuration of one
// call at once, one gets 201 and the others the uniqueness 400, never a 500.
func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		const n = 20
		results := make([]response, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				actor := coretest.Staff
				if i%2 == 1 {
					actor = coretest.Manager
				}
				<-start
				results[i] = e.do(t, req{method: "POST", path: listPath, token: actor, body: fmt.Sprintf(`{"call": "%s", "max_auto_reassign_attempts": %d}`, hexID(e.w.Bare), i)})
			})
		}
		close(start)
		wg.Wait()
		cfg := e.configOf(t, e.w.Bare)
		if cfg == nil {
			t.Fatal("no configuration was created")
		}
		created := 0
		for i, res := range results {
			switch res.status {
			case 201:
				created++
				res.check(t, "the winner", 201, wantConfig(e.srv.URL, cfg))
				if cfg.MaxAutoReassignAttempts != int64(i) {
					t.Errorf("the winner sent %d, stored %d", i, cfg.MaxAutoReassignAttempts)
				}
			default:
				res.check(t, fmt.Sprintf("loser %d", i), 400, `{"call":["call assignment configuration with this call already exists."]}`)
			}
		}
		if created != 1 {
			t.Errorf("%d creations succeeded", created)
		}
	})
}

var settingFields = []string{core.FieldAutoReassignOnDecline, core.FieldMaxAutoReassignAttempts, core.FieldAssignmentExpirationDays, core.FieldSendReminderBeforeExpiryDays}

func settingValue(s core.Settings, field string) int64 {
	switch field {
	case core.FieldAutoReassignOnDecline:
		if s.AutoReassignOnDecline {
			return 1
		}
		return 0
	case core.FieldMaxAutoReassignAttempts:
		return s.MaxAutoReassignAttempts
	case core.FieldAssignmentExpirationDays:
		return s.AssignmentExpirationDays
	}
	return s.SendReminderBeforeExpiryDays
}

// patchAll sends the PATCHes at once and fails on anything but 200.
func patchAll(t *testing.T, e *env, bodies []string) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, body := range bodies {
		wg.Go(func() {
			actor := []string{coretest.Staff, coretest.Manager, coretest.OrganizerRole}[i%3]
			<-start
			res := e.do(t, req{method: "PATCH", path: configPath(e.w.Config), token: actor, body: body})
			if res.status != 200 {
				t.Errorf("PATCH %s: %d %s", body, res.status, res.body)
			}
		})
	}
	close(start)
	wg.Wait()
}

// TestConcurrentPatches: PATCHes of different fields at the same moment
// lose none of the changes.
func TestConcurrentPatches(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		// 50 at once, each field written by a quarter of them: no field may
		// be left at its old value by a write to another field.
		before := e.config(t, e.w.Config).Settings
		sent := map[string]map[int64]bool{}
		bodies := make([]string, 50)
		for i := range bodies {
			field := settingFields[i%4]
			value := int64(1000 + i)
			body := fmt.Sprintf(`{"%s": %d}`, field, value)
			if field == core.FieldAutoReassignOnDecline {
				value, body = 1, `{"auto_reassign_on_decline": true}`
			}
			if sent[field] == nil {
				sent[field] = map[int64]bool{}
			}
			sent[field][value] = true
			bodies[i] = body
		}
		patchAll(t, e, bodies)
		after := e.config(t, e.w.Config).Settings
		for _, f := range settingFields {
			if v := settingValue(after, f); !sent[f][v] || v == settingValue(before, f) {
				t.Errorf("%s ended at %d, not a value sent to it", f, v)
			}
		}

		// In rounds of one PATCH per field, every field must hold its round's
		// value after the round.
		for round := range 5 {
			want := core.Settings{AutoReassignOnDecline: round%2 == 0, MaxAutoReassignAttempts: int64(10 + round),
				AssignmentExpirationDays: int64(20 + round), SendReminderBeforeExpiryDays: int64(30 + round)}
			patchAll(t, e, []string{
				fmt.Sprintf(`{"auto_reassign_on_decline": %t}`, want.AutoReassignOnDecline),
				fmt.Sprintf(`{"max_auto_reassign_attempts": %d}`, want.MaxAutoReassignAttempts),
				fmt.Sprintf(`{"assignment_expiration_days": %d}`, want.AssignmentExpirationDays),
				fmt.Sprintf(`{"send_reminder_before_expiry_days": %d}`, want.SendReminderBeforeExpiryDays),
			})
			if got := e.config(t, e.w.Config).Settings; got != want {
				t.Errorf("round %d: %+v, want %+v", round, got, want)
			}
		}
	})
}
