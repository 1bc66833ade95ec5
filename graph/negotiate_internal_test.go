package graph

import "testing"

// The response media type follows the Accept header's q-values, then the
// more specific range, then the order listed.
func TestNegotiate(t *testing.T) {
	const j, g = mediaJSON, mediaGraphQLResponse
	cases := []struct {
		name   string
		accept []string
		want   string // "" for 406
	}{
		{"no Accept header: application/json, as the audits ask", nil, j},
		{"application/json", []string{"application/json"}, j},
		{"graphql-response+json", []string{"application/graphql-response+json"}, g},
		{"Apollo Client", []string{"application/graphql-response+json,application/json;q=0.9"}, g},
		{"the spec's recommended header", []string{"application/graphql-response+json; charset=utf-8, application/json; charset=utf-8"}, g},
		{"higher q wins over order", []string{"application/json;q=0.5, application/graphql-response+json;q=0.8"}, g},
		{"equal q: the first listed", []string{"application/json, application/graphql-response+json"}, j},
		{"an exact range beats a wildcard at equal q", []string{"*/*, application/graphql-response+json"}, g},
		{"*/*", []string{"*/*"}, j},
		{"application/*", []string{"application/*"}, j},
		{"a browser", []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, j},
		{"q=0 refuses a type a wildcard would admit", []string{"application/graphql-response+json;q=0, */*"}, j},
		{"several header lines", []string{"text/html", "application/graphql-response+json"}, g},
		{"HTML only", []string{"text/html"}, ""},
		{"JSON refused", []string{"application/json;q=0"}, ""},
		{"a q that is no number is ignored", []string{"application/json;q=abc"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := negotiate(c.accept)
			if (c.want == "") == ok || got != c.want {
				t.Fatalf("negotiate(%q) = %q, %v; want %q", c.accept, got, ok, c.want)
			}
		})
	}
}
