//go:build unix

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// errLocked is what tryLockFile returns when another process holds the lock.
var errLocked = errors.New("locked by another process")

// fileLock is an flock(2) on a file beside the database. The kernel drops
// it when the holder exits, however it exits, so a crash never leaves a
// stale lock behind. SQLite's own locks are on the database file itself;
// these are on separate files so that closing them cannot release those.
type fileLock struct{ f *os.File }

// lockFile waits for the lock until ctx ends.
func lockFile(ctx context.Context, path string) (*fileLock, error) {
	for {
		l, err := tryLockFile(path)
		if !errors.Is(err, errLocked) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tryLockFile takes the lock or returns errLocked at once.
func tryLockFile(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

// Unlock releases the lock; the file stays for the next holder.
func (l *fileLock) Unlock() error { return l.f.Close() }
