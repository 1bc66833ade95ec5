package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/server"
)

// Without --public-url, links come from the Host header; --allowed-hosts
// keeps a forged one out of every link, on both faces.
func TestAllowedHostsKeepForgedHostsOutOfLinks(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		cfg := server.DefaultConfig()
		cfg.AllowedHosts = []string{"api.example.org"}
		srv := httptest.NewServer(server.New(w.Svc, cfg))
		defer srv.Close()
		staff := w.Tokens[coretest.Staff]
		send := func(method, path, host, body string) (int, string) {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			req.Host = host
			req.Header.Set("Authorization", "Token "+staff)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		query := gql(`{ callAssignmentConfigurations { nodes { call { url } } } }`)
		for _, c := range []struct {
			name, method, path, host, body string
			status                         int
			contains                       string
		}{
			{"REST with a forged host", "GET", "/api/call-assignment-configurations/", "evil.example", "", 400, "Invalid host header."},
			{"GraphQL with a forged host", "POST", "/graphql", "evil.example", query, 400, "Invalid host header."},
			{"REST with the allowed host", "GET", "/api/call-assignment-configurations/", "api.example.org", "", 200, "http://api.example.org/api/proposal-protected-calls/"},
			{"GraphQL with the allowed host", "POST", "/graphql", "api.example.org:80", query, 200, "http://api.example.org:80/api/proposal-protected-calls/"},
			{"a probe by address", "GET", "/readyz", "10.1.2.3:8080", "", 200, "ready"},
		} {
			t.Run(c.name, func(t *testing.T) {
				status, body := send(c.method, c.path, c.host, c.body)
				if status != c.status || !strings.Contains(body, c.contains) || strings.Contains(body, "evil") {
					t.Fatalf("%d %s", status, body)
				}
			})
		}
	})
}
