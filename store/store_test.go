package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/internal/pgtest"
)

// eachDriver runs the store's behaviour suite on every driver: SQLite on a
// fresh file, PostgreSQL on a fresh schema (skipped locally without
// DOORBOT_TEST_PG_DSN, never in CI).
func eachDriver(t *testing.T, test func(t *testing.T, driver, dsn string)) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) { test(t, driver, pgtest.FreshDSN(t, driver)) })
	}
}

// openTest opens the store and closes it when t ends.
func openTest(t *testing.T, driver, dsn string) Store {
	t.Helper()
	s, err := Open(t.Context(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTemp is a SQLite store on a fresh file, for SQLite-only tests.
func openTemp(t *testing.T) (Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doorbot.db")
	return openTest(t, "sqlite", path), path
}

// rawDB opens the database under a store without the store, as a person
// with a SQL shell would.
func rawDB(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	name := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[driver]
	db, err := sql.Open(name, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newRequest(id string, created time.Time) approval.Request {
	return approval.Request{
		ID:                id,
		Connection:        "azure-prod",
		State:             approval.Pending,
		Requester:         "U_REQ",
		Reason:            "rotate PSK",
		Proposal:          "name: azure-prod\n",
		Verdict:           "ok",
		Diff:              []string{"+ tunnel 1"},
		RequiredApprovals: 1,
		CreatedAt:         created,
		ExpiresAt:         created.Add(24 * time.Hour),
		TeamID:            "T1",
		Channel:           "C1",
		Version:           42, // the store owns Version and must ignore this
	}
}

func created(r approval.Request) approval.Event {
	return approval.Event{RequestID: r.ID, Kind: "created", Actor: r.Requester, At: r.CreatedAt, TeamID: r.TeamID, Channel: r.Channel}
}

var errRefused = errors.New("refused")

// approve is the decide function of the concurrency tests: a one-approver
// policy that refuses a second vote or a decided request.
func approve(user string) func(r *approval.Request) ([]approval.Event, error) {
	return func(r *approval.Request) ([]approval.Event, error) {
		if r.State != approval.Pending {
			return nil, fmt.Errorf("%w: request is %s", errRefused, r.State)
		}
		for _, v := range r.Votes {
			if v.User == user {
				return nil, fmt.Errorf("%w: %s already voted", errRefused, user)
			}
		}
		now := time.Now()
		r.Votes = append(r.Votes, approval.Vote{User: user, Kind: "approve", At: now})
		r.Approvals = append(r.Approvals, user)
		if len(r.Votes) >= 1 {
			r.State = approval.Approved
			r.DecidedAt = now
		}
		return []approval.Event{{Kind: "approved", Actor: user, At: now}}, nil
	}
}

func TestRoundTrip(t *testing.T) { eachDriver(t, testRoundTrip) }

func testRoundTrip(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	s := openTest(t, driver, dsn)
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.FixedZone("JST", 9*3600))
	a, b := newRequest("cr-a", t0), newRequest("cr-b", t0.Add(time.Second))
	for _, r := range []approval.Request{a, b} {
		if err := s.Create(ctx, r, created(r)); err != nil {
			t.Fatal(err)
		}
	}

	got, err := s.Get(ctx, "cr-a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 0 || got.Reason != a.Reason || !got.CreatedAt.Equal(a.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("Get = %+v", got)
	}

	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "cr-b" || list[1].ID != "cr-a" {
		t.Fatalf("List order = %v, want newest first", ids(list))
	}

	up, err := s.Update(ctx, "cr-a", approve("U1"))
	if err != nil {
		t.Fatal(err)
	}
	if up.Version != 1 || up.State != approval.Approved || !slices.Equal(up.Approvals, []string{"U1"}) {
		t.Fatalf("Update = %+v", up)
	}
	got, _ = s.Get(ctx, "cr-a")
	if got.Version != 1 || got.State != approval.Approved || len(got.Votes) != 1 {
		t.Fatalf("Get after Update = %+v", got)
	}

	if err := s.AppendEvent(ctx, approval.Event{RequestID: "cr-a", Kind: "refused", Actor: "U2", Detail: "already approved"}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.RequestID+"/"+e.Kind)
	}
	want := []string{"cr-a/created", "cr-b/created", "cr-a/approved", "cr-a/refused"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("Audit = %v, want %v", kinds, want)
	}
	if evs[3].At.IsZero() || evs[0].TeamID != "T1" || evs[3].Detail != "already approved" {
		t.Fatalf("Audit fields = %+v", evs)
	}
	// One request's events, in the same order, with the same fields.
	of, err := s.AuditOf(ctx, "cr-a")
	if err != nil {
		t.Fatal(err)
	}
	if want := []approval.Event{evs[0], evs[2], evs[3]}; !reflect.DeepEqual(of, want) {
		t.Fatalf("AuditOf(cr-a) = %+v, want %+v", of, want)
	}
	if none, err := s.AuditOf(ctx, "cr-none"); err != nil || len(none) != 0 {
		t.Fatalf("AuditOf(cr-none) = %+v, %v", none, err)
	}
}

func ids(rs []approval.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestErrors(t *testing.T) { eachDriver(t, testErrors) }

func testErrors(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	s := openTest(t, driver, dsn)

	if _, err := s.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	if _, err := s.Update(ctx, "nope", approve("U1")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Update missing: %v", err)
	}

	r := newRequest("cr-1", time.Now())
	if err := s.Create(ctx, r, created(r)); err != nil {
		t.Fatal(err)
	}
	err := s.Create(ctx, r, created(r))
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "cr-1") {
		t.Fatalf("duplicate Create: %v", err)
	}

	// A refusing decide writes nothing, even though it mutated r first.
	boom := errors.New("requester cannot approve own change")
	_, err = s.Update(ctx, "cr-1", func(r *approval.Request) ([]approval.Event, error) {
		r.State = approval.Approved
		return []approval.Event{{Kind: "approved"}}, boom
	})
	if err != boom {
		t.Fatalf("decide error = %v, want it returned as is", err)
	}
	got, _ := s.Get(ctx, "cr-1")
	if got.Version != 0 || got.State != approval.Pending {
		t.Fatalf("after refused decide: %+v", got)
	}
	evs, _ := s.Audit(ctx)
	if len(evs) != 1 {
		t.Fatalf("after refused decide and duplicate Create: %d events, want 1", len(evs))
	}

}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	if _, err := Open(ctx, "mysql", "x"); err == nil || !strings.Contains(err.Error(), `unknown driver "mysql"`) {
		t.Fatalf("unknown driver: %v", err)
	}
	// A DSN may carry the database password: no error may repeat it.
	for _, dsn := range []string{
		"postgres://doorbot:hunter2@127.0.0.1:1/doorbot?connect_timeout=2",
		"host=127.0.0.1 port=1 user=doorbot password=hunter2 dbname=doorbot connect_timeout=2",
		"postgres://doorbot:hunter2@db:notaport/doorbot",
		"host=db port=x password=hunter2",
	} {
		_, err := Open(ctx, "postgres", dsn)
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.HasPrefix(err.Error(), "store: open postgres: ") {
			t.Errorf("Open(%q) = %v; want an error without the password", dsn, err)
		}
	}
	if _, err := Open(ctx, "postgres", ""); err == nil || !strings.Contains(err.Error(), "DOORBOT_STORE_DSN") {
		t.Errorf("empty postgres dsn: %v", err)
	}
}

// TestConcurrentApprove simulates two bot processes (two Store values, each
// with its own connections, on one database) and a burst of clicks:
// exactly one approval may win.
func TestConcurrentApprove(t *testing.T) { eachDriver(t, testConcurrentApprove) }

func testConcurrentApprove(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	s1 := openTest(t, driver, dsn)
	s2 := openTest(t, driver, dsn)

	r := newRequest("cr-race", time.Now())
	if err := s1.Create(ctx, r, created(r)); err != nil {
		t.Fatal(err)
	}

	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Go(func() {
			<-start
			_, errs[i] = s.Update(ctx, "cr-race", approve(fmt.Sprintf("U%02d", i)))
		})
	}
	close(start)
	wg.Wait()

	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, errRefused):
		default:
			t.Errorf("goroutine %d: unexpected error (busy leak?): %v", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d Updates succeeded, want exactly 1", wins)
	}
	got, _ := s2.Get(ctx, "cr-race")
	if got.State != approval.Approved || got.Version != 1 || len(got.Votes) != 1 {
		t.Fatalf("final request: %+v", got)
	}
	evs, _ := s1.Audit(ctx)
	approved := 0
	for _, e := range evs {
		if e.Kind == "approved" {
			approved++
		}
	}
	if approved != 1 {
		t.Fatalf("%d approved events, want 1", approved)
	}
}

