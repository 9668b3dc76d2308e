package sim

import (
	"math"
	"strings"
	"time"
)

// ARMBudget is Azure Resource Manager's request throttling: a token bucket
// per subscription holding Capacity requests and refilled at PerSecond
// (ARM's read bucket is 250 refilled at 25/s per subscription, principal
// and region). A request finding the bucket empty is answered 429
// SubscriptionRequestsThrottled with Retry-After. The sim counts every
// request to a subscription, operation polls included.
type ARMBudget struct {
	Capacity  int
	PerSecond float64
}

// ARMReadBudget is ARM's documented read budget.
var ARMReadBudget = ARMBudget{Capacity: 250, PerSecond: 25}

// bucket is one subscription's tokens at a point in time.
type bucket struct {
	tokens float64
	at     time.Time
}

// SetARMBudget makes ARM throttle like the real one; a zero budget (the
// default) never throttles.
func (w *World) SetARMBudget(b ARMBudget) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.budget = b
	w.buckets = map[string]*bucket{}
}

// takeARM spends one token of sub's bucket at now. It returns the tokens
// left (-1 when no budget is set) and, when the bucket was empty, how long
// until a token is back.
func (w *World) takeARM(sub string, now time.Time) (left int, wait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.budget.Capacity <= 0 || sub == "" {
		return -1, 0
	}
	key := strings.ToLower(sub)
	b := w.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(w.budget.Capacity), at: now}
		w.buckets[key] = b
	}
	b.tokens = math.Min(float64(w.budget.Capacity), b.tokens+now.Sub(b.at).Seconds()*w.budget.PerSecond)
	b.at = now
	if b.tokens < 1 {
		return 0, time.Duration((1 - b.tokens) / w.budget.PerSecond * float64(time.Second))
	}
	b.tokens--
	return int(b.tokens), 0
}
