package store

import (
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/alerts"
)

// downStep feeds one observation to the engine and turns its actions into
// outbox rows, the way the watcher does.
func downStep(e *alerts.Engine, at time.Time, state alerts.TunnelState) func(c *alerts.Connection) (AlertStep, error) {
	return func(c *alerts.Connection) (AlertStep, error) {
		s := alerts.Sample{At: at, Sides: []alerts.SideSample{{Cloud: "azure", Read: true}},
			Tunnels: []alerts.TunnelSample{{Key: "198.51.100.1", Index: 1, Label: "tunnel 1", State: state, Detail: "Azure " + string(state)}}}
		var st AlertStep
		for _, a := range e.Observe(c, s, nil) {
			st.Messages = append(st.Messages, AlertMessage{AlertID: a.Alert.ID, Seq: a.Seq, Delivery: a.Delivery, Event: a.Event, Body: a.Note})
		}
		st.Changes = c.Changes
		return st, nil
	}
}

func TestAlertStore(t *testing.T) { eachDriver(t, testAlertStore) }

func testAlertStore(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	s := openTest(t, driver, dsn)
	e := &alerts.Engine{Settings: alerts.Settings{Debounce: 2, UnobservedAfter: 5, FlapWindow: 21, FlapHigh: 20, FlapLow: 5}}
	t0 := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for i, st := range []alerts.TunnelState{alerts.Up, alerts.Up, alerts.Down, alerts.Down} {
		if _, err := s.UpdateAlerts(ctx, "azure-prod", at(i), downStep(e, at(i), st)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Alerts(ctx, t0)
	if err != nil || len(list) != 1 || list[0].Kind != alerts.KindDown || list[0].State != alerts.Firing || list[0].TS != "" {
		t.Fatalf("alerts = %+v, %v; want one firing down alert, not yet posted", list, err)
	}
	id := list[0].ID

	// The root is claimed once; a second claim while it is being sent
	// gets nothing.
	msgs, err := s.ClaimMessages(ctx, at(4), time.Minute, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Delivery != alerts.PostRoot {
		t.Fatalf("claim = %+v, %v", msgs, err)
	}
	if again, _ := s.ClaimMessages(ctx, at(4), time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}
	// Slack said 429: the message goes back, due after Retry-After.
	if err := s.MessageFailed(ctx, msgs[0], "slack: rate limited, retry after 30s", at(4).Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, last, _ := s.UnsentMessages(ctx); n != 1 || last == "" {
		t.Errorf("unsent = %d %q; a failed post must stay visible", n, last)
	}
	if early, _ := s.ClaimMessages(ctx, at(4).Add(10*time.Second), time.Minute, 10); len(early) != 0 {
		t.Fatalf("claimed before Retry-After: %+v", early)
	}
	msgs, _ = s.ClaimMessages(ctx, at(5), time.Minute, 10)
	if len(msgs) != 1 || msgs[0].Attempts != 1 {
		t.Fatalf("retry claim = %+v", msgs)
	}
	if err := s.MessageSent(ctx, msgs[0], "C0ALERTS01", "1700000000.000100", at(5)); err != nil {
		t.Fatal(err)
	}
	if ch, ts, err := s.AlertRoot(ctx, id); err != nil || ch != "C0ALERTS01" || ts != "1700000000.000100" {
		t.Errorf("root = %s %s %v", ch, ts, err)
	}

	// A restart (a new store on the same database) remembers the open
	// alert with its root, and the engine goes on editing it.
	s2 := openTest(t, driver, dsn)
	states, err := s2.AlertStates(ctx)
	if err != nil || len(states) != 1 || states[0].Incident == nil || states[0].Incident.TS != "1700000000.000100" {
		t.Fatalf("states after restart = %+v, %v", states, err)
	}
	for i, st := range []alerts.TunnelState{alerts.Up, alerts.Up} {
		c, err := s2.UpdateAlerts(ctx, "azure-prod", at(6+i), downStep(e, at(6+i), st))
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && (c.Incident.State != alerts.Resolved || c.Incident.TS != "1700000000.000100") {
			t.Errorf("after recovery: %+v", c.Incident)
		}
	}
	// One message per alert per claim: the reply never overtakes the edit.
	msgs, _ = s2.ClaimMessages(ctx, at(8), time.Minute, 10)
	if len(msgs) != 1 || msgs[0].Delivery != alerts.UpdateRoot {
		t.Fatalf("recovery messages = %+v", msgs)
	}
	if err := s2.MessageSent(ctx, msgs[0], "C0ALERTS01", "1700000000.000100", at(8)); err != nil {
		t.Fatal(err)
	}
	msgs, _ = s2.ClaimMessages(ctx, at(8), time.Minute, 10)
	if len(msgs) != 1 || msgs[0].Delivery != alerts.Broadcast {
		t.Fatalf("then = %+v", msgs)
	}
	// A process that died while sending: its claim goes stale and the
	// message is sent, not lost.
	if re, _ := s2.ClaimMessages(ctx, at(8).Add(2*time.Minute), time.Minute, 10); len(re) != 1 || re[0].ID != msgs[0].ID {
		t.Errorf("stale claims re-claimed: %+v, want the broadcast", re)
	}

	// The same transition written twice (a second leader) is one message.
	err = s.(*sqlStore).write(ctx, func(tx *sql.Tx) error {
		return insertMessage(ctx, tx, AlertMessage{AlertID: id, Seq: 1, Delivery: alerts.PostRoot, Event: alerts.EventOpened}, 0, at(9))
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.UnsentMessages(ctx); n != 1 {
		t.Errorf("unsent after a duplicate insert = %d, want 1 (the broadcast)", n)
	}

	// History: every raw change with time and source.
	ch, err := s.TunnelChanges(ctx, "azure-prod", at(1))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch {
		got = append(got, fmt.Sprintf("%s→%s@%d %s", c.From, c.To, int(c.At.Sub(t0).Minutes()), c.Source))
	}
	want := []string{"unknown→up@0 Azure up", "up→down@2 Azure down", "down→up@6 Azure up"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("changes = %v, want %v", got, want)
	}

	if _, err := s.AlertConnection(ctx, "nope"); !errors.Is(err, ErrAlertNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
	// A refused step writes nothing and returns its error as is.
	refusal := &alerts.Refusal{Reason: "already acknowledged"}
	if _, err := s.UpdateAlerts(ctx, "azure-prod", at(10), func(*alerts.Connection) (AlertStep, error) { return AlertStep{}, refusal }); err != refusal {
		t.Errorf("refused step: %v", err)
	}
}

func TestAlertStoreConcurrentSteps(t *testing.T) { eachDriver(t, testAlertStoreConcurrent) }

// Two leaders stepping the same connection at once step it one after the
// other: no observation is lost, no transition doubled.
func testAlertStoreConcurrent(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	a, b := openTest(t, driver, dsn), openTest(t, driver, dsn)
	t0 := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 10 {
		s := []Store{a, b}[i%2]
		wg.Go(func() {
			if _, err := s.UpdateAlerts(ctx, "x", t0, func(c *alerts.Connection) (AlertStep, error) {
				c.Samples++
				return AlertStep{}, nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	states, err := a.AlertStates(ctx)
	if err != nil || len(states) != 1 || states[0].Samples != 10 {
		t.Fatalf("states = %+v, %v; want 10 samples", states, err)
	}
}
