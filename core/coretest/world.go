// Package coretest builds a small, known world of organisations, calls,
// configurations and users with roles, for the tests of the core and of both
// faces, so that every permission test speaks about the same actors.
package coretest

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
)

// Actor names, one per row of the permission table.
const (
	Anonymous        = "anonymous"
	Staff            = "staff"
	Support          = "support"
	Manager          = "manager"
	Reviewer         = "reviewer"
	PanelMember      = "panel_member"
	OrganizerRole    = "organizer_with_role"
	OrganizerNoRole  = "organizer_without_role"
	Outsider         = "outsider"
	DefaultPassword  = "correct horse battery staple"
	ManagedCallName  = "HPC call 2026"
	OtherCallName    = "Quantum call 2026"
	UnconfiguredName = "Archive call 2020"
)

// Actors lists every actor, anonymous first.
var Actors = []string{Anonymous, Staff, Support, Manager, Reviewer, PanelMember, OrganizerRole, OrganizerNoRole, Outsider}

// World is what Build creates:
//   - Org manages three calls: Call (active, with a configuration, on which
//     the role-holding actors hold their roles), Other (draft, with a
//     configuration, no roles) and Bare (archived, no configuration; the
//     manager manages it too).
//   - Staff and Manager have the password DefaultPassword; the others log
//     in with API keys only.
//   - Organizer (with role) is call_organizer of Org and panel member of Call;
//     OrganizerNoRole is call_organizer of Org only.
type World struct {
	Svc     *core.Service
	OrgUUID uuid.UUID
	Call    uuid.UUID
	Other   uuid.UUID
	Bare    uuid.UUID
	Config  uuid.UUID // Call's configuration
	OtherCf uuid.UUID // Other's configuration
	Tokens  map[string]string
	Actors  map[string]core.Actor
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("build world: %v", err)
	}
}

// Build fills an empty, migrated database; opts configure the World's
// Service.
func Build(t testing.TB, bdb *bun.DB, opts ...core.Option) *World {
	t.Helper()
	ctx := context.Background()
	svc := core.New(bdb, opts...)
	w := &World{Svc: svc, Tokens: map[string]string{}, Actors: map[string]core.Actor{Anonymous: {}}}
	org, err := svc.CreateOrg(ctx, "Research Council")
	check(t, err)
	w.OrgUUID = org.UUID
	mkCall := func(name, state string) uuid.UUID {
		c, err := svc.CreateCall(ctx, core.NewCall{Name: name, State: state, OrgUUID: org.UUID, Description: "About " + name})
		check(t, err)
		return c.UUID
	}
	w.Call = mkCall(ManagedCallName, core.CallStateActive)
	w.Other = mkCall(OtherCallName, core.CallStateDraft)
	w.Bare = mkCall(UnconfiguredName, core.CallStateArchived)

	for _, name := range Actors[1:] {
		in := core.NewUser{Username: name, Email: name + "@example.org", IsStaff: name == Staff, IsSupport: name == Support}
		if name == Staff || name == Manager {
			// bcrypt is slow on purpose; two users with passwords are enough for login tests.
			in.Password = DefaultPassword
		}
		_, err := svc.CreateUser(ctx, in)
		check(t, err)
		w.Tokens[name], err = svc.CreateToken(ctx, name, 0)
		check(t, err)
	}
	grant := func(user string, call *uuid.UUID, org *uuid.UUID, role string) {
		check(t, svc.GrantRole(ctx, core.Grant{Username: user, CallUUID: call, OrgUUID: org, Role: role}))
	}
	grant(Manager, &w.Call, nil, "manager")
	grant(Manager, &w.Bare, nil, "manager")
	grant(Reviewer, &w.Call, nil, "reviewer")
	grant(PanelMember, &w.Call, nil, "panel_member")
	grant(OrganizerRole, &w.Call, nil, "panel_member")
	grant(OrganizerRole, nil, &w.OrgUUID, "call_organizer")
	grant(OrganizerNoRole, nil, &w.OrgUUID, "call_organizer")

	admin := w.Actor(t, Staff)
	cfg, err := svc.CreateConfig(ctx, admin, core.Some(w.Call), core.Patch{})
	check(t, err)
	w.Config = cfg.UUID
	cfg, err = svc.CreateConfig(ctx, admin, core.Some(w.Other), core.Patch{
		AutoReassignOnDecline: core.Some(true), MaxAutoReassignAttempts: core.Some[int64](5),
	})
	check(t, err)
	w.OtherCf = cfg.UUID
	return w
}

// Actor authenticates a named actor through its token, as a request would.
func (w *World) Actor(t testing.TB, name string) core.Actor {
	t.Helper()
	if a, ok := w.Actors[name]; ok {
		return a
	}
	a, err := w.Svc.Authenticate(context.Background(), w.Tokens[name])
	if err != nil {
		t.Fatalf("authenticate %s: %v", name, err)
	}
	w.Actors[name] = a
	return a
}
