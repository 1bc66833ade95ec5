package db

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// ExportRow is a call with its organisation and its configuration (nil when
// it has none), as `call export` writes it.
type ExportRow struct {
	Call   Call
	Org    Organisation
	Config *Configuration
}

// ExportBatch reads up to limit calls with ids above after, in id order:
// two statements (calls with their organisations, then their
// configurations), whatever the batch size.
func (s *Store) ExportBatch(ctx context.Context, after int64, limit int) ([]ExportRow, error) {
	var rows []struct {
		Call    `bun:",extend"`
		OrgUUID uuid.UUID `bun:"org_uuid,scanonly"`
		OrgName string    `bun:"org_name,scanonly"`
	}
	err := s.bdb.NewSelect().Model(&rows).ModelTableExpr("calls AS c").ColumnExpr("c.*").
		ColumnExpr("o.uuid AS org_uuid, o.name AS org_name").
		Join("JOIN organisations AS o ON o.id = c.organisation_id").
		Where("c.id > ?", after).OrderExpr("c.id").Limit(int64(limit)).Scan(ctx)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	var cfgs []Configuration
	if err := s.bdb.NewSelect().Model(&cfgs).Where("cfg.call_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	byCall := make(map[int64]*Configuration, len(cfgs))
	for i := range cfgs {
		byCall[cfgs[i].CallID] = &cfgs[i]
	}
	out := make([]ExportRow, len(rows))
	for i, r := range rows {
		out[i] = ExportRow{Call: r.Call, Org: Organisation{UUID: r.OrgUUID, Name: r.OrgName}, Config: byCall[r.ID]}
	}
	return out, nil
}

// ImportRow is a call to create with its organisation (found by uuid, or
// created) and its configuration (nil: none). Import fills in the ids.
type ImportRow = ExportRow

// importBatch bounds the rows of one INSERT.
const importBatch = 1000

// Import creates every call and configuration of rows in one transaction,
// with one CREATED change per configuration (at: now; each its own uuid,
// the rest from meta): all land or none. A uuid already taken is the
// constraint's error (IsUniqueViolation).
func (s *Store) Import(ctx context.Context, rows []ImportRow, now time.Time, meta ChangeMeta) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		orgIDs, err := importOrgs(ctx, tx, rows)
		if err != nil {
			return err
		}
		for start := 0; start < len(rows); start += importBatch {
			if err := importCalls(ctx, tx, rows[start:min(start+importBatch, len(rows))], orgIDs, now, meta); err != nil {
				return err
			}
		}
		return nil
	})
}

func importOrgs(ctx context.Context, tx bun.Tx, rows []ImportRow) (map[uuid.UUID]int64, error) {
	byUUID := map[uuid.UUID]*Organisation{}
	now := Now()
	for _, r := range rows {
		if _, ok := byUUID[r.Org.UUID]; !ok {
			byUUID[r.Org.UUID] = &Organisation{UUID: r.Org.UUID, Name: r.Org.Name, Created: now, Modified: now}
		}
	}
	orgs := make([]*Organisation, 0, len(byUUID))
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
	var stored []Organisation
	if err := tx.NewSelect().Model(&stored).Column("id", "uuid").Where("uuid IN (?)", bun.In(uuids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, o := range stored {
		ids[o.UUID] = o.ID
	}
	return ids, nil
}

func importCalls(ctx context.Context, tx bun.Tx, rows []ImportRow, orgIDs map[uuid.UUID]int64, now time.Time, meta ChangeMeta) error {
	calls := make([]Call, len(rows))
	uuids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		calls[i] = r.Call
		calls[i].OrganisationID = orgIDs[r.Org.UUID]
		uuids[i] = r.Call.UUID
	}
	if _, err := tx.NewInsert().Model(&calls).Exec(ctx); err != nil {
		return err
	}
	// Read the new ids back by uuid rather than trusting RETURNING's order.
	var stored []Call
	if err := tx.NewSelect().Model(&stored).Column("id", "uuid").Where("uuid IN (?)", bun.In(uuids)).Scan(ctx); err != nil {
		return err
	}
	callIDs := make(map[uuid.UUID]int64, len(stored))
	for _, c := range stored {
		callIDs[c.UUID] = c.ID
	}
	txn, err := txnOf(ctx, tx)
	if err != nil {
		return err
	}
	var cfgs []Configuration
	var changes []*changeRecord
	for _, r := range rows {
		if c := r.Config; c != nil {
			cfg := *c
			cfg.CallID = callIDs[r.Call.UUID]
			cfgs = append(cfgs, cfg)
			m := meta
			m.UUID = uuid.New()
			changes = append(changes, newChangeRecord(m, txn, ChangeCreated, now, cfg.UUID, r.Call.UUID, nil, settingsOf(&cfg)))
		}
	}
	if len(cfgs) == 0 {
		return nil
	}
	if _, err := tx.NewInsert().Model(&cfgs).Exec(ctx); err != nil {
		return err
	}
	return insertChanges(ctx, tx, changes...)
}
