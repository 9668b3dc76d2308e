package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/watch"
)

// AlertDeps are what the alert commands and buttons run on.
type AlertDeps struct {
	// Watcher decides the alert buttons; nil leaves them refusing.
	Watcher *watch.Watcher
	// Store lists alerts and tunnel history; nil answers that alerting
	// keeps no store here.
	Store AlertReader
	Now   func() time.Time
}

// AlertReader is the part of the store the alert commands read.
type AlertReader interface {
	Alerts(ctx context.Context, since time.Time) ([]alerts.Alert, error)
	TunnelChanges(ctx context.Context, connection string, since time.Time) ([]store.TunnelChange, error)
}

// RecentAlerts is how far back /door alerts lists resolved alerts.
const RecentAlerts = 7 * 24 * time.Hour

// DefaultHistory is the window of /door history (doorbot history --since).
const DefaultHistory = 168 * time.Hour

func (d AlertDeps) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func alertsCommand(r *Registry, d AlertDeps) Command {
	return Command{
		Name:    "alerts",
		Usage:   "/door alerts",
		Summary: "open and recent alerts: what fires, since when, who acknowledged",
		// Slow: it reads the store, which has no place before the ack.
		Slow:    true,
		Working: func(Request) string { return "Reading the alerts…" },
		Check: func(_ context.Context, req Request) *handlers.Reply {
			if len(req.Args) > 0 {
				return r.usage("usage: /door alerts (no arguments)")
			}
			if d.Store == nil {
				return r.usage("alerts are kept in the store by doorbot serve with alerts.channel set; none here")
			}
			return nil
		},
		Run: func(ctx context.Context, _ Request) handlers.Reply {
			now := d.now()
			list, err := d.Store.Alerts(ctx, now.Add(-RecentAlerts))
			if err != nil {
				return r.Usage("alerts: " + err.Error())
			}
			return handlers.AlertsReply(list, now)
		},
	}
}

func historyCommand(r *Registry, svc *handlers.Service, d AlertDeps) Command {
	return Command{
		Name:    "history",
		Usage:   "/door history NAME",
		Summary: "each tunnel's state changes over the last 7 days: since when, how long, how often",
		// Slow: it reads the store, which has no place before the ack.
		Slow:    true,
		Working: func(req Request) string { return "Reading the tunnel history of " + subject(req.Args) + "…" },
		Check: func(_ context.Context, req Request) *handlers.Reply {
			if len(req.Args) != 1 {
				return r.usage("usage: /door history NAME")
			}
			if err := svc.CheckNames(req.Args); err != nil {
				return r.usageOf(err)
			}
			if d.Store == nil {
				return r.usage("tunnel history is recorded by the watcher (doorbot serve with alerts.channel set); none here")
			}
			return nil
		},
		Run: func(ctx context.Context, req Request) handlers.Reply {
			h, err := History(ctx, d.Store, req.Args[0], DefaultHistory, d.now())
			if err != nil {
				return r.UsageOf(err)
			}
			return handlers.HistoryReply(h, d.now())
		},
	}
}

// History reads a connection's tunnel history over the last window.
func History(ctx context.Context, st AlertReader, name string, window time.Duration, now time.Time) (handlers.History, error) {
	since := now.Add(-window)
	changes, err := st.TunnelChanges(ctx, name, since)
	if err != nil {
		return handlers.History{}, fmt.Errorf("history of %s: %w", name, err)
	}
	raw := make([]alerts.TunnelChange, len(changes))
	for i, c := range changes {
		raw[i] = c.TunnelChange
	}
	return handlers.BuildHistory(name, raw, since, now), nil
}

// addAlertActions registers Acknowledge and Silence. They are decided by
// the watcher against the stored alert, never against what the click
// claims; a refusal is told to the clicker alone.
func addAlertActions(r *Registry, d AlertDeps) {
	for _, id := range []string{handlers.AlertAckAction, handlers.AlertSilenceAction} {
		r.AddAction(Action{ID: id, Run: func(ctx context.Context, c Click) Outcome {
			if d.Watcher == nil {
				return tell(c, "alerts are not running in this doorbot; nothing was changed")
			}
			if !alerts.ValidID(c.Value) {
				// Forged or mangled: say so without echoing it.
				return tell(c, "this button does not carry an alert ID; nothing was changed")
			}
			if _, err := d.Watcher.Decide(ctx, id, c.Value, c.User); err != nil {
				if ref, ok := errors.AsType[*alerts.Refusal](err); ok {
					return tell(c, ref.Reason)
				}
				return tell(c, "could not record your click: "+err.Error())
			}
			return Outcome{}
		}})
	}
}

func tell(c Click, text string) Outcome {
	return Outcome{Answer: &Answer{Channel: c.Channel, Reply: handlers.Reply{Text: text, Ephemeral: true,
		Blocks: []handlers.Block{{Kind: handlers.Paragraph, Tone: handlers.ToneWarning, Lines: []string{text}}}}}}
}
