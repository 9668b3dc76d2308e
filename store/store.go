// Package store persists change requests and their append-only audit log.
// Several doorbot processes may share one database (a rolling deploy, a
// CLI next to the bot), so every decision is read and written inside one
// write transaction that no other writer can overtake.
//
// # Drivers
//
// SQLite (modernc.org/sqlite, no cgo) is one replica on one host; PostgreSQL
// (pgx v5 through its database/sql driver) serves any number of replicas.
// Both run the same queries through one sqlStore: $1-style placeholders,
// INSERT … ON CONFLICT, times as fixed-width UTC TEXT. Writes go through
// sqlStore.write, one transaction that is retried when the database says
// "try again"; a read-modify-write reads its row with dialect.lockRow
// appended (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already
// excludes other writers) and updates it conditionally on its version, so
// two replicas deciding at once decide once.
//
// # Migrations
//
// The schema is one set of SQL files in migrations/, embedded in the
// binary and applied by goose (github.com/pressly/goose/v3) when a store is
// opened, under a lock so that processes starting together apply each file
// once: a file lock beside a SQLite database, goose's session advisory
// lock on PostgreSQL. A database whose schema is newer than the binary is
// refused. To change the schema, add a file; never edit or renumber one
// that has been released, since databases already recorded it as applied:
//
//   - Name it NNNNN_what.sql with the next number (00002_alerts.sql).
//   - Start it with "-- +goose Up"; doorbot never migrates down, so a
//     "-- +goose Down" section is optional. Statements end with ";";
//     wrap a statement that contains ";" (a trigger, a function) in
//     "-- +goose StatementBegin" / "-- +goose StatementEnd". Each file
//     runs in one transaction.
//   - Write SQL that SQLite and PostgreSQL both accept: TEXT, INTEGER,
//     BIGINT, PRIMARY KEY, UNIQUE, CREATE INDEX, INSERT … ON CONFLICT,
//     UPDATE … RETURNING, $1-style placeholders in queries. Store times as
//     TEXT in the store's fixed-width UTC format (timeFormat), so that they
//     sort as text; use IDs made by the application, not SERIAL.
//   - Where the dialects must differ (an auto-numbered key, a trigger),
//     put each version in its own block, as below; lines outside blocks
//     are for both.
//   - The store tests apply every file to a fresh database of each driver
//     (PostgreSQL when DOORBOT_TEST_PG_DSN is set, as in CI), and
//     TestMigrationFilesWellFormed checks the blocks.
//
// A block runs from "-- +doorbot sqlite" or "-- +doorbot postgres" to the
// next such line or to "-- +doorbot end":
//
//	CREATE TABLE IF NOT EXISTS audit_events (
//	-- +doorbot sqlite
//		seq INTEGER PRIMARY KEY AUTOINCREMENT,
//	-- +doorbot postgres
//		seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
//	-- +doorbot end
//		request_id TEXT NOT NULL,
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/approval"
)

// ErrNotFound is returned (wrapped) when a change request does not exist.
var ErrNotFound = errors.New("change request not found")

// ErrExists is returned (wrapped) by Create when the ID is already taken.
var ErrExists = errors.New("change request already exists")

// Store persists change requests, in SQLite (one replica) or PostgreSQL
// (any number of replicas), with the same behaviour.
//
// The store owns Request.Version: Create stores 0 and every Update adds 1,
// whatever the caller put there, so that Version counts stored changes.
type Store interface {
	// Create inserts a new request and its "created" event in one
	// transaction; an existing ID is an error (ErrExists).
	Create(ctx context.Context, r approval.Request, ev approval.Event) error
	// Get returns ErrNotFound (wrapped) when the request is absent.
	Get(ctx context.Context, id string) (approval.Request, error)
	// List returns all requests, newest first.
	List(ctx context.Context) ([]approval.Request, error)
	// Update runs decide on the current request inside one write
	// transaction that a concurrent Update of the same request, in this or
	// another process, cannot overtake. If decide returns an error nothing
	// is written and that error is returned as is, so a refusal reaches the
	// user unchanged. Otherwise the request (Version incremented) and the
	// returned events are written atomically and the new request returned.
	//
	// decide may run more than once if the transaction has to be retried,
	// so it must change nothing but *r.
	Update(ctx context.Context, id string, decide func(r *approval.Request) ([]approval.Event, error)) (approval.Request, error)
	// AppendEvent records an event that changes no request (a refused
	// click, say), in its own transaction.
	AppendEvent(ctx context.Context, ev approval.Event) error
	// Audit returns every event in order of insertion.
	Audit(ctx context.Context) ([]approval.Event, error)
	// AuditOf returns the events of one request in order of insertion
	// (through its index: the log grows for ever).
	AuditOf(ctx context.Context, requestID string) ([]approval.Event, error)
	AlertStore
	ModelStore
	JournalStore
	Close() error
}

// AlertStore keeps the alert engine's state, the alerts, their outbox of
// messages and the tunnel history (alerts.go).
type AlertStore interface {
	UpdateAlerts(ctx context.Context, connection string, at time.Time, step func(c *alerts.Connection) (AlertStep, error)) (alerts.Connection, error)
	AlertStates(ctx context.Context) ([]alerts.Connection, error)
	Alerts(ctx context.Context, since time.Time) ([]alerts.Alert, error)
	AlertConnection(ctx context.Context, id string) (string, error)
	AlertRoot(ctx context.Context, id string) (channel, ts string, err error)
	ClaimMessages(ctx context.Context, now time.Time, stale time.Duration, limit int) ([]AlertMessage, error)
	MessageSent(ctx context.Context, m AlertMessage, channel, ts string, at time.Time) error
	MessageFailed(ctx context.Context, m AlertMessage, reason string, next time.Time) error
	UnsentMessages(ctx context.Context) (int, string, error)
	TunnelChanges(ctx context.Context, connection string, since time.Time) ([]TunnelChange, error)
}

// Open opens the store named by the config's store.driver and store.dsn and
// brings its schema up to date. An empty driver means sqlite, the default.
// For postgres the DSN may hold a password: no error quotes it.
func Open(ctx context.Context, driver, dsn string) (Store, error) {
	switch driver {
	case "", "sqlite":
		return openSQLite(ctx, dsn)
	case "postgres":
		return openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("store: unknown driver %q (want sqlite or postgres)", driver)
	}
}

// OpenReadOnly opens an existing store to read it alone: no file is
// created, no migration runs and nothing is written, so that `changes
// list`, `show` and `audit` work during the incident that filled the disk
// or made the volume read-only. Its write methods fail. A schema newer
// than this doorbot is refused as by Open.
func OpenReadOnly(ctx context.Context, driver, dsn string) (Store, error) {
	switch driver {
	case "", "sqlite":
		return openSQLiteReadOnly(ctx, dsn)
	case "postgres":
		return openPostgresReadOnly(ctx, dsn)
	default:
		return nil, fmt.Errorf("store: unknown driver %q (want sqlite or postgres)", driver)
	}
}
