DROP TABLE IF EXISTS login_failures;

--bun:split

ALTER TABLE api_tokens DROP COLUMN IF EXISTS via_login;
