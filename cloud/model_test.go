package cloud_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
)

// Status answered from the model assesses each observation once: a
// stream of commands does not re-run the rules per command, and a newer
// observation is assessed again.
func TestModelAssessesEachObservationOnce(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 3)
	srv := start(t, w)
	obs, err := simclient.Observer(srv, simclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := cloud.NewModel(obs, conns, time.Minute)
	ctx := context.Background()
	m.Refresh(ctx, conns)

	var calls atomic.Int32
	assess := func(o vpn.Observation) vpn.ConnectionStatus {
		calls.Add(1)
		return vpn.ConnectionStatus{Name: o.Connection.Name, Health: vpn.Healthy}
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, st, _, ok := m.Fresh(ctx, conns, assess)
			if !ok || len(st) != len(conns) || st[2].Name != conns[2].Name {
				t.Errorf("fresh = %v, %+v", ok, st)
			}
		})
	}
	wg.Wait()
	// Concurrent first requests may each assess; later ones never do.
	first := calls.Load()
	if first < 3 {
		t.Fatalf("assessed %d times for 3 connections", first)
	}
	m.Fresh(ctx, conns, assess)
	if got := calls.Load(); got != first {
		t.Errorf("a later status assessed %d observations again, want none", got-first)
	}
	m.Refresh(ctx, conns[:1])
	m.Fresh(ctx, conns, assess)
	if got := calls.Load() - first; got != 1 {
		t.Errorf("after one connection was read again, %d assessments, want 1", got)
	}
}
