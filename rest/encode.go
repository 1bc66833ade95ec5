package rest

import (
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/links"
)

// Responses are written as DRF's JSONRenderer writes them (compact
// separators, UTF-8 left unescaped, U+2028/U+2029 escaped) by appending the
// fixed representations to a pooled buffer: no reflection, no maps, and
// next to no allocation on the hot paths.

type buffer struct{ b []byte }

var buffers = sync.Pool{New: func() any { return &buffer{b: make([]byte, 0, 2048)} }}

func getBuffer() *buffer { return buffers.Get().(*buffer) }

func putBuffer(buf *buffer) {
	// A rare huge page must not stay pinned in the pool.
	if cap(buf.b) > 256<<10 {
		return
	}
	buf.b = buf.b[:0]
	buffers.Put(buf)
}

// appendString writes s as Python's json.dumps(ensure_ascii=False) does,
// plus DRF's escaping of the two JavaScript line terminators.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendStringBody(b, s)
	return append(b, '"')
}

func appendStringBody(b []byte, s string) []byte {
	const hexdigits = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexdigits[c>>4], hexdigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexdigits[r&15])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// appendTime writes an RFC 3339 UTC time with microseconds and "+00:00",
// quoted: "2026-03-10T12:00:00.123456+00:00".
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	micro := t.Nanosecond() / 1000
	a := [34]byte{'"', 0, 0, 0, 0, '-', 0, 0, '-', 0, 0, 'T', 0, 0, ':', 0, 0, ':', 0, 0, '.', 0, 0, 0, 0, 0, 0, '+', '0', '0', ':', '0', '0', '"'}
	put2 := func(i, v int) { a[i], a[i+1] = byte('0'+v/10), byte('0'+v%10) }
	put2(1, year/100%100)
	put2(3, year%100)
	put2(6, int(month))
	put2(9, day)
	put2(12, hour)
	put2(15, minute)
	put2(18, sec)
	put2(21, micro/10000)
	put2(23, micro/100%100)
	put2(25, micro%100)
	return append(b, a[:]...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendConfig writes the configuration representation, fields in the
// upstream serializer's order. base is the scheme, host and any prefix of
// absolute links.
func appendConfig(b []byte, base string, c *core.Config) []byte {
	b = append(b, `{"uuid":"`...)
	b = links.AppendHex(b, c.UUID)
	b = append(b, `","call":"`...)
	b = appendStringBody(b, base)
	b = append(b, callsPath...)
	b = links.AppendHex(b, c.CallUUID)
	b = append(b, `/","call_uuid":"`...)
	b = links.AppendHex(b, c.CallUUID)
	b = append(b, `","call_name":`...)
	b = appendString(b, c.CallName)
	b = append(b, `,"auto_reassign_on_decline":`...)
	b = appendBool(b, c.AutoReassignOnDecline)
	b = append(b, `,"max_auto_reassign_attempts":`...)
	b = strconv.AppendInt(b, c.MaxAutoReassignAttempts, 10)
	b = append(b, `,"assignment_expiration_days":`...)
	b = strconv.AppendInt(b, c.AssignmentExpirationDays, 10)
	b = append(b, `,"send_reminder_before_expiry_days":`...)
	b = strconv.AppendInt(b, c.SendReminderBeforeExpiryDays, 10)
	b = append(b, `,"created":`...)
	b = appendTime(b, c.Created)
	b = append(b, `,"modified":`...)
	b = appendTime(b, c.Modified)
	return append(b, '}')
}

// appendCall writes the call representation: uuid first as in the
// configuration, then the hyperlink DRF's HyperlinkedModelSerializer adds,
// then the model's fields.
func appendCall(b []byte, base string, c *core.Call) []byte {
	b = append(b, `{"uuid":"`...)
	b = links.AppendHex(b, c.UUID)
	b = append(b, `","url":"`...)
	b = appendStringBody(b, base)
	b = append(b, callsPath...)
	b = links.AppendHex(b, c.UUID)
	b = append(b, `/","name":`...)
	b = appendString(b, c.Name)
	b = append(b, `,"description":`...)
	b = appendString(b, c.Description)
	b = append(b, `,"state":`...)
	b = appendString(b, c.State)
	b = append(b, `,"created":`...)
	b = appendTime(b, c.Created)
	b = append(b, `,"modified":`...)
	b = appendTime(b, c.Modified)
	return append(b, '}')
}

func appendList[T any](b []byte, base string, items []T, one func([]byte, string, T) []byte) []byte {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = one(b, base, it)
	}
	return append(b, ']')
}

func appendDetail(b []byte, msg string) []byte {
	b = append(b, `{"detail":`...)
	b = appendString(b, msg)
	return append(b, '}')
}

// fieldOrder is the serializers' field order, which DRF keeps in error
// dicts; names it does not know follow in alphabetical order, and errors
// about the whole body come last.
var fieldOrder = map[string]int{
	core.FieldCall:                         1,
	core.FieldAutoReassignOnDecline:        2,
	core.FieldMaxAutoReassignAttempts:      3,
	core.FieldAssignmentExpirationDays:     4,
	core.FieldSendReminderBeforeExpiryDays: 5,
	"username":                             6,
	"password":                             7,
	core.NonFieldErrors:                    1 << 20,
}

func appendFieldErrors(b []byte, fe core.FieldErrors) []byte {
	names := make([]string, 0, len(fe))
	for name := range fe {
		names = append(names, name)
	}
	rank := func(name string) int {
		if r, ok := fieldOrder[name]; ok {
			return r
		}
		return 1 << 10
	}
	slices.SortFunc(names, func(x, y string) int {
		if rx, ry := rank(x), rank(y); rx != ry {
			return rx - ry
		}
		if x < y {
			return -1
		}
		if x > y {
			return 1
		}
		return 0
	})
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ":["...)
		for j, msg := range fe[name] {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, msg)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}
