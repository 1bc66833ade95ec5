DROP TABLE IF EXISTS call_assignment_configuration_changes;

--bun:split

DROP FUNCTION IF EXISTS call_assignment_configuration_changes_notify();

--bun:split

ALTER TABLE call_assignment_configurations DROP COLUMN IF EXISTS last_change_txn;
