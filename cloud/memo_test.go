package cloud

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A caller that gives up does not cancel the shared read: the others get
// the value, and the next call within the window is served from cache.
func TestMemoCallerCancellationDoesNotPoisonOthers(t *testing.T) {
	now := time.Unix(0, 0)
	m := newMemo(time.Minute, func() time.Time { return now })
	release := make(chan struct{})
	calls := 0
	read := func(ctx context.Context) (any, error) {
		calls++
		select {
		case <-release:
			return "state", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	leader, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() { _, err := m.do(leader, "k", read); leaderErr <- err }()
	joined := make(chan any, 1)
	go func() {
		// Wait until the leader's read is in flight, then join it.
		for {
			m.mu.Lock()
			_, ok := m.entries["k"]
			m.mu.Unlock()
			if ok {
				break
			}
			time.Sleep(time.Millisecond)
		}
		v, err := m.do(context.Background(), "k", read)
		if err != nil {
			joined <- err
			return
		}
		joined <- v
	}()
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	close(release)
	if v := <-joined; v != "state" {
		t.Fatalf("the joiner got %v after the leader gave up", v)
	}
	if v, err := m.do(context.Background(), "k", read); err != nil || v != "state" || calls != 1 {
		t.Fatalf("cached: %v %v, %d reads", v, err, calls)
	}
}

// close cancels a detached read that no caller waits for any more, and
// returns only once it has ended: nothing reads a cloud after doorbot stops.
func TestMemoCloseEndsDetachedReads(t *testing.T) {
	m := newMemo(time.Minute, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	started, ended := make(chan struct{}), make(chan struct{})
	go func() {
		_, _ = m.do(ctx, "k", func(rctx context.Context) (any, error) {
			close(started)
			<-rctx.Done()
			close(ended)
			return nil, rctx.Err()
		})
	}()
	<-started
	cancel() // the caller gives up; the read goes on (TestMemoCallerCancellationDoesNotPoisonOthers)
	m.close()
	select {
	case <-ended:
	default:
		t.Fatal("close returned while the read was still running")
	}
}
