package pyutf8

import "testing"

// Expected values from CPython: bytes.decode("utf-8", "replace"), and
// codecs.getreader("utf-8")(io.BytesIO(b)).read() with str(exc) on failure.
func TestCodecIsCPythons(t *testing.T) {
	for _, c := range []struct {
		name, in, replaced, read, err string
	}{
		{"valid two-byte sequence", "caf\xc3\xa9", "café", "café", ""},
		{"valid four-byte sequence", "a\xf0\x9f\x98\x80b", "a😀b", "a😀b", ""},
		{"empty", "", "", "", ""},
		{"truncated sequence before ASCII", "\xe2\x82x", "\uFFFDx", "", "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte"},
		{"truncated three-byte sequence at the end", "\xe2\x82", "\uFFFD", "", ""},
		{"truncated four-byte sequence at the end", "\xf0\x9f\x98", "\uFFFD", "", ""},
		{"two invalid start bytes", "\xff\xfe", "\uFFFD\uFFFD", "", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"},
		{"encoded surrogate", "\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD", "", "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"},
		{"truncated sequence before a byte that is not a continuation", "\xf0\x9f(", "\uFFFD(", "", "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte"},
		{"overlong two-byte sequence", "\xc0\x80", "\uFFFD\uFFFD", "", "'utf-8' codec can't decode byte 0xc0 in position 0: invalid start byte"},
		{"overlong three-byte sequence", "\xe0\x80", "\uFFFD\uFFFD", "", "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte"},
		{"above U+10FFFF", "\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD", "", "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte"},
		{"lone continuation byte", "x\x80y", "x\uFFFDy", "", "'utf-8' codec can't decode byte 0x80 in position 1: invalid start byte"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := DecodeReplace([]byte(c.in)); got != c.replaced {
				t.Errorf("DecodeReplace(%q) = %q, want %q", c.in, got, c.replaced)
			}
			text, err := ReadStream([]byte(c.in))
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if msg != c.err || (err == nil && string(text) != c.read) {
				t.Errorf("ReadStream(%q) = %q, %q; want %q, %q", c.in, text, msg, c.read, c.err)
			}
		})
	}
}
