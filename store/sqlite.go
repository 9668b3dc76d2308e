package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/doorbot/doorbot/approval"
)

// timeFormat is RFC 3339 with a fixed nine-digit fraction: RFC3339Nano trims
// trailing zeros, which would make the TEXT columns sort wrongly ("…05Z"
// after "…05.1Z"), and List and any ad-hoc SQL rely on that order.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// dsnParams configure every pooled connection, not just the first:
//   - WAL lets readers (List, Audit) proceed while a decision is written;
//   - busy_timeout makes a second process wait for the write lock instead
//     of failing at once (the driver applies it before the other pragmas,
//     so switching to WAL on a fresh file cannot itself fail with BUSY);
//   - synchronous(FULL) because an approval that was acknowledged in Slack
//     must survive a power cut, and the write rate is tiny;
//   - _txlock=immediate makes BeginTx take the write lock up front. With a
//     deferred BEGIN two transactions could both read a pending request and
//     then one would fail to upgrade with SQLITE_BUSY (no busy wait
//     applies to that upgrade in WAL mode).
const dsnParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate"

type sqliteStore struct {
	db *sql.DB
	// writeSem queues this process's writers in Go, where waiting is cheap
	// and honours ctx, rather than all of them spinning in SQLite's busy
	// handler; busy_timeout is left to arbitrate between processes.
	writeSem chan struct{}
}

func sqliteDSN(dsn string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&" + dsnParams
	}
	return dsn + "?" + dsnParams
}

func openSQLite(ctx context.Context, dsn string) (*sqliteStore, error) {
	if dsn == "" {
		return nil, errors.New("store: open: empty sqlite dsn (set store.dsn, e.g. doorbot.db)")
	}
	db, err := sql.Open("sqlite", sqliteDSN(dsn))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dsn, err)
	}
	if dsn == ":memory:" || strings.Contains(dsn, "mode=memory") {
		// Each connection to :memory: is a separate, empty database.
		db.SetMaxOpenConns(1)
	}
	s := &sqliteStore{db: db, writeSem: make(chan struct{}, 1)}
	if err := migrate(ctx, db, sqliteMigrator(dsn)); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", dsn, err)
	}
	return s, nil
}

// sqliteMigrator serializes migrations between processes with a file
// lock beside the database (an in-memory database has no other process).
func sqliteMigrator(dsn string) migrator {
	m := migrator{dialect: dialectSQLite, goose: goose.DialectSQLite3}
	if path := sqliteFile(dsn); path != "" {
		m.lock = goose.WithLocker(&sqliteLocker{path: path + "-migrate.lock"})
	}
	return m
}

// sqliteFile is the database file a DSN names, or "" for an in-memory one.
func sqliteFile(dsn string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path == "" || path == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return ""
	}
	return path
}

// sqliteLocker is goose's Locker over a fileLock.
type sqliteLocker struct {
	path string
	held *fileLock
}

func (l *sqliteLocker) Lock(ctx context.Context, _ *sql.DB) error {
	held, err := lockFile(ctx, l.path)
	l.held = held
	return err
}

func (l *sqliteLocker) Unlock(context.Context, *sql.DB) error {
	if l.held == nil {
		return nil
	}
	err := l.held.Unlock()
	l.held = nil
	return err
}

// decideError marks an error that came from the caller's decide function,
// so that write neither retries it nor dresses it up.
type decideError struct{ err error }

func (e decideError) Error() string { return e.err.Error() }
func (e decideError) Unwrap() error { return e.err }

