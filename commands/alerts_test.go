package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/vpntest"
	"github.com/doorbot/doorbot/watch"
)

// tunnel2Down observes tunnel 2 down on both clouds, every time.
type tunnel2Down struct{}

func (tunnel2Down) Observe(_ context.Context, conns []vpn.Connection) []vpn.Observation {
	out := make([]vpn.Observation, len(conns))
	for i := range out {
		out[i] = vpntest.Tunnel2.Observation()
	}
	return out
}

// A click on an alert button carries an alert ID; anything else is
// refused before any state is read, and never echoed back.
func TestAlertButtons(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	w := watch.New(watch.Options{
		Connections: []vpn.Connection{vpntest.Tunnel2.Observation().Connection}, Observer: tunnel2Down{},
		Interval: time.Minute, Settings: alerts.DefaultSettings(), Now: func() time.Time { return now },
	})
	w.RunCycle(ctx)
	open := w.RunCycle(ctx).Open
	if len(open) != 1 {
		t.Fatalf("open alerts %+v, want the degraded one", open)
	}
	r := New(Deps{Alerts: AlertDeps{Watcher: w}})
	ack, ok := r.Action(handlers.AlertAckAction)
	if !ok {
		t.Fatal("alert_ack is not registered")
	}
	cases := []struct {
		name, value, want string
	}{
		{"a mention", "<!channel>", "does not carry an alert ID"},
		{"empty", "", "does not carry an alert ID"},
		{"a change request ID", "CR-0123456789", "does not carry an alert ID"},
		{"oversized", strings.Repeat("a", 3000), "does not carry an alert ID"},
		{"an unknown kind", open[0].Connection + "-20261203T030000-sideways", "does not carry an alert ID"},
		{"well formed, unknown", open[0].Connection + "-20200101T000000-down", "could not record your click"},
		{"the alert", open[0].ID, ""},
		{"the alert again", open[0].ID, "already acknowledged by @U0ONCALL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := ack.Run(ctx, Click{ActionID: handlers.AlertAckAction, Value: tc.value, User: "U0ONCALL", Channel: "C0ALERTS01", MessageTS: "1.2"})
			if tc.want == "" {
				if out.Answer != nil {
					t.Fatalf("refused: %s", out.Answer.Reply.Text)
				}
				return
			}
			if out.Answer == nil || !out.Answer.Reply.Ephemeral || !strings.Contains(out.Answer.Reply.Text, tc.want) {
				t.Fatalf("answer %+v, want an ephemeral %q", out.Answer, tc.want)
			}
			if tc.value != "" && tc.value != open[0].ID && !strings.HasPrefix(tc.want, "could not") && strings.Contains(out.Answer.Reply.Text, tc.value) {
				t.Errorf("the refusal echoes the value: %s", out.Answer.Reply.Text)
			}
		})
	}
	if a := w.RunCycle(ctx).Open; len(a) != 1 || a[0].AckedBy != "U0ONCALL" {
		t.Errorf("after the clicks: %+v", a)
	}
}
