//go:build !unix

package store

import (
	"context"
	"errors"
	"os"
)

var errLocked = errors.New("locked by another process")

type fileLock struct{ f *os.File }

func lockFile(context.Context, string) (*fileLock, error) {
	return nil, errors.New("the sqlite store needs flock(2), which this system lacks")
}

func tryLockFile(path string) (*fileLock, error) { return lockFile(nil, path) }

func (l *fileLock) Unlock() error { return nil }
