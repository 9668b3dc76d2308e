package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/vpntest"
)

func TestLiveObservations(t *testing.T) { eachDriver(t, testLiveObservations) }

// The shared live model keeps each connection's newest observation, reads
// back exactly what was written, and an older write (a slow replica's
// read) never replaces a newer one.
func testLiveObservations(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	s := openTest(t, driver, dsn)
	down := vpntest.Healthy
	down.Name, down.AWSDown = "azure-prod", vpntest.Tunnel2.AWSDown
	door := vpntest.Healthy
	door.Name, door.Seq, door.Door, door.BGP = "door-tokyo", 2, true, true
	t1 := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)

	obs := []vpn.Observation{down.Observation(), door.Observation()}
	if err := s.PutObservations(ctx, obs, t1); err != nil {
		t.Fatal(err)
	}
	healthy := vpntest.Healthy
	healthy.Name = "azure-prod"
	if err := s.PutObservations(ctx, []vpn.Observation{healthy.Observation()}, t1.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}

	got := map[string]vpn.Observation{}
	at := map[string]time.Time{}
	if err := s.EachObservation(ctx, func(o vpn.Observation, when time.Time) {
		got[o.Connection.Name], at[o.Connection.Name] = o, when
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("stored %d connections, want 2", len(got))
	}
	for _, want := range obs {
		name := want.Connection.Name
		if !reflect.DeepEqual(got[name], want) {
			t.Errorf("%s read back differs:\n got %+v\nwant %+v", name, got[name], want)
		}
		if !at[name].Equal(t1) {
			t.Errorf("%s read at %v, want %v (the older write must not win)", name, at[name], t1)
		}
	}

	// A newer read replaces it.
	if err := s.PutObservations(ctx, []vpn.Observation{healthy.Observation()}, t1.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	s.EachObservation(ctx, func(o vpn.Observation, when time.Time) {
		if o.Connection.Name == "azure-prod" && (!when.Equal(t1.Add(time.Minute)) || !reflect.DeepEqual(o, healthy.Observation())) {
			t.Errorf("azure-prod after a newer read: at %v, %+v", when, o)
		}
	})
}
