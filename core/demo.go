package core

import (
	"context"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/db"
)

// DemoData is what SeedDemo made or found: the demo users' fresh API keys
// and the uuids a first request needs.
type DemoData struct {
	Seeded     bool // false: the database already had data; only keys were issued
	Tokens     map[string]string
	CallUUID   uuid.UUID
	ConfigUUID uuid.UUID
}

// DemoUsers are seeded by `serve --demo`, in the order they are printed.
var DemoUsers = []string{"admin", "manager", "reviewer"}

// SeedDemo fills an empty database with an organisation, three calls in
// different states, one configuration and the demo users. On a database with
// users it seeds nothing, but still issues fresh keys to whichever demo users
// exist, so that `serve --demo` always prints keys that work.
func (s *Service) SeedDemo(ctx context.Context) (*DemoData, error) {
	out := &DemoData{Tokens: map[string]string{}}
	users, err := s.store.CountUsers(ctx)
	if err != nil {
		return nil, errInternal(err)
	}
	if users == 0 {
		if err := s.seedDemo(ctx, out); err != nil {
			return nil, err
		}
		out.Seeded = true
	}
	for _, name := range DemoUsers {
		key, err := s.CreateToken(ctx, name, 0)
		if KindOf(err) == KindNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out.Tokens[name] = key
	}
	if out.CallUUID == uuid.Nil {
		call, cfg, ok, err := s.store.FirstConfig(ctx)
		if err != nil {
			return nil, errInternal(err)
		}
		if ok {
			out.CallUUID, out.ConfigUUID = call, cfg
		}
	}
	return out, nil
}

func (s *Service) seedDemo(ctx context.Context, out *DemoData) error {
	org, err := s.CreateOrg(ctx, "Demo Research Council")
	if err != nil {
		return err
	}
	var active *Call
	for _, c := range []NewCall{
		{Name: "HPC call 2026", State: CallStateActive, Description: "Compute time on the national cluster."},
		{Name: "Quantum pilots 2027", State: CallStateDraft, Description: "Small grants for quantum computing pilots."},
		{Name: "Open data 2024", State: CallStateArchived, Description: "Closed call, kept for the record."},
	} {
		c.OrgUUID = org.UUID
		call, err := s.CreateCall(ctx, c)
		if err != nil {
			return err
		}
		if active == nil {
			active = call
		}
	}
	for _, u := range []NewUser{
		{Username: "admin", Email: "admin@example.org", IsStaff: true},
		{Username: "manager", Email: "manager@example.org"},
		{Username: "reviewer", Email: "reviewer@example.org"},
	} {
		if _, err := s.CreateUser(ctx, u); err != nil {
			return err
		}
	}
	for _, g := range []Grant{
		{Username: "manager", CallUUID: &active.UUID, Role: db.RoleManager},
		{Username: "reviewer", CallUUID: &active.UUID, Role: db.RoleReviewer},
	} {
		if err := s.GrantRole(ctx, g); err != nil {
			return err
		}
	}
	admin, err := s.userByName(ctx, "admin")
	if err != nil {
		return err
	}
	cfg, err := s.CreateConfig(ctx, Actor{User: userOf(admin)}, Some(active.UUID), Patch{AutoReassignOnDecline: Some(true)})
	if err != nil {
		return err
	}
	out.CallUUID, out.ConfigUUID = active.UUID, cfg.UUID
	return nil
}
