package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/fakeclock"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/watch"
)

// demoAlertsChannel is the channel the alert demo pretends to post in.
const demoAlertsChannel = "#vpn-alerts"

// demoInterval is the alert demo's alerts.interval: the recommended 60s,
// on a clock that jumps one interval per cycle instead of waiting for it.
const demoInterval = time.Minute

// demoChannel is the watcher's Notifier in the demo: instead of Slack it
// prints every message the alerts channel would get, as it gets it: the
// root (chat.postMessage with its metadata), edits in place
// (chat.update), thread replies and the replies also sent to the channel.
// compact prints one line a message (the console); otherwise each message
// is rendered as in a terminal, under a line saying what Slack would do.
type demoChannel struct {
	out     io.Writer
	clock   func() time.Time
	compact bool

	mu                           sync.Mutex
	posts, edits, replies, casts int
}

func (d *demoChannel) print(what, how string, m watch.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	at := d.clock().UTC().Format("15:04")
	if d.compact {
		_, err := fmt.Fprintf(d.out, "  %s %s %-9s %s\n", at, demoAlertsChannel, what, m.Reply.Text)
		return err
	}
	fmt.Fprintf(d.out, "\n  %s %s ▸ %s\n", at, demoAlertsChannel, how)
	var b bytes.Buffer
	if err := handlers.RenderText(&b, m.Reply); err != nil {
		return err
	}
	for line := range strings.Lines(b.String()) {
		fmt.Fprintf(d.out, "    │ %s", line)
	}
	return nil
}

func (d *demoChannel) Post(_ context.Context, channel string, m watch.Message) (string, string, error) {
	d.mu.Lock()
	d.posts++
	ts := fmt.Sprintf("%d.%06d", d.clock().Unix(), d.posts)
	d.mu.Unlock()
	how := fmt.Sprintf("new message %s (chat.postMessage, metadata event_type %q, alert_id %s)", ts, "doorbot_alert", m.AlertID)
	return channel, ts, d.print("post", how, m)
}

func (d *demoChannel) Update(_ context.Context, _, ts string, m watch.Message) error {
	d.mu.Lock()
	d.edits++
	d.mu.Unlock()
	return d.print("edit", fmt.Sprintf("message %s edited in place (chat.update)", ts), m)
}

func (d *demoChannel) Reply(_ context.Context, _, threadTS string, m watch.Message, broadcast bool) error {
	d.mu.Lock()
	d.replies++
	if broadcast {
		d.casts++
	}
	d.mu.Unlock()
	what, how := "reply", fmt.Sprintf("reply in the thread of %s", threadTS)
	if broadcast {
		what, how = "broadcast", how+", also sent to the channel"
	}
	return d.print(what, how, m)
}

// alertDemo is the alert scenario played on the simulated clouds.
type alertDemo struct {
	scenario sim.Scenario
	world    *sim.World
	clock    *fakeclock.Clock
	store    store.Store
	watcher  *watch.Watcher
	channel  *demoChannel
}

// alertDemoStart is how long before now the alert demo's clock starts:
// the script takes under an hour of demo time, so it ends before now and
// /door history in the console shows no change in the future.
const alertDemoStart = time.Hour

// newAlertDemo wires the real watcher, alert engine and store (SQLite in
// memory) to a fresh observer of the simulated clouds in which sc (the
// alert scenario) was populated, on a fake clock.
func (a *app) newAlertDemo(ctx context.Context, srv *sim.Server, world *sim.World, sc sim.Scenario, out io.Writer, compact bool) (*alertDemo, error) {
	// The fake clock: the watcher, the observer's cache and the simulated
	// AWS LastStatusChange all read it.
	clk := fakeclock.New(time.Now().UTC().Truncate(time.Minute).Add(-alertDemoStart))
	world.SetClock(clk.Now)
	// Its own observer: no cache between cycles (the clock jumps a minute
	// each), no AWS retries (a throttled read fails at once, as it would
	// after the SDK's retries), ARM reads unpaced (nothing real to spare).
	obs, err := simclient.Observer(srv, simclient.Options{CallTimeout: 3 * time.Second, StatusTimeout: 6 * time.Second,
		MaxAttempts: 1, ReadRate: 1000, Now: clk.Now, Logger: a.logger})
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, "sqlite", ":memory:")
	if err != nil {
		return nil, fmt.Errorf("alert demo store: %w", err)
	}
	ch := &demoChannel{out: out, clock: clk.Now, compact: compact}
	w := watch.New(watch.Options{
		Connections: []vpn.Connection{sc.Connection}, Observer: obs, Store: st, Notifier: ch,
		Channel: demoAlertsChannel, Interval: demoInterval, Settings: alerts.DefaultSettings(),
		Now: clk.Now, Logger: a.logger,
		Explain: (&handlers.Service{Connections: []vpn.Connection{sc.Connection}, Observer: obs, Clock: clk.Now}).WhyOf,
	})
	return &alertDemo{scenario: sc, world: world, clock: clk, store: st, watcher: w, channel: ch}, nil
}

