package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Prepared runs the hottest statements (authentication, reading one
// configuration, the common update) as server-side prepared statements on
// PostgreSQL. bun sends every query as text with its arguments inlined,
// which PostgreSQL parses and plans anew each time; for these short
// statements planning costs more than executing (pgbench on this schema:
// about 3 times the throughput prepared). On SQLite, Prepared is nil and the
// callers take bun's path: one process, no network, nothing to gain.
//
// The statements name their columns (never *), so a migration that adds a
// column cannot invalidate a cached plan's result type.
type Prepared struct {
	db    *bun.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// NewPrepared returns nil on SQLite. Statements are prepared on first use,
// so a database that is down at start-up only delays them.
func NewPrepared(bdb *bun.DB) *Prepared {
	if !IsPostgres(bdb) {
		return nil
	}
	return &Prepared{db: bdb, stmts: map[string]*sql.Stmt{}}
}

// maxPrepared bounds the statements kept: list queries take their shape
// from the client's filter and order, and each shape is one statement on
// every pooled connection.
const maxPrepared = 128

// stmt returns the prepared statement of query, or nil once the cache is
// full: the caller then sends the query as text.
func (p *Prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.stmts[query]; ok {
		return s, nil
	}
	if len(p.stmts) >= maxPrepared {
		return nil, nil
	}
	s, err := p.db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.stmts[query] = s
	return s, nil
}

// queryRow runs a prepared statement, counted like bun's statements.
func (p *Prepared) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	if len(args) > MaxParameters {
		return ErrTooManyParameters
	}
	s, err := p.stmt(ctx, query)
	if err != nil {
		return err
	}
	notifyStatement(p.db)
	if s == nil {
		return p.db.DB.QueryRowContext(ctx, query, args...).Scan(dest...)
	}
	return s.QueryRowContext(ctx, args...).Scan(dest...)
}

// Close releases the statements.
func (p *Prepared) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.stmts {
		_ = s.Close()
	}
	clear(p.stmts)
}

// TokenRow is an API token with its user, as authentication reads it.
type TokenRow struct {
	User     User
	TokenID  int64
	Expires  *time.Time
	Revoked  *time.Time
	LastUsed *time.Time
}

const tokenQuery = `SELECT u.id, u.uuid, u.username, u.email, u.is_staff, u.is_support, u.is_active, u.created,
  t.id, t.expires, t.revoked, t.last_used
FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id
WHERE t.key_hash = `

