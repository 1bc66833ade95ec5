package model

import (
	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
)

// cursors makes the cursor of the i-th node of a page (core.Connection).
type cursors interface {
	Cursor(i int) string
}

// PageInfo is Relay's page information. Its cursors are made when
// selected.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	page            cursors
	n               int
}

func (p *PageInfo) StartCursor() *string { return p.cursor(0) }

func (p *PageInfo) EndCursor() *string { return p.cursor(p.n - 1) }

func (p *PageInfo) cursor(i int) *string {
	if p.n == 0 {
		return nil
	}
	c := p.page.Cursor(i)
	return &c
}

// CallAssignmentConfigurationEdge is a node and, when selected, its cursor.
type CallAssignmentConfigurationEdge struct {
	Node *Config
	page cursors
	i    int
}

func (e *CallAssignmentConfigurationEdge) Cursor() string { return e.page.Cursor(e.i) }

// CallAssignmentConfigurationConnection keeps the filter it was read with,
// because totalCount is counted only when selected, by its own resolver.
// Edges and page information are made when selected.
type CallAssignmentConfigurationConnection struct {
	Nodes  []*Config
	Filter core.ConfigFilter
	page   *core.Connection[*core.Config]
}

func (c *CallAssignmentConfigurationConnection) Edges() []*CallAssignmentConfigurationEdge {
	edges := make([]*CallAssignmentConfigurationEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		edges[i] = &CallAssignmentConfigurationEdge{Node: n, page: c.page, i: i}
	}
	return edges
}

func (c *CallAssignmentConfigurationConnection) PageInfo() *PageInfo {
	return &PageInfo{HasNextPage: c.page.HasNextPage, HasPreviousPage: c.page.HasPreviousPage, page: c.page, n: len(c.Nodes)}
}

// CallEdge is a node and, when selected, its cursor.
type CallEdge struct {
	Node *Call
	page cursors
	i    int
}

func (e *CallEdge) Cursor() string { return e.page.Cursor(e.i) }

// CallConnection is CallAssignmentConfigurationConnection's twin.
type CallConnection struct {
	Nodes  []*Call
	Filter core.CallFilter
	page   *core.Connection[*core.Call]
}

func (c *CallConnection) Edges() []*CallEdge {
	edges := make([]*CallEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		edges[i] = &CallEdge{Node: n, page: c.page, i: i}
	}
	return edges
}

func (c *CallConnection) PageInfo() *PageInfo {
	return &PageInfo{HasNextPage: c.page.HasNextPage, HasPreviousPage: c.page.HasPreviousPage, page: c.page, n: len(c.Nodes)}
}

// ConfigConnection converts a page of the core.
func ConfigConnection(c *core.Connection[*core.Config], f core.ConfigFilter) *CallAssignmentConfigurationConnection {
	out := &CallAssignmentConfigurationConnection{Nodes: make([]*Config, len(c.Edges)), Filter: f, page: c}
	for i, e := range c.Edges {
		out.Nodes[i] = ConfigOf(e.Node)
	}
	return out
}

// CallConnectionOf converts a page of the core.
func CallConnectionOf(c *core.Connection[*core.Call], f core.CallFilter) *CallConnection {
	out := &CallConnection{Nodes: make([]*Call, len(c.Edges)), Filter: f, page: c}
	for i, e := range c.Edges {
		out.Nodes[i] = CallOf(e.Node)
	}
	return out
}

// DeleteCallAssignmentConfigurationPayload keeps the call's id so that its
// call field can be loaded only when selected.
type DeleteCallAssignmentConfigurationPayload struct {
	DeletedUUID      uuid.UUID
	DeletedID        string
	ClientMutationID *string
	CallID           int64
}
