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

	shared   SharedModel
	loadMu   sync.Mutex
	loadedAt time.Time
}

// SharedModel is where replicas share the model (store.ModelStore): the
// replica whose Run reads the clouds (the leader) writes each cycle there,
// and the others answer from it, so that N replicas cost the clouds one
// reader's reads.
type SharedModel interface {
	PutObservations(ctx context.Context, obs []vpn.Observation, at time.Time) error
	EachObservation(ctx context.Context, fn func(o vpn.Observation, at time.Time)) error
}

// sharedLoadEvery bounds how often a replica reads the shared model: a
// burst of status commands on a follower costs one store read, not one
// per command.
const sharedLoadEvery = time.Second

type observed struct {
	obs vpn.Observation
	at  time.Time
	// status is obs assessed, filled by the first Fresh that needs it.
	status *vpn.ConnectionStatus
}

// NewModel builds a model of conns refreshed every interval by obs.
func NewModel(obs *Observer, conns []vpn.Connection, interval time.Duration) *Model {
	if interval <= 0 {
		interval = time.Minute
	}
	return &Model{obs: obs, conns: conns, interval: interval, now: obs.opts.Now, latest: map[string]observed{}}
}

// Share makes the model read and write s as well as its own memory.
func (m *Model) Share(s SharedModel) { m.shared = s }

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

// Fresh returns the observations of conns, in order, their statuses
// (assessed by assess once per observation and kept with it, so that a
// stream of status commands does not re-run the rules for every command)
// and the age of the oldest, when every one is no older than twice the
// interval (a cycle may take up to an interval); ok is false otherwise,
// and the caller reads. A shared model is consulted when this replica's
// own memory is not fresh (a follower, or a leader that just started).
func (m *Model) Fresh(ctx context.Context, conns []vpn.Connection, assess func(vpn.Observation) vpn.ConnectionStatus) (obs []vpn.Observation, statuses []vpn.ConnectionStatus, age time.Duration, ok bool) {
	got, age, ok := m.fresh(conns)
	if !ok && m.shared != nil {
		m.loadShared(ctx)
		got, age, ok = m.fresh(conns)
	}
	if !ok {
		return nil, nil, 0, false
	}
	obs = make([]vpn.Observation, len(got))
	statuses = make([]vpn.ConnectionStatus, len(got))
	for i, o := range got {
		obs[i] = o.obs
		if o.status != nil {
			statuses[i] = *o.status
			continue
		}
		st := assess(o.obs)
		statuses[i] = st
		m.mu.Lock()
		if cur, ok := m.latest[o.obs.Connection.Name]; ok && cur.at.Equal(o.at) && cur.status == nil {
			cur.status = &st
			m.latest[o.obs.Connection.Name] = cur
		}
		m.mu.Unlock()
	}
	return obs, statuses, age, true
}

func (m *Model) fresh(conns []vpn.Connection) (got []observed, age time.Duration, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	got = make([]observed, len(conns))
	for i, c := range conns {
		o, ok := m.latest[c.Name]
		if !ok {
			return nil, 0, false
		}
		a := now.Sub(o.at)
		if a > 2*m.interval {
			return nil, 0, false
		}
		got[i], age = o, max(age, a)
	}
	return got, age, true
}

// Put records observations read at at. An observation older than the
// one held is ignored, so a slow read cannot replace a newer answer.
func (m *Model) Put(obs []vpn.Observation, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range obs {
		m.put(o, at)
	}
}

func (m *Model) put(o vpn.Observation, at time.Time) {
	if cur, ok := m.latest[o.Connection.Name]; ok && cur.at.After(at) {
		return
	}
	m.latest[o.Connection.Name] = observed{obs: o, at: at}
}

// Observed records observations another reader made (the alert watcher,
// when it is the background reader) and shares them like Run's own.
func (m *Model) Observed(ctx context.Context, obs []vpn.Observation, at time.Time) {
	m.Put(obs, at)
	m.publish(ctx, obs, at)
}

// publish writes what this replica read to the shared model; a failure
// costs the followers freshness, not this answer, so it is logged.
func (m *Model) publish(ctx context.Context, obs []vpn.Observation, at time.Time) {
	if m.shared == nil {
		return
	}
	if err := m.shared.PutObservations(ctx, obs, at); err != nil {
		m.obs.opts.Logger.Warn("live model: could not share observations", slog.Any("err", err))
	}
}

// loadShared reads the shared model into memory, at most once per
// sharedLoadEvery; callers that arrive during a load wait for it.
func (m *Model) loadShared(ctx context.Context) {
	m.loadMu.Lock()
	defer m.loadMu.Unlock()
	now := m.now()
	if !m.loadedAt.IsZero() && now.Sub(m.loadedAt) < sharedLoadEvery && !now.Before(m.loadedAt) {
		return
	}
	m.loadedAt = now
	var got []observed
	err := m.shared.EachObservation(ctx, func(o vpn.Observation, at time.Time) {
		got = append(got, observed{obs: o, at: at})
	})
	if err != nil {
		m.obs.opts.Logger.Warn("live model: could not read the shared observations", slog.Any("err", err))
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range got {
		m.put(o.obs, o.at)
	}
}

// Refresh reads conns now at full speed (an explicit request) and records
// the result.
func (m *Model) Refresh(ctx context.Context, conns []vpn.Connection) []vpn.Observation {
	at := m.now()
	obs := m.obs.Observe(ctx, conns)
	m.Put(obs, at)
	m.publish(ctx, obs, at)
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
		m.publish(ctx, obs, at)
		m.mu.Lock()
		m.cycle = rep
		m.mu.Unlock()
		m.obs.opts.Logger.Debug("model refreshed", slog.Int("connections", len(obs)), slog.Duration("took", rep.Took))
		if err := sleep(ctx, m.interval-rep.Took); err != nil {
			return
		}
	}
}
