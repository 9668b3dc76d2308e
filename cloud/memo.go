package cloud

import (
	"context"
	"sync"
	"time"
)

// memo caches upstream reads for a short window and coalesces concurrent
// identical reads, so that a burst of /door status during an incident costs
// one upstream read per resource per window. Errors are not cached: the
// next request after a failure tries again.
type memo struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*entry

	// Detached reads outlive their callers but not the memo: close cancels
	// them and waits, so nothing reads or logs after its owner has stopped.
	life   context.Context
	end    context.CancelFunc
	flying sync.WaitGroup
}

type entry struct {
	done chan struct{}
	val  any
	err  error
	at   time.Time
}

func newMemo(ttl time.Duration, now func() time.Time) *memo {
	life, end := context.WithCancel(context.Background())
	return &memo{ttl: ttl, now: now, entries: map[string]*entry{}, life: life, end: end}
}

// peek returns a fresh cached value without reading upstream.
func (m *memo) peek(key string) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || !m.fresh(e) {
		return nil, false
	}
	return e.val, true
}

// put stores a value read as part of a larger (batched) read.
func (m *memo) put(key string, v any) {
	if m.ttl <= 0 {
		return
	}
	done := make(chan struct{})
	close(done)
	m.mu.Lock()
	m.entries[key] = &entry{done: done, val: v, at: m.now()}
	m.mu.Unlock()
}

// fresh must be called with mu held.
func (m *memo) fresh(e *entry) bool {
	select {
	case <-e.done:
	default:
		return false
	}
	return e.err == nil && m.ttl > 0 && m.now().Sub(e.at) < m.ttl
}

// do returns the cached value for key, joins a read already in flight, or
// starts read. The read runs detached from any one caller's context (the
// adapters bound it by their own per-call timeout), so a caller that gives
// up — its status deadline passed, its user went away — neither cancels
// the read for the others nor poisons the result they share; every caller,
// the first included, waits only as long as its own context allows.
func (m *memo) do(ctx context.Context, key string, read func(context.Context) (any, error)) (any, error) {
	m.mu.Lock()
	e, ok := m.entries[key]
	switch {
	case ok && m.fresh(e):
		m.mu.Unlock()
		return e.val, nil
	case ok && !isDone(e):
		// Join the read in flight.
	default:
		e = &entry{done: make(chan struct{})}
		m.entries[key] = e
		m.flying.Go(func() {
			rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			defer cancel()
			defer context.AfterFunc(m.life, cancel)()
			m.run(rctx, key, e, read)
		})
	}
	m.mu.Unlock()
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *memo) run(ctx context.Context, key string, e *entry, read func(context.Context) (any, error)) {
	val, err := read(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	e.val, e.err, e.at = val, err, m.now()
	close(e.done)
	if err != nil || m.ttl <= 0 {
		// Keep nothing that cannot be reused; joiners already hold e.
		if m.entries[key] == e {
			delete(m.entries, key)
		}
	}
}

// close cancels the reads still in flight and waits for them to end.
func (m *memo) close() {
	m.end()
	m.flying.Wait()
}

func isDone(e *entry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// sweep drops expired entries so the cache does not grow without bound
// when connection names come and go.
func (m *memo) sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, e := range m.entries {
		select {
		case <-e.done:
			if !m.fresh(e) {
				delete(m.entries, k)
			}
		default:
		}
	}
}
