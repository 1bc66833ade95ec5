package model

import (
	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
)

// PageInfo is Relay's page information.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

type CallAssignmentConfigurationEdge struct {
	Cursor string
	Node   *Config
}

// CallAssignmentConfigurationConnection keeps the filter it was read with,
// because totalCount is counted only when selected, by its own resolver.
type CallAssignmentConfigurationConnection struct {
	Edges    []*CallAssignmentConfigurationEdge
	Nodes    []*Config
	PageInfo *PageInfo
	Filter   core.ConfigFilter
}

type CallEdge struct {
	Cursor string
	Node   *Call
}

type CallConnection struct {
	Edges    []*CallEdge
	Nodes    []*Call
	PageInfo *PageInfo
	Filter   core.CallFilter
}

// ConfigConnection converts a page of the core.
func ConfigConnection(c *core.Connection[*core.Config], f core.ConfigFilter) *CallAssignmentConfigurationConnection {
	out := &CallAssignmentConfigurationConnection{
		Edges:  make([]*CallAssignmentConfigurationEdge, len(c.Edges)),
		Nodes:  make([]*Config, len(c.Edges)),
		Filter: f,
	}
	for i, e := range c.Edges {
		out.Edges[i] = &CallAssignmentConfigurationEdge{Cursor: e.Cursor, Node: ConfigOf(e.Node)}
		out.Nodes[i] = ConfigOf(e.Node)
	}
	out.PageInfo = pageInfo(c.HasNextPage, c.HasPreviousPage, c.Edges)
	return out
}

// CallConnectionOf converts a page of the core.
func CallConnectionOf(c *core.Connection[*core.Call], f core.CallFilter) *CallConnection {
	out := &CallConnection{
		Edges:  make([]*CallEdge, len(c.Edges)),
		Nodes:  make([]*Call, len(c.Edges)),
		Filter: f,
	}
	for i, e := range c.Edges {
		out.Edges[i] = &CallEdge{Cursor: e.Cursor, Node: CallOf(e.Node)}
		out.Nodes[i] = CallOf(e.Node)
	}
	out.PageInfo = pageInfo(c.HasNextPage, c.HasPreviousPage, c.Edges)
	return out
}

func pageInfo[T any](next, prev bool, edges []core.Edge[T]) *PageInfo {
	pi := &PageInfo{HasNextPage: next, HasPreviousPage: prev}
	if n := len(edges); n > 0 {
		start, end := edges[0].Cursor, edges[n-1].Cursor
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}

// DeleteCallAssignmentConfigurationPayload keeps the call's id so that its
// call field can be loaded only when selected.
type DeleteCallAssignmentConfigurationPayload struct {
	DeletedUUID      uuid.UUID
	DeletedID        string
	ClientMutationID *string
	CallID           int64
}
