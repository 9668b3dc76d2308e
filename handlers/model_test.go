package handlers_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/pgtest"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/store"
)

func armReads(srv *sim.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Cloud == sim.CloudAzure {
			n++
		}
	}
	return n
}

// With the live model, status is answered from the latest observation,
// saying how old it is, and reads nothing upstream; an explicit refresh
// reads; without a model (the CLI) every status reads.
func TestStatusFromTheLiveModel(t *testing.T) {
	svc, srv := simclient.DemoService(t, simclient.Options{})
	svc.Model = cloud.NewModel(svc.Observer, svc.Connections, time.Minute)
	ctx := context.Background()

	first, err := svc.Status(ctx, nil) // empty model: reads
	if err != nil {
		t.Fatal(err)
	}
	if first.ReadAt != "" || armReads(srv) == 0 {
		t.Fatalf("first status: read_at %q, %d ARM reads; want a live read", first.ReadAt, armReads(srv))
	}

	srv.Reset()
	got, err := svc.Status(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := armReads(srv); n != 0 {
		t.Errorf("status from the model made %d ARM reads, want none", n)
	}
	if got.ReadAt == "" || len(got.Connections) != len(first.Connections) || got.Connections[0].Health != first.Connections[0].Health {
		t.Errorf("status from the model: read_at %q, %d connections", got.ReadAt, len(got.Connections))
	}
	var b strings.Builder
	if err := handlers.RenderText(&b, handlers.StatusReply(got)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "s ago") {
		t.Errorf("reply does not say how old the observation is:\n%s", b.String())
	}

	if _, err := svc.StatusRefresh(ctx, []string{svc.Connections[0].Name}); err != nil {
		t.Fatal(err)
	}
	if armReads(srv) == 0 {
		t.Error("an explicit refresh read nothing upstream")
	}

	svc.Model = nil
	srv.Reset()
	if rep, _ := svc.Status(ctx, nil); rep.ReadAt != "" || armReads(srv) == 0 {
		t.Errorf("without a model: read_at %q, %d ARM reads; want a live read", rep.ReadAt, armReads(srv))
	}
}

// The refresher fills the model with paced cycles until stopped.
func TestModelRunRefreshes(t *testing.T) {
	svc, _ := simclient.DemoService(t, simclient.Options{ReadRate: 25})
	m := cloud.NewModel(svc.Observer, svc.Connections, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	for _, c := range svc.Connections {
		for {
			if _, age, ok := m.Latest(c.Name); ok {
				if age < 0 {
					t.Errorf("%s: negative age %s", c.Name, age)
				}
				break
			}
			select {
			case <-done:
				t.Fatal("Run returned before filling the model")
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	cancel()
	<-done
	if rep := m.LastCycle(); rep.Overran || rep.Interval != time.Minute {
		t.Errorf("last cycle %+v", rep)
	}
}

// Replicas share the live model through the store: what the leader's
// reader saw, a follower answers with (same verdicts, its age) without a
// single read of its own; the follower reads live only when the shared
// model is stale too.
func TestReplicasShareTheLiveModel(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			dsn := pgtest.FreshDSN(t, driver)
			ctx := t.Context()
			open := func() store.Store {
				st, err := store.Open(ctx, driver, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
			clock := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
			now := func() time.Time { return clock }

			leader, _ := simclient.DemoService(t, simclient.Options{Now: now})
			leader.Clock = now
			leader.Model = cloud.NewModel(leader.Observer, leader.Connections, time.Minute)
			leader.Model.Share(open())
			want, err := leader.StatusRefresh(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}

			follower, srv := simclient.DemoService(t, simclient.Options{Now: now})
			follower.Clock = now
			follower.Model = cloud.NewModel(follower.Observer, follower.Connections, time.Minute)
			follower.Model.Share(open())
			clock = clock.Add(30 * time.Second)
			got, err := follower.Status(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("the follower made %d cloud reads, want none (it answers from the shared model)", n)
			}
			if got.ReadAt == "" {
				t.Error("the follower's status does not say how old the shared observation is")
			}
			if len(got.Connections) != len(want.Connections) {
				t.Fatalf("follower sees %d connections, leader %d", len(got.Connections), len(want.Connections))
			}
			for i := range want.Connections {
				if !reflect.DeepEqual(got.Connections[i], want.Connections[i]) {
					t.Errorf("%s differs between replicas:\nfollower %+v\n  leader %+v", want.Connections[i].Name, got.Connections[i], want.Connections[i])
				}
			}

			// Stale everywhere (the leader stopped reading): the follower
			// reads the clouds itself.
			clock = clock.Add(5 * time.Minute)
			if _, err := follower.Status(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if len(srv.Requests()) == 0 {
				t.Error("with the shared model stale the follower read nothing")
			}
		})
	}
}
