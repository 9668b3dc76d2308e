package leader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultKey is doorbot's advisory lock key ("doorbot" in ASCII); goose's
// migration lock uses another (4097083626).
const DefaultKey int64 = 0x646f6f72626f74

// Defaults for Postgres.
const (
	DefaultRetry = 5 * time.Second
	DefaultCheck = 5 * time.Second
)

// Postgres elects a leader with a session advisory lock.
type Postgres struct {
	state
	dsn   string
	key   int64
	retry time.Duration
	check time.Duration

	// dial and trace are for tests: dial opens the dedicated connection;
	// trace sees "dial", "try" and "check" as they happen.
	dial  func(ctx context.Context, dsn string) (*pgx.Conn, error)
	trace func(event string)
}

// PostgresConfig configures NewPostgres. Zero values take the defaults.
type PostgresConfig struct {
	// DSN of the database; it may hold a password and is never logged.
	DSN   string
	Key   int64         // DefaultKey
	Retry time.Duration // how often a follower tries the lock: DefaultRetry
	Check time.Duration // how often the leader checks its connection: DefaultCheck
}

// NewPostgres returns an elector over the database at cfg.DSN.
func NewPostgres(cfg PostgresConfig, opts Options) *Postgres {
	e := &Postgres{state: state{opts: opts}, dsn: cfg.DSN, key: cfg.Key, retry: cfg.Retry, check: cfg.Check,
		dial: pgx.Connect, trace: func(string) {}}
	if e.key == 0 {
		e.key = DefaultKey
	}
	if e.retry <= 0 {
		e.retry = DefaultRetry
	}
	if e.check <= 0 {
		e.check = DefaultCheck
	}
	return e
}

// Run takes part in the election until ctx ends. While this replica leads
// it runs jobs; when ctx ends it stops them before it closes the
// connection, so the next leader never overlaps a clean shutdown.
func (e *Postgres) Run(ctx context.Context, jobs []Job) {
	for ctx.Err() == nil {
		e.trace("dial")
		dctx, cancel := context.WithTimeout(ctx, e.retry+e.check)
		conn, err := e.dial(dctx, e.dsn)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				e.log().Warn("leader election: cannot connect; retrying", "identity", e.opts.Identity, "err", safeErr(err), "retry", e.retry)
			}
		} else {
			e.session(ctx, conn, jobs)
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn.Close(cctx) // releases the lock if the session still had it
			cancel()
		}
		sleep(ctx, e.retry)
	}
}

// session follows, and leads when the lock comes free, on one connection.
// It returns when the connection fails (the caller reconnects) or ctx
// ends, never while the jobs still run.
func (e *Postgres) session(ctx context.Context, conn *pgx.Conn, jobs []Job) {
	for {
		e.trace("try")
		var got bool
		tctx, cancel := context.WithTimeout(ctx, e.check)
		err := conn.QueryRow(tctx, `SELECT pg_try_advisory_lock($1)`, e.key).Scan(&got)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				e.log().Warn("leader election: connection failed; reconnecting", "identity", e.opts.Identity, "err", safeErr(err))
			}
			return
		}
		if got {
			e.hold(ctx, conn, jobs)
			return
		}
		if !sleep(ctx, e.retry) {
			return
		}
	}
}

// hold leads while the connection answers. On the first failed check it
// stops the jobs before returning, so the caller reconnects only after
// they have returned.
func (e *Postgres) hold(ctx context.Context, conn *pgx.Conn, jobs []Job) {
	stop := e.lead(ctx, jobs, fmt.Sprintf("advisory lock %d on backend %d", e.key, conn.PgConn().PID()))
	t := time.NewTicker(e.check)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			stop("shutting down")
			return
		case <-t.C:
		}
		e.trace("check")
		cctx, cancel := context.WithTimeout(ctx, e.check)
		err := conn.Ping(cctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				stop("shutting down")
			} else {
				stop("lost the database connection: " + safeErr(err))
			}
			return
		}
	}
}

// safeErr describes err without risking the DSN: pgx's connect errors name
// host, user and database, but a DSN that does not parse could be quoted
// with its password in it.
func safeErr(err error) string {
	if _, ok := errors.AsType[*pgconn.ParseConfigError](err); ok {
		return "the DSN does not parse (expected postgres://user@host/db or host=… dbname=…)"
	}
	return err.Error()
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
