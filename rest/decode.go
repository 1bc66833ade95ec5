package rest

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/rest/internal/pyform"
	"github.com/callcfg/callcfg/rest/internal/pyjson"
)

// Messages of DRF (and django-filter, for ?call_uuid=) that the core has no
// word for: a body that is not an object, a call that is not a string, a
// filter that is not a uuid.
const (
	msgNoData      = "No data provided"
	msgInvalidUUID = "Enter a valid UUID."
)

func msgNotADict(kind pyjson.Kind) string {
	return "Invalid data. Expected a dictionary, but got " + kind.TypeName() + "."
}

func msgIncorrectURLType(kind pyjson.Kind) string {
	return "Incorrect type. Expected URL string, received " + kind.TypeName() + "."
}

// input is a request body as DRF's parsers hand it to a serializer: the
// members of a JSON object, or the fields of a form.
type input struct {
	// html: the body is a form, and DRF's HTML input rules apply: an empty
	// value is an absent one, and on a full write an absent boolean is
	// false (an unticked checkbox sends nothing).
	html    bool
	members []pyjson.Member
}

// get returns the value of a field; the last of repeated ones wins, as in
// a dict or a QueryDict.
func (in *input) get(name string) (pyjson.Value, bool) {
	for i := len(in.members) - 1; i >= 0; i-- {
		if in.members[i].Key == name {
			return in.members[i].Value, true
		}
	}
	return pyjson.Value{}, false
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
	top, members, err := pyjson.Decode(body)
	switch {
	case err != nil:
		return nil, errJSONParse(err.Error())
	case top.Kind == pyjson.Null:
		return nil, errFields(core.FieldErrors{core.NonFieldErrors: {msgNoData}})
	case top.Kind != pyjson.Object:
		return nil, errFields(core.FieldErrors{core.NonFieldErrors: {msgNotADict(top.Kind)}})
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

// formInput is a urlencoded body as DRF's serializers see it: every value
// a string.
func formInput(body []byte) *input {
	pairs := pyform.ParseForm(body)
	in := &input{html: true, members: make([]pyjson.Member, len(pairs))}
	for i, p := range pairs {
		in.members[i] = pyjson.Member{Key: p.Name, Value: pyjson.Value{Kind: pyjson.String, Text: p.Value}}
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
	case !ok || (in.html && v.Text == ""):
		return core.Opt[int64]{}
	case v.Kind == pyjson.Null:
		return core.Null[int64]()
	}
	n, ok, msg := pyform.CoerceInt(v)
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
	case !ok || (in.html && v.Text == ""):
		return core.Opt[bool]{}
	case v.Kind == pyjson.Null:
		return core.Null[bool]()
	}
	b, ok := pyform.CoerceBool(v)
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
	case v.Kind == pyjson.Null || (v.Kind == pyjson.String && v.Text == ""):
		// A relation turns "" into None.
		return core.Null[uuid.UUID]()
	case v.Kind != pyjson.String:
		addError(fe, core.FieldCall, msgIncorrectURLType(v.Kind))
		return core.Opt[uuid.UUID]{}
	}
	if id, ok := h.callRef(v.Text); ok {
		return core.Some(id)
	}
	addError(fe, core.FieldCall, core.MsgCallDoesNotExist)
	return core.Opt[uuid.UUID]{}
}

// callRef resolves a call reference: a uuid, or the call's URL, absolute
// (any host: DRF looks only at the path) or as a path.
func (h *handler) callRef(s string) (uuid.UUID, bool) {
	if id, ok := pyform.ParseUUID(s); ok {
		return id, true
	}
	path := s
	if strings.HasPrefix(s, "http:") || strings.HasPrefix(s, "https:") {
		path = pyform.URLPath(s)
	}
	path = pyform.Unquote(path)
	if prefix := h.links.Prefix(); prefix != "" && strings.HasPrefix(path, prefix+"/") {
		path = path[len(prefix):]
	}
	seg, ok := detailSegment(path, callsPath)
	if !ok {
		return uuid.UUID{}, false
	}
	return pyform.ParseUUID(seg)
}

// charField is DRF's CharField (required, no blank) as the login form uses it.
func charField(in *input, name string, trim bool, fe *core.FieldErrors) string {
	v, ok := in.get(name)
	switch {
	case !ok:
		addError(fe, name, core.MsgRequired)
		return ""
	case v.Kind == pyjson.Null:
		addError(fe, name, core.MsgNull)
		return ""
	}
	s, msg := pyform.CoerceString(v, trim)
	if msg != "" {
		addError(fe, name, msg)
		return ""
	}
	return s
}
