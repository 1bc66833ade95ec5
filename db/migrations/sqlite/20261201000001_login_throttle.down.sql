DROP TABLE IF EXISTS login_failures;

--bun:split

ALTER TABLE api_tokens DROP COLUMN via_login;
