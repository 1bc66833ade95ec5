package core_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

func TestExportImportRoundTrip(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			w := coretest.Build(t, dbtest.Open(t, dbtest.NewURL(t, kind)))
			var first bytes.Buffer
			n, err := w.Svc.Export(ctx, &first)
			if err != nil || n != 3 {
				t.Fatalf("export: %d %v", n, err)
			}
			empty := core.New(dbtest.Open(t, dbtest.NewURL(t, kind)))
			if n, err := empty.Import(ctx, bytes.NewReader(first.Bytes())); err != nil || n != 3 {
				t.Fatalf("import: %d %v", n, err)
			}
			var second bytes.Buffer
			if _, err := empty.Export(ctx, &second); err != nil {
				t.Fatal(err)
			}
			if first.String() != second.String() {
				t.Fatalf("round trip differs:\n%s\n%s", first.String(), second.String())
			}
			// Importing the same lines again collides on the uuids and changes nothing.
			if _, err := empty.Import(ctx, bytes.NewReader(first.Bytes())); core.KindOf(err) != core.KindInvalid {
				t.Fatalf("second import: %v", err)
			}
		})
	}
}

func TestImportRejectsBadLinesAtomically(t *testing.T) {
	ctx := context.Background()
	good := func(i int) string {
		return fmt.Sprintf(`{"call":{"uuid":"%s","name":"Call %d","state":"active","organisation":{"uuid":"6f1c3a52-2f4e-4d6b-9a51-0c7d7d0f0001","name":"Org"}},"configuration":null}`, uuid.New(), i)
	}
	cases := []struct {
		name, bad, want string
	}{
		{"not json", `{"call":`, "line 2"},
		{"unknown field", `{"call":{},"extra":1}`, "line 2"},
		{"bad state", strings.Replace(good(9), `"active"`, `"open"`, 1), "line 2"},
		{"negative setting", strings.Replace(good(9), `"configuration":null`, `"configuration":{"max_auto_reassign_attempts":-1}`, 1), "line 2"},
		{"long name", strings.Replace(good(9), `"Call 9"`, `"`+strings.Repeat("x", 151)+`"`, 1), "line 2"},
	}
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			svc := core.New(dbtest.Open(t, dbtest.NewURL(t, kind)))
			for _, c := range cases {
				_, err := svc.Import(ctx, strings.NewReader(good(1)+"\n"+c.bad+"\n"+good(3)+"\n"))
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: got %v", c.name, err)
				}
				var buf bytes.Buffer
				if n, _ := svc.Export(ctx, &buf); n != 0 {
					t.Errorf("%s: %d calls stored after a failed import", c.name, n)
				}
			}
		})
	}
}

// 10,000 lines, as the benchmark seeds them, import in one transaction.
func TestImportTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	var buf bytes.Buffer
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 10000; i++ {
		fmt.Fprintf(&buf, `{"call":{"uuid":"%s","name":"Call %d","state":"active","organisation":{"uuid":"6f1c3a52-2f4e-4d6b-9a51-0c7d7d0f0001","name":"Org"},"created":"%s","modified":"%s"},"configuration":{"uuid":"%s","auto_reassign_on_decline":false,"max_auto_reassign_attempts":3,"assignment_expiration_days":7,"send_reminder_before_expiry_days":2}}`+"\n",
			uuid.New(), i, created.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), created.Format(time.RFC3339), uuid.New())
	}
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			svc := core.New(dbtest.Open(t, dbtest.NewURL(t, kind)))
			n, err := svc.Import(context.Background(), bytes.NewReader(buf.Bytes()))
			if err != nil || n != 10000 {
				t.Fatalf("import: %d %v", n, err)
			}
		})
	}
}
