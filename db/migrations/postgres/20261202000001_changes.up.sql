-- The change record of configurations: one row per create, update and
-- delete, appended in the very transaction of the write (so a change exists
-- if and only if its write committed) and never touched again. No foreign
-- keys: a change outlives its configuration and its call, and keeps a
-- snapshot of its actor.
--
-- A change's position is (txn, id): txn is the writing transaction's id
-- (or, see last_change_txn below, the txn of the configuration's previous
-- change when that is higher), which readers compare with the oldest
-- transaction still running, so that a change committing late is never
-- skipped (README, "Change history").
-- changedFields is derived from before and after when read.
CREATE TABLE call_assignment_configuration_changes (
  id                 bigserial PRIMARY KEY,
  uuid               uuid NOT NULL UNIQUE,
  txn                bigint NOT NULL CHECK (txn > 0),
  kind               text NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
  at                 timestamptz NOT NULL,
  configuration_uuid uuid NOT NULL,
  call_uuid          uuid NOT NULL,
  actor_uuid         uuid,
  actor_username     varchar(150),
  via                text NOT NULL CHECK (via IN ('rest', 'graphql', 'cli')),
  request_id         varchar(64),
  before_auto_reassign_on_decline         boolean,
  before_max_auto_reassign_attempts       integer CHECK (before_max_auto_reassign_attempts >= 0),
  before_assignment_expiration_days       integer CHECK (before_assignment_expiration_days >= 0),
  before_send_reminder_before_expiry_days integer CHECK (before_send_reminder_before_expiry_days >= 0),
  after_auto_reassign_on_decline          boolean,
  after_max_auto_reassign_attempts        integer CHECK (after_max_auto_reassign_attempts >= 0),
  after_assignment_expiration_days        integer CHECK (after_assignment_expiration_days >= 0),
  after_send_reminder_before_expiry_days  integer CHECK (after_send_reminder_before_expiry_days >= 0),
  CHECK ((actor_uuid IS NULL) = (actor_username IS NULL)),
  -- before is all four settings or none, none exactly on creation; after
  -- likewise, none exactly on deletion.
  CHECK (num_nulls(before_auto_reassign_on_decline, before_max_auto_reassign_attempts,
                   before_assignment_expiration_days, before_send_reminder_before_expiry_days) IN (0, 4)),
  CHECK (num_nulls(after_auto_reassign_on_decline, after_max_auto_reassign_attempts,
                   after_assignment_expiration_days, after_send_reminder_before_expiry_days) IN (0, 4)),
  CHECK ((kind = 'created') = (before_auto_reassign_on_decline IS NULL)),
  CHECK ((kind = 'deleted') = (after_auto_reassign_on_decline IS NULL))
);

--bun:split

-- The feed's order.
CREATE INDEX call_assignment_configuration_changes_position_idx ON call_assignment_configuration_changes (txn, id);

--bun:split

-- A configuration's history, and a call's.
CREATE INDEX call_assignment_configuration_changes_configuration_idx ON call_assignment_configuration_changes (configuration_uuid, txn, id);

--bun:split

CREATE INDEX call_assignment_configuration_changes_call_idx ON call_assignment_configuration_changes (call_uuid, txn, id);

--bun:split

-- A wake-up for the replicas that follow the feed: delivered on commit
-- only, once per transaction, and never the data, which a listener reads
-- from the table (so a lost notification loses nothing).
CREATE FUNCTION call_assignment_configuration_changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('callcfg_changes', '');
  RETURN NULL;
END
$$;

--bun:split

CREATE TRIGGER call_assignment_configuration_changes_notify
  AFTER INSERT ON call_assignment_configuration_changes
  FOR EACH STATEMENT EXECUTE FUNCTION call_assignment_configuration_changes_notify();

--bun:split

-- The txn of the configuration's latest change, which its next change may
-- not sort before. Writers of one configuration are serialised by its row
-- lock, but a transaction can be given its id before it waits for that
-- lock (PostgreSQL does so when it follows a row's update chain), so the
-- later writer may hold the lower id: its change then takes this txn
-- instead, and sorts after the one it waited for by id. A change's txn is
-- never below its own transaction's id, which is all the horizon needs.
ALTER TABLE call_assignment_configurations ADD COLUMN last_change_txn bigint NOT NULL DEFAULT 0;
