package db

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

// The viewer's standing on the call aliased c, one EXISTS each: a role on
// the call, the manager role on it, the call organiser role on its
// organisation.
func hasRole(s *sqlText, user int64) {
	s.sql("EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ").arg(user).sql(")")
}

func isManager(s *sqlText, user int64) {
	s.sql("EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ").arg(user).sql(" AND r.role = 'manager')")
}

func isOrganizer(s *sqlText, user int64) {
	s.sql("EXISTS (SELECT 1 FROM org_roles AS o WHERE o.organisation_id = c.organisation_id AND o.user_id = ").arg(user).
		sql(" AND o.role = 'call_organizer')")
}

// access writes the columns of Access. For a viewer who manages everything
// they are constants: the subqueries would only cost planning time.
func access(s *sqlText, scope Scope) {
	if scope.Manages {
		s.sql("TRUE, TRUE, FALSE")
		return
	}
	hasRole(s, scope.UserID)
	s.sql(", ")
	isManager(s, scope.UserID)
	s.sql(", ")
	isOrganizer(s, scope.UserID)
}

// manageable is the core's canManage over Access as one SQL condition, for
// a write that checks the permission in the statement itself: staff, or a
// role on the call together with the manager role or the organiser role.
// The permission tests run every actor through both.
func manageable(s *sqlText, scope Scope) {
	if scope.Manages {
		s.sql("TRUE")
		return
	}
	s.sql("(")
	hasRole(s, scope.UserID)
	s.sql(" AND (")
	isManager(s, scope.UserID)
	s.sql(" OR ")
	isOrganizer(s, scope.UserID)
	s.sql("))")
}

// visible narrows to the calls the viewer holds a role on, unless it sees
// all; callID is the column holding the call's id.
func visible(s *sqlText, scope Scope, callID string) {
	if !scope.All {
		s.sql(" AND EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = ", callID, " AND r.user_id = ").arg(scope.UserID).sql(")")
	}
}
