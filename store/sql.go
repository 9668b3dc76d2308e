package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/doorbot/doorbot/approval"
)

// timeFormat is RFC 3339 with a fixed nine-digit fraction: RFC3339Nano trims
// trailing zeros, which would make the TEXT columns sort wrongly ("…05Z"
// after "…05.1Z"), and List and any ad-hoc SQL rely on that order.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// sqlStore is the Store over database/sql. Both drivers run the same
// queries ($n placeholders, ON CONFLICT, TEXT times); what differs is in
// dialect.
type sqlStore struct {
	db *sql.DB
	d  dialect
}

// dialect is what one driver needs done differently.
type dialect struct {
	name string // dialectSQLite or dialectPostgres
	// writeSem, when set, queues this process's writers in Go, where
	// waiting is cheap and honours ctx. SQLite has one writer at a time
	// anyway; PostgreSQL locks rows, so its writers run in parallel.
	writeSem chan struct{}
	// retryable reports an error after which the whole write transaction
	// may simply run again (SQLite busy, PostgreSQL serialization failure).
	retryable func(error) bool
	// lockRow is appended to the SELECT that Update reads the request with,
	// so that a concurrent Update of the same row waits for this one to
	// commit ("FOR UPDATE"); SQLite's BEGIN IMMEDIATE already excludes
	// every other writer.
	lockRow string
}

// decideError marks an error that came from the caller's decide function,
// so that write neither retries it nor dresses it up.
type decideError struct{ err error }

func (e decideError) Error() string { return e.err.Error() }
func (e decideError) Unwrap() error { return e.err }

// write runs fn in a write transaction. A retryable failure (another
// process held SQLite's lock for longer than busy_timeout, a PostgreSQL
// serialization failure) runs fn again until ctx ends, because it means
// "try again", not "failed", and must not reach a user who clicked Approve.
func (s *sqlStore) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.d.writeSem != nil {
		select {
		case s.d.writeSem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-s.d.writeSem }()
	}

	backoff := 10 * time.Millisecond
	for {
		err := s.writeOnce(ctx, fn)
		if err == nil || !s.retryable(err) {
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

func (s *sqlStore) retryable(err error) bool {
	if _, ok := errors.AsType[decideError](err); ok {
		return false
	}
	return s.d.retryable(err)
}

func (s *sqlStore) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
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

func (s *sqlStore) Create(ctx context.Context, r approval.Request, ev approval.Event) error {
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
		// DO NOTHING rather than a constraint error: the same answer from
		// both drivers, and no aborted PostgreSQL transaction.
		res, err := tx.ExecContext(ctx, `INSERT INTO change_requests
			(id, connection, state, requester, created_at, expires_at, version, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO NOTHING`,
			r.ID, r.Connection, string(r.State), r.Requester,
			fmtTime(r.CreatedAt), fmtTime(r.ExpiresAt), r.Version, string(body))
		if err := inserted(res, err); err != nil {
			return err
		}
		return insertEvents(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("store: create %s: %w", r.ID, err)
	}
	return nil
}

// inserted reads the result of an INSERT … ON CONFLICT DO NOTHING:
// ErrExists when the row was already there.
func inserted(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrExists
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
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
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

// getRequest reads one request; suffix may lock its row (dialect.lockRow).
func getRequest(ctx context.Context, q queryer, id, suffix string) (approval.Request, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM change_requests WHERE id = $1`+suffix, id).Scan(&body)
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

func (s *sqlStore) Get(ctx context.Context, id string) (approval.Request, error) {
	r, err := getRequest(ctx, s.db, id, "")
	if err != nil {
		return approval.Request{}, fmt.Errorf("store: get %s: %w", id, err)
	}
	return r, nil
}

func (s *sqlStore) List(ctx context.Context) ([]approval.Request, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, body FROM change_requests ORDER BY created_at DESC, id DESC`)
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

func (s *sqlStore) Update(ctx context.Context, id string, decide func(r *approval.Request) ([]approval.Event, error)) (approval.Request, error) {
	var out approval.Request
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := getRequest(ctx, tx, id, s.d.lockRow)
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
			SET connection = $1, state = $2, requester = $3, created_at = $4, expires_at = $5, version = $6, body = $7
			WHERE id = $8 AND version = $9`,
			next.Connection, string(next.State), next.Requester,
			fmtTime(next.CreatedAt), fmtTime(next.ExpiresAt), next.Version, string(body),
			id, cur.Version)
		if err != nil {
			return err
		}
		// Cannot happen under the row or write lock; checked so that a
		// broken lock shows up as an error rather than a lost vote.
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
	if err := decided(err, "update "+id); err != nil {
		return approval.Request{}, err
	}
	return out, nil
}

// decided returns the caller's decide error as is, so that a refusal
// reaches the user unchanged, and wraps any other error with what failed.
func decided(err error, what string) error {
	if de, ok := errors.AsType[decideError](err); ok {
		return de.err
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

func (s *sqlStore) AppendEvent(ctx context.Context, ev approval.Event) error {
	err := s.write(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, ev) })
	if err != nil {
		return fmt.Errorf("store: append event %s %s: %w", ev.Kind, ev.RequestID, err)
	}
	return nil
}

func (s *sqlStore) Audit(ctx context.Context) ([]approval.Event, error) {
	return s.events(ctx, "")
}

func (s *sqlStore) AuditOf(ctx context.Context, requestID string) ([]approval.Event, error) {
	return s.events(ctx, " WHERE request_id = $1", requestID)
}

// events reads audit events in order of insertion, all or those where
// says (one request's, through its index).
func (s *sqlStore) events(ctx context.Context, where string, args ...any) ([]approval.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT request_id, kind, actor, at, team_id, channel, detail
		FROM audit_events`+where+` ORDER BY seq`, args...)
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

func (s *sqlStore) Close() error { return s.db.Close() }
