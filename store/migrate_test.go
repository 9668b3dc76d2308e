package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/internal/pgtest"
)

// knownVersion is the newest migration this binary embeds.
func knownVersion(t *testing.T) int64 {
	t.Helper()
	names, err := fs.Glob(embedded, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded migrations: %v", err)
	}
	v, err := goose.NumericComponent(names[len(names)-1])
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestForDialect(t *testing.T) {
	src := "a\n-- +doorbot sqlite\nb\n-- +doorbot postgres\nc\n-- +doorbot end\nd\n"
	for _, tc := range []struct {
		dialect, want string
	}{
		{dialectSQLite, "a\n\nb\n\n\n\nd\n"},
		{dialectPostgres, "a\n\n\n\nc\n\nd\n"},
	} {
		got, err := forDialect([]byte(src), tc.dialect)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.dialect, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		src, want string
	}{
		{"a\n-- +doorbot sqlite\nb\n", "-- +doorbot sqlite block not closed"},
		{"a\n-- +doorbot end\n", "line 2: -- +doorbot end outside a block"},
		{"-- +doorbot mysql\n", `line 1: unknown -- +doorbot "mysql"`},
	} {
		if _, err := forDialect([]byte(tc.src), dialectSQLite); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.src, err, tc.want)
		}
	}
}

// TestMigrationFilesWellFormed catches a bad block in any migration file,
// for both dialects, before a deployment does.
func TestMigrationFilesWellFormed(t *testing.T) {
	names, _ := fs.Glob(embedded, "migrations/*")
	for _, name := range names {
		if !strings.HasSuffix(name, ".sql") {
			t.Errorf("%s: only NNNNN_name.sql files belong in migrations/", name)
			continue
		}
		if _, err := goose.NumericComponent(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		raw, _ := embedded.ReadFile(name)
		for _, d := range []string{dialectSQLite, dialectPostgres} {
			if _, err := forDialect(raw, d); err != nil {
				t.Errorf("%s (%s): %v", name, d, err)
			}
		}
	}
}

// legacySchema is what doorbot created before goose, with its version table.
var legacySchema = []string{
	`CREATE TABLE change_requests (
		id TEXT PRIMARY KEY, connection TEXT NOT NULL, state TEXT NOT NULL, requester TEXT NOT NULL,
		created_at TEXT NOT NULL, expires_at TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL)`,
	`CREATE INDEX change_requests_created_at ON change_requests(created_at)`,
	`CREATE INDEX change_requests_state ON change_requests(state)`,
	`CREATE TABLE audit_events (
		seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, kind TEXT NOT NULL,
		actor TEXT NOT NULL, at TEXT NOT NULL, team_id TEXT NOT NULL, channel TEXT NOT NULL, detail TEXT NOT NULL)`,
	`CREATE INDEX audit_events_request_id ON audit_events(request_id)`,
	`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
		BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`,
	`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
		BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`,
	`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`,
	`INSERT INTO schema_migrations VALUES (1, '2026-11-30T10:00:00.000000000Z')`,
}

// TestLegacyFileMigrates opens a file written by the pre-goose store: its
// requests and audit log survive, it keeps working, and it stays append-only.
func TestLegacyFileMigrates(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "doorbot.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	body := (`{"id":"cr-old","connection":"azure-prod","state":"pending","requester":"U_REQ","reason":"rotate PSK","required_approvals":1,"created_at":"2026-11-30T09:00:00Z","expires_at":"2026-12-01T09:00:00Z","version":0}`)
	stmts := append(legacySchema,
		`INSERT INTO change_requests VALUES ('cr-old', 'azure-prod', 'pending', 'U_REQ', '2026-11-30T09:00:00.000000000Z', '2026-12-01T09:00:00.000000000Z', 0, '`+body+`')`,
		`INSERT INTO audit_events (request_id, kind, actor, at, team_id, channel, detail) VALUES ('cr-old', 'created', 'U_REQ', '2026-11-30T09:00:00.000000000Z', 'T1', 'C1', '')`)
	for _, q := range stmts {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	s, err := Open(ctx, "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(ctx, "cr-old")
	if err != nil || got.Reason != "rotate PSK" || got.State != approval.Pending {
		t.Fatalf("legacy request after migration: %+v, %v", got, err)
	}
	if _, err := s.Update(ctx, "cr-old", approve("U1")); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Audit(ctx)
	if err != nil || len(evs) != 2 || evs[0].Kind != "created" || evs[1].Kind != "approved" {
		t.Fatalf("audit after migration: %+v, %v", evs, err)
	}
	db := s.(*sqlStore).db
	if _, err := db.Exec(`DELETE FROM audit_events`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("legacy audit log no longer append-only: %v", err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("legacy version table left behind: %d, %v", n, err)
	}
	if rows := migrationRows(t, s); len(rows) != int(knownVersion(t))+1 {
		t.Fatalf("goose_db_version = %v", rows)
	}
}

// TestConcurrentMigrate starts several stores on one fresh file at once, as
// replicas of a rolling deploy would: each migration is applied once.
func TestConcurrentMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doorbot.db")
	const n = 4
	stores := make([]Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), "sqlite", path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var versions []string
	for _, row := range migrationRows(t, stores[0]) {
		v, _, _ := strings.Cut(row, "@")
		versions = append(versions, v)
	}
	want := []string{"0"}
	for v := int64(1); v <= knownVersion(t); v++ {
		want = append(want, fmt.Sprint(v))
	}
	if strings.Join(versions, ",") != strings.Join(want, ",") {
		t.Fatalf("applied versions %v, want %v", versions, want)
	}
}

func TestMemoryStore(t *testing.T) {
	s, err := Open(t.Context(), "sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := newRequest("cr-1", time.Now())
	if err := s.Create(t.Context(), r, created(r)); err != nil {
		t.Fatal(err)
	}
}

// TestMigratePostgres applies every migration to a fresh PostgreSQL schema,
// twice at once, and checks that the audit log refuses changes there too.
func TestMigratePostgres(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	m, err := postgresMigrator()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = migrate(t.Context(), db, m)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied, max int64
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&applied, &max); err != nil {
		t.Fatal(err)
	}
	if applied != knownVersion(t) || max != knownVersion(t) {
		t.Fatalf("%d migrations recorded up to %d, want each of 1..%d once", applied, max, knownVersion(t))
	}
	if _, err := db.Exec(`INSERT INTO audit_events (request_id, kind, actor, at, team_id, channel, detail)
		VALUES ('cr-1', 'created', 'U1', '2026-12-03T09:00:00.000000000Z', 'T1', 'C1', '')`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE audit_events SET actor = 'mallory'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
	} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", q, err)
		}
	}
}

// TestClaimSQLite: one serving process per file, freed when it lets go;
// an in-memory database has nobody to exclude.
func TestClaimSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doorbot.db")
	release, err := ClaimSQLite("file:" + path + "?_pragma=busy_timeout(1000)")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ClaimSQLite(path)
	if !errors.Is(err, ErrOtherReplica) || !strings.Contains(err.Error(), fmt.Sprintf("%s (pid %d)", path, os.Getpid())) {
		t.Fatalf("second claim: %v", err)
	}
	release()
	again, err := ClaimSQLite(path)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	again()
	for _, dsn := range []string{":memory:", "file::memory:?cache=shared", "file:x?mode=memory"} {
		r1, err1 := ClaimSQLite(dsn)
		r2, err2 := ClaimSQLite(dsn)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", dsn, err1, err2)
		}
		r1()
		r2()
	}
}
