-- SQLite twin of the PostgreSQL migration: the same tables, columns and
-- constraints, in SQLite's types (uuids and timestamps as text, booleans as
-- integers) with explicit CHECKs where PostgreSQL's types enforce a bound.
CREATE TABLE organisations (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid     TEXT NOT NULL UNIQUE CHECK (length(uuid) = 36),
  name     TEXT NOT NULL CHECK (name <> '' AND length(name) <= 150),
  created  TIMESTAMP NOT NULL,
  modified TIMESTAMP NOT NULL
);

--bun:split

CREATE TABLE calls (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid            TEXT NOT NULL UNIQUE CHECK (length(uuid) = 36),
  organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
  name            TEXT NOT NULL CHECK (name <> '' AND length(name) <= 150),
  description     TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 4096),
  state           TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'active', 'archived')),
  created         TIMESTAMP NOT NULL,
  modified        TIMESTAMP NOT NULL
);

--bun:split

CREATE INDEX calls_organisation_id_idx ON calls (organisation_id);

--bun:split

CREATE INDEX calls_created_idx ON calls (created);

--bun:split

CREATE INDEX calls_modified_idx ON calls (modified);

--bun:split

CREATE INDEX calls_name_idx ON calls (name);

--bun:split

CREATE TABLE call_assignment_configurations (
  id                               INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid                             TEXT NOT NULL UNIQUE CHECK (length(uuid) = 36),
  call_id                          INTEGER NOT NULL UNIQUE REFERENCES calls (id) ON DELETE CASCADE,
  auto_reassign_on_decline         BOOLEAN NOT NULL DEFAULT 0 CHECK (auto_reassign_on_decline IN (0, 1)),
  max_auto_reassign_attempts       INTEGER NOT NULL DEFAULT 3 CHECK (max_auto_reassign_attempts BETWEEN 0 AND 2147483647),
  assignment_expiration_days       INTEGER NOT NULL DEFAULT 7 CHECK (assignment_expiration_days BETWEEN 0 AND 2147483647),
  send_reminder_before_expiry_days INTEGER NOT NULL DEFAULT 2 CHECK (send_reminder_before_expiry_days BETWEEN 0 AND 2147483647),
  created                          TIMESTAMP NOT NULL,
  modified                         TIMESTAMP NOT NULL
);

--bun:split

CREATE INDEX call_assignment_configurations_created_idx ON call_assignment_configurations (created);

--bun:split

CREATE INDEX call_assignment_configurations_modified_idx ON call_assignment_configurations (modified);

--bun:split

CREATE TABLE users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid          TEXT NOT NULL UNIQUE CHECK (length(uuid) = 36),
  username      TEXT NOT NULL UNIQUE CHECK (username <> '' AND length(username) <= 150),
  email         TEXT NOT NULL DEFAULT '' CHECK (length(email) <= 254),
  password_hash TEXT NOT NULL DEFAULT '',
  is_staff      BOOLEAN NOT NULL DEFAULT 0,
  is_support    BOOLEAN NOT NULL DEFAULT 0,
  is_active     BOOLEAN NOT NULL DEFAULT 1,
  created       TIMESTAMP NOT NULL
);

--bun:split

CREATE TABLE api_tokens (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key_hash  TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
  created   TIMESTAMP NOT NULL,
  expires   TIMESTAMP,
  revoked   TIMESTAMP,
  last_used TIMESTAMP
);

--bun:split

CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

--bun:split

CREATE TABLE call_roles (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  call_id INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  role    TEXT NOT NULL CHECK (role IN ('manager', 'reviewer', 'panel_member')),
  created TIMESTAMP NOT NULL,
  UNIQUE (user_id, call_id, role)
);

--bun:split

CREATE INDEX call_roles_call_id_idx ON call_roles (call_id, user_id);

--bun:split

CREATE TABLE org_roles (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  role            TEXT NOT NULL CHECK (role IN ('call_organizer')),
  created         TIMESTAMP NOT NULL,
  UNIQUE (user_id, organisation_id, role)
);
