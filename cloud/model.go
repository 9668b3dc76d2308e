package cloud

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// Model keeps the latest observation of every configured connection, so
// that status in Slack is answered at once from what a background
// refresher last read instead of waiting on the clouds. Run is that
// refresher (paced cycles every interval); a watcher that observes on its
// own schedule can feed the model with Put instead.
type Model struct {
	obs      *Observer
	conns    []vpn.Connection
	interval time.Duration
	now      func() time.Time

	mu     sync.RWMutex
	latest map[string]observed
	cycle  CycleReport
}

type observed struct {
	obs vpn.Observation
	at  time.Time
}

// NewModel builds a model of conns refreshed every interval by obs.
func NewModel(obs *Observer, conns []vpn.Connection, interval time.Duration) *Model {
	if interval <= 0 {
		interval = time.Minute
	}
	return &Model{obs: obs, conns: conns, interval: interval, now: obs.opts.Now, latest: map[string]observed{}}
}

// Interval is the refresh interval.
func (m *Model) Interval() time.Duration { return m.interval }

// Latest returns the newest observation of a connection and its age; ok
// is false when it was never observed.
func (m *Model) Latest(name string) (obs vpn.Observation, age time.Duration, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	o, ok := m.latest[name]
	if !ok {
		return vpn.Observation{}, 0, false
	}
	return o.obs, m.now().Sub(o.at), true
}

// Fresh returns the observations of conns, in order, and the age of the
// oldest, when every one is no older than twice the interval (a cycle may
// take up to an interval); ok is false otherwise, and the caller reads.
func (m *Model) Fresh(conns []vpn.Connection) (obs []vpn.Observation, age time.Duration, ok bool) {
	out := make([]vpn.Observation, len(conns))
	for i, c := range conns {
		o, a, ok := m.Latest(c.Name)
		if !ok || a > 2*m.interval {
			return nil, 0, false
		}
		out[i], age = o, max(age, a)
	}
	return out, age, true
}

// Put records observations read at at.
func (m *Model) Put(obs []vpn.Observation, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range obs {
		m.latest[o.Connection.Name] = observed{obs: o, at: at}
	}
}

// Refresh reads conns now at full speed (an explicit request) and records
// the result.
func (m *Model) Refresh(ctx context.Context, conns []vpn.Connection) []vpn.Observation {
	at := m.now()
	obs := m.obs.Observe(ctx, conns)
	m.Put(obs, at)
	return obs
}

// LastCycle reports the latest background cycle.
func (m *Model) LastCycle() CycleReport {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cycle
}

// Run refreshes the model in paced cycles, one every interval (or back to
// back when a cycle overruns), until ctx ends.
func (m *Model) Run(ctx context.Context) {
	for {
		at := m.now()
		obs, rep := m.obs.Cycle(ctx, m.conns, m.interval)
		if ctx.Err() != nil {
			return
		}
		m.Put(obs, at)
		m.mu.Lock()
		m.cycle = rep
		m.mu.Unlock()
		m.obs.opts.Logger.Debug("model refreshed", slog.Int("connections", len(obs)), slog.Duration("took", rep.Took))
		if err := sleep(ctx, m.interval-rep.Took); err != nil {
			return
		}
	}
}
