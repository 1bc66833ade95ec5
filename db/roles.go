package db

import (
	"context"
	"time"
)

// Roles a user may hold on a call or on an organisation.
const (
	RoleManager       = "manager"
	RoleReviewer      = "reviewer"
	RolePanelMember   = "panel_member"
	RoleCallOrganizer = "call_organizer"
)

// RoleTarget is where a role is held: on a call or on an organisation (one
// of the two ids is set).
type RoleTarget struct {
	CallID int64
	OrgID  int64
}

// GrantRole gives a user a role; a role already held is no error (the
// unique constraint decides, so racing grants cannot duplicate it).
func (s *Store) GrantRole(ctx context.Context, userID int64, t RoleTarget, role string, now time.Time) error {
	var model any = &OrgRole{UserID: userID, OrganisationID: t.OrgID, Role: role, Created: now}
	if t.CallID != 0 {
		model = &CallRole{UserID: userID, CallID: t.CallID, Role: role, Created: now}
	}
	_, err := s.bdb.NewInsert().Model(model).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

// RevokeRole takes a role away; held says whether the user held it.
func (s *Store) RevokeRole(ctx context.Context, userID int64, t RoleTarget, role string) (held bool, err error) {
	q := s.bdb.NewDelete().Where("user_id = ? AND role = ?", userID, role)
	if t.CallID != 0 {
		q = q.TableExpr("call_roles").Where("call_id = ?", t.CallID)
	} else {
		q = q.TableExpr("org_roles").Where("organisation_id = ?", t.OrgID)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
