// Package fakeclock is a clock moved by hand, shared by the tests that
// live hours in a second and by the demo, whose simulated clouds and
// doorbot must agree on the time. It imports nothing of the project, so
// that both test helpers (changestest) and shipped demo code (cmd) may use
// it.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a clock moved by hand; safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New starts a clock at now.
func New(now time.Time) *Clock { return &Clock{now: now} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
