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
		rows, err := s.store.ExportBatch(ctx, after, transferBatch)
		if err != nil {
			return n, errInternal(err)
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			line := TransferLine{Call: TransferCall{
				UUID: r.Call.UUID, Name: r.Call.Name, Description: r.Call.Description, State: r.Call.State,
				Organisation: TransferOrg{UUID: r.Org.UUID, Name: r.Org.Name},
				Created:      r.Call.Created.UTC(), Modified: r.Call.Modified.UTC(),
			}}
			if c := r.Config; c != nil {
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
		after = rows[len(rows)-1].Call.ID
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
// are created when their uuid is new. Missing times default to now. Each
// configuration's CREATED change is recorded in the same transaction, at
// the time of the import (a configuration keeps the created and modified of
// its line; the change says when it came into this database).
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
	rows := make([]db.ImportRow, len(lines))
	for i, l := range lines {
		c := l.Call
		rows[i] = db.ImportRow{
			Call: db.Call{UUID: c.UUID, Name: c.Name, Description: c.Description, State: c.State, Created: c.Created, Modified: c.Modified},
			Org:  db.Organisation{UUID: c.Organisation.UUID, Name: c.Organisation.Name},
		}
		if cf := l.Configuration; cf != nil {
			rows[i].Config = &db.Configuration{UUID: cf.UUID, AutoReassignOnDecline: cf.AutoReassignOnDecline,
				MaxAutoReassignAttempts: cf.MaxAutoReassignAttempts, AssignmentExpirationDays: cf.AssignmentExpirationDays,
				SendReminderBeforeExpiryDays: cf.SendReminderBeforeExpiryDays, Created: cf.Created, Modified: cf.Modified}
		}
	}
	err := s.store.Import(ctx, rows, db.Now(), Actor{}.changeMeta(ctx))
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
