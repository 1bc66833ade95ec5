package model

import (
	"context"

	"github.com/callcfg/callcfg/core"
)

type CallAssignmentConfigurationChangeEdge struct {
	Cursor string
	Node   *core.Change
}

// CallAssignmentConfigurationChangeConnection is a page of the feed or of a
// history. Count counts what it lists, and runs only when totalCount is
// selected: the feed counts under its filter, a history through its
// request's batch.
type CallAssignmentConfigurationChangeConnection struct {
	Edges    []*CallAssignmentConfigurationChangeEdge
	Nodes    []*core.Change
	PageInfo *PageInfo
	Count    func(context.Context) (int64, error)
}

// ChangeConnectionOf converts a page of the core.
func ChangeConnectionOf(c *core.Connection[*core.Change], count func(context.Context) (int64, error)) *CallAssignmentConfigurationChangeConnection {
	out := &CallAssignmentConfigurationChangeConnection{
		Edges: make([]*CallAssignmentConfigurationChangeEdge, len(c.Edges)),
		Nodes: make([]*core.Change, len(c.Edges)),
		Count: count,
	}
	for i, e := range c.Edges {
		out.Edges[i] = &CallAssignmentConfigurationChangeEdge{Cursor: e.Node.Cursor, Node: e.Node}
		out.Nodes[i] = e.Node
	}
	out.PageInfo = &PageInfo{HasNextPage: c.HasNextPage, HasPreviousPage: c.HasPreviousPage, page: c, n: len(c.Edges)}
	return out
}