// TokenByHash reads a token and its user by the key's hash; (nil, nil) when
// there is none. The password hash is not read: authentication by key does
// not need it.
func TokenByHash(ctx context.Context, bdb *bun.DB, p *Prepared, keyHash string) (*TokenRow, error) {
	row := new(TokenRow)
	u := &row.User
	var expires, revoked, lastUsed sql.NullTime
	dest := []any{&u.ID, &u.UUID, &u.Username, &u.Email, &u.IsStaff, &u.IsSupport, &u.IsActive, &u.Created,
		&row.TokenID, &expires, &revoked, &lastUsed}
	_, err := retryRead(ctx, bdb, func() (struct{}, error) {
		if p != nil {
			return struct{}{}, p.queryRow(ctx, tokenQuery+"$1", []any{keyHash}, dest...)
		}
		return struct{}{}, bdb.QueryRowContext(ctx, tokenQuery+"?", keyHash).Scan(dest...)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	row.Expires, row.Revoked, row.LastUsed = nullTime(expires), nullTime(revoked), nullTime(lastUsed)
	return row, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// configColumns are the columns of a ConfigRow, in the order scanConfig
// reads them; the access columns follow.
const configColumns = `cfg.id, cfg.uuid, cfg.call_id, cfg.auto_reassign_on_decline, cfg.max_auto_reassign_attempts,
  cfg.assignment_expiration_days, cfg.send_reminder_before_expiry_days, cfg.created, cfg.modified,
  c.uuid, c.name, c.organisation_id, c.state, c.description, c.created, c.modified`

func configDest(r *ConfigRow) []any {
	return []any{&r.ID, &r.UUID, &r.CallID, &r.AutoReassignOnDecline, &r.MaxAutoReassignAttempts,
		&r.AssignmentExpirationDays, &r.SendReminderBeforeExpiryDays, &r.Created, &r.Modified,
		&r.CallUUID, &r.CallName, &r.CallOrgID, &r.CallState, &r.CallDescription, &r.CallCreated, &r.CallModified,
		&r.HasRole, &r.IsManager, &r.IsOrganizer}
}

// manageableSQL is the core's canManage as SQL over the call aliased c,
// with placeholders for (viewer manages everything, viewer id): staff, a
// manager of the call, or a call organiser of its organisation who also
// holds a role on it. The permission tests run every actor through both.
const manageableSQL = `(%[1]s OR EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = %[2]s AND (r.role = 'manager' OR
  EXISTS (SELECT 1 FROM org_roles AS o WHERE o.organisation_id = c.organisation_id AND o.user_id = %[2]s AND o.role = 'call_organizer'))))`

// UpdateManagedConfig is the one-statement update of the common case: it
// changes the configuration with uuid id only where the viewer may manage it
// and, if expect is given, modified still equals it, and returns the row
// with its call. It returns nil, nil when nothing matched, and always on
// SQLite, whose RETURNING cannot read the joined call: the caller then takes
// the general path.
func UpdateManagedConfig(ctx context.Context, p *Prepared, id uuid.UUID, cols []Assignment, now time.Time,
	expect *time.Time, scope Scope,
) (*ConfigRow, error) {
	if p == nil {
		return nil, nil
	}
	var b strings.Builder
	// modified always moves forward, even within one microsecond or across
	// a clock step back, so it can serve as a version for preconditions.
	b.WriteString("UPDATE call_assignment_configurations AS cfg SET modified = GREATEST($1, cfg.modified + interval '1 microsecond')")
	args := []any{now, id, nil, scope.Manages, scope.UserID}
	if expect != nil {
		args[2] = expect.UTC()
	}
	for _, c := range cols {
		args = append(args, c.Value)
		fmt.Fprintf(&b, ", %s = $%d", bun.Ident(c.Column), len(args))
	}
	b.WriteString(" FROM calls AS c WHERE c.id = cfg.call_id AND cfg.uuid = $2 AND ($3::timestamptz IS NULL OR cfg.modified = $3) AND ")
	fmt.Fprintf(&b, manageableSQL, "$4::boolean", "$5")
	b.WriteString(" RETURNING " + configColumns + ", TRUE, TRUE, FALSE")
	row := new(ConfigRow)
	err := p.queryRow(ctx, b.String(), args, configDest(row)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return row, nil
}

// Assignment is one column set by an update.
type Assignment struct {
	Column string
	Value  any
}

var statementListeners sync.Map // *bun.DB -> *listeners

type listeners struct {
	mu  sync.Mutex
	fns []func()
}

func notifyStatement(bdb *bun.DB) {
	if l, ok := statementListeners.Load(bdb); ok {
		l := l.(*listeners)
		l.mu.Lock()
		fns := l.fns
		l.mu.Unlock()
		for _, fn := range fns {
			fn()
		}
	}
}

// OnStatement calls fn after every SQL statement sent through bdb, whether
// bun or a prepared statement sends it: metrics and the tests that prove a
// request costs a constant number of statements count with it.
func OnStatement(bdb *bun.DB, fn func()) {
	bdb.AddQueryHook(statementHook(fn))
	l, _ := statementListeners.LoadOrStore(bdb, &listeners{})
	ls := l.(*listeners)
	ls.mu.Lock()
	ls.fns = append(ls.fns, fn)
	ls.mu.Unlock()
}

type statementHook func()

func (h statementHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (h statementHook) AfterQuery(context.Context, *bun.QueryEvent) { h() }
