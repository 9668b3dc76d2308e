-- Change requests and their append-only audit log: the schema that
-- doorbot's own migration code created before goose. Every statement is
-- IF NOT EXISTS so that a SQLite file made by that code migrates forward
-- by recording this version, without touching its rows.

-- +goose Up
CREATE TABLE IF NOT EXISTS change_requests (
	id         TEXT PRIMARY KEY,
	connection TEXT NOT NULL,
	state      TEXT NOT NULL,
	requester  TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	version    INTEGER NOT NULL,
	body       TEXT NOT NULL -- JSON of approval.Request; the columns above are for queries
);
CREATE INDEX IF NOT EXISTS change_requests_created_at ON change_requests(created_at);
CREATE INDEX IF NOT EXISTS change_requests_state ON change_requests(state);

-- seq is the order of insertion, assigned by the database.
CREATE TABLE IF NOT EXISTS audit_events (
-- +doorbot sqlite
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
-- +doorbot postgres
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
-- +doorbot end
	request_id TEXT NOT NULL,
	kind       TEXT NOT NULL,
	actor      TEXT NOT NULL,
	at         TEXT NOT NULL,
	team_id    TEXT NOT NULL,
	channel    TEXT NOT NULL,
	detail     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_request_id ON audit_events(request_id);

-- The audit log is evidence of who approved what: append-only is enforced
-- in the database, so that neither a bug nor a hand-run statement can
-- rewrite history.
-- +doorbot sqlite
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
-- +goose StatementEnd
-- +doorbot postgres
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
-- TRUNCATE skips row triggers.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
	FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
-- +doorbot end

-- The version table of doorbot's own migration code; goose_db_version
-- replaces it.
DROP TABLE IF EXISTS schema_migrations;
