package core

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/db"
)

// The operations below are the operator's (the admin CLI): they act with
// full rights and validate their input like the API does.

// NewUser describes a user to create.
type NewUser struct {
	Username  string
	Email     string
	Password  string // empty: the user can only authenticate with API keys
	IsStaff   bool
	IsSupport bool
}

func (s *Service) CreateUser(ctx context.Context, in NewUser) (*db.User, error) {
	fe := FieldErrors{}
	in.Username = strings.TrimSpace(in.Username)
	switch {
	case in.Username == "":
		fe.Add("username", MsgRequired)
	case utf8.RuneCountInString(in.Username) > 150:
		fe.Add("username", "Ensure this field has no more than 150 characters.")
	}
	if utf8.RuneCountInString(in.Email) > 254 {
		fe.Add("email", "Ensure this field has no more than 254 characters.")
	} else if in.Email != "" && !strings.Contains(in.Email, "@") {
		fe.Add("email", "Enter a valid email address.")
	}
	if len(fe) > 0 {
		return nil, errInvalid(fe)
	}
	u := &db.User{
		UUID: uuid.New(), Username: in.Username, Email: in.Email,
		IsStaff: in.IsStaff, IsSupport: in.IsSupport, IsActive: true, Created: db.Now(),
	}
	if in.Password != "" {
		h, err := hashPassword(in.Password)
		if err != nil {
			return nil, errInvalidField("password", err.Error())
		}
		u.PasswordHash = h
	}
	if _, err := s.db.NewInsert().Model(u).Exec(ctx); err != nil {
		if db.IsUniqueViolation(err) {
			return nil, errInvalidField("username", "A user with that username already exists.")
		}
		return nil, errInternal(err)
	}
	return u, nil
}

func (s *Service) userByName(ctx context.Context, username string) (*db.User, error) {
	u := new(db.User)
	err := s.db.NewSelect().Model(u).Where("username = ?", username).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound("No user named " + quote(username) + ".")
	}
	if err != nil {
		return nil, errInternal(err)
	}
	return u, nil
}

// CreateToken issues an API key for a user; ttl 0 means it never expires.
// The key is returned once and only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, username string, ttl time.Duration) (string, error) {
	if ttl < 0 {
		return "", errInvalidField("ttl", "Must be positive.")
	}
	u, err := s.userByName(ctx, username)
	if err != nil {
		return "", err
	}
	key, err := s.issueToken(ctx, u.ID, ttl)
	if err != nil {
		return "", errInternal(err)
	}
	return key, nil
}

