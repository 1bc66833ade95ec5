package rest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
)

func TestAppendStringIsPythons(t *testing.T) {
	// Expected values from CPython 3.13: json.dumps(s, ensure_ascii=False)
	// with DRF's escaping of U+2028 and U+2029.
	for _, c := range []struct{ in, want string }{
		{"plain", "\"plain\""},
		{"quote\" back\\slash", "\"quote\\\" back\\\\slash\""},
		{"ctl\u0000\u0001\u001f\u007f", "\"ctl\\u0000\\u0001\\u001f\u007f\""},
		{"nl\n cr\r tab\t bs\b ff\f", "\"nl\\n cr\\r tab\\t bs\\b ff\\f\""},
		{"\u00e9 \u00fc \U0001F600 \u4e2d\u6587", "\"\u00e9 \u00fc \U0001F600 \u4e2d\u6587\""},
		{"ls\u2028ps\u2029", "\"ls\\u2028ps\\u2029\""},
		{"<script>&amp;</script>", "\"<script>&amp;</script>\""},
		{"", "\"\""},
		{"bad \xff utf-8", "\"bad \uFFFD utf-8\""},
	} {
		if got := string(appendString(nil, c.in)); got != c.want {
			t.Errorf("%q: got %s want %s", c.in, got, c.want)
		}
	}
}

func sampleConfig() *core.Config {
	at := time.Date(2026, 3, 10, 12, 0, 0, 123456789, time.UTC)
	return &core.Config{
		UUID:     uuid.MustParse("3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f"),
		CallUUID: uuid.MustParse("9a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9"),
		CallName: "HPC call 2026",
		Settings: core.Settings{MaxAutoReassignAttempts: 3, AssignmentExpirationDays: 7, SendReminderBeforeExpiryDays: 2},
		Created:  at, Modified: at.Truncate(time.Second),
	}
}

func TestAppendConfigIsTheContractsExample(t *testing.T) {
	got := string(appendConfig(nil, "https://host", sampleConfig()))
	want := `{"uuid":"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f","call":"https://host/api/proposal-protected-calls/9a1b2c3d4e5f40718293a4b5c6d7e8f9/",` +
		`"call_uuid":"9a1b2c3d4e5f40718293a4b5c6d7e8f9","call_name":"HPC call 2026","auto_reassign_on_decline":false,` +
		`"max_auto_reassign_attempts":3,"assignment_expiration_days":7,"send_reminder_before_expiry_days":2,` +
		`"created":"2026-03-10T12:00:00.123456+00:00","modified":"2026-03-10T12:00:00.000000+00:00"}`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// The representation is written without allocating once the pooled buffer
// has grown, which the benchmarks of the served API rely on.
func TestAppendConfigDoesNotAllocate(t *testing.T) {
	page := make([]*core.Config, 10)
	for i := range page {
		page[i] = sampleConfig()
	}
	buf := getBuffer()
	defer putBuffer(buf)
	if n := testing.AllocsPerRun(100, func() {
		buf.b = appendList(buf.b[:0], "https://host", page, appendConfig)
	}); n != 0 {
		t.Errorf("%v allocations per page", n)
	}
}

func BenchmarkAppendConfigPage(b *testing.B) {
	page := make([]*core.Config, 20)
	for i := range page {
		page[i] = sampleConfig()
	}
	b.ReportAllocs()
	for b.Loop() {
		buf := getBuffer()
		buf.b = appendList(buf.b, "https://host", page, appendConfig)
		b.SetBytes(int64(len(buf.b)))
		putBuffer(buf)
	}
}
