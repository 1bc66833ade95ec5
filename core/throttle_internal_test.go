package core

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestLockSchedule(t *testing.T) {
	g := newLoginGuard(DefaultLoginPolicy())
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {5, 0}, {6, time.Second}, {7, 2 * time.Second}, {8, 4 * time.Second},
		{15, 512 * time.Second}, {16, 15 * time.Minute}, {1000, 15 * time.Minute}, {math.MaxInt32, 15 * time.Minute},
	} {
		if got := g.lockFor(c.failures); got != c.want {
			t.Errorf("%d failures: lock %v, want %v", c.failures, got, c.want)
		}
	}
	off := DefaultLoginPolicy()
	off.LockBase = 0
	if got := newLoginGuard(off).lockFor(100); got != 0 {
		t.Errorf("locking off: lock %v", got)
	}
}

func TestClientKey(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, c := range []struct{ addr, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"", ""},
		{long, long[:maxClientKey]},
	} {
		if got := clientKey(c.addr); got != c.want {
			t.Errorf("%q: %q, want %q", c.addr, got, c.want)
		}
	}
}

func TestThrottledError(t *testing.T) {
	for _, c := range []struct {
		wait    time.Duration
		seconds int
		msg     string
	}{
		{0, 1, "Request was throttled. Expected available in 1 second."},
		{time.Nanosecond, 1, "Request was throttled. Expected available in 1 second."},
		{time.Second, 1, "Request was throttled. Expected available in 1 second."},
		{time.Second + time.Nanosecond, 2, "Request was throttled. Expected available in 2 seconds."},
		{15 * time.Minute, 900, "Request was throttled. Expected available in 900 seconds."},
		{time.Duration(math.MaxInt64), math.MaxInt32, "Request was throttled. Expected available in 2147483647 seconds."},
	} {
		e := AsError(errThrottled(c.wait))
		if e.Kind != KindThrottled || e.RetryAfterSeconds() != c.seconds || e.Message != c.msg {
			t.Errorf("%v: %v %d %q, want %d %q", c.wait, e.Kind, e.RetryAfterSeconds(), e.Message, c.seconds, c.msg)
		}
	}
}
