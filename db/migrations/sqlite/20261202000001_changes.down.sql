DROP TABLE IF EXISTS call_assignment_configuration_changes;

--bun:split

ALTER TABLE call_assignment_configurations DROP COLUMN last_change_txn;
