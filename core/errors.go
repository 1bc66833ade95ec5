// Package core holds the rules of the service: defaults, validation,
// visibility, permissions, uniqueness, throttling, and the order in which a
// request's checks are reported (401, 404, 403, 400). The REST and GraphQL
// faces and the admin CLI call it and only translate its values and errors
// (values with a Kind) to their wire formats. It holds no SQL (that is db's,
// behind db.Store) and knows no wire format: no HTTP status, no JSON, no
// GraphQL.
package core

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callcfg/callcfg/db"
)

// Kind says what went wrong, so that each face can pick its status code or
// error code in one place.
type Kind int

const (
	KindInternal Kind = iota
	KindUnauthenticated
	KindNotFound
	KindForbidden
	KindInvalid
	KindConflict
	KindUnavailable
	// KindThrottled: too many requests; Error.RetryAfter says when to retry.
	KindThrottled
)

func (k Kind) String() string {
	switch k {
	case KindUnauthenticated:
		return "unauthenticated"
	case KindNotFound:
		return "not found"
	case KindForbidden:
		return "forbidden"
	case KindInvalid:
		return "invalid"
	case KindConflict:
		return "conflict"
	case KindUnavailable:
		return "unavailable"
	case KindThrottled:
		return "throttled"
	}
	return "internal"
}

// FieldErrors maps a field name (as REST spells it) to its messages.
// NonFieldErrors holds errors that belong to no single field.
type FieldErrors map[string][]string

const NonFieldErrors = "non_field_errors"

func (fe FieldErrors) Add(field, msg string) {
	fe[field] = append(fe[field], msg)
}

// Merge adds every message of other.
func (fe FieldErrors) Merge(other FieldErrors) {
	for f, msgs := range other {
		fe[f] = append(fe[f], msgs...)
	}
}

// Error is the one error type the core returns to the faces. Message is safe
// to show to a client; anything else (a driver error) is wrapped as internal
// and its text never leaves the server.
type Error struct {
	Kind    Kind
	Message string
	Fields  FieldErrors
	// RetryAfter is how long a throttled client should wait.
	RetryAfter time.Duration
	cause      error
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up and at least
// 1, as Retry-After headers and DRF's throttle message count it.
func (e *Error) RetryAfterSeconds() int {
	return retrySeconds(e.RetryAfter)
}

func retrySeconds(d time.Duration) int {
	s := d / time.Second
	if d%time.Second != 0 {
		s++
	}
	return int(max(1, min(s, math.MaxInt32)))
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.String())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Fields) > 0 {
		names := make([]string, 0, len(e.Fields))
		for f := range e.Fields {
			names = append(names, f)
		}
		sort.Strings(names)
		for _, f := range names {
			fmt.Fprintf(&b, "; %s: %s", f, strings.Join(e.Fields[f], " "))
		}
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.cause }

// KindOf returns the kind of err; errors that are not *Error are internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// AsError returns err as *Error, wrapping foreign errors as internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Message: MsgServerError, cause: err}
}

// Messages shown to clients. They are the upstream Django REST Framework
// service's, so that one form can show errors from either face.
const (
	MsgNotAuthenticated = "Authentication credentials were not provided."
	MsgInvalidToken     = "Invalid token."
	MsgForbidden        = "You do not have permission to perform this action."
	MsgConfigNotFound   = "No CallAssignmentConfiguration matches the given query."
	MsgCallNotFound     = "No Call matches the given query."
	MsgServerError      = "A server error occurred."
	MsgUnavailable      = "The database is unavailable; try again later."
	MsgRequired         = "This field is required."
	MsgNull             = "This field may not be null."
	MsgInvalidInteger   = "A valid integer is required."
	MsgInvalidBoolean   = "Must be a valid boolean."
	MsgMinValue         = "Ensure this value is greater than or equal to 0."
	MsgMaxValue         = "Ensure this value is less than or equal to 2147483647."
	MsgCallDoesNotExist = "Invalid hyperlink - Object does not exist."
	MsgCallHasConfig    = "call assignment configuration with this call already exists."
	MsgBadCredentials   = "Unable to log in with provided credentials."
	MsgStale            = "The object was changed by someone else since you read it."
	MsgInvalidCursor    = "Invalid cursor."
)

func errUnauthenticated(msg string) error { return &Error{Kind: KindUnauthenticated, Message: msg} }
func errNotFound(msg string) error        { return &Error{Kind: KindNotFound, Message: msg} }
func errForbidden() error                 { return &Error{Kind: KindForbidden, Message: MsgForbidden} }
func errInvalid(fe FieldErrors) error {
	return &Error{Kind: KindInvalid, Message: "Invalid input.", Fields: fe}
}
func errInvalidField(field, msg string) error { return errInvalid(FieldErrors{field: {msg}}) }

// errThrottled says DRF's Throttled text, so that a legacy client's handling
// of upstream throttling works unchanged.
func errThrottled(wait time.Duration) error {
	n := retrySeconds(wait)
	unit := " seconds."
	if n == 1 {
		unit = " second."
	}
	return &Error{Kind: KindThrottled, RetryAfter: wait,
		Message: "Request was throttled. Expected available in " + strconv.Itoa(n) + unit}
}

// errInternal keeps the cause for the server log. A database that cannot be
// reached is its own kind, so clients learn to retry rather than report a bug.
func errInternal(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) {
		// The client went away (or the server is stopping): nobody reads
		// the answer, and it is no bug.
		return &Error{Kind: KindUnavailable, Message: "The request was canceled.", cause: err}
	}
	if db.Unavailable(err) {
		return &Error{Kind: KindUnavailable, Message: MsgUnavailable, cause: err}
	}
	return &Error{Kind: KindInternal, Message: MsgServerError, cause: err}
}
