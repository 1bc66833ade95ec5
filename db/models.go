// Package db is the storage layer: bun models, the two supported databases
// (PostgreSQL and embedded SQLite), their migrations, and every SQL
// statement the service sends, behind Store, in files named by subject.
// It decides nothing: who may see or change what is the core's rule, which
// db only turns into SQL (Scope, manageable). Nothing here knows HTTP,
// GraphQL or the faces.
package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

type Organisation struct {
	bun.BaseModel `bun:"table:organisations"`

	ID       int64     `bun:"id,pk,autoincrement"`
	UUID     uuid.UUID `bun:"uuid,type:uuid"`
	Name     string    `bun:"name"`
	Created  time.Time `bun:"created"`
	Modified time.Time `bun:"modified"`
}

// Call states as stored.
const (
	StateDraft    = "draft"
	StateActive   = "active"
	StateArchived = "archived"
)

type Call struct {
	bun.BaseModel `bun:"table:calls"`

	ID             int64     `bun:"id,pk,autoincrement"`
	UUID           uuid.UUID `bun:"uuid,type:uuid"`
	OrganisationID int64     `bun:"organisation_id"`
	Name           string    `bun:"name"`
	Description    string    `bun:"description"`
	State          string    `bun:"state"`
	Created        time.Time `bun:"created"`
	Modified       time.Time `bun:"modified"`
}

type Configuration struct {
	bun.BaseModel `bun:"table:call_assignment_configurations,alias:cfg"`

	ID                           int64     `bun:"id,pk,autoincrement"`
	UUID                         uuid.UUID `bun:"uuid,type:uuid"`
	CallID                       int64     `bun:"call_id"`
	AutoReassignOnDecline        bool      `bun:"auto_reassign_on_decline"`
	MaxAutoReassignAttempts      int64     `bun:"max_auto_reassign_attempts"`
	AssignmentExpirationDays     int64     `bun:"assignment_expiration_days"`
	SendReminderBeforeExpiryDays int64     `bun:"send_reminder_before_expiry_days"`
	Created                      time.Time `bun:"created"`
	Modified                     time.Time `bun:"modified"`

	// Filled by list and get queries, which join the call: REST shows these
	// on every row and GraphQL orders by the call's name.
	CallUUID uuid.UUID `bun:"call_uuid,scanonly"`
	CallName string    `bun:"call_name,scanonly"`
}

type User struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64     `bun:"id,pk,autoincrement"`
	UUID         uuid.UUID `bun:"uuid,type:uuid"`
	Username     string    `bun:"username"`
	Email        string    `bun:"email"`
	PasswordHash string    `bun:"password_hash"`
	IsStaff      bool      `bun:"is_staff"`
	IsSupport    bool      `bun:"is_support"`
	IsActive     bool      `bun:"is_active"`
	Created      time.Time `bun:"created"`
}

type Token struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID       int64      `bun:"id,pk,autoincrement"`
	UserID   int64      `bun:"user_id"`
	KeyHash  string     `bun:"key_hash"`
	Created  time.Time  `bun:"created"`
	Expires  *time.Time `bun:"expires"`
	Revoked  *time.Time `bun:"revoked"`
	LastUsed *time.Time `bun:"last_used"`
	// ViaLogin marks keys issued by /api-auth/password/, which a login may
	// revoke to keep a user's live login keys under a cap.
	ViaLogin bool `bun:"via_login"`
}

type CallRole struct {
	bun.BaseModel `bun:"table:call_roles"`

	ID      int64     `bun:"id,pk,autoincrement"`
	UserID  int64     `bun:"user_id"`
	CallID  int64     `bun:"call_id"`
	Role    string    `bun:"role"`
	Created time.Time `bun:"created"`
}

type OrgRole struct {
	bun.BaseModel `bun:"table:org_roles"`

	ID             int64     `bun:"id,pk,autoincrement"`
	UserID         int64     `bun:"user_id"`
	OrganisationID int64     `bun:"organisation_id"`
	Role           string    `bun:"role"`
	Created        time.Time `bun:"created"`
}