func TestRestart(t *testing.T) { eachDriver(t, testRestart) }

func testRestart(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	s, err := Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	r := newRequest("cr-1", time.Now())
	if err := s.Create(ctx, r, created(r)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "cr-1", approve("U1")); err != nil {
		t.Fatal(err)
	}
	before := migrationRows(t, s)
	s.Close()

	s = openTest(t, driver, dsn)
	got, err := s.Get(ctx, "cr-1")
	if err != nil || got.State != approval.Approved || got.Version != 1 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if evs, _ := s.Audit(ctx); len(evs) != 2 {
		t.Fatalf("after reopen: %d events, want 2", len(evs))
	}
	after := migrationRows(t, s)
	// goose records version 0 (its own table) and then one row per file.
	if len(before) != int(knownVersion(t))+1 || !slices.Equal(before, after) {
		t.Fatalf("goose_db_version before %v after %v", before, after)
	}
}

func migrationRows(t *testing.T, s Store) []string {
	t.Helper()
	rows, err := s.(*sqlStore).db.Query(`SELECT version_id, tstamp FROM goose_db_version ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v int
		var at string
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d@%s", v, at))
	}
	return out
}

func TestNewerSchemaRefused(t *testing.T) { eachDriver(t, testNewerSchemaRefused) }

func testNewerSchemaRefused(t *testing.T, driver, dsn string) {
	s := openTest(t, driver, dsn)
	if _, err := s.(*sqlStore).db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, $2)`, knownVersion(t)+1, true); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), driver, dsn)
	if err == nil || !strings.Contains(err.Error(), "newer than this doorbot knows") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestAuditAppendOnly(t *testing.T) { eachDriver(t, testAuditAppendOnly) }

