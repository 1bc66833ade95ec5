package model_test

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/callcfg/callcfg/graph/model"
)

// written is what m writes to a bytes.Buffer with room to spare (the
// executor's), to one without, and to another writer; all must agree.
func written(t *testing.T, m graphql.Marshaler) string {
	t.Helper()
	var roomy bytes.Buffer
	roomy.Grow(1024)
	roomy.WriteString("x")
	var tight bytes.Buffer
	var other strings.Builder
	m.MarshalGQL(&roomy)
	m.MarshalGQL(&tight)
	m.MarshalGQL(&other)
	if roomy.String()[1:] != tight.String() || tight.String() != other.String() {
		t.Errorf("writers disagree: %q, %q, %q", roomy.String()[1:], tight.String(), other.String())
	}
	return other.String()
}

func gqlgens(m graphql.Marshaler) string {
	var b strings.Builder
	m.MarshalGQL(&b)
	return b.String()
}

// TestScalarsAsBefore: the scalars write what they (and gqlgen's) wrote
// before they stopped allocating.
func TestScalarsAsBefore(t *testing.T) {
	u := uuid.MustParse("20a25e90-01e8-469d-814e-6a7b78c1700b")
	if got := written(t, model.MarshalUUID(u)); got != `"20a25e9001e8469d814e6a7b78c1700b"` {
		t.Errorf("uuid %s", got)
	}
	for _, tm := range []time.Time{
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 10, 13, 0, 0, 123456789, time.FixedZone("CET", 3600)),
		{},
	} {
		if got, want := written(t, model.MarshalDateTime(tm)), strconv.Quote(tm.UTC().Format(model.DateTimeLayout)); got != want {
			t.Errorf("%v: %s, want %s", tm, got, want)
		}
	}
	for _, i := range []int64{0, 1, 255, 256, -1, 2147483647, math.MaxInt64, math.MinInt64} {
		if got, want := written(t, model.MarshalInt64(i)), gqlgens(graphql.MarshalInt64(i)); got != want {
			t.Errorf("%d: %s, want %s", i, got, want)
		}
	}
	for _, b := range []bool{true, false} {
		if got, want := written(t, model.MarshalBoolean(b)), gqlgens(graphql.MarshalBoolean(b)); got != want {
			t.Errorf("%v: %s, want %s", b, got, want)
		}
	}
	// Inputs are gqlgen's.
	for _, v := range []any{"true", 1, true, 2.5, "x"} {
		gotB, errB := model.UnmarshalBoolean(v)
		wantB, wantErrB := graphql.UnmarshalBoolean(v)
		gotI, errI := model.UnmarshalInt64(v)
		wantI, wantErrI := graphql.UnmarshalInt64(v)
		if gotB != wantB || (errB == nil) != (wantErrB == nil) || gotI != wantI || (errI == nil) != (wantErrI == nil) {
			t.Errorf("%v: %v %v %v %v", v, gotB, errB, gotI, errI)
		}
	}
}

// TestScalarsDoNotAllocate: written to the executor's buffer, a scalar
// costs at most the boxing of its value.
func TestScalarsDoNotAllocate(t *testing.T) {
	var buf bytes.Buffer
	buf.Grow(1 << 16)
	u, tm := uuid.New(), time.Now()
	for name, f := range map[string]func(){
		"uuid":     func() { model.MarshalUUID(u).MarshalGQL(&buf) },
		"datetime": func() { model.MarshalDateTime(tm).MarshalGQL(&buf) },
		"int":      func() { model.MarshalInt64(7).MarshalGQL(&buf) },
		"boolean":  func() { model.MarshalBoolean(true).MarshalGQL(&buf) },
	} {
		buf.Reset()
		want := 1.0
		if name == "int" || name == "boolean" {
			want = 0
		}
		if n := testing.AllocsPerRun(100, f); n > want {
			t.Errorf("%s: %.0f allocations, want at most %.0f", name, n, want)
		}
	}
}
