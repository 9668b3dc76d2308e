-- Alerts (docs/alerts.md): the alert engine's memory of each connection,
-- every alert, the messages sent about them (an outbox: a row is written
-- before its message is posted, so that a retry or a second leader never
-- posts twice and a failed post is never lost), and every observed tunnel
-- state change for doorbot history.

-- +goose Up
CREATE TABLE alert_connections (
	connection TEXT PRIMARY KEY,
	version    INTEGER NOT NULL,
	updated_at TEXT NOT NULL,
	body       TEXT NOT NULL -- JSON of alerts.Connection
);

CREATE TABLE alerts (
	id          TEXT PRIMARY KEY,
	connection  TEXT NOT NULL,
	kind        TEXT NOT NULL,
	state       TEXT NOT NULL,
	since       TEXT NOT NULL,
	opened_at   TEXT NOT NULL,
	resolved_at TEXT NOT NULL,
	acked_by    TEXT NOT NULL,
	channel     TEXT NOT NULL, -- the root message, once posted
	ts          TEXT NOT NULL,
	body        TEXT NOT NULL  -- JSON of alerts.Alert; the columns above are for queries
);
CREATE INDEX alerts_connection ON alerts(connection);
CREATE INDEX alerts_opened_at ON alerts(opened_at);

CREATE TABLE alert_messages (
	id         TEXT PRIMARY KEY, -- alert ID / transition / delivery
	alert_id   TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	delivery   TEXT NOT NULL,
	pos        INTEGER NOT NULL, -- order within the transition
	event      TEXT NOT NULL,
	channel    TEXT NOT NULL,
	thread_ts  TEXT NOT NULL,
	body       TEXT NOT NULL,    -- the rendered message, JSON
	state      TEXT NOT NULL,    -- pending | sending | sent
	attempts   INTEGER NOT NULL,
	last_error TEXT NOT NULL,
	created_at TEXT NOT NULL,
	next_at    TEXT NOT NULL,    -- not before (backoff, Retry-After)
	sent_at    TEXT NOT NULL,
	ts         TEXT NOT NULL     -- the posted message
);
CREATE INDEX alert_messages_state ON alert_messages(state, created_at);
CREATE INDEX alert_messages_alert ON alert_messages(alert_id);

CREATE TABLE tunnel_changes (
-- +doorbot sqlite
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
-- +doorbot postgres
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
-- +doorbot end
	connection TEXT NOT NULL,
	tunnel     TEXT NOT NULL, -- the tunnel's key (AWS outside IP, else azure:NAME)
	label      TEXT NOT NULL,
	from_state TEXT NOT NULL,
	to_state   TEXT NOT NULL,
	at         TEXT NOT NULL,
	source     TEXT NOT NULL  -- which sides the state was read from, and what they said
);
CREATE INDEX tunnel_changes_connection_at ON tunnel_changes(connection, at);
