package core_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

var fuzzOrderFields = []core.OrderField{core.OrderCreated, core.OrderModified, core.OrderCallName, "BOGUS"}

// orderFrom reads an order from bytes: each byte names a field (low bits,
// one of them invalid) and a direction (high bit).
func orderFrom(b []byte) []core.OrderBy {
	out := make([]core.OrderBy, len(b))
	for i, c := range b {
		out[i] = core.OrderBy{Field: fuzzOrderFields[int(c)%len(fuzzOrderFields)], Desc: c&0x80 != 0}
	}
	return out
}

// FuzzConnectionArgs throws orders, cursors and page sizes at both keyset
// listings as an actor with no roles and as staff. Whatever comes in, the
// answer is a page or an input error; never an internal error, never a
// statement the database refuses, and an order that repeats a field or has
// more entries than there are fields is always refused.
func FuzzConnectionArgs(f *testing.F) {
	attack := strings.Repeat("\x02", 300)
	forged := func(sig string, keys int) string {
		parts := []any{sig}
		for range keys {
			parts = append(parts, "x")
		}
		b, _ := json.Marshal(parts)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	for _, seed := range []struct {
		order  string
		cursor string
		first  int16
		back   bool
		staff  bool
	}{
		{"", "", 5, false, true},
		{"\x02", "", 5, false, true},
		{"\x82\x00\x01", "", 2, true, true},
		{attack, forged(strings.Repeat("c.name,", 300)+"cfg.id", 301), 5, false, false},
		{"\x02", forged("c.name,cfg.id", 300), 5, false, false},
		{"\x02\x02", "", 5, false, true},
		{"\x00\x01\x02\x00", "", 5, false, true},
		{"\x03", "", 5, false, true},
		{"", strings.Repeat("A", 5000), 5, false, true},
		{"", `WyJjZmcuY3JlYXRlZCBkZXNjLGNmZy5pZCIsIjIwMjYtMDEtMDFUMDA6MDA6MDBaIiwxXQ`, 3, false, true},
		{"", "", -1, true, false},
		{"", "", 301, false, true},
	} {
		f.Add([]byte(seed.order), seed.cursor, seed.first, seed.back, seed.staff)
	}
	w := coretest.Build(f, dbtest.Open(f, dbtest.NewURL(f, "sqlite")))
	ctx := context.Background()
	actors := map[bool]core.Actor{true: w.Actor(f, coretest.Staff), false: w.Actor(f, coretest.Outsider)}
	f.Fuzz(func(t *testing.T, orderBytes []byte, cursor string, size int16, backward bool, staff bool) {
		order := orderFrom(orderBytes)
		n := int(size)
		args := core.PageArgs{First: &n}
		if cursor != "" {
			args.After = &cursor
		}
		if backward {
			args = core.PageArgs{Last: &n}
			if cursor != "" {
				args.Before = &cursor
			}
		}
		a := actors[staff]
		badOrder := len(order) > 3
		seen := map[core.OrderField]bool{}
		for _, o := range order {
			badOrder = badOrder || seen[o.Field] || o.Field == "BOGUS"
			seen[o.Field] = true
		}
		_, err := w.Svc.ConfigsConnection(ctx, a, core.ConfigFilter{}, order, args)
		check(t, "configurations", err, badOrder)
		_, err = w.Svc.CallsConnection(ctx, a, core.CallFilter{}, order, args)
		check(t, "calls", err, badOrder)
	})
}

func check(t *testing.T, list string, err error, badOrder bool) {
	t.Helper()
	if err == nil {
		if badOrder {
			t.Fatalf("%s: a bad order was accepted", list)
		}
		return
	}
	e := core.AsError(err)
	if e.Kind != core.KindInvalid {
		t.Fatalf("%s: want a page or an input error, got %v", list, err)
	}
	if badOrder && len(e.Fields[core.FieldOrderBy]) == 0 {
		t.Fatalf("%s: a bad order is not reported on order_by: %v", list, err)
	}
}
