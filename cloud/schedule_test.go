package cloud_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
)

func schedObserver(t *testing.T, srv *sim.Server, o simclient.Options) *cloud.Observer {
	t.Helper()
	obs, err := simclient.Observer(srv, o)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// A background cycle spreads its ARM reads under the read rate and so
// stays inside a bucket that an unpaced burst of the same reads overdraws.
func TestPacedCycleStaysInsideTheARMBudget(t *testing.T) {
	// Paced at 16/s the reads never find the bucket of 15 (refilled at
	// 20/s) empty, even after a scheduling stall of most of a second.
	budget := sim.ARMBudget{Capacity: 15, PerSecond: 20}
	for _, paced := range []bool{true, false} {
		w := sim.NewWorld()
		conns := sim.Fleet(w, 10) // 22 ARM reads and a speculative BGP peer status (2 requests)
		w.SetARMBudget(budget)
		srv := start(t, w)
		obs := schedObserver(t, srv, simclient.Options{ReadRate: 16, CallTimeout: 5 * time.Second})
		if paced {
			got, rep := obs.Cycle(context.Background(), conns, 10*time.Second)
			for _, o := range got {
				if len(o.Errors) > 0 {
					t.Fatalf("paced: %s: %v", o.Connection.Name, o.Errors)
				}
			}
			if n := srv.Stats().ARMThrottled; n != 0 || rep.Throttled != 0 {
				t.Errorf("paced cycle drew %d 429s (report %d), want none", n, rep.Throttled)
			}
			if rep.Overran || rep.Reads[strings.ToLower(sim.FleetSubscription)] != 24 {
				t.Errorf("report %+v, want 24 paced requests and no overrun", rep)
			}
			continue
		}
		// The explicit burst overdraws the bucket; it then waits out
		// Retry-After inside its deadline rather than asking again.
		obs.Observe(context.Background(), conns)
		if srv.Stats().ARMThrottled == 0 {
			t.Errorf("an unpaced burst of 24 requests into a bucket of 15 should draw 429s; got none")
		}
	}
}

// After a 429 with Retry-After, nothing is sent to that subscription until
// the time has passed: a status in that window is answered at once, naming
// each resource that was not read.
func TestRetryAfterIsHonoured(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 1)
	w.SetFault("azure", sim.Fault{Status: 429, Code: "SubscriptionRequestsThrottled", RetryAfter: 30})
	srv := start(t, w)
	obs := schedObserver(t, srv, simclient.Options{})
	obs.Observe(context.Background(), conns)
	first := requests(srv, "azure", "")
	if first == 0 {
		t.Fatal("no ARM request made")
	}
	w.SetFault("azure", sim.Fault{})
	got := obs.Observe(context.Background(), conns)[0]
	if n := requests(srv, "azure", "") - first; n != 0 {
		t.Errorf("%d ARM requests inside the Retry-After window, want none", n)
	}
	var named []string
	for _, e := range got.Errors {
		if strings.Contains(e.Message, "throttling") && strings.Contains(e.Message, "was not read") {
			named = append(named, e.Message)
		}
	}
	if len(named) < 3 || !strings.Contains(strings.Join(named, "\n"), "cn-site-001-t1") {
		t.Errorf("errors %v: want each unread resource named as throttled", got.Errors)
	}
}

// A cycle whose reads need longer than its interval at the read rate says
// so, and what interval the fleet needs.
func TestCycleSaysWhenItOverruns(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 10) // 23 ARM requests: 2.3 s at 10/s
	srv := start(t, w)
	obs := schedObserver(t, srv, simclient.Options{ReadRate: 10})
	got, rep := obs.Cycle(context.Background(), conns, time.Second)
	if !rep.Overran || rep.Needed < 2*time.Second {
		t.Fatalf("report %+v: want an overrun needing over 2 s", rep)
	}
	// The reads that found no slot before the cycle ended are named, each
	// with what to change.
	deferred := 0
	for _, o := range got {
		for _, e := range o.Errors {
			if strings.Contains(e.Message, "was not read in this refresh") && strings.Contains(e.Message, "azure.read_rate") {
				deferred++
			}
		}
	}
	if deferred == 0 {
		t.Errorf("no read named as deferred in %d observations", len(got))
	}
	if w := rep.Warning(); !strings.Contains(w, "needs an interval of at least 2s") {
		t.Errorf("warning %q", w)
	}
}
