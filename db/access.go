package db

import "strconv"

// Scope narrows a query to what one viewer may see: everything, or the calls
// on which UserID holds a role. The core decides which; this package only
// turns it into SQL. Manages says the viewer manages everything it sees
// (staff), so the per-row access columns need not be computed.
//
// With Key, the viewer is the user of a key not checked yet: the statement
// reads the key itself (see KeyCheck) and All, UserID and Manages are
// computed from it, in SQL where the statement is folded with the check.
type Scope struct {
	All     bool
	UserID  int64
	Manages bool
	Key     *KeyCheck

	folded bool // the statement being built checks Key itself (CTE "a")
}

// user writes the viewer's id: a value, or the key check's column.
func user(q *sqlText, scope Scope) {
	if scope.folded {
		q.sql("a.uid")
		return
	}
	mustBeResolved(scope)
	q.arg(scope.UserID)
}

// mustBeResolved guards against a statement built for a key nobody checked:
// it would silently show the wrong rows.
func mustBeResolved(scope Scope) {
	if scope.Key != nil && !scope.folded {
		panic("db: a scope with an unchecked key reached a statement that does not check it")
	}
}

// Access is what a viewer holds on one call, read in the same statement as
// the row so that a permission check costs no extra round trip.
type Access struct {
	HasRole     bool
	IsManager   bool
	IsOrganizer bool
}

// The viewer's standing on the call aliased c, one EXISTS each: a role on
// the call, the manager role on it, the call organiser role on its
// organisation.
func hasRole(s *sqlText, scope Scope) {
	s.sql("EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ")
	user(s, scope)
	s.sql(")")
}

func isManager(s *sqlText, scope Scope) {
	s.sql("EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ")
	user(s, scope)
	s.sql(" AND r.role = 'manager')")
}

func isOrganizer(s *sqlText, scope Scope) {
	s.sql("EXISTS (SELECT 1 FROM org_roles AS o WHERE o.organisation_id = c.organisation_id AND o.user_id = ")
	user(s, scope)
	s.sql(" AND o.role = 'call_organizer')")
}

// access writes the columns of Access. For a viewer who manages everything
// they are constants: the subqueries would only cost planning time (folded
// with a key check, a CASE keeps PostgreSQL from running them for staff,
// and the columns are aliased from k<alias> on, after the row's own).
func access(s *sqlText, scope Scope, alias int) {
	switch {
	case scope.folded:
		s.sql("CASE WHEN a.is_staff THEN TRUE ELSE ")
		hasRole(s, scope)
		s.sql(" END AS k", strconv.Itoa(alias), ", CASE WHEN a.is_staff THEN TRUE ELSE ")
		isManager(s, scope)
		s.sql(" END AS k", strconv.Itoa(alias+1), ", CASE WHEN a.is_staff THEN FALSE ELSE ")
		isOrganizer(s, scope)
		s.sql(" END AS k", strconv.Itoa(alias+2))
		return
	case scope.Manages:
		mustBeResolved(scope)
		s.sql("TRUE, TRUE, FALSE")
		return
	}
	hasRole(s, scope)
	s.sql(", ")
	isManager(s, scope)
	s.sql(", ")
	isOrganizer(s, scope)
}

// manageable is the core's canManage over Access as one SQL condition, for
// a write that checks the permission in the statement itself: staff, or a
// role on the call together with the manager role or the organiser role.
// The permission tests run every actor through both.
func manageable(s *sqlText, scope Scope) {
	switch {
	case scope.folded:
		s.sql("(a.is_staff OR ")
	case scope.Manages:
		mustBeResolved(scope)
		s.sql("TRUE")
		return
	default:
		s.sql("(")
	}
	s.sql("(")
	hasRole(s, scope)
	s.sql(" AND (")
	isManager(s, scope)
	s.sql(" OR ")
	isOrganizer(s, scope)
	s.sql(")))")
}

// withAccess is cols and the three access columns after them.
func withAccess(cols []column) []column {
	return append(cols[:len(cols):len(cols)], column{zero: "FALSE"}, column{zero: "FALSE"}, column{zero: "FALSE"})
}

// The folded reads' columns, made once rather than on every request.
var (
	callColsWithAccess   = withAccess(callCols)
	configColsWithAccess = withAccess(configCols)
)

// visible narrows to the calls the viewer holds a role on, unless it sees
// all; callID is the column holding the call's id.
func visible(s *sqlText, scope Scope, callID string) {
	switch {
	case scope.folded:
		s.sql(" AND (a.is_staff OR a.is_support OR EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = ", callID, " AND r.user_id = a.uid))")
	case !scope.All:
		s.sql(" AND EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = ", callID, " AND r.user_id = ")
		user(s, scope)
		s.sql(")")
	default:
		mustBeResolved(scope)
	}
}
