-- Keys issued by /api-auth/password/ are marked, so that a login can cap a
-- user's live login keys without touching the keys an operator made.
ALTER TABLE api_tokens ADD COLUMN via_login boolean NOT NULL DEFAULT false;

--bun:split

-- Consecutive failed logins per username, shared by every replica: the core
-- locks a username for a growing time once it has too many. Rows for
-- usernames that do not exist are kept too, so a lock tells nothing about
-- who has an account; rows idle for long are deleted.
CREATE TABLE login_failures (
  username     varchar(150) PRIMARY KEY CHECK (username <> ''),
  failures     integer NOT NULL CHECK (failures > 0),
  last_failure timestamptz NOT NULL
);

--bun:split

CREATE INDEX login_failures_last_failure_idx ON login_failures (last_failure);
