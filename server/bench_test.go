package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/server"
)

// BenchmarkListPage runs the list of both faces in process (no network),
// on PostgreSQL, for a 20- and a 300-item page, so their costs read as
// ratios of one another within one run:
//
//	go test -run '^$' -bench ListPage -benchmem ./server/
func BenchmarkListPage(b *testing.B) {
	url := dbtest.NewURL(b, "postgres")
	w := coretest.Build(b, dbtest.Open(b, url))
	ctx := context.Background()
	staff := w.Actor(b, coretest.Staff)
	for i := range 300 {
		c, err := w.Svc.CreateCall(ctx, core.NewCall{Name: fmt.Sprintf("Bench %03d", i), OrgUUID: w.OrgUUID, State: core.CallStateActive})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Svc.CreateConfig(ctx, staff, core.Some(c.UUID), core.Patch{}); err != nil {
			b.Fatal(err)
		}
	}
	cfg := server.DefaultConfig()
	cfg.Logger = quietLogger()
	h := server.New(w.Svc, cfg)
	fields := "uuid autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays sendReminderBeforeExpiryDays created modified call { uuid name }"
	for _, size := range []int{20, 300} {
		requests := map[string]func() *http.Request{
			"rest": func() *http.Request {
				return httptest.NewRequest("GET", fmt.Sprintf("/api/call-assignment-configurations/?page_size=%d", size), nil)
			},
			"graphql": func() *http.Request {
				q := gql(fmt.Sprintf("{ callAssignmentConfigurations(first: %d) { totalCount nodes { %s } } }", size, fields))
				r := httptest.NewRequest("POST", "/graphql", strings.NewReader(q))
				r.Header.Set("Content-Type", "application/json")
				return r
			},
		}
		for _, face := range []string{"rest", "graphql"} {
			b.Run(fmt.Sprintf("%s/%d", face, size), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					r := requests[face]()
					r.Header.Set("Authorization", "Token "+w.Tokens[coretest.Staff])
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, r)
					if rec.Code != 200 || strings.Contains(rec.Body.String(), `"errors"`) {
						b.Fatalf("%d %s", rec.Code, rec.Body.String())
					}
					_, _ = io.Copy(io.Discard, rec.Body)
				}
			})
		}
	}
}
