package store

import (
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// pgEnv names the PostgreSQL database the store tests may use; .ci/run
// sets it. Every test gets a schema of its own in that database.
const pgEnv = "DOORBOT_TEST_PG_DSN"

var pgSchemas atomic.Int64

// pgTestDSN returns a DSN whose tables live in a new, empty schema that is
// dropped when t ends. Without pgEnv the test is skipped locally and fails
// in CI, so that CI can never pass by not running it.
func pgTestDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(pgEnv)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts the server)", pgEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. %q after starting a server; see .ci/run)",
			pgEnv, "host=/var/run/postgresql user=root dbname=doorbot_test")
	}
	schema := fmt.Sprintf("t%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, pgSchemas.Add(1))
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
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
