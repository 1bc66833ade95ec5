package pyform

import (
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// documentedUUID is the form the READMEs promise: 32 hex digits, bare or
// dashed 8-4-4-4-12, in any case.
var documentedUUID = regexp.MustCompile(`^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)

// refPyUUID is Python's uuid.UUID(s) as ParseUUID documents it (without
// int()'s whitespace, underscores, sign and 0x, which upstream accepts by
// accident), within the 32..64 bytes ParseUUID looks at.
func refPyUUID(s string) (uuid.UUID, bool) {
	var id uuid.UUID
	if len(s) < 32 || len(s) > 64 {
		return id, false
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "urn:", ""), "uuid:", "")
	s = strings.ReplaceAll(strings.Trim(s, "{}"), "-", "")
	if len(s) != 32 {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return uuid.UUID{}, false
	}
	return id, true
}

// uuidSeeds are every form uuid.UUID() accepts, near misses of each, and
// what else reaches it: the last segment of a call's URL or path.
var uuidSeeds = []string{
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

// FuzzParseUUID holds ParseUUID to Python's rules, checks that it accepts
// every documented form as the value github.com/google/uuid reads, and that
// each rendering of what it accepts (32 hex digits as both faces write them,
// the dashed form, either case) reads back to the same value. The faces'
// own readings (a path segment, the call field, the GraphQL scalar) are
// rest's FuzzUUIDFaces.
func FuzzParseUUID(f *testing.F) {
	for _, s := range uuidSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ParseUUID(s)
		want, wantOK := refPyUUID(s)
		// A refused uuid's value is whatever was read so far: only ok counts.
		if ok != wantOK || (ok && id != want) {
			t.Fatalf("ParseUUID(%q) = %v %v, Python's uuid.UUID gives %v %v", s, id, ok, want, wantOK)
		}
		if documentedUUID.MatchString(s) && (!ok || id != uuid.MustParse(s)) {
			t.Fatalf("documented form %q reads as %v %v", s, id, ok)
		}
		if !ok {
			return
		}
		rendered := hex.EncodeToString(id[:])
		for _, r := range []string{rendered, strings.ToUpper(rendered), id.String(), strings.ToUpper(id.String())} {
			if back, ok := ParseUUID(r); !ok || back != id {
				t.Fatalf("the rendering %q of %q reads back as %v %v", r, s, back, ok)
			}
		}
	})
}
