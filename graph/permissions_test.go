package graph_test

import (
	"sort"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
)

// TestPermissionMatrix is REST's table of who may do what, through GraphQL:
// what an actor may not see is null (lookups) or absent (connections), a
// write it may not make is FORBIDDEN, on what it cannot see NOT_FOUND.
func TestPermissionMatrix(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := e.w
		type row struct {
			configs []string // configurations listed
			calls   int      // calls listed
			manages bool     // viewerCanManage on Call's configuration
			write   string   // outcome of a write on Call's configuration: "" allowed, else the code
			bare    string   // outcome of a write on Bare (visible only to staff, support, manager)
		}
		all := []string{hex(w.Config), hex(w.OtherCf)}
		callOnly := []string{hex(w.Config)}
		matrix := map[string]row{
			coretest.Anonymous:       {nil, 0, false, "UNAUTHENTICATED", "UNAUTHENTICATED"},
			coretest.Staff:           {all, 3, true, "", ""},
			coretest.Support:         {all, 3, false, "FORBIDDEN", "FORBIDDEN"},
			coretest.Manager:         {callOnly, 2, true, "", ""},
			coretest.Reviewer:        {callOnly, 1, false, "FORBIDDEN", "NOT_FOUND"},
			coretest.PanelMember:     {callOnly, 1, false, "FORBIDDEN", "NOT_FOUND"},
			coretest.OrganizerRole:   {callOnly, 1, true, "", "NOT_FOUND"},
			coretest.OrganizerNoRole: {[]string{}, 0, false, "NOT_FOUND", "NOT_FOUND"},
			coretest.Outsider:        {[]string{}, 0, false, "NOT_FOUND", "NOT_FOUND"},
		}
		outcome := func(r *response) string {
			if len(r.Errors) == 0 {
				return ""
			}
			if len(r.Errors) > 1 {
				t.Fatalf("several errors: %s", r.Raw)
			}
			return r.Errors[0].code()
		}
		for _, name := range coretest.Actors {
			want := matrix[name]
			t.Run(name, func(t *testing.T) {
				r := e.do(name, `query($c: UUID!) {
					callAssignmentConfigurations(first: 300) { totalCount nodes { uuid } }
					calls(first: 300) { totalCount }
					callAssignmentConfiguration(uuid: $c) { uuid viewerCanManage call { viewerCanManage } } }`,
					map[string]any{"c": hex(w.Config)})
				if name == coretest.Anonymous {
					if r.get("") != nil || len(r.Errors) == 0 {
						t.Fatalf("anonymous got data: %s", r.Raw)
					}
					for _, c := range r.codes() {
						if c != "UNAUTHENTICATED" {
							t.Fatalf("anonymous: %s", r.Raw)
						}
					}
				} else {
					r.ok(t)
					var got []string
					for _, n := range r.list("callAssignmentConfigurations.nodes") {
						got = append(got, dig(n, "uuid").(string))
					}
					sort.Strings(got)
					exp := append([]string(nil), want.configs...)
					sort.Strings(exp)
					if len(got) != len(exp) || (len(got) > 0 && !equal(got, exp)) ||
						r.get("callAssignmentConfigurations.totalCount") != float64(len(exp)) {
						t.Fatalf("configs %v, want %v: %s", got, exp, r.Raw)
					}
					if r.get("calls.totalCount") != float64(want.calls) {
						t.Fatalf("calls: %s", r.Raw)
					}
					sees := len(exp) > 0
					if (r.get("callAssignmentConfiguration") != nil) != sees {
						t.Fatalf("single lookup visibility: %s", r.Raw)
					}
					if sees && (r.get("callAssignmentConfiguration.viewerCanManage") != want.manages ||
						r.get("callAssignmentConfiguration.call.viewerCanManage") != want.manages) {
						t.Fatalf("viewerCanManage: %s", r.Raw)
					}
				}

				// Update with no values: allowed writes succeed (and only
				// touch modified), others fail before any change.
				r = e.do(name, `mutation($c: UUID!) { updateCallAssignmentConfiguration(input: {uuid: $c}) { callAssignmentConfiguration { uuid } } }`,
					map[string]any{"c": hex(w.Config)})
				if got := outcome(r); got != want.write {
					t.Fatalf("update: %q, want %q: %s", got, want.write, r.Raw)
				}
				// A stale precondition tells an allowed delete (CONFLICT)
				// from a refused one without deleting anything.
				r = e.do(name, `mutation($c: UUID!) { deleteCallAssignmentConfiguration(input: {uuid: $c, modified: "2000-01-01T00:00:00Z"}) { deletedUuid } }`,
					map[string]any{"c": hex(w.Config)})
				wantDelete := want.write
				if wantDelete == "" {
					wantDelete = "CONFLICT"
				}
				if got := outcome(r); got != wantDelete {
					t.Fatalf("delete: %q, want %q: %s", got, wantDelete, r.Raw)
				}

				// Upsert, then delete, on the call without configuration.
				r = e.do(name, `mutation($c: UUID!) { setCallAssignmentConfigurationForCall(input: {callUuid: $c, maxAutoReassignAttempts: 1}) {
					created callAssignmentConfiguration { uuid } } }`, map[string]any{"c": hex(w.Bare)})
				if got := outcome(r); got != want.bare {
					t.Fatalf("set for Bare: %q, want %q: %s", got, want.bare, r.Raw)
				}
				if want.bare == "" {
					e.do(name, `mutation($c: UUID!) { deleteCallAssignmentConfiguration(input: {uuid: $c}) { deletedUuid } }`,
						map[string]any{"c": r.str("setCallAssignmentConfigurationForCall.callAssignmentConfiguration.uuid")}).ok(t)
				}
				// Create names the call in its input: one the actor cannot
				// see is an input error on the call field, as in REST.
				r = e.do(name, `mutation($c: UUID!) { createCallAssignmentConfiguration(input: {callUuid: $c}) { callAssignmentConfiguration { uuid } } }`,
					map[string]any{"c": hex(w.Bare)})
				wantCreate := want.bare
				if wantCreate == "NOT_FOUND" {
					wantCreate = "BAD_USER_INPUT"
				}
				if got := outcome(r); got != wantCreate {
					t.Fatalf("create for Bare: %q, want %q: %s", got, wantCreate, r.Raw)
				}
				switch wantCreate {
				case "":
					e.do(name, `mutation($c: UUID!) { deleteCallAssignmentConfiguration(input: {uuid: $c}) { deletedUuid } }`,
						map[string]any{"c": r.str("createCallAssignmentConfiguration.callAssignmentConfiguration.uuid")}).ok(t)
				case "BAD_USER_INPUT":
					if dig(r.Errors[0].Extensions, "fields.callUuid.messages.0") != "Invalid hyperlink - Object does not exist." {
						t.Fatalf("create message: %s", r.Raw)
					}
				}
			})
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
