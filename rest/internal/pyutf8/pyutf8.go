// Package pyutf8 is CPython's UTF-8 codec, as far as the upstream service
// uses it on what a client sends: the strict stream reader DRF's JSON parser
// reads a body through (with Python's UnicodeDecodeError text), and the
// "replace" error handler urllib.parse applies to query strings and forms.
//
// CPython replaces or reports each maximal invalid subpart of a sequence,
// where Go's decoders go byte by byte (unicode/utf8) or run by run
// (strings.ToValidUTF8), so "\xe2\x82x" is one U+FFFD here and two in Go.
// Only the codec belongs here; what the decoded text means (JSON, queries)
// belongs to pyjson and pyform.
package pyutf8

import (
	"strconv"
	"unicode/utf8"
)

// DecodeError is the UnicodeDecodeError of a strict decode; Error is
// Python's str(exc), which the upstream service shows its clients.
type DecodeError struct {
	first      byte // the first byte of the invalid sequence
	start, end int  // the invalid sequence, end exclusive
	reason     string
}

func (e *DecodeError) Error() string {
	b := []byte("'utf-8' codec can't decode ")
	if e.end-e.start == 1 {
		b = append(b, "byte 0x"...)
		const hexdigits = "0123456789abcdef"
		b = append(b, hexdigits[e.first>>4], hexdigits[e.first&15])
		b = append(b, " in position "...)
		b = strconv.AppendInt(b, int64(e.start), 10)
	} else {
		b = append(b, "bytes in position "...)
		b = strconv.AppendInt(b, int64(e.start), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(e.end-1), 10)
	}
	b = append(b, ": "...)
	b = append(b, e.reason...)
	return string(b)
}

// ReadStream is a single read() from codecs.getreader("utf-8") over body,
// as DRF's JSONParser reads a request: it returns the valid text, silently
// dropping an incomplete sequence at the very end (the stream reader waits
// for bytes that never come), or the first invalid sequence as an error.
func ReadStream(body []byte) ([]byte, error) {
	if utf8.Valid(body) {
		return body, nil
	}
	for i := 0; i < len(body); {
		n, end, reason := sequence(body, i)
		switch {
		case reason == "":
			i += n
		case reason == "unexpected end of data":
			return body[:i], nil
		default:
			return nil, &DecodeError{first: body[i], start: i, end: end, reason: reason}
		}
	}
	return body, nil
}

// DecodeReplace is bytes.decode("utf-8", "replace"): each maximal invalid
// subpart becomes one U+FFFD.
func DecodeReplace(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		n, end, reason := sequence(b, i)
		if reason == "" {
			out = append(out, b[i:i+n]...)
			i += n
			continue
		}
		out = append(out, "\uFFFD"...)
		i = end
	}
	return string(out)
}

// sequence looks at the sequence starting at i as CPython's decoder does.
// It returns its length when valid; otherwise the end of the maximal
// invalid subpart (which one U+FFFD replaces) and the reason.
func sequence(b []byte, i int) (n, end int, reason string) {
	c := b[i]
	if c < 0x80 {
		return 1, 0, ""
	}
	var size int
	lo, hi := byte(0x80), byte(0xbf)
	switch {
	case 0xc2 <= c && c <= 0xdf:
		size = 2
	case 0xe0 <= c && c <= 0xef:
		size = 3
		if c == 0xe0 {
			lo = 0xa0
		} else if c == 0xed {
			hi = 0x9f
		}
	case 0xf0 <= c && c <= 0xf4:
		size = 4
		if c == 0xf0 {
			lo = 0x90
		} else if c == 0xf4 {
			hi = 0x8f
		}
	default:
		return 0, i + 1, "invalid start byte"
	}
	for k := 1; k < size; k++ {
		if i+k >= len(b) {
			return 0, len(b), "unexpected end of data"
		}
		cc := b[i+k]
		if cc < lo || cc > hi {
			return 0, i + k, "invalid continuation byte"
		}
		lo, hi = 0x80, 0xbf
	}
	return size, 0, ""
}
