package core

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/db"
)

// TransferLine is one line of `call export` / `call import`: a call, its
// organisation and its configuration (null when it has none).
type TransferLine struct {
	Call          TransferCall    `json:"call"`
	Configuration *TransferConfig `json:"configuration"`
}

type TransferCall struct {
	UUID         uuid.UUID   `json:"uuid"`
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	State        string      `json:"state"`
	Organisation TransferOrg `json:"organisation"`
	Created      time.Time   `json:"created"`
	Modified     time.Time   `json:"modified"`
}

type TransferOrg struct {
	UUID uuid.UUID `json:"uuid"`
	Name string    `json:"name"`
}

type TransferConfig struct {
	UUID                         uuid.UUID `json:"uuid"`
	AutoReassignOnDecline        bool      `json:"auto_reassign_on_decline"`
	MaxAutoReassignAttempts      int64     `json:"max_auto_reassign_attempts"`
	AssignmentExpirationDays     int64     `json:"assignment_expiration_days"`
	SendReminderBeforeExpiryDays int64     `json:"send_reminder_before_expiry_days"`
	Created                      time.Time `json:"created"`
	Modified                     time.Time `json:"modified"`
}

const transferBatch = 1000

// Export writes every call, oldest first, as JSON lines. It reads in keyset
// batches so memory stays flat however many calls there are.
func (s *Service) Export(ctx context.Context, w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	var after int64
	n := 0
	for {
		var rows []struct {
			db.Call `bun:",extend"`
			OrgUUID uuid.UUID         `bun:"org_uuid,scanonly"`
			OrgName string            `bun:"org_name,scanonly"`
			Cfg     *db.Configuration `bun:"-"`
		}
		err := s.db.NewSelect().Model(&rows).ModelTableExpr("calls AS c").ColumnExpr("c.*").
			ColumnExpr("o.uuid AS org_uuid, o.name AS org_name").
			Join("JOIN organisations AS o ON o.id = c.organisation_id").
			Where("c.id > ?", after).OrderExpr("c.id").Limit(transferBatch).Scan(ctx)
		if err != nil {
			return n, errInternal(err)
		}
		if len(rows) == 0 {
			break
		}
		ids := make([]int64, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		var cfgs []db.Configuration
		if err := s.db.NewSelect().Model(&cfgs).Where("cfg.call_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
			return n, errInternal(err)
		}
		byCall := make(map[int64]*db.Configuration, len(cfgs))
		for i := range cfgs {
			byCall[cfgs[i].CallID] = &cfgs[i]
		}
		for _, r := range rows {
			line := TransferLine{Call: TransferCall{
				UUID: r.UUID, Name: r.Name, Description: r.Description, State: r.State,
				Organisation: TransferOrg{UUID: r.OrgUUID, Name: r.OrgName},
				Created:      r.Created.UTC(), Modified: r.Modified.UTC(),
			}}
			if c := byCall[r.ID]; c != nil {
				line.Configuration = &TransferConfig{
					UUID: c.UUID, AutoReassignOnDecline: c.AutoReassignOnDecline,
					MaxAutoReassignAttempts: c.MaxAutoReassignAttempts, AssignmentExpirationDays: c.AssignmentExpirationDays,
					SendReminderBeforeExpiryDays: c.SendReminderBeforeExpiryDays,
					Created:                      c.Created.UTC(), Modified: c.Modified.UTC(),
				}
			}
			if err := enc.Encode(line); err != nil {
				return n, err
			}
			n++
		}
		after = rows[len(rows)-1].ID
	}
	return n, bw.Flush()
}

// ImportError points at the line of an import file that is wrong.
type ImportError struct {
	Line int
	Err  error
}

func (e *ImportError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ImportError) Unwrap() error { return e.Err }

// Import reads JSON lines as Export writes them and creates every call and
// configuration in one transaction: all lines land or none. Organisations
// are created when their uuid is new. Missing times default to now.
func (s *Service) Import(ctx context.Context, r io.Reader) (int, error) {
	var lines []TransferLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	lineNo := 0
	seen := map[uuid.UUID]int{}
	for sc.Scan() {
		lineNo++
		raw := sc.Bytes()
		if len(raw) == 0 {
			continue
		}
		var l TransferLine
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return 0, &ImportError{lineNo, err}
		}
		if err := validateLine(&l); err != nil {
			return 0, &ImportError{lineNo, err}
		}
		if prev, dup := seen[l.Call.UUID]; dup {
			return 0, &ImportError{lineNo, fmt.Errorf("call %s already on line %d", l.Call.UUID, prev)}
		}
		seen[l.Call.UUID] = lineNo
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return 0, &ImportError{lineNo + 1, err}
	}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		orgIDs, err := importOrgs(ctx, tx, lines)
		if err != nil {
			return err
		}
		for start := 0; start < len(lines); start += transferBatch {
			if err := importBatch(ctx, tx, lines[start:min(start+transferBatch, len(lines))], orgIDs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if db.IsUniqueViolation(err) {
			return 0, errInvalidField(NonFieldErrors, "A call or configuration with one of these uuids already exists.")
		}
		return 0, errInternal(err)
	}
	return len(lines), nil
}

func validateLine(l *TransferLine) error {
	nc := NewCall{Name: l.Call.Name, Description: l.Call.Description, State: l.Call.State}
	fe := validateCall(&nc)
	l.Call.State = nc.State
	if l.Call.UUID == uuid.Nil {
		fe.Add("call.uuid", MsgRequired)
	}
	if l.Call.Organisation.UUID == uuid.Nil {
		fe.Add("call.organisation.uuid", MsgRequired)
	}
	checkName(fe, "call.organisation.name", l.Call.Organisation.Name, 150)
	if c := l.Configuration; c != nil {
		if c.UUID == uuid.Nil {
			c.UUID = uuid.New()
		}
		p := Patch{
			MaxAutoReassignAttempts:      Some(c.MaxAutoReassignAttempts),
			AssignmentExpirationDays:     Some(c.AssignmentExpirationDays),
			SendReminderBeforeExpiryDays: Some(c.SendReminderBeforeExpiryDays),
		}
		for f, msgs := range p.validate() {
			fe["configuration."+f] = msgs
		}
	}
	if len(fe) > 0 {
		return errInvalid(fe)
	}
	now := db.Now()
	fill := func(t *time.Time) {
		if t.IsZero() {
			*t = now
		}
		*t = t.UTC().Truncate(time.Microsecond)
	}
	fill(&l.Call.Created)
	fill(&l.Call.Modified)
	if c := l.Configuration; c != nil {
		fill(&c.Created)
		fill(&c.Modified)
	}
	return nil
}

func importOrgs(ctx context.Context, tx bun.Tx, lines []TransferLine) (map[uuid.UUID]int64, error) {
	byUUID := map[uuid.UUID]*db.Organisation{}
	now := db.Now()
	for _, l := range lines {
		o := l.Call.Organisation
		if _, ok := byUUID[o.UUID]; !ok {
			byUUID[o.UUID] = &db.Organisation{UUID: o.UUID, Name: o.Name, Created: now, Modified: now}
		}
	}
	orgs := make([]*db.Organisation, 0, len(byUUID))
	uuids := make([]uuid.UUID, 0, len(byUUID))
	for u, o := range byUUID {
		orgs = append(orgs, o)
		uuids = append(uuids, u)
	}
	ids := map[uuid.UUID]int64{}
	if len(orgs) == 0 {
		return ids, nil
	}
	if _, err := tx.NewInsert().Model(&orgs).On("CONFLICT (uuid) DO NOTHING").Exec(ctx); err != nil {
		return nil, err
	}
	var stored []db.Organisation
	if err := tx.NewSelect().Model(&stored).Column("id", "uuid").Where("uuid IN (?)", bun.In(uuids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, o := range stored {
		ids[o.UUID] = o.ID
	}
	return ids, nil
}

func importBatch(ctx context.Context, tx bun.Tx, lines []TransferLine, orgIDs map[uuid.UUID]int64) error {
	calls := make([]db.Call, len(lines))
	uuids := make([]uuid.UUID, len(lines))
	for i, l := range lines {
		c := l.Call
		calls[i] = db.Call{UUID: c.UUID, OrganisationID: orgIDs[c.Organisation.UUID], Name: c.Name,
			Description: c.Description, State: c.State, Created: c.Created, Modified: c.Modified}
		uuids[i] = c.UUID
	}
	if _, err := tx.NewInsert().Model(&calls).Exec(ctx); err != nil {
		return err
	}
	// Read the new ids back by uuid rather than trusting RETURNING's order.
	var stored []db.Call
	if err := tx.NewSelect().Model(&stored).Column("id", "uuid").Where("uuid IN (?)", bun.In(uuids)).Scan(ctx); err != nil {
		return err
	}
	callIDs := make(map[uuid.UUID]int64, len(stored))
	for _, c := range stored {
		callIDs[c.UUID] = c.ID
	}
	var cfgs []db.Configuration
	for _, l := range lines {
		if c := l.Configuration; c != nil {
			cfgs = append(cfgs, db.Configuration{UUID: c.UUID, CallID: callIDs[l.Call.UUID],
				AutoReassignOnDecline: c.AutoReassignOnDecline, MaxAutoReassignAttempts: c.MaxAutoReassignAttempts,
				AssignmentExpirationDays: c.AssignmentExpirationDays, SendReminderBeforeExpiryDays: c.SendReminderBeforeExpiryDays,
				Created: c.Created, Modified: c.Modified})
		}
	}
	if len(cfgs) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&cfgs).Exec(ctx)
	return err
}
