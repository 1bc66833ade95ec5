package core

import (
	"context"
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

func (s *Service) CreateUser(ctx context.Context, in NewUser) (*User, error) {
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
	if err := s.store.InsertUser(ctx, u); err != nil {
		if db.IsUniqueViolation(err) {
			return nil, errInvalidField("username", "A user with that username already exists.")
		}
		return nil, errInternal(err)
	}
	return userOf(u), nil
}

func (s *Service) userByName(ctx context.Context, username string) (*db.User, error) {
	u, err := s.store.UserByName(ctx, username)
	if err != nil {
		return nil, errInternal(err)
	}
	if u == nil {
		return nil, errNotFound("No user named " + quote(username) + ".")
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
	n, err := s.store.RevokeUserTokens(ctx, u.ID, db.Now())
	if err != nil {
		return 0, errInternal(err)
	}
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

// Organisation is an organisation as the admin commands show it.
type Organisation struct {
	UUID uuid.UUID
	Name string
}

func (s *Service) CreateOrg(ctx context.Context, name string) (*Organisation, error) {
	fe := FieldErrors{}
	checkName(fe, "name", name, 150)
	if len(fe) > 0 {
		return nil, errInvalid(fe)
	}
	now := db.Now()
	o := &db.Organisation{UUID: uuid.New(), Name: name, Created: now, Modified: now}
	if err := s.store.InsertOrg(ctx, o); err != nil {
		return nil, errInternal(err)
	}
	return &Organisation{UUID: o.UUID, Name: o.Name}, nil
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

func (s *Service) CreateCall(ctx context.Context, in NewCall) (*Call, error) {
	fe := validateCall(&in)
	orgID, found, err := s.store.OrgIDByUUID(ctx, in.OrgUUID)
	if err != nil {
		return nil, errInternal(err)
	}
	if !found {
		fe.Add("organisation", "No organisation with uuid "+in.OrgUUID.String()+".")
	}
	if len(fe) > 0 {
		return nil, errInvalid(fe)
	}
	now := db.Now()
	c := &db.Call{UUID: uuid.New(), OrganisationID: orgID, Name: in.Name, Description: in.Description,
		State: in.State, Created: now, Modified: now}
	if err := s.store.InsertCall(ctx, c); err != nil {
		return nil, errInternal(err)
	}
	return Actor{}.call(&db.CallRow{Call: *c}), nil
}

// DeleteCall deletes a call; its configuration and role grants go with it,
// and the configuration's DELETED change is recorded (as the CLI's).
func (s *Service) DeleteCall(ctx context.Context, id uuid.UUID) error {
	deleted, err := s.store.DeleteCall(ctx, id, db.Now(), Actor{}.changeMeta(ctx))
	if err != nil {
		return errInternal(err)
	}
	if !deleted {
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

func (s *Service) grantTarget(ctx context.Context, g Grant) (*db.User, db.RoleTarget, error) {
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
		return nil, db.RoleTarget{}, errInvalid(fe)
	}
	u, err := s.userByName(ctx, g.Username)
	if err != nil {
		return nil, db.RoleTarget{}, err
	}
	var t db.RoleTarget
	var found bool
	if g.CallUUID != nil {
		t.CallID, found, err = s.store.CallIDByUUID(ctx, *g.CallUUID)
	} else {
		t.OrgID, found, err = s.store.OrgIDByUUID(ctx, *g.OrgUUID)
	}
	switch {
	case err != nil:
		return nil, t, errInternal(err)
	case !found && g.CallUUID != nil:
		return nil, t, errNotFound(MsgCallNotFound)
	case !found:
		return nil, t, errNotFound("No organisation with uuid " + g.OrgUUID.String() + ".")
	}
	return u, t, nil
}

// GrantRole gives a user a role; granting a role already held is no error.
func (s *Service) GrantRole(ctx context.Context, g Grant) error {
	u, target, err := s.grantTarget(ctx, g)
	if err != nil {
		return err
	}
	if err := s.store.GrantRole(ctx, u.ID, target, g.Role, db.Now()); err != nil {
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
	held, err := s.store.RevokeRole(ctx, u.ID, target, g.Role)
	if err != nil {
		return false, errInternal(err)
	}
	return held, nil
}

// Me returns the actor's own user.
func (s *Service) Me(ctx context.Context, a Actor) (*User, error) {
	a, err := s.Resolve(ctx, a)
	if err != nil {
		return nil, err
	}
	return a.User, nil
}

func quote(s string) string { return `"` + s + `"` }
