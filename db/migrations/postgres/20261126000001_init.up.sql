CREATE TABLE organisations (
  id       bigserial PRIMARY KEY,
  uuid     uuid NOT NULL UNIQUE,
  name     varchar(150) NOT NULL CHECK (name <> ''),
  created  timestamptz NOT NULL,
  modified timestamptz NOT NULL
);

--bun:split

CREATE TABLE calls (
  id              bigserial PRIMARY KEY,
  uuid            uuid NOT NULL UNIQUE,
  organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
  name            varchar(150) NOT NULL CHECK (name <> ''),
  description     varchar(4096) NOT NULL DEFAULT '',
  state           text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'active', 'archived')),
  created         timestamptz NOT NULL,
  modified        timestamptz NOT NULL
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
  id                               bigserial PRIMARY KEY,
  uuid                             uuid NOT NULL UNIQUE,
  call_id                          bigint NOT NULL UNIQUE REFERENCES calls (id) ON DELETE CASCADE,
  auto_reassign_on_decline         boolean NOT NULL DEFAULT false,
  max_auto_reassign_attempts       integer NOT NULL DEFAULT 3 CHECK (max_auto_reassign_attempts >= 0),
  assignment_expiration_days       integer NOT NULL DEFAULT 7 CHECK (assignment_expiration_days >= 0),
  send_reminder_before_expiry_days integer NOT NULL DEFAULT 2 CHECK (send_reminder_before_expiry_days >= 0),
  created                          timestamptz NOT NULL,
  modified                         timestamptz NOT NULL
);

--bun:split

CREATE INDEX call_assignment_configurations_created_idx ON call_assignment_configurations (created);

--bun:split

CREATE INDEX call_assignment_configurations_modified_idx ON call_assignment_configurations (modified);

--bun:split

CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  uuid          uuid NOT NULL UNIQUE,
  username      varchar(150) NOT NULL UNIQUE CHECK (username <> ''),
  email         varchar(254) NOT NULL DEFAULT '',
  password_hash text NOT NULL DEFAULT '',
  is_staff      boolean NOT NULL DEFAULT false,
  is_support    boolean NOT NULL DEFAULT false,
  is_active     boolean NOT NULL DEFAULT true,
  created       timestamptz NOT NULL
);

--bun:split

CREATE TABLE api_tokens (
  id        bigserial PRIMARY KEY,
  user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key_hash  char(64) NOT NULL UNIQUE,
  created   timestamptz NOT NULL,
  expires   timestamptz,
  revoked   timestamptz,
  last_used timestamptz
);

--bun:split

CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

--bun:split

CREATE TABLE call_roles (
  id      bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  call_id bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  role    text NOT NULL CHECK (role IN ('manager', 'reviewer', 'panel_member')),
  created timestamptz NOT NULL,
  UNIQUE (user_id, call_id, role)
);

--bun:split

CREATE INDEX call_roles_call_id_idx ON call_roles (call_id, user_id);

--bun:split

CREATE TABLE org_roles (
  id              bigserial PRIMARY KEY,
  user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  role            text NOT NULL CHECK (role IN ('call_organizer')),
  created         timestamptz NOT NULL,
  UNIQUE (user_id, organisation_id, role)
);
