DROP TABLE IF EXISTS org_roles;

--bun:split

DROP TABLE IF EXISTS call_roles;

--bun:split

DROP TABLE IF EXISTS api_tokens;

--bun:split

DROP TABLE IF EXISTS users;

--bun:split

DROP TABLE IF EXISTS call_assignment_configurations;

--bun:split

DROP TABLE IF EXISTS calls;

--bun:split

DROP TABLE IF EXISTS organisations;
