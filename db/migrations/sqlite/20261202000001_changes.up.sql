-- SQLite twin of the PostgreSQL migration. With SQLite's one writer, ids
-- are handed out in commit order, so txn is always 0 and a change's
-- position is its id.
CREATE TABLE call_assignment_configuration_changes (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid               TEXT NOT NULL UNIQUE CHECK (length(uuid) = 36),
  txn                INTEGER NOT NULL CHECK (txn = 0),
  kind               TEXT NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
  at                 TIMESTAMP NOT NULL,
  configuration_uuid TEXT NOT NULL CHECK (length(configuration_uuid) = 36),
  call_uuid          TEXT NOT NULL CHECK (length(call_uuid) = 36),
  actor_uuid         TEXT CHECK (length(actor_uuid) = 36),
  actor_username     TEXT CHECK (actor_username <> '' AND length(actor_username) <= 150),
  via                TEXT NOT NULL CHECK (via IN ('rest', 'graphql', 'cli')),
  request_id         TEXT CHECK (request_id <> '' AND length(request_id) <= 64),
  before_auto_reassign_on_decline         BOOLEAN CHECK (before_auto_reassign_on_decline IN (0, 1)),
  before_max_auto_reassign_attempts       INTEGER CHECK (before_max_auto_reassign_attempts BETWEEN 0 AND 2147483647),
  before_assignment_expiration_days       INTEGER CHECK (before_assignment_expiration_days BETWEEN 0 AND 2147483647),
  before_send_reminder_before_expiry_days INTEGER CHECK (before_send_reminder_before_expiry_days BETWEEN 0 AND 2147483647),
  after_auto_reassign_on_decline          BOOLEAN CHECK (after_auto_reassign_on_decline IN (0, 1)),
  after_max_auto_reassign_attempts        INTEGER CHECK (after_max_auto_reassign_attempts BETWEEN 0 AND 2147483647),
  after_assignment_expiration_days        INTEGER CHECK (after_assignment_expiration_days BETWEEN 0 AND 2147483647),
  after_send_reminder_before_expiry_days  INTEGER CHECK (after_send_reminder_before_expiry_days BETWEEN 0 AND 2147483647),
  CHECK ((actor_uuid IS NULL) = (actor_username IS NULL)),
  CHECK ((before_auto_reassign_on_decline IS NULL) = (before_max_auto_reassign_attempts IS NULL)
     AND (before_auto_reassign_on_decline IS NULL) = (before_assignment_expiration_days IS NULL)
     AND (before_auto_reassign_on_decline IS NULL) = (before_send_reminder_before_expiry_days IS NULL)),
  CHECK ((after_auto_reassign_on_decline IS NULL) = (after_max_auto_reassign_attempts IS NULL)
     AND (after_auto_reassign_on_decline IS NULL) = (after_assignment_expiration_days IS NULL)
     AND (after_auto_reassign_on_decline IS NULL) = (after_send_reminder_before_expiry_days IS NULL)),
  CHECK ((kind = 'created') = (before_auto_reassign_on_decline IS NULL)),
  CHECK ((kind = 'deleted') = (after_auto_reassign_on_decline IS NULL))
);

--bun:split

CREATE INDEX call_assignment_configuration_changes_position_idx ON call_assignment_configuration_changes (txn, id);

--bun:split

CREATE INDEX call_assignment_configuration_changes_configuration_idx ON call_assignment_configuration_changes (configuration_uuid, txn, id);

--bun:split

CREATE INDEX call_assignment_configuration_changes_call_idx ON call_assignment_configuration_changes (call_uuid, txn, id);

--bun:split

-- PostgreSQL's ordering aid (see its migration); SQLite orders by id alone.
ALTER TABLE call_assignment_configurations ADD COLUMN last_change_txn INTEGER NOT NULL DEFAULT 0;
