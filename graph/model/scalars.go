// Package model holds the GraphQL types that are not the core's own: the
// scalars' wire formats, connections, and (generated, models_gen.go) inputs,
// payloads and enums.
package model

import (
	"bytes"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/callcfg/callcfg/links"
)

// InputError is a value a scalar could not read. The error presenter turns
// it into BAD_USER_INPUT for the input field it was found in.
type InputError struct{ Message string }

func (e *InputError) Error() string { return e.Message }

// MsgInvalidUUID is DRF's message for a malformed uuid, so both faces agree.
const MsgInvalidUUID = "Must be a valid UUID."

// MarshalUUID renders 32 lowercase hex digits, as REST does.
func MarshalUUID(u uuid.UUID) graphql.Marshaler { return uuidValue(u) }

type uuidValue uuid.UUID

func (u uuidValue) MarshalGQL(w io.Writer) {
	write(w, func(b []byte) []byte {
		b = append(b, '"')
		b = links.AppendHex(b, uuid.UUID(u))
		return append(b, '"')
	})
}

// write writes what appendTo appends. The executor writes its answer to a
// bytes.Buffer, whose spare capacity takes it without an allocation.
func write(w io.Writer, appendTo func([]byte) []byte) {
	if buf, ok := w.(*bytes.Buffer); ok {
		_, _ = buf.Write(appendTo(buf.AvailableBuffer()))
		return
	}
	_, _ = w.Write(appendTo(nil))
}

// UnmarshalUUID accepts the 32-digit and the dashed form in any case, like
// REST's routes; uuid.Parse alone would also take "urn:uuid:" and braces.
func UnmarshalUUID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, &InputError{MsgInvalidUUID}
	}
	if len(s) != 32 && len(s) != 36 {
		return uuid.Nil, &InputError{MsgInvalidUUID}
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, &InputError{MsgInvalidUUID}
	}
	return u, nil
}

// DateTimeLayout is REST's rendering: UTC, microseconds, "+00:00".
const DateTimeLayout = "2006-01-02T15:04:05.000000+00:00"

// MsgInvalidDateTime is DRF's message for a malformed datetime.
const MsgInvalidDateTime = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."

func MarshalDateTime(t time.Time) graphql.Marshaler { return dateTimeValue{t} }

type dateTimeValue struct{ t time.Time }

func (d dateTimeValue) MarshalGQL(w io.Writer) {
	write(w, func(b []byte) []byte {
		b = append(b, '"')
		b = d.t.UTC().AppendFormat(b, DateTimeLayout)
		return append(b, '"')
	})
}

// MarshalInt64 is graphql.MarshalInt64 (the core's settings are int64),
// without its closure: a small value makes no allocation at all.
func MarshalInt64(i int64) graphql.Marshaler { return int64Value(i) }

// UnmarshalInt64 is graphql.UnmarshalInt64.
func UnmarshalInt64(v any) (int64, error) { return graphql.UnmarshalInt64(v) }

type int64Value int64

func (i int64Value) MarshalGQL(w io.Writer) {
	write(w, func(b []byte) []byte { return strconv.AppendInt(b, int64(i), 10) })
}

// MarshalBoolean is graphql.MarshalBoolean without its allocations.
func MarshalBoolean(b bool) graphql.Marshaler {
	if b {
		return boolTrue
	}
	return boolFalse
}

// UnmarshalBoolean is graphql.UnmarshalBoolean.
func UnmarshalBoolean(v any) (bool, error) { return graphql.UnmarshalBoolean(v) }

var boolTrue, boolFalse graphql.Marshaler = boolValue("true"), boolValue("false")

type boolValue string

func (b boolValue) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, string(b)) }

// UnmarshalDateTime takes RFC 3339 with any offset. The result is in UTC so
// a client echoing back a `modified` it saw compares equal to the stored one.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, &InputError{MsgInvalidDateTime}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &InputError{MsgInvalidDateTime}
	}
	return t.UTC(), nil
}

// Node is any object with a global id. It is empty because the core's types,
// which the schema's Node types are bound to, know nothing about GraphQL.
type Node interface{}
