package sim

import (
	"sync"
	"time"
)

// Clock is a clock moved by hand, for a world (World.SetClock) and the
// doorbot that watches it: the alert demo and tests live an hour in a
// second, and the clouds' timestamps agree with doorbot's.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

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
