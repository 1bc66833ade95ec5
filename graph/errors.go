package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/graph/model"
)

// Codes of extensions.code beyond gqlgen's own parse and validation codes.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeConflict        = "CONFLICT"
	CodeUnavailable     = "UNAVAILABLE"
	CodeRateLimited     = "RATE_LIMITED"
	CodeInternal        = "INTERNAL_SERVER_ERROR"
)

var kindCodes = map[core.Kind]string{
	core.KindUnauthenticated: CodeUnauthenticated,
	core.KindForbidden:       CodeForbidden,
	core.KindNotFound:        CodeNotFound,
	core.KindInvalid:         CodeBadUserInput,
	core.KindConflict:        CodeConflict,
	core.KindUnavailable:     CodeUnavailable,
	core.KindThrottled:       CodeRateLimited,
}

// Codes of the live feed's own refusals and ends (the others are the
// core's: UNAUTHENTICATED, NOT_FOUND, UNAVAILABLE, RATE_LIMITED).
const (
	CodeSubscriberTooSlow         = "SUBSCRIBER_TOO_SLOW"
	CodeSubscriptionLimitExceeded = "SUBSCRIPTION_LIMIT_EXCEEDED"
	CodeConnectionLimitExceeded   = "CONNECTION_LIMIT_EXCEEDED"
)

var feedCodes = map[feed.Reason]string{
	feed.ReasonTooSlow:           CodeSubscriberTooSlow,
	feed.ReasonSubscriptionLimit: CodeSubscriptionLimitExceeded,
	feed.ReasonConnectionLimit:   CodeConnectionLimitExceeded,
}

// errPanic stands for a recovered panic, already logged with its stack.
var errPanic = errors.New("panic in resolver")

// presenter is the one place where errors become what clients see. Only
// messages made for clients pass: the core's, the scalars', and gqlgen's own
// (parse, validation, limits). Anything else is logged and shown as a
// generic internal error, so no SQL or driver text ever leaves the server.
type presenter struct {
	log *slog.Logger
}

func (p presenter) present(ctx context.Context, err error) *gqlerror.Error {
	var (
		gqlErr  *gqlerror.Error
		coreErr *core.Error
		inErr   *model.InputError
		feedErr *feed.Error
	)
	errors.As(err, &gqlErr)
	out := &gqlerror.Error{}
	if gqlErr != nil {
		out.Path, out.Locations = gqlErr.Path, gqlErr.Locations
	} else {
		out.Path = graphql.GetPath(ctx)
	}
	switch {
	case errors.As(err, &coreErr) && coreErr.Kind != core.KindInternal:
		code := kindCodes[coreErr.Kind]
		out.Message = coreErr.Message
		out.Extensions = map[string]any{"code": code}
		switch {
		case code == CodeBadUserInput && len(coreErr.Fields) > 0:
			out.Message = inputMessage(coreErr.Fields)
			out.Extensions["fields"] = inputFields(coreErr.Fields)
		case code == CodeRateLimited:
			out.Extensions["retryAfter"] = coreErr.RetryAfterSeconds()
		}
		return out
	case errors.As(err, &feedErr) && feedCodes[feedErr.Reason] != "":
		out.Message = feedErr.Message
		out.Extensions = map[string]any{"code": feedCodes[feedErr.Reason]}
		return out
	case errors.As(err, &inErr):
		field := inputFieldOf(out.Path)
		out.Message = inErr.Message
		out.Extensions = map[string]any{"code": CodeBadUserInput}
		if field != "" {
			fe := core.FieldErrors{restName(field): {inErr.Message}}
			out.Message = inputMessage(fe)
			out.Extensions["fields"] = inputFields(fe)
		}
		return out
	case gqlErr != nil && gqlErr.Unwrap() == nil:
		// Made by gqlgen or gqlparser for the client: keep as is, with a
		// code where gqlgen gave none (its APQ extension's "provided APQ
		// hash does not match query", say): outside any field it is about
		// the request; inside one it is gqlgen noticing a resolver broke
		// the schema ("must not be null").
		if _, ok := gqlErr.Extensions["code"].(string); !ok {
			code := CodeBadRequest
			if graphql.GetFieldContext(ctx) != nil {
				code = CodeInternal
			}
			errcode.Set(gqlErr, code)
		}
		return gqlErr
	}
	if !errors.Is(err, errPanic) {
		p.log.ErrorContext(ctx, "graphql: internal error", "path", out.Path.String(), "error", err.Error())
	}
	out.Message = core.MsgServerError
	out.Extensions = map[string]any{"code": CodeInternal}
	return out
}

func (p presenter) recover(ctx context.Context, v any) error {
	p.log.ErrorContext(ctx, "graphql: panic", "path", graphql.GetPath(ctx).String(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	return errPanic
}

// FieldError is one entry of extensions.fields of BAD_USER_INPUT, keyed by
// the field's GraphQL name; RestField is the name REST uses for it.
type FieldError struct {
	RestField string   `json:"restField"`
	Messages  []string `json:"messages"`
}

// graphOnlyFields are input fields REST does not have, by their key in
// core.FieldErrors: their GraphQL name and the REST field that means the
// same object.
var graphOnlyFields = map[string]struct{ graph, rest string }{
	fieldConfigID: {"id", "uuid"},
	fieldCallID:   {"callId", core.FieldCall},
}

func inputFields(fe core.FieldErrors) map[string]FieldError {
	out := make(map[string]FieldError, len(fe))
	for key, msgs := range fe {
		if f, ok := graphOnlyFields[key]; ok {
			out[f.graph] = FieldError{RestField: f.rest, Messages: msgs}
			continue
		}
		out[graphName(key)] = FieldError{RestField: key, Messages: msgs}
	}
	return out
}

// inputMessage names every failing field, for clients that show only the
// message (the playground).
func inputMessage(fe core.FieldErrors) string {
	names := make([]string, 0, len(fe))
	for rest := range fe {
		names = append(names, rest)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, rest := range names {
		parts[i] = graphName(rest) + ": " + strings.Join(fe[rest], " ")
	}
	return "Invalid input: " + strings.Join(parts, "; ")
}

// The core names fields as REST does; GraphQL's input names differ only in
// case, except the call, which an input names by its uuid.
func graphName(rest string) string {
	if f, ok := graphOnlyFields[rest]; ok {
		return f.graph
	}
	if rest == core.FieldCall {
		return "callUuid"
	}
	parts := strings.Split(rest, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func restName(graph string) string {
	if graph == "callUuid" {
		return core.FieldCall
	}
	var b strings.Builder
	for _, r := range graph {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// inputFieldOf is the innermost named step of the path of a value a scalar
// refused: the input field or argument it was given for.
func inputFieldOf(path ast.Path) string {
	for i := len(path) - 1; i >= 0; i-- {
		if name, ok := path[i].(ast.PathName); ok {
			return string(name)
		}
	}
	return ""
}
