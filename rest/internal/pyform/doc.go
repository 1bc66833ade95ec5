// Package pyform reproduces how the upstream service's Python stack reads
// the values a client sends, apart from JSON text (pyjson's): query strings
// and urlencoded forms as Django parses them (urllib.parse, QueryDict), a
// query re-encoded as DRF's pagination links write it, URLs as DRF's
// hyperlinked fields read them, Python's int(), str.strip() and
// uuid.UUID(), and DRF's coercion of a decoded value by an IntegerField,
// BooleanField or CharField, with DRF's texts for what only decoding finds.
//
// Legacy clients send whatever the upstream service accepted ("5", 5.0,
// "yes", a uuid in braces) and compare what comes back byte for byte, so
// each function names the Python behaviour it reproduces, quirks included.
//
// Everything here is a pure function over strings and bytes. What belongs
// elsewhere: routes, status codes and the mapping of failures to responses
// (rest); which fields are required, the ranges of values and their messages
// (core); the decoding of JSON text (pyjson); the UTF-8 codec (pyutf8).
package pyform
