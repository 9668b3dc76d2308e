package changestest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/doorbot/doorbot/approval"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", as the store uses
)

// LockSQLite takes the write lock of the SQLite file at path, as another
// process holding a write transaction would, until the returned unlock
// is called or t ends: the store's writers wait and then fail.
func LockSQLite(t testing.TB, path string) (unlock func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		conn.Close()
		db.Close()
		t.Fatal(err)
	}
	done := false
	unlock = func() {
		if done {
			return
		}
		done = true
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}
	t.Cleanup(unlock)
	return unlock
}

// AuditKinds counts the audit events of request id by kind ("approved",
// "refused", …): how a test sees that a decision was made once.
func AuditKinds(t testing.TB, st interface {
	Audit(context.Context) ([]approval.Event, error)
}, id string) map[string]int {
	t.Helper()
	evs, err := st.Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range evs {
		if e.RequestID == id {
			n[e.Kind]++
		}
	}
	return n
}