// cycle advances the clock one interval and runs one watcher cycle.
func (d *alertDemo) cycle(ctx context.Context) watch.Cycle {
	d.clock.Add(demoInterval)
	return d.watcher.RunCycle(ctx)
}

// demoStep is one act of the alert demo: what happens to the clouds (or
// who clicks), then watcher cycles until done says the act is over.
type demoStep struct {
	say    string
	act    func(ctx context.Context, d *alertDemo) error
	cycles int
	// until ends the act early once it holds after a cycle.
	until func(c watch.Cycle) bool
	// quiet is said when the act posted nothing.
	quiet string
}

func (d *alertDemo) steps() []demoStep {
	sc, w := d.scenario, d.world
	setTunnel := func(i int, up bool) func(context.Context, *alertDemo) error {
		return func(context.Context, *alertDemo) error { sc.SetTunnel(w, i, up); return nil }
	}
	noneOpen := func(c watch.Cycle) bool { return len(c.Open) == 0 }
	return []demoStep{
		{say: "Both tunnels up; the watcher observes every minute.", cycles: 2,
			quiet: "nothing posted: a healthy VPN is quiet"},
		{say: "EC2 throttles every AWS read for 3 minutes (RequestLimitExceeded).",
			act: func(context.Context, *alertDemo) error {
				w.AddFault("aws", sim.Fault{Status: 503, Code: "RequestLimitExceeded", Match: sc.MatchAWS})
				return nil
			}, cycles: 3,
			quiet: "nothing posted: a side that cannot be read is neither down nor recovered, and 3 failed reads are fewer than unobserved_after (5)"},
		{say: "AWS answers again. Tunnel 2 goes down: AWS DOWN (IPSEC IS DOWN), Azure NotConnected.",
			act: func(ctx context.Context, d *alertDemo) error {
				w.RemoveFault("aws", sc.MatchAWS)
				return setTunnel(1, false)(ctx, d)
			}, cycles: 4},
		{say: "The on-call engineer clicks Acknowledge.", act: func(ctx context.Context, d *alertDemo) error {
			open := d.watcher.Latest().Open
			if len(open) == 0 {
				return fmt.Errorf("alert demo: no alert to acknowledge")
			}
			_, err := d.watcher.Decide(ctx, handlers.AlertAckAction, open[0].ID, "oncall")
			return err
		}},
		{say: "Tunnel 1 goes down too: no tunnel is up. The same alert escalates and pages again, acknowledged or not.", act: setTunnel(0, false), cycles: 3},
		{say: "Both tunnels come back.", act: func(ctx context.Context, d *alertDemo) error {
			sc.SetTunnel(w, 0, true)
			sc.SetTunnel(w, 1, true)
			return nil
		}, cycles: 5, until: noneOpen},
		{say: "Tunnel 2 flaps: down one minute, up the next, for 8 minutes.", act: func(ctx context.Context, d *alertDemo) error {
			for i := range 8 {
				sc.SetTunnel(w, 1, i%2 == 1)
				d.cycle(ctx)
			}
			return nil
		}},
		{say: "Tunnel 2 stays up.", act: setTunnel(1, true), cycles: 30, until: noneOpen},
	}
}

// play runs the script, printing each act and the messages it caused.
func (d *alertDemo) play(ctx context.Context, out io.Writer) error {
	for _, s := range d.steps() {
		before := d.channel.sent()
		fmt.Fprintf(out, "\n%s  %s\n", d.clock.Now().UTC().Format("15:04"), s.say)
		if s.act != nil {
			if err := s.act(ctx, d); err != nil {
				return err
			}
		}
		for range s.cycles {
			if c := d.cycle(ctx); s.until != nil && s.until(c) {
				break
			}
		}
		if d.channel.sent() == before && s.quiet != "" {
			fmt.Fprintf(out, "  (%s)\n", s.quiet)
		}
	}
	return nil
}

func (d *demoChannel) sent() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.posts + d.edits + d.replies
}

// summary says what the channel got and shows the history doorbot kept.
func (d *alertDemo) summary(ctx context.Context, out io.Writer) error {
	c := d.channel
	c.mu.Lock()
	fmt.Fprintf(out, "\n%s got %d root messages, %d edits in place and %d thread replies (%d of them also sent to the channel).\n",
		demoAlertsChannel, c.posts, c.edits, c.replies, c.casts)
	c.mu.Unlock()
	now := d.clock.Now()
	h, err := commands.History(ctx, d.store, d.scenario.Name, commands.DefaultHistory, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n$ doorbot history %s\n", d.scenario.Name)
	return handlers.RenderText(out, handlers.HistoryReply(h, now))
}

func (d *alertDemo) close() {
	d.store.Close()
}
