// Package leader decides which replica runs the work that must happen once
// (the approval-expiry sweep; later the alert watcher and its repeats).
// That work is a list of Jobs; an Elector runs them while this replica
// leads and cancels them, and waits for them to return, before it lets go.
//
// On PostgreSQL the leader is whoever holds a session advisory lock on a
// connection of its own (a pooled connection would keep the lock while
// idle in the pool, after its user stopped caring). The leader checks that
// connection every Check and, when a check fails, stops its jobs first and
// only then reconnects; the others try the lock every Retry. So a new
// leader starts within about Retry of the old one's session ending, and
// once the old one has noticed (within Check) only one runs the jobs. There
// is no fencing: a leader cut off from the database keeps its jobs until
// its check fails, so what the jobs send must be idempotent in the store.
//
// On SQLite there is one replica (serve refuses a second on the same file),
// and Solo simply leads.
package leader

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Job is work that must run on one replica at a time.
type Job struct {
	Name string
	// Run works until ctx ends and then returns promptly: the next
	// leader waits for it.
	Run func(ctx context.Context)
}

// Elector runs jobs while this replica leads: Solo or Postgres.
type Elector interface {
	// Run takes part in the election until ctx ends and every job has
	// returned.
	Run(ctx context.Context, jobs []Job)
	// Leading reports whether this replica runs the jobs now.
	Leading() bool
}

// Options are what every elector shares.
type Options struct {
	// Identity names this replica in the logs (the pod or host name).
	Identity string
	Logger   *slog.Logger
	// OnChange is told when this replica starts (true) and stops (false)
	// leading: the doorbot_leader gauge.
	OnChange func(leading bool)
}

// state tracks leadership and runs the jobs.
type state struct {
	opts    Options
	leading atomic.Bool
}

func (s *state) log() *slog.Logger {
	if s.opts.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.opts.Logger
}

// Leading reports whether this replica runs the jobs now.
func (s *state) Leading() bool { return s.leading.Load() }

// lead starts the jobs and returns the function that stops them: it
// cancels their context, waits for every one to return, and only then
// reports that this replica no longer leads.
func (s *state) lead(ctx context.Context, jobs []Job, how string) (stop func(reason string)) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { s.runJob(ctx, j) })
	}
	s.leading.Store(true)
	if s.opts.OnChange != nil {
		s.opts.OnChange(true)
	}
	s.log().Info("leading: this replica runs the leader-only jobs", "identity", s.opts.Identity, "how", how, "jobs", len(jobs))
	return func(reason string) {
		cancel()
		wg.Wait()
		s.leading.Store(false)
		if s.opts.OnChange != nil {
			s.opts.OnChange(false)
		}
		s.log().Info("stopped leading", "identity", s.opts.Identity, "reason", reason)
	}
}

// runJob keeps a panicking job from taking the replica down; the job is
// lost until the next term.
func (s *state) runJob(ctx context.Context, j Job) {
	defer func() {
		if r := recover(); r != nil {
			s.log().Error("leader job panicked; it stays stopped until this replica leads again", "job", j.Name, "panic", fmt.Sprint(r))
		}
	}()
	j.Run(ctx)
}

// Solo leads at once and until ctx ends: the elector of a single replica
// (SQLite).
type Solo struct {
	state
}

// NewSolo returns an elector that always leads.
func NewSolo(opts Options) *Solo { return &Solo{state{opts: opts}} }

// Run runs the jobs until ctx ends and they have returned.
func (s *Solo) Run(ctx context.Context, jobs []Job) {
	stop := s.lead(ctx, jobs, "single replica")
	<-ctx.Done()
	stop("shutting down")
}
