package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/links"
)

// documentedUUID is the schema's description of the UUID scalar: 32 hex
// digits, bare or dashed 8-4-4-4-12, in any case.
var documentedUUID = regexp.MustCompile(`^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)

// FuzzUnmarshalUUID gives the UUID scalar a string, or the same text as
// another JSON type (variables decode to json.Number, bool, nil, maps and
// lists). It accepts exactly the documented forms, refuses everything else
// with an InputError (never a panic or another error type, which the
// presenter would turn into INTERNAL_SERVER_ERROR), and what it accepts
// renders and reads back to the same value.
func FuzzUnmarshalUUID(f *testing.F) {
	for _, s := range []string{
		"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f", "3F2C9D0E-4B8A-4C1F-9E2D-7A6B5C4D3E2F", "00000000-0000-0000-0000-000000000000",
		"{3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f}", "urn:uuid:3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f", "3f-2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f",
		"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2", "3f2c9d0e4b8a-4c1f-9e2d-7a6b5c4d3e2f0", "3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2g",
		"3f2c9d0e+4b8a+4c1f+9e2d+7a6b5c4d3e2f", "3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2\u00e9", "", "null", "12345678901234567890123456789012",
	} {
		for kind := range uint8(4) {
			f.Add(kind, s)
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, s string) {
		var v any = s
		switch kind % 6 {
		case 1:
			v = json.Number(s)
		case 2:
			v = []byte(s)
		case 3:
			v = map[string]any{"uuid": s}
		case 4:
			v = []any{s}
		case 5:
			v = nil
		}
		u, err := UnmarshalUUID(v)
		if err != nil {
			var in *InputError
			if !errors.As(err, &in) || in.Message != MsgInvalidUUID {
				t.Fatalf("UnmarshalUUID(%#v): %T %v, want an InputError", v, err, err)
			}
			if _, isString := v.(string); isString && documentedUUID.MatchString(s) {
				t.Fatalf("documented form %q refused", s)
			}
			return
		}
		if _, isString := v.(string); !isString || !documentedUUID.MatchString(s) {
			t.Fatalf("UnmarshalUUID(%#v) accepts an undocumented value as %v", v, u)
		}
		if u != uuid.MustParse(s) {
			t.Fatalf("%q reads as %v", s, u)
		}
		var out bytes.Buffer
		MarshalUUID(u).MarshalGQL(&out)
		rendered, err := strconv.Unquote(out.String())
		if err != nil || rendered != links.Hex(u) || rendered != strings.ToLower(strings.ReplaceAll(s, "-", "")) {
			t.Fatalf("%q renders as %s", s, out.String())
		}
		for _, r := range []string{rendered, strings.ToUpper(rendered), u.String()} {
			if back, err := UnmarshalUUID(r); err != nil || back != u {
				t.Fatalf("%q renders as %q, which reads back as %v %v", s, r, back, err)
			}
		}
	})
}
