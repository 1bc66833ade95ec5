package rest

import (
	"bytes"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
)

// input is a request body as DRF's parsers hand it to a serializer: the
// members of a JSON object, or the fields of a form.
type input struct {
	// html: the body is a form, and DRF's HTML input rules apply: an empty
	// value is an absent one, and on a full write an absent boolean is
	// false (an unticked checkbox sends nothing).
	html    bool
	members []jsonMember
}

// get returns the value of a field; the last of repeated ones wins, as in
// a dict or a QueryDict.
func (in *input) get(name string) (jsonValue, bool) {
	for i := len(in.members) - 1; i >= 0; i-- {
		if in.members[i].key == name {
			return in.members[i].val, true
		}
	}
	return jsonValue{}, false
}

// readInput reads and parses the body the way DRF's request.data does. An
// empty body is an empty dict (an empty form for form media types) whatever
// the Content-Type; otherwise the Content-Type must name one of the route's
// parsers.
func (h *handler) readInput(x *exchange) (*input, error) {
	body, err := h.readBody(x)
	if err != nil {
		return nil, err
	}
	contentType := x.r.Header.Get("Content-Type")
	if len(body) == 0 {
		return &input{html: isFormMediaType(contentType)}, nil
	}
	parser, ok := parserFor(x, contentType)
	if !ok {
		return nil, errUnsupportedMediaType(contentType)
	}
	if parser == mediaForm {
		return formInput(body), nil
	}
	top, members, msg := decodePyJSON(body)
	switch {
	case msg != "":
		return nil, errJSONParse(msg)
	case top.kind == jsonNull:
		return nil, errFields(core.FieldErrors{core.NonFieldErrors: {msgNoData}})
	case top.kind != jsonObject:
		return nil, errFields(core.FieldErrors{core.NonFieldErrors: {msgNotADict(top.kind)}})
	}
	return &input{members: members}, nil
}

func (h *handler) readBody(x *exchange) ([]byte, error) {
	r := x.r
	if r.ContentLength > h.limit {
		return nil, errTooLarge(h.limit)
	}
	var body bytes.Buffer
	if r.ContentLength > 0 {
		body.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if _, err := body.ReadFrom(http.MaxBytesReader(x.w, r.Body, h.limit)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errTooLarge(h.limit)
		}
		return nil, errUnreadable
	}
	return body.Bytes(), nil
}

// formInput is Django's QueryDict of a urlencoded body; bytes that are not
// UTF-8 are read as Latin-1, as Django falls back to.
func formInput(body []byte) *input {
	s := string(body)
	if !utf8.Valid(body) {
		runes := make([]rune, len(body))
		for i, c := range body {
			runes[i] = rune(c)
		}
		s = string(runes)
	}
	pairs := parseQS(s)
	in := &input{html: true, members: make([]jsonMember, len(pairs))}
	for i, p := range pairs {
		in.members[i] = jsonMember{key: p.name, val: jsonValue{kind: jsonString, s: p.value}}
	}
	return in
}

func addError(fe *core.FieldErrors, field, msg string) {
	if *fe == nil {
		*fe = core.FieldErrors{}
	}
	fe.Add(field, msg)
}

// settingsPatch reads the four settings. partial is PATCH; on POST and PUT
// a form without the boolean means false.
func settingsPatch(in *input, partial bool) core.Patch {
	var p core.Patch
	p.AutoReassignOnDecline = boolField(in, core.FieldAutoReassignOnDecline, partial, &p.DecodeErrors)
	p.MaxAutoReassignAttempts = intField(in, core.FieldMaxAutoReassignAttempts, &p.DecodeErrors)
	p.AssignmentExpirationDays = intField(in, core.FieldAssignmentExpirationDays, &p.DecodeErrors)
	p.SendReminderBeforeExpiryDays = intField(in, core.FieldSendReminderBeforeExpiryDays, &p.DecodeErrors)
	return p
}

func intField(in *input, name string, fe *core.FieldErrors) core.Opt[int64] {
	v, ok := in.get(name)
	switch {
	case !ok || (in.html && v.s == ""):
		return core.Opt[int64]{}
	case v.kind == jsonNull:
		return core.Null[int64]()
	}
	n, ok, msg := coerceInt(v)
	if !ok {
		if msg == "" {
			msg = core.MsgInvalidInteger
		}
		addError(fe, name, msg)
		return core.Opt[int64]{}
	}
	return core.Some(n)
}

