-- The click journal (docs/slack.md, "Decisions"): a decision click is
-- written here before Slack gets its ack and removed once the decision is
-- recorded and answered, so that a process killed between the ack and its
-- worker leaves the click for the next start (or the next leader) to
-- complete. Every column is an identifier checked by doorbot before the
-- write, or a bounded reason; the CHECKs bound a row whatever the caller.

-- +goose Up
CREATE TABLE click_journal (
	id         TEXT PRIMARY KEY CHECK (length(id) <= 40),
	action     TEXT NOT NULL CHECK (length(action) <= 40),
	request_id TEXT NOT NULL CHECK (length(request_id) <= 40),
	user_id    TEXT NOT NULL CHECK (length(user_id) <= 32),
	team_id    TEXT NOT NULL CHECK (length(team_id) <= 32),
	channel    TEXT NOT NULL CHECK (length(channel) <= 32),
	message_ts TEXT NOT NULL CHECK (length(message_ts) <= 32),
	reason     TEXT NOT NULL CHECK (length(reason) <= 3000),
	clicked_at TEXT NOT NULL,
	-- claimed_at is when a worker or a replay last took the click ('' for
	-- never); attempts counts the takes, so that a click that kills its
	-- taker every time is given up rather than retried for ever.
	claimed_at TEXT NOT NULL DEFAULT '',
	attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX click_journal_clicked_at ON click_journal(clicked_at);
