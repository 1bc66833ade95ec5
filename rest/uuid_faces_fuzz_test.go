package rest

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/graph/model"
	"github.com/callcfg/callcfg/links"
	"github.com/callcfg/callcfg/rest/internal/pyform"
)

// documentedUUID is the form both READMEs promise: 32 hex digits, bare or
// dashed 8-4-4-4-12, in any case.
var documentedUUID = regexp.MustCompile(`^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)

var urlNoise = strings.NewReplacer("\t", "", "\r", "", "\n", "")

// faceUUIDSeeds: every form either face accepts, near misses of each, and
// calls by URL or path.
var faceUUIDSeeds = []string{
	"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f", "3F2C9D0E4B8A4C1F9E2D7A6B5C4D3E2F", "3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f",
	"3F2C9D0E-4B8A-4C1F-9E2D-7A6B5C4D3E2F", "00000000000000000000000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
	"{3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f}", "urn:uuid:3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f", "3f-2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f",
	"{{3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f}}", "{3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f", "3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2",
	"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f0", "3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2", "3f2c9d0e4b8a-4c1f-9e2d-7a6b5c4d3e2f",
	"3f2c9d0e-4b8a-4c1f-9e2d7a6b5c4d3e2f-", "zf2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f", " 3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f",
	"0x2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f", "3f2c9d0e_4b8a4c1f9e2d7a6b5c4d3e2f", "uuid:urn:3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f",
	"3f2c9d0e4b8a4c1furn:9e2d7a6b5c4d3e2f", "3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f\x00", "3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2\u00e9",
	"", "not-a-uuid", strings.Repeat("-", 32) + "3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f",
	// Calls by URL or path, which reach ParseUUID through a path segment.
	"http://example.org/api/proposal-protected-calls/3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f/",
	"https://u:p@example.org:8443/base/api/proposal-protected-calls/%7B3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f%7D/;p?q=1#f",
	"/base/api/proposal-protected-calls/urn:uuid:3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f/", "http:/api/proposal-protected-calls/3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f/",
	"http://[::1/api/proposal-protected-calls/3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f/", "ftp://x/api/proposal-protected-calls/3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f/",
	"http://x/api/proposal-protected-calls/3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f", "http://x/api/call-assignment-configurations/3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f/",
	"https:\t//x/api/proposal-\n%70rotected-calls/3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f/",
}

// FuzzUUIDFaces holds the REST face's readings of a uuid (a path segment,
// the call field, by uuid, path or URL) to pyform.ParseUUID, checks that
// what it accepts renders and reads back to the same value, and compares it
// with the GraphQL scalar. Python's rules themselves are pinned by pyform's
// FuzzParseUUID.
//
// The faces differ on purpose, and the target pins how: GraphQL accepts
// exactly the documented forms; REST accepts those and, like the upstream
// service's uuid.UUID(), braces, "urn:uuid:" and dashes anywhere.
func FuzzUUIDFaces(f *testing.F) {
	for _, s := range faceUUIDSeeds {
		f.Add(s)
	}
	h, prefixed := &handler{}, &handler{links: links.NewBase(&url.URL{Scheme: "http", Host: "example.org", Path: "/base"})}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := pyform.ParseUUID(s)
		gid, gerr := model.UnmarshalUUID(s)
		documented := documentedUUID.MatchString(s)
		if documented {
			if !ok || gerr != nil || gid != id || id != uuid.MustParse(s) {
				t.Fatalf("documented form %q: REST %v %v, GraphQL %v %v", s, id, ok, gid, gerr)
			}
		}
		if gerr == nil && !documented {
			t.Fatalf("GraphQL accepts the undocumented %q as %v", s, gid)
		}
		if gerr == nil && (!ok || gid != id) {
			t.Fatalf("GraphQL reads %q as %v, REST as %v %v", s, gid, id, ok)
		}

		// Any string at all may come as a call or as a path: a call that is
		// not a uuid can name one only through the calls path (in a URL
		// from which, like urlparse, it drops tabs and newlines).
		viaPath := strings.Contains(pyform.Unquote(urlNoise.Replace(s)), callsPath)
		for _, h := range []*handler{h, prefixed} {
			if c, cok := h.callRef(s); cok && !ok && !viaPath {
				t.Fatalf("call %q reads as %v", s, c)
			}
		}
		matchRoute(s)
		if !ok {
			return
		}

		// Round trip through every rendering either face produces.
		rendered := string(links.AppendHex(nil, id))
		if rendered != strings.ReplaceAll(id.String(), "-", "") {
			t.Fatalf("%v renders as %q", id, rendered)
		}
		var marshaled bytes.Buffer
		model.MarshalUUID(id).MarshalGQL(&marshaled)
		if marshaled.String() != `"`+rendered+`"` {
			t.Fatalf("MarshalUUID(%v) = %s", id, marshaled.String())
		}
		for _, r := range []string{rendered, strings.ToUpper(rendered), id.String(), strings.ToUpper(id.String())} {
			if back, ok := pyform.ParseUUID(r); !ok || back != id {
				t.Fatalf("REST reads its own rendering %q of %q back as %v %v", r, s, back, ok)
			}
			if back, err := model.UnmarshalUUID(r); err != nil || back != id {
				t.Fatalf("GraphQL reads REST's rendering %q of %q back as %v %v", r, s, back, err)
			}
		}

		// The call field takes the uuid bare, as a path or as a URL; a path
		// segment reaches ParseUUID only without "/" or ".".
		if c, ok := h.callRef(s); !ok || c != id {
			t.Fatalf("call %q reads as %v %v", s, c, ok)
		}
		for _, ref := range []string{callsPath + rendered + "/", "https://example.org" + callsPath + s + "/"} {
			if !strings.ContainsAny(s, "/.?#;%\t\r\n") {
				if c, ok := h.callRef(ref); !ok || c != id {
					t.Fatalf("call %q reads as %v %v, want %v", ref, c, ok, id)
				}
			}
		}
		if !strings.ContainsAny(s, "/.") {
			if rt, arg := matchRoute(configsPath + s + "/"); rt != &configDetailRoute || arg != s {
				t.Fatalf("path with segment %q does not reach the detail route", s)
			}
		}
	})
}