func testAuditAppendOnly(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	s := openTest(t, driver, dsn)
	r := newRequest("cr-1", time.Now())
	if err := s.Create(ctx, r, created(r)); err != nil {
		t.Fatal(err)
	}

	raw := rawDB(t, driver, dsn)
	stmts := []string{
		`UPDATE audit_events SET actor = 'mallory'`,
		`DELETE FROM audit_events`,
	}
	if driver == "postgres" {
		stmts = append(stmts, `TRUNCATE audit_events`)
	}
	for _, q := range stmts {
		if _, err := raw.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", q, err)
		}
	}
	evs, _ := s.Audit(ctx)
	if len(evs) != 1 || evs[0].Actor != "U_REQ" {
		t.Fatalf("audit changed: %+v", evs)
	}
}

// helperEnv and helperDriverEnv name the database the helper process writes.
const (
	helperEnv       = "DOORBOT_STORE_HELPER_DB"
	helperDriverEnv = "DOORBOT_STORE_HELPER_DRIVER"
)

// helperRequests are the requests the helper process keeps updating.
var helperRequests = []string{"cr-0", "cr-1", "cr-2"}

// TestHelperProcess is not a test: TestKillDurability runs the test binary
// again with only this and the env var set, to get a process it can SIGKILL
// in the middle of a write.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestKillDurability")
	}
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv(helperDriverEnv), path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	for _, id := range helperRequests {
		r := newRequest(id, time.Now())
		if err := s.Create(ctx, r, created(r)); err != nil {
			fmt.Println("create:", err)
			os.Exit(2)
		}
	}
	// Bounded in case the parent dies without killing us.
	deadline := time.Now().Add(30 * time.Second)
	big := strings.Repeat("x", 4096) // spans pages, so a torn write would show
	for i := 1; time.Now().Before(deadline); i++ {
		id := helperRequests[i%len(helperRequests)]
		_, err := s.Update(ctx, id, func(r *approval.Request) ([]approval.Event, error) {
			r.Diff = append(r.Diff, fmt.Sprintf("%d %s", i, big))
			return []approval.Event{{Kind: "updated", Actor: "helper", Detail: strconv.Itoa(i)}}, nil
		})
		if err != nil {
			fmt.Println("update:", err)
			os.Exit(2)
		}
		fmt.Printf("tick %d\n", i)
	}
	os.Exit(0)
}

// TestKillDurability SIGKILLs a process in the middle of its writes: every
// update it reported committed survives, and none is half-written.
func TestKillDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	eachDriver(t, testKillDurability)
}

