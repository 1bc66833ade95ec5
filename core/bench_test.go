package core_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

// BenchmarkPermissionFilter lists a page as staff (no visibility filter),
// as a manager who holds a role on half of 400 calls (the EXISTS filter
// and per-row access columns), and as an outsider (the filter, no rows), on
// PostgreSQL. Read the filter's cost as the ratio to the staff baseline:
//
//	go test -run '^$' -bench PermissionFilter -benchmem ./core/
func BenchmarkPermissionFilter(b *testing.B) {
	w := coretest.Build(b, dbtest.Open(b, dbtest.NewURL(b, "postgres")))
	ctx := context.Background()
	staff := w.Actor(b, coretest.Staff)
	for i := range 400 {
		c, err := w.Svc.CreateCall(ctx, core.NewCall{Name: fmt.Sprintf("Bench %03d", i), OrgUUID: w.OrgUUID})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Svc.CreateConfig(ctx, staff, core.Some(c.UUID), core.Patch{}); err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			if err := w.Svc.GrantRole(ctx, core.Grant{Username: coretest.Manager, CallUUID: &c.UUID, Role: "manager"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, who := range []string{coretest.Staff, coretest.Manager, coretest.Outsider} {
		a := w.Actor(b, who)
		b.Run(who, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := w.Svc.ListConfigsPage(ctx, a, core.ConfigFilter{}, 0, 20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
