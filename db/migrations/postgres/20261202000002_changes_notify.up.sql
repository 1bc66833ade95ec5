-- The replicas that wrote a change notify the others themselves, after
-- their commit and a few milliseconds apart (db.ChangeListener.Announce):
-- a notification sent inside the writing transaction takes a lock of the
-- whole cluster at commit, which serialised every write (a third of the
-- throughput of writes to random rows).
DROP TRIGGER IF EXISTS call_assignment_configuration_changes_notify ON call_assignment_configuration_changes;

--bun:split

DROP FUNCTION IF EXISTS call_assignment_configuration_changes_notify();
