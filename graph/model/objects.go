package model

import (
	"context"
	"io"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/links"
)

// Config is the core's configuration as the schema shows it: the same
// struct (a conversion, ConfigOf, not a copy), with what only GraphQL has
// as methods without a context, so that gqlgen resolves them inline
// instead of as resolvers: the global id and the call, which the core
// reads with every configuration.
type Config core.Config

// Call is the core's call as the schema shows it, like Config.
type Call core.Call

// ConfigOf is c as the schema's type; nil stays nil.
func ConfigOf(c *core.Config) *Config { return (*Config)(c) }

// CallOf is c as the schema's type; nil stays nil.
func CallOf(c *core.Call) *Call { return (*Call)(c) }

// GlobalID is the configuration's id.
func (c *Config) GlobalID() string { return GlobalID(TypeConfig, c.UUID) }

// Call is the configuration's call, as read with it.
func (c *Config) Call() *Call { return CallOf((*core.Config)(c).Call()) }

// GlobalID is the call's id.
func (c *Call) GlobalID() string { return GlobalID(TypeCall, c.UUID) }

// StateEnum is the call's state as the schema's enum names it.
func (c *Call) StateEnum() CallState {
	switch c.State {
	case core.CallStateDraft:
		return CallStateDraft
	case core.CallStateActive:
		return CallStateActive
	case core.CallStateArchived:
		return CallStateArchived
	}
	return CallState(strings.ToUpper(c.State))
}

// URL is the call's REST resource, which REST shows as a configuration's
// call. Its base depends on the request, so it is written when the answer
// is (see Link).
func (c *Call) URL() Link { return Link{path: links.CallsPath, id: c.UUID} }

// Link is an absolute link to a REST resource, a String of the schema. Its
// scheme and host are those of the request being answered, which the
// context carries (WithLinkBase): a link is resolved like any plain field,
// and completed as it is written.
type Link struct {
	path string
	id   uuid.UUID
}

type linkBaseKey struct{}

// WithLinkBase makes base the base of the links written under ctx.
func WithLinkBase(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, linkBaseKey{}, base)
}

// MarshalGQLContext writes the link as a JSON string.
func (l Link) MarshalGQLContext(ctx context.Context, w io.Writer) error {
	base, _ := ctx.Value(linkBaseKey{}).(string)
	graphql.MarshalString(string(links.AppendResource(make([]byte, 0, len(base)+len(l.path)+33), base, l.path, l.id))).MarshalGQL(w)
	return nil
}

// UnmarshalGQLContext refuses every input: links are output only, and no
// input of the schema is bound to Link.
func (*Link) UnmarshalGQLContext(context.Context, any) error {
	return &InputError{"A link cannot be an input."}
}