// RevokeTokens revokes every live key of a user and says how many.
func (s *Service) RevokeTokens(ctx context.Context, username string) (int64, error) {
	u, err := s.userByName(ctx, username)
	if err != nil {
		return 0, err
	}
	res, err := s.db.NewUpdate().Table("api_tokens").Set("revoked = ?", db.Now()).
		Where("user_id = ? AND revoked IS NULL", u.ID).Exec(ctx)
	if err != nil {
		return 0, errInternal(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func checkName(fe FieldErrors, field, name string, max int) {
	switch {
	case strings.TrimSpace(name) == "":
		fe.Add(field, MsgRequired)
	case utf8.RuneCountInString(name) > max:
		fe.Add(field, "Ensure this field has no more than "+strconv.Itoa(max)+" characters.")
	}
}

func (s *Service) CreateOrg(ctx context.Context, name string) (*db.Organisation, error) {
	fe := FieldErrors{}
	checkName(fe, "name", name, 150)
	if len(fe) > 0 {
		return nil, errInvalid(fe)
	}
	now := db.Now()
	o := &db.Organisation{UUID: uuid.New(), Name: name, Created: now, Modified: now}
	if _, err := s.db.NewInsert().Model(o).Exec(ctx); err != nil {
		return nil, errInternal(err)
	}
	return o, nil
}

// NewCall describes a call to create.
type NewCall struct {
	Name        string
	Description string
	State       string // empty: draft
	OrgUUID     uuid.UUID
}

func validateCall(in *NewCall) FieldErrors {
	fe := FieldErrors{}
	checkName(fe, "name", in.Name, 150)
	if utf8.RuneCountInString(in.Description) > 4096 {
		fe.Add("description", "Ensure this field has no more than 4096 characters.")
	}
	if in.State == "" {
		in.State = CallStateDraft
	}
	if !validState(in.State) {
		fe.Add("state", quote(in.State)+" is not a valid choice.")
	}
	return fe
}

func (s *Service) CreateCall(ctx context.Context, in NewCall) (*db.Call, error) {
	fe := validateCall(&in)
	org := new(db.Organisation)
	err := s.db.NewSelect().Model(org).Where("uuid = ?", in.OrgUUID).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		fe.Add("organisation", "No organisation with uuid "+in.OrgUUID.String()+".")
	} else if err != nil {
		return nil, errInternal(err)
	}
	if len(fe) > 0 {
		return nil, errInvalid(fe)
	}
	now := db.Now()
	c := &db.Call{UUID: uuid.New(), OrganisationID: org.ID, Name: in.Name, Description: in.Description,
		State: in.State, Created: now, Modified: now}
	if _, err := s.db.NewInsert().Model(c).Exec(ctx); err != nil {
		return nil, errInternal(err)
	}
	return c, nil
}

// DeleteCall deletes a call; its configuration and role grants go with it.
func (s *Service) DeleteCall(ctx context.Context, id uuid.UUID) error {
	res, err := s.db.NewDelete().TableExpr("calls").Where("uuid = ?", id).Exec(ctx)
	if err != nil {
		return errInternal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNotFound(MsgCallNotFound)
	}
	return nil
}

// Grant names a role of a user on a call or on an organisation.
type Grant struct {
	Username string
	CallUUID *uuid.UUID
	OrgUUID  *uuid.UUID
	Role     string
}

func (s *Service) grantTarget(ctx context.Context, g Grant) (*db.User, int64, error) {
	fe := FieldErrors{}
	switch {
	case (g.CallUUID == nil) == (g.OrgUUID == nil):
		fe.Add(NonFieldErrors, "Name either a call or an organisation.")
	case g.CallUUID != nil && g.Role != db.RoleManager && g.Role != db.RoleReviewer && g.Role != db.RolePanelMember:
		fe.Add("role", "On a call the role is manager, reviewer or panel_member.")
	case g.OrgUUID != nil && g.Role != db.RoleCallOrganizer:
		fe.Add("role", "On an organisation the role is call_organizer.")
	}
	if len(fe) > 0 {
		return nil, 0, errInvalid(fe)
	}
	u, err := s.userByName(ctx, g.Username)
	if err != nil {
		return nil, 0, err
	}
	var target struct {
		ID int64 `bun:"id"`
	}
	q := s.db.NewSelect().Column("id")
	if g.CallUUID != nil {
		q = q.Table("calls").Where("uuid = ?", *g.CallUUID)
	} else {
		q = q.Table("organisations").Where("uuid = ?", *g.OrgUUID)
	}
	err = q.Limit(1).Scan(ctx, &target)
	if errors.Is(err, sql.ErrNoRows) {
		if g.CallUUID != nil {
			return nil, 0, errNotFound(MsgCallNotFound)
		}
		return nil, 0, errNotFound("No organisation with uuid " + g.OrgUUID.String() + ".")
	}
	if err != nil {
		return nil, 0, errInternal(err)
	}
	return u, target.ID, nil
}

// GrantRole gives a user a role; granting a role already held is no error.
func (s *Service) GrantRole(ctx context.Context, g Grant) error {
	u, target, err := s.grantTarget(ctx, g)
	if err != nil {
		return err
	}
	var model any
	if g.CallUUID != nil {
		model = &db.CallRole{UserID: u.ID, CallID: target, Role: g.Role, Created: db.Now()}
	} else {
		model = &db.OrgRole{UserID: u.ID, OrganisationID: target, Role: g.Role, Created: db.Now()}
	}
	if _, err := s.db.NewInsert().Model(model).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return errInternal(err)
	}
	return nil
}

// RevokeRole takes a role away and says whether the user held it.
func (s *Service) RevokeRole(ctx context.Context, g Grant) (bool, error) {
	u, target, err := s.grantTarget(ctx, g)
	if err != nil {
		return false, err
	}
	q := s.db.NewDelete().Where("user_id = ? AND role = ?", u.ID, g.Role)
	if g.CallUUID != nil {
		q = q.TableExpr("call_roles").Where("call_id = ?", target)
	} else {
		q = q.TableExpr("org_roles").Where("organisation_id = ?", target)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, errInternal(err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Me returns the actor's own user.
func (s *Service) Me(a Actor) (*User, error) {
	if err := a.require(); err != nil {
		return nil, err
	}
	return a.User, nil
}

func quote(s string) string { return `"` + s + `"` }
