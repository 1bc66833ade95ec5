package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/db/dbtest"
)

// exportedChange is a line of `changes export`.
type exportedChange struct {
	UUID              uuid.UUID       `json:"uuid"`
	Kind              string          `json:"kind"`
	At                time.Time       `json:"at"`
	ConfigurationUUID uuid.UUID       `json:"configuration_uuid"`
	CallUUID          uuid.UUID       `json:"call_uuid"`
	Actor             json.RawMessage `json:"actor"`
	Via               string          `json:"via"`
	RequestID         *string         `json:"request_id"`
	Before            json.RawMessage `json:"before"`
	After             *struct {
		AutoReassignOnDecline        bool  `json:"auto_reassign_on_decline"`
		MaxAutoReassignAttempts      int64 `json:"max_auto_reassign_attempts"`
		AssignmentExpirationDays     int64 `json:"assignment_expiration_days"`
		SendReminderBeforeExpiryDays int64 `json:"send_reminder_before_expiry_days"`
	} `json:"after"`
	ChangedFields []string `json:"changed_fields"`
	Cursor        string   `json:"cursor"`
}

func parseExport(t *testing.T, out string) []exportedChange {
	t.Helper()
	var lines []exportedChange
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var c exportedChange
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, c)
	}
	return lines
}

// The CLI's writes (call import, and call delete's cascade) record their
// changes as the CLI's, with no actor or request id, and `changes export`
// writes the record oldest first.
func TestChangesExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		calls, cfgs := []uuid.UUID{uuid.New(), uuid.New()}, []uuid.UUID{uuid.New(), uuid.New()}
		var in strings.Builder
		for i := range calls {
			fmt.Fprintf(&in, `{"call":{"uuid":"%s","name":"Call %d","state":"active","organisation":{"uuid":"6f1c3a52-2f4e-4d6b-9a51-0c7d7d0f0001","name":"Org"}},`+
				`"configuration":{"uuid":"%s","max_auto_reassign_attempts":%d,"assignment_expiration_days":7,"send_reminder_before_expiry_days":2}}`+"\n", calls[i], i, cfgs[i], i+4)
		}
		callcfg(t, url, in.String(), "call", "import", "--file", "-").must(t)
		callcfg(t, url, "", "call", "delete", "--uuid", calls[0].String()).must(t)
		dbtest.SettleChanges(t, dbtest.Open(t, url))

		r := callcfg(t, url, "", "changes", "export")
		got := parseExport(t, r.must(t))
		if len(got) != 3 || !strings.Contains(r.stderr, "exported 3 change(s)") {
			t.Fatalf("%d lines, stderr %q", len(got), r.stderr)
		}
		want := []struct {
			kind          string
			cfg, call     uuid.UUID
			after         int64 // -1: none
			changedFields int
		}{
			{"CREATED", cfgs[0], calls[0], 4, 4},
			{"CREATED", cfgs[1], calls[1], 5, 4},
			{"DELETED", cfgs[0], calls[0], -1, 4},
		}
		for i, w := range want {
			c := got[i]
			if c.Kind != w.kind || c.ConfigurationUUID != w.cfg || c.CallUUID != w.call || c.Via != "CLI" ||
				string(c.Actor) != "null" || c.RequestID != nil || len(c.ChangedFields) != w.changedFields || c.Cursor == "" {
				t.Errorf("line %d: %+v", i, c)
			}
			if (w.after < 0) != (c.After == nil) || (c.After != nil && c.After.MaxAutoReassignAttempts != w.after) {
				t.Errorf("line %d: after %+v, want %d", i, c.After, w.after)
			}
			if (w.kind == "CREATED") != (string(c.Before) == "null") {
				t.Errorf("line %d: before %s", i, c.Before)
			}
		}

		file := filepath.Join(t.TempDir(), "changes.jsonl")
		since := got[2].At.Format(time.RFC3339Nano)
		callcfg(t, url, "", "changes", "export", "--since", since, "--file", file).must(t)
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if late := parseExport(t, string(raw)); len(late) != 1 || late[0].UUID != got[2].UUID {
			t.Fatalf("--since %s: %s", since, raw)
		}
		if r := callcfg(t, url, "", "changes", "export", "--since", "yesterday"); r.code != 2 || !strings.Contains(r.stderr, "RFC 3339") {
			t.Fatalf("bad --since: %+v", r)
		}
	})
}
