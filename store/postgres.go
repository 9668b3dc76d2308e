package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers database/sql driver "pgx"
)

// openPostgres opens a pool on dsn (a postgres:// URL or libpq keywords;
// the password best comes from PGPASSWORD or a .pgpass file). dsn may hold
// a password, so no error or log line here ever includes it: pgx's own
// connect errors name the host, user and database only.
func openPostgres(ctx context.Context, dsn string) (*sqlStore, error) {
	if dsn == "" {
		return nil, errors.New("store: open: empty postgres dsn (set DOORBOT_STORE_DSN or store.dsn)")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		// pgx's parse errors quote no part of the DSN, but say nothing
		// either way here: the DSN may be the password's only copy.
		return nil, errors.New("store: open postgres: the DSN does not parse (expected postgres://user@host/db or host=… dbname=…)")
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	m, err := postgresMigrator()
	if err == nil {
		err = migrate(ctx, db, m)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	return &sqlStore{db: db, d: dialect{
		name:      dialectPostgres,
		retryable: isSerializationFailure,
		lockRow:   " FOR UPDATE",
	}}, nil
}

// isSerializationFailure: the server aborted the transaction to keep
// concurrent ones consistent (a deadlock, a serialization failure); it did
// nothing and can run again.
func isSerializationFailure(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pe.Code == "40001" || pe.Code == "40P01")
}

// openPostgresReadOnly opens a pool whose every transaction is read-only
// (default_transaction_read_only, set per connection by the DSN's runtime
// parameters) and runs no migration.
func openPostgresReadOnly(ctx context.Context, dsn string) (*sqlStore, error) {
	if dsn == "" {
		return nil, errors.New("store: open: empty postgres dsn (set DOORBOT_STORE_DSN or store.dsn)")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("store: open postgres: the DSN does not parse (expected postgres://user@host/db or host=… dbname=…)")
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	if err := checkSchema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open postgres read-only: %w", err)
	}
	return &sqlStore{db: db, d: dialect{name: dialectPostgres, retryable: isSerializationFailure, lockRow: " FOR UPDATE"}}, nil
}
