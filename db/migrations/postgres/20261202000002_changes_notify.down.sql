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
