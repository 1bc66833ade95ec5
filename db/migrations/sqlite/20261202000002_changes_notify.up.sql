-- PostgreSQL drops its notification trigger here; SQLite never had one.
SELECT 1;
