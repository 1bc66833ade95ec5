package db

import (
	"time"

	"github.com/google/uuid"
)

// Scope narrows a query to what one viewer may see: everything, or the calls
// on which UserID holds a role. The core decides which; this package only
// turns it into SQL. Manages says the viewer manages everything it sees
// (staff), so the per-row access columns need not be computed.
type Scope struct {
	All     bool
	UserID  int64
	Manages bool
}

// Access is what a viewer holds on one call, read in the same statement as
// the row so that a permission check costs no extra round trip.
type Access struct {
	HasRole     bool
	IsManager   bool
	IsOrganizer bool
}

// ConfigRow is a configuration with its call's public fields and the
// viewer's access to that call.
type ConfigRow struct {
	Configuration
	CallOrgID       int64
	CallState       string
	CallDescription string
	CallCreated     time.Time
	CallModified    time.Time
	Access
}

// CallRow is a call with the viewer's access to it.
type CallRow struct {
	Call
	Access
}

// Order is one sort key. Column is one of the Order* names below.
type Order struct {
	Column string
	Desc   bool
}

// Sortable columns, with the tables aliased as the queries below alias them.
const (
	OrderConfigCreated  = "cfg.created"
	OrderConfigModified = "cfg.modified"
	OrderConfigCallName = "c.name"
	OrderConfigID       = "cfg.id"
	OrderCallCreated    = "c.created"
	OrderCallModified   = "c.modified"
	OrderCallName       = "c.name"
	OrderCallID         = "c.id"
)

// Page selects a window of an ordered list: either Offset (page numbers) or
// a keyset Seek holding the values of every Order column of the row to start
// after. Reverse flips every direction, for reading backwards from a cursor.
type Page struct {
	Order   []Order
	Seek    []any
	Offset  int
	Limit   int
	Reverse bool
}

type ConfigFilter struct {
	CallUUID     *uuid.UUID
	CallState    string
	AutoReassign *bool
}

type CallFilter struct {
	State string
}

// Now is the clock used for created and modified: UTC, truncated to the
// microseconds both databases keep, so what a write returns is what a later
// read sees.
func Now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}
