package bot_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/vpn"
)

// countingAlerts is an alert store that counts its reads.
type countingAlerts struct{ reads atomic.Int32 }

func (c *countingAlerts) Alerts(context.Context, time.Time) ([]alerts.Alert, error) {
	c.reads.Add(1)
	return nil, nil
}

func (c *countingAlerts) TunnelChanges(context.Context, string, time.Time) ([]store.TunnelChange, error) {
	c.reads.Add(1)
	return nil, nil
}

// The store is read after the ack, never before it: /door alerts and
// /door history ack with a "reading" note (no worker runs here, so a read
// would have to have happened inside Accept), and without a store they
// are refused in the ack itself.
func TestStoreIsNotReadBeforeTheAck(t *testing.T) {
	svc := &handlers.Service{Connections: []vpn.Connection{{Name: "alert-demo"}}}
	for _, tc := range []struct {
		text, ack string
		withStore bool
	}{
		{"alerts", "Reading the alerts", true},
		{"history alert-demo", "Reading the tunnel history of alert-demo", true},
		{"alerts", "alerts are kept in the store", false},
		{"history alert-demo", "tunnel history is recorded by the watcher", false},
	} {
		st := &countingAlerts{}
		deps := commands.Deps{Service: svc}
		if tc.withStore {
			deps.Alerts.Store = st
		}
		b := bot.New(slack.New(botToken), commands.New(deps), bot.Options{})
		ack := b.Accept(context.Background(), slack.SlashCommand{Command: "/door", Text: tc.text, UserID: "U0ONCALL", ChannelID: "C0INCIDENT"})
		if !strings.Contains(ack.Text, tc.ack) || ack.ResponseType != bot.ReplyEphemeral {
			t.Errorf("%q (store %v): ack %q %q, want %q", tc.text, tc.withStore, ack.ResponseType, ack.Text, tc.ack)
		}
		if n := st.reads.Load(); n != 0 {
			t.Errorf("%q: the store was read %d times before the ack", tc.text, n)
		}
	}
}
