// Package pgtest gives tests a real PostgreSQL: the database named by
// DOORBOT_TEST_PG_DSN, which .ci/run sets after starting the machine's
// server. Without it a test is skipped with a line saying how to run it,
// except in CI (CI=true), where it fails: CI must never pass by skipping.
package pgtest

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// Env names the database the tests may use.
const Env = "DOORBOT_TEST_PG_DSN"

// DSN returns the test database's DSN, or skips (locally) or fails (CI).
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts the server)", Env)
		}
		t.Skipf("PostgreSQL tests skipped: start a server and set %s (e.g. %q; see .ci/run)",
			Env, "host=/var/run/postgresql dbname=doorbot_test")
	}
	return dsn
}

var schemas atomic.Int64

// SchemaDSN returns a DSN whose tables live in a new, empty schema that is
// dropped when t ends, so that tests never see each other's rows.
func SchemaDSN(t testing.TB) string {
	t.Helper()
	base := DSN(t)
	schema := fmt.Sprintf("t%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, schemas.Add(1))
	admin := Open(t, base)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	return withSearchPath(base, schema)
}

// FreshDSN returns an empty database of the store driver ("sqlite" or
// "postgres") for tb: a new SQLite file, or a new PostgreSQL schema
// (SchemaDSN, skipped or failed as DSN says).
func FreshDSN(tb testing.TB, driver string) string {
	tb.Helper()
	if driver == "postgres" {
		return SchemaDSN(tb)
	}
	return filepath.Join(tb.TempDir(), "doorbot.db")
}

// Open opens dsn with database/sql and closes it when t ends.
func Open(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// withSearchPath adds a search_path run-time parameter to a DSN in either
// of libpq's forms.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema
	}
	return dsn + " search_path=" + schema
}