// write runs fn in a write transaction (BEGIN IMMEDIATE via _txlock). If
// another process held the lock for longer than busy_timeout it retries
// until ctx ends, because SQLITE_BUSY means "try again", not "failed", and
// must not reach a user who clicked Approve.
func (s *sqliteStore) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case s.writeSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writeSem }()

	backoff := 10 * time.Millisecond
	for {
		err := s.writeOnce(ctx, fn)
		if err == nil || !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up waiting: %w)", err, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (s *sqliteStore) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func isBusy(err error) bool {
	var de decideError
	if errors.As(err, &de) {
		return false
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // extended codes keep the primary code in the low byte
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// normalize stores every time in UTC so that the body and the columns agree
// and a request reads back the same whichever zone wrote it.
func normalize(r *approval.Request) {
	r.CreatedAt = r.CreatedAt.UTC()
	r.ExpiresAt = r.ExpiresAt.UTC()
	r.DecidedAt = r.DecidedAt.UTC()
	if len(r.Votes) > 0 {
		votes := make([]approval.Vote, len(r.Votes))
		for i, v := range r.Votes {
			v.At = v.At.UTC()
			votes[i] = v
		}
		r.Votes = votes
	}
	if r.Verification != nil {
		v := *r.Verification
		v.At = v.At.UTC()
		r.Verification = &v
	}
}

func (s *sqliteStore) Create(ctx context.Context, r approval.Request, ev approval.Event) error {
	if r.ID == "" {
		return errors.New("store: create: empty request ID")
	}
	r.Version = 0
	normalize(&r)
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: create %s: %w", r.ID, err)
	}
	if ev.RequestID == "" {
		ev.RequestID = r.ID
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		// Checked inside the write transaction, so no race, and without
		// parsing driver-specific constraint errors.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM change_requests WHERE id = ?`, r.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrExists
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO change_requests
			(id, connection, state, requester, created_at, expires_at, version, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Connection, string(r.State), r.Requester,
			fmtTime(r.CreatedAt), fmtTime(r.ExpiresAt), r.Version, string(body)); err != nil {
			return err
		}
		return insertEvents(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("store: create %s: %w", r.ID, err)
	}
	return nil
}

func insertEvents(ctx context.Context, tx *sql.Tx, evs ...approval.Event) error {
	for _, ev := range evs {
		if ev.Kind == "" {
			return fmt.Errorf("event for %q has no kind", ev.RequestID)
		}
		at := ev.At
		if at.IsZero() {
			at = time.Now()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events
			(request_id, kind, actor, at, team_id, channel, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			ev.RequestID, ev.Kind, ev.Actor, fmtTime(at), ev.TeamID, ev.Channel, ev.Detail); err != nil {
			return err
		}
	}
	return nil
}

// queryer is what Get needs from either the pool or a transaction.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getRequest(ctx context.Context, q queryer, id string) (approval.Request, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM change_requests WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return approval.Request{}, ErrNotFound
	}
	if err != nil {
		return approval.Request{}, err
	}
	return decodeRequest(body)
}

func decodeRequest(body string) (approval.Request, error) {
	var r approval.Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return approval.Request{}, fmt.Errorf("corrupt request body: %w", err)
	}
	return r, nil
}

func (s *sqliteStore) Get(ctx context.Context, id string) (approval.Request, error) {
	r, err := getRequest(ctx, s.db, id)
	if err != nil {
		return approval.Request{}, fmt.Errorf("store: get %s: %w", id, err)
	}
	return r, nil
}

func (s *sqliteStore) List(ctx context.Context) ([]approval.Request, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, body FROM change_requests ORDER BY created_at DESC, rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	var out []approval.Request
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, fmt.Errorf("store: list: %w", err)
		}
		r, err := decodeRequest(body)
		if err != nil {
			return nil, fmt.Errorf("store: list: %s: %w", id, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	return out, nil
}

func (s *sqliteStore) Update(ctx context.Context, id string, decide func(r *approval.Request) ([]approval.Event, error)) (approval.Request, error) {
	var out approval.Request
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := getRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		// cur was decoded just now, so decide may alias its slices freely:
		// a retry re-reads from disk.
		next := cur
		evs, err := decide(&next)
		if err != nil {
			return decideError{err}
		}
		if next.ID != id {
			return fmt.Errorf("decide changed the request ID to %q", next.ID)
		}
		next.Version = cur.Version + 1
		normalize(&next)
		body, err := json.Marshal(next)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE change_requests
			SET connection = ?, state = ?, requester = ?, created_at = ?, expires_at = ?, version = ?, body = ?
			WHERE id = ? AND version = ?`,
			next.Connection, string(next.State), next.Requester,
			fmtTime(next.CreatedAt), fmtTime(next.ExpiresAt), next.Version, string(body),
			id, cur.Version)
		if err != nil {
			return err
		}
		// Cannot happen under the write lock; checked so that a broken
		// lock shows up as an error rather than a lost vote.
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("version %d changed underneath the transaction", cur.Version)
		}
		for i := range evs {
			if evs[i].RequestID == "" {
				evs[i].RequestID = id
			}
		}
		if err := insertEvents(ctx, tx, evs...); err != nil {
			return err
		}
		out = next
		return nil
	})
	if de, ok := errors.AsType[decideError](err); ok {
		return approval.Request{}, de.err
	}
	if err != nil {
		return approval.Request{}, fmt.Errorf("store: update %s: %w", id, err)
	}
	return out, nil
}

func (s *sqliteStore) AppendEvent(ctx context.Context, ev approval.Event) error {
	err := s.write(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, ev) })
	if err != nil {
		return fmt.Errorf("store: append event %s %s: %w", ev.Kind, ev.RequestID, err)
	}
	return nil
}

func (s *sqliteStore) Audit(ctx context.Context) ([]approval.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT request_id, kind, actor, at, team_id, channel, detail
		FROM audit_events ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	defer rows.Close()
	var out []approval.Event
	for rows.Next() {
		var ev approval.Event
		var at string
		if err := rows.Scan(&ev.RequestID, &ev.Kind, &ev.Actor, &at, &ev.TeamID, &ev.Channel, &ev.Detail); err != nil {
			return nil, fmt.Errorf("store: audit: %w", err)
		}
		if ev.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("store: audit: %w", err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	return out, nil
}

func (s *sqliteStore) Close() error { return s.db.Close() }
