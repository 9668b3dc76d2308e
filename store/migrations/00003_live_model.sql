-- The live model (docs/output.md, "read N s ago"): the latest observation
-- of every connection, written by the leader's background reader so that
-- every replica answers status from one reader's cloud reads.

-- +goose Up
CREATE TABLE live_observations (
	connection  TEXT PRIMARY KEY,
	observed_at TEXT NOT NULL,
	body        TEXT NOT NULL -- JSON of vpn.Observation
);