func boolField(in *input, name string, partial bool, fe *core.FieldErrors) core.Opt[bool] {
	v, ok := in.get(name)
	switch {
	case !ok && in.html && !partial:
		return core.Some(false)
	case !ok || (in.html && v.s == ""):
		return core.Opt[bool]{}
	case v.kind == jsonNull:
		return core.Null[bool]()
	}
	b, ok := coerceBool(v)
	if !ok {
		addError(fe, name, core.MsgInvalidBoolean)
		return core.Opt[bool]{}
	}
	return core.Some(b)
}

// callField reads the call a new configuration belongs to, as DRF's
// HyperlinkedRelatedField does, and also as a bare uuid. A string that
// names no call is reported like a call the user cannot see.
func (h *handler) callField(in *input, fe *core.FieldErrors) core.Opt[uuid.UUID] {
	v, ok := in.get(core.FieldCall)
	switch {
	case !ok:
		return core.Opt[uuid.UUID]{}
	case v.kind == jsonNull || (v.kind == jsonString && v.s == ""):
		// A relation turns "" into None.
		return core.Null[uuid.UUID]()
	case v.kind != jsonString:
		addError(fe, core.FieldCall, msgIncorrectURLType(v.kind))
		return core.Opt[uuid.UUID]{}
	}
	if id, ok := h.callRef(v.s); ok {
		return core.Some(id)
	}
	addError(fe, core.FieldCall, core.MsgCallDoesNotExist)
	return core.Opt[uuid.UUID]{}
}

// callRef resolves a call reference: a uuid, or the call's URL, absolute
// (any host: DRF looks only at the path) or as a path.
func (h *handler) callRef(s string) (uuid.UUID, bool) {
	if id, ok := parseUUID(s); ok {
		return id, true
	}
	path := s
	if strings.HasPrefix(s, "http:") || strings.HasPrefix(s, "https:") {
		path = urlPath(s)
	}
	path = pyUnquote(path, false)
	if h.prefix != "" && strings.HasPrefix(path, h.prefix+"/") {
		path = path[len(h.prefix):]
	}
	seg, ok := detailSegment(path, callsPath)
	if !ok {
		return uuid.UUID{}, false
	}
	return parseUUID(seg)
}

// urlPath is urllib.parse.urlparse(s).path for an http(s) URL.
func urlPath(s string) string {
	s = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(s)
	_, rest, _ := strings.Cut(s, ":")
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		i := strings.IndexAny(rest, "/?#")
		if i < 0 {
			return ""
		}
		rest = rest[i:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	// urlparse splits ";params" off the last segment of http URLs.
	if i := strings.IndexByte(rest[strings.LastIndexByte(rest, '/')+1:], ';'); i >= 0 {
		rest = rest[:strings.LastIndexByte(rest, '/')+1+i]
	}
	return rest
}

// charField is DRF's CharField (required, no blank) as the login form uses it.
func charField(in *input, name string, trim bool, fe *core.FieldErrors) string {
	v, ok := in.get(name)
	if !ok {
		addError(fe, name, core.MsgRequired)
		return ""
	}
	var s string
	switch v.kind {
	case jsonString:
		s = v.s
	case jsonInt:
		s = v.s
	case jsonFloat:
		s = pyFloatRepr(v.f)
	case jsonNull:
		addError(fe, name, core.MsgNull)
		return ""
	default:
		addError(fe, name, msgNotAString)
		return ""
	}
	if trim {
		s = strings.TrimFunc(s, isPySpace)
	}
	switch {
	case s == "":
		addError(fe, name, msgBlank)
		return ""
	case strings.IndexByte(s, 0) >= 0:
		addError(fe, name, msgNullCharacters)
		return ""
	}
	return s
}

// pyFloatRepr is Python's repr(float).
func pyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	// Both use the shortest digits that read back; Python switches to an
	// exponent (with at least two digits, as Go's 'e' has) outside 1e-4..1e16.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	if exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:]); exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}
