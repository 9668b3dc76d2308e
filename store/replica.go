package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrOtherReplica is returned (wrapped) by ClaimSQLite when another process
// already serves from the same SQLite file.
var ErrOtherReplica = errors.New("another doorbot serve is using this SQLite file; SQLite means one replica (use store.driver: postgres for several)")

// ClaimSQLite makes this process the one replica serving from the SQLite
// file that dsn names, until release is called or the process exits. A
// second serve on the same file gets ErrOtherReplica: two bots on one file
// would each sweep expiries and, later, each post every alert. CLI
// commands (changes, runbook verify) do not claim the file, so they still
// work beside the running bot. An in-memory database needs no claim.
func ClaimSQLite(dsn string) (release func(), err error) {
	path := sqliteFile(dsn)
	if path == "" {
		return func() {}, nil
	}
	lockPath := path + "-serve.lock"
	l, err := tryLockFile(lockPath)
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("%s%s: %w", path, holder(lockPath), ErrOtherReplica)
	}
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", path, err)
	}
	// Say who holds it, for the message the next one gets.
	if err := l.f.Truncate(0); err == nil {
		l.f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { l.Unlock() }, nil
}

// holder reads the PID the claiming process wrote, as " (pid N)".
func holder(lockPath string) string {
	b, err := os.ReadFile(lockPath)
	if err != nil {
		return ""
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		return fmt.Sprintf(" (pid %d)", pid)
	}
	return ""
}
