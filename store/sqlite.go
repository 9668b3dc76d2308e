package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

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

func sqliteDSN(dsn string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&" + dsnParams
	}
	return dsn + "?" + dsnParams
}

func openSQLite(ctx context.Context, dsn string) (*sqlStore, error) {
	if dsn == "" {
		return nil, errors.New("store: open: empty sqlite dsn (set store.dsn, e.g. doorbot.db)")
	}
	if err := createPrivate(sqliteFile(dsn)); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dsn, err)
	}
	// The migration lock covers the pool's first connections too, not only
	// goose's version read and Up: opening a connection switches a fresh
	// file to WAL, and two connections doing that at once deadlock, which
	// SQLite reports as an immediate SQLITE_BUSY that busy_timeout does
	// not wait out. Under the lock the first opener converts the file and
	// every later one finds it in WAL already.
	if path := sqliteFile(dsn); path != "" {
		l, err := lockFile(ctx, path+"-migrate.lock")
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", dsn, err)
		}
		defer l.Unlock()
	}
	db, err := sql.Open("sqlite", sqliteDSN(dsn))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dsn, err)
	}
	if dsn == ":memory:" || strings.Contains(dsn, "mode=memory") {
		// Each connection to :memory: is a separate, empty database.
		db.SetMaxOpenConns(1)
	}
	s := &sqlStore{db: db, d: dialect{
		name:      dialectSQLite,
		writeSem:  make(chan struct{}, 1),
		retryable: isBusy,
	}}
	if err := migrate(ctx, db, migrator{dialect: dialectSQLite, goose: goose.DialectSQLite3}); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", dsn, err)
	}
	return s, nil
}

// openSQLiteReadOnly opens an existing database file with SQLite's
// read-only mode and query_only: no migration, no lock file, no write.
// SQLite still wants its -shm index beside a WAL database; where it cannot
// create one (a full disk, a read-only volume) the file is read as
// immutable, which sees every decision checkpointed into it (all of them
// once the server has stopped).
func openSQLiteReadOnly(ctx context.Context, dsn string) (*sqlStore, error) {
	path := sqliteFile(dsn)
	if path == "" {
		return nil, errors.New("store: open read-only: need a database file (set store.dsn, e.g. doorbot.db)")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	db, err := openReadOnlyFile(ctx, path, "mode=ro")
	if err != nil && isCantOpen(err) {
		db, err = openReadOnlyFile(ctx, path, "immutable=1")
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	return &sqlStore{db: db, d: dialect{name: dialectSQLite, writeSem: make(chan struct{}, 1), retryable: isBusy}}, nil
}

func openReadOnlyFile(ctx context.Context, path, mode string) (*sql.DB, error) {
	// A URI filename (the driver opens with SQLITE_OPEN_URI), so that mode
	// applies whatever the DSN said.
	uri := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + mode + "&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, err
	}
	if err := checkSchema(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// isCantOpen: SQLite could not open a file it needs (the -shm index).
func isCantOpen(err error) bool {
	se, ok := errors.AsType[*sqlite.Error](err)
	return ok && se.Code()&0xff == sqlite3.SQLITE_CANTOPEN
}

// createPrivate creates a missing database file readable by its owner
// alone: it holds who approved what, and SQLite would create it with the
// umask's 0644. SQLite gives the -wal and -shm files the database file's
// mode.
func createPrivate(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// sqliteFile is the database file a DSN names, or "" for an in-memory one.
func sqliteFile(dsn string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path == "" || path == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return ""
	}
	return path
}

// isBusy: SQLITE_BUSY and SQLITE_LOCKED mean another connection holds the
// lock; the transaction did nothing and can run again.
func isBusy(err error) bool {
	se, ok := errors.AsType[*sqlite.Error](err)
	if !ok {
		return false
	}
	switch se.Code() & 0xff { // extended codes keep the primary code in the low byte
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}