func testKillDurability(t *testing.T, driver, path string) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path, helperDriverEnv+"="+driver)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	lastTick := 0
	var other []string
	timeout := time.After(15 * time.Second)
	killed := false
	for !killed {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("helper exited early: %v", other)
			}
			if n, ok := strings.CutPrefix(l, "tick "); ok {
				lastTick, _ = strconv.Atoi(n)
			} else {
				other = append(other, l)
			}
			if lastTick >= 60 {
				killed = true
			}
		case <-timeout:
			t.Logf("only %d ticks before the timeout; killing anyway", lastTick)
			killed = true
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	// Ticks already in the pipe were printed after their commits: count them.
	for l := range lines {
		if n, ok := strings.CutPrefix(l, "tick "); ok {
			lastTick, _ = strconv.Atoi(n)
		}
	}
	cmd.Wait()
	if lastTick == 0 {
		t.Fatalf("helper never committed: %v", other)
	}

	ctx := t.Context()
	s := openTest(t, driver, path)
	db := s.(*sqlStore).db

	if driver == "sqlite" {
		var integrity string
		if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
			t.Fatalf("integrity_check = %q, %v", integrity, err)
		}
	}

	rows, err := db.Query(`SELECT id, version, body FROM change_requests`)
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]int{}
	for rows.Next() {
		var id, body string
		var v int
		if err := rows.Scan(&id, &v, &body); err != nil {
			t.Fatal(err)
		}
		var r approval.Request
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("%s: body does not decode: %v", id, err)
		}
		if r.Version != v || len(r.Diff) != v+1 {
			t.Fatalf("%s: column version %d, body version %d, %d diff lines", id, v, r.Version, len(r.Diff))
		}
		versions[id] = v
	}
	rows.Close()
	if len(versions) != len(helperRequests) {
		t.Fatalf("%d requests, want %d", len(versions), len(helperRequests))
	}

	evs, err := s.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	updated := map[string]int{}
	total := 0
	for _, e := range evs {
		if e.Kind == "updated" {
			updated[e.RequestID]++
			total++
		}
	}
	for id, v := range versions {
		if updated[id] != v {
			t.Errorf("%s: version %d but %d updated events (half-written transaction)", id, v, updated[id])
		}
	}
	if total < lastTick {
		t.Errorf("%d updated events, but the helper printed tick %d: a committed update was lost", total, lastTick)
	}
	t.Logf("killed after tick %d; %d updates survived", lastTick, total)
}

// A read-only store reads what a writer stored, writes nothing (not even
// a lock or -wal file) and refuses writes.
func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "doorbot.db")
	st, err := Open(t.Context(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := st.Create(t.Context(), newRequest("CR-RO", now), created(newRequest("CR-RO", now))); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := os.Remove(path + "-migrate.lock"); err != nil {
		t.Fatal(err)
	}
	before := dirState(t, dir)

	ro, err := OpenReadOnly(t.Context(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ro.Get(t.Context(), "CR-RO")
	if err != nil || got.ID != "CR-RO" {
		t.Errorf("Get: %+v %v", got, err)
	}
	if evs, err := ro.Audit(t.Context()); err != nil || len(evs) != 1 {
		t.Errorf("Audit: %d events, %v", len(evs), err)
	}
	if err := ro.Create(t.Context(), newRequest("CR-W", now), created(newRequest("CR-W", now))); err == nil {
		t.Error("a read-only store accepted a write")
	}
	ro.Close()
	// SQLite's own index files may appear; the database and its lock may
	// not change.
	if after := dirState(t, dir); !strings.HasPrefix(after, before) || strings.Contains(after, "lock") {
		t.Errorf("opening read-only changed the directory:\nbefore %s\nafter  %s", before, after)
	}
	// Where SQLite cannot create its -shm index (a full disk, a read-only
	// volume; here a directory in its way), the file is still read.
	os.Remove(path + "-shm")
	os.Remove(path + "-wal")
	if err := os.Mkdir(path+"-shm", 0o700); err != nil {
		t.Fatal(err)
	}
	ro, err = OpenReadOnly(t.Context(), "sqlite", path)
	if err != nil {
		t.Fatalf("read-only without a -shm: %v", err)
	}
	if reqs, err := ro.List(t.Context()); err != nil || len(reqs) != 1 {
		t.Errorf("List without a -shm: %d, %v", len(reqs), err)
	}
	ro.Close()
	if _, err := OpenReadOnly(t.Context(), "sqlite", filepath.Join(dir, "missing.db")); err == nil {
		t.Error("a missing file opened read-only")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("OpenReadOnly created a database file")
	}
}

// dirState names every file in dir with its size and modification time.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %s; ", e.Name(), info.Size(), info.ModTime().Format(time.RFC3339Nano))
	}
	return b.String()
}

// The database and its WAL are readable by their owner alone.
func TestSQLiteFileIsPrivate(t *testing.T) {
	st, path := openTemp(t)
	now := time.Now()
	if err := st.Create(t.Context(), newRequest("CR-P", now), created(newRequest("CR-P", now))); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(p), perm)
		}
	}
}
