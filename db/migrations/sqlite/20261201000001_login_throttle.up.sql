-- SQLite twin of the PostgreSQL migration.
ALTER TABLE api_tokens ADD COLUMN via_login BOOLEAN NOT NULL DEFAULT 0;

--bun:split

CREATE TABLE login_failures (
  username     TEXT PRIMARY KEY CHECK (username <> '' AND length(username) <= 150),
  failures     INTEGER NOT NULL CHECK (failures > 0),
  last_failure TIMESTAMP NOT NULL
);

--bun:split

CREATE INDEX login_failures_last_failure_idx ON login_failures (last_failure);
