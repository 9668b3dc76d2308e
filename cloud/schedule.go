package cloud

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/doorbot/doorbot/vpn"

	azc "github.com/doorbot/doorbot/cloud/azure"
)

// DefaultReadRate is the paced ARM read rate per subscription: below ARM's
// refill of 25 reads/s, so that background refreshes never drain the
// bucket other tools (and explicit status commands) share.
const DefaultReadRate = 20.0

type pacedKey struct{}

// Paced marks ctx as a background refresh: its ARM reads are spread under
// the scheduler's rate, and a throttled subscription is answered from the
// throttling already known rather than asked again.
func Paced(ctx context.Context) context.Context { return context.WithValue(ctx, pacedKey{}, true) }

func isPaced(ctx context.Context) bool { v, _ := ctx.Value(pacedKey{}).(bool); return v }

// Scheduler keeps ARM reads inside the clouds' budgets, per subscription.
// Paced (background) reads take a slot under the rate; every request,
// paced or explicit, is held while ARM has asked, with Retry-After, not to
// be called. Explicit reads wait that out when their deadline allows and
// are otherwise answered "throttled" at once, naming the resource.
type Scheduler struct {
	rate float64

	mu   sync.Mutex
	subs map[string]*subBudget
}

type subBudget struct {
	next      time.Time // earliest start of the next paced read
	throttled time.Time // no request before this (Retry-After)
	tally               // for cycle reports
}

// tally counts a subscription's paced reads asked for (granted or not),
// those that got no slot before their cycle ended, and the 429s seen.
type tally struct{ paced, deferred, throttles int }

// NewScheduler paces background reads at rate reads/s per subscription
// (DefaultReadRate when rate <= 0).
func NewScheduler(rate float64) *Scheduler {
	if rate <= 0 {
		rate = DefaultReadRate
	}
	return &Scheduler{rate: rate, subs: map[string]*subBudget{}}
}

// Rate is the paced reads per second per subscription.
func (s *Scheduler) Rate() float64 { return s.rate }

func (s *Scheduler) sub(id string) *subBudget {
	id = strings.ToLower(id)
	b := s.subs[id]
	if b == nil {
		b = &subBudget{}
		s.subs[id] = b
	}
	return b
}

// pace waits for cost paced read slots of sub (a BGP peer status read is
// two requests). Slots are reserved in order, so the rate holds however
// many reads wait; a reservation abandoned by a caller that gave up stays
// spent, which errs on the side of the budget. A read whose slot would
// come after ctx's deadline reserves nothing and fails at once, so that
// it is reported as deferred rather than racing its cycle's deadline.
func (s *Scheduler) pace(ctx context.Context, sub string, cost int) error {
	now := time.Now()
	s.mu.Lock()
	b := s.sub(sub)
	at := b.next
	if at.Before(now) {
		at = now
	}
	b.paced += cost
	if dl, ok := ctx.Deadline(); ok && at.After(dl) {
		b.deferred++
		s.mu.Unlock()
		return context.DeadlineExceeded
	}
	b.next = at.Add(time.Duration(float64(cost) / s.rate * float64(time.Second)))
	s.mu.Unlock()
	return sleep(ctx, at.Sub(now))
}

// Admit implements azure.Gate.
func (s *Scheduler) Admit(ctx context.Context, sub string) error {
	for {
		s.mu.Lock()
		until := s.sub(sub).throttled
		s.mu.Unlock()
		wait := time.Until(until)
		if wait <= 0 {
			return nil
		}
		if dl, ok := ctx.Deadline(); isPaced(ctx) || (ok && dl.Before(until)) {
			return &azc.ThrottledError{Subscription: sub, Until: until}
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Throttled implements azure.Gate.
func (s *Scheduler) Throttled(sub string, retryAfter time.Duration) {
	until := time.Now().Add(retryAfter)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.sub(sub)
	b.throttles++
	if until.After(b.throttled) {
		b.throttled = until
	}
}

// counts returns each subscription's tally so far.
func (s *Scheduler) counts() map[string]tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]tally, len(s.subs))
	for id, b := range s.subs {
		out[id] = b.tally
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// unpacedError is a background read that got no slot under the read rate
// before its cycle ended.
type unpacedError struct {
	op, resource string
	err          error
}

func (e *unpacedError) Error() string {
	return fmt.Sprintf("azure: %s %s: no read slot before the cycle ended: %v", e.op, e.resource, e.err)
}
func (e *unpacedError) Unwrap() error { return e.err }
func (e *unpacedError) Class() string { return "deferred" }
func (e *unpacedError) Hint() string {
	return fmt.Sprintf("Azure %s %s was not read in this refresh: the fleet needs more ARM reads than the read rate allows in one interval; raise the interval or azure.read_rate", e.op, e.resource)
}

// CycleReport says how one background cycle went against its interval.
type CycleReport struct {
	Started  time.Time
	Took     time.Duration
	Interval time.Duration
	// Rate is the paced ARM reads per second per subscription.
	Rate float64
	// Reads are the paced ARM requests per subscription this cycle asked
	// for, deferred ones included; Throttled the 429s ARM answered meanwhile.
	Reads     map[string]int
	Throttled int
	// Overran is true when the cycle did not complete inside Interval or
	// left a read without a slot; Needed is the interval the busiest
	// subscription's reads need at Rate.
	Overran bool
	Needed  time.Duration
}

// Warning is the line to show when the cycle overran, "" otherwise.
func (r CycleReport) Warning() string {
	if !r.Overran {
		return ""
	}
	return fmt.Sprintf("refresh did not complete inside its interval of %s (took %s); at %.0f ARM reads/s per subscription this fleet needs an interval of at least %s",
		r.Interval, r.Took.Round(time.Second), r.Rate, r.Needed.Round(time.Second))
}

// Cycle observes conns as a background refresh: ARM reads paced under the
// scheduler's rate and bounded by interval rather than the status timeout.
// The report says whether the cycle fitted its interval and, if not, what
// interval the fleet needs.
func (o *Observer) Cycle(ctx context.Context, conns []vpn.Connection, interval time.Duration) ([]vpn.Observation, CycleReport) {
	rep := CycleReport{Started: time.Now(), Interval: interval, Reads: map[string]int{}}
	var before map[string]tally
	if o.opts.Scheduler != nil {
		rep.Rate = o.opts.Scheduler.Rate()
		before = o.opts.Scheduler.counts()
	}
	obs := o.observe(Paced(ctx), conns, interval)
	rep.Took = time.Since(rep.Started)
	busiest, deferred := 0, 0
	if o.opts.Scheduler != nil {
		for sub, n := range o.opts.Scheduler.counts() {
			reads := n.paced - before[sub].paced
			if reads > 0 {
				rep.Reads[sub] = reads
			}
			rep.Throttled += n.throttles - before[sub].throttles
			deferred += n.deferred - before[sub].deferred
			busiest = max(busiest, reads)
		}
		rep.Needed = time.Duration(float64(busiest) / rep.Rate * float64(time.Second))
	}
	rep.Overran = rep.Took >= interval || rep.Needed > interval || deferred > 0
	if rep.Overran {
		o.opts.Logger.Warn(rep.Warning())
	}
	if o.opts.OnCycle != nil {
		o.opts.OnCycle(rep)
	}
	return obs, rep
}
