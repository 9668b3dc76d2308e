// Package watch is the alert loop (docs/alerts.md): every interval it
// observes every configured connection through the same batched, cached
// observer as status, feeds each observation to the alert engine inside
// one store transaction per connection, and sends the resulting messages
// from the store's outbox through a Notifier. doorbot serve runs it with
// Slack as the notifier; doorbot watch runs it in the foreground with
// none, printing one line per alert event.
//
// It never imports bot or slack-go: Slack is behind Notifier.
package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/rules"
	"github.com/doorbot/doorbot/vpn/triage"
	"github.com/doorbot/doorbot/vpn/why"
)

// Message is one alert message as the notifier sends it.
type Message struct {
	AlertID    string         `json:"alert_id"`
	Connection string         `json:"connection"`
	Kind       string         `json:"kind"`
	Reply      handlers.Reply `json:"reply"`
}

// Notifier sends alert messages. Post returns the root's channel ID and
// ts, which every later Update and Reply uses.
type Notifier interface {
	Post(ctx context.Context, channel string, m Message) (ch, ts string, err error)
	Update(ctx context.Context, channel, ts string, m Message) error
	Reply(ctx context.Context, channel, threadTS string, m Message, broadcast bool) error
}

// RetryError is a send that may be retried after After (Slack's
// Retry-After on a 429).
type RetryError struct {
	After time.Duration
	Err   error
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// Observer reads the clouds (cloud.Observer).
type Observer interface {
	Observe(ctx context.Context, conns []vpn.Connection) []vpn.Observation
}

// cycler is cloud.Observer's background refresh.
type cycler interface {
	Cycle(ctx context.Context, conns []vpn.Connection, interval time.Duration) ([]vpn.Observation, cloud.CycleReport)
}

// Store is the part of store.Store the watcher uses.
type Store interface {
	UpdateAlerts(ctx context.Context, connection string, at time.Time, step func(c *alerts.Connection) (store.AlertStep, error)) (alerts.Connection, error)
	AlertConnection(ctx context.Context, id string) (string, error)
	AlertRoot(ctx context.Context, id string) (channel, ts string, err error)
	ClaimMessages(ctx context.Context, now time.Time, stale time.Duration, limit int) ([]store.AlertMessage, error)
	MessageSent(ctx context.Context, m store.AlertMessage, channel, ts string, at time.Time) error
	MessageFailed(ctx context.Context, m store.AlertMessage, reason string, next time.Time) error
}

// Event is one alert event, as doorbot watch prints it.
type Event struct {
	At         time.Time `json:"at"`
	Connection string    `json:"connection"`
	Alert      string    `json:"alert"`
	Kind       string    `json:"kind"`
	State      string    `json:"state"`
	Event      string    `json:"event"`
	Delivery   string    `json:"delivery"`
	Text       string    `json:"text"`
}

// Cycle is what one observation of every connection found; metrics and
// status hang here.
type Cycle struct {
	At      time.Time
	Report  vpn.Report
	Sides   map[string]map[vpn.Cloud]bool // connection → side → read
	Tunnels map[string][]alerts.TunnelSample
	Firing  int // open alerts that are firing (not acknowledged, not silenced)
	Open    []alerts.Alert
	Elapsed time.Duration
}

// Options configure a Watcher.
type Options struct {
	Connections []vpn.Connection
	Observer    Observer
	// Store keeps the engine state and the outbox; nil keeps state in
	// memory and sends nothing (doorbot watch).
	Store    Store
	Notifier Notifier
	Channel  string // alerts.channel
	Interval time.Duration
	Settings alerts.Settings
	// ActiveChange returns the approved change of a connection whose
	// window is open at now, or nil.
	ActiveChange func(ctx context.Context, connection string, now time.Time) (*alerts.Change, error)
	Now          func() time.Time
	Logger       *slog.Logger
	// OnEvent sees every alert event once it is stored.
	OnEvent func(Event)
	// OnCycle sees every cycle.
	OnCycle func(Cycle)
	// Explain is doorbot why for one connection, of the observation this
	// cycle read (handlers.Service.WhyOf: only the evidence is read, not
	// the connection again). When a connection turns down or degraded the
	// watcher asks it once,
	// so that the alert names the cause the clouds' own records show
	// (a pre-shared key mismatch in the tunnel log), not only the likely
	// one. Nil: the likely causes only.
	Explain func(ctx context.Context, o vpn.Observation) (why.Answer, error)
	// onObserved sees every cycle's observations (the live model's Put).
	onObserved func(ctx context.Context, obs []vpn.Observation, at time.Time)
}

// OnObserved hands every cycle's observations to fn as well (the live
// model that answers status); call it before Run.
func (w *Watcher) OnObserved(fn func(ctx context.Context, obs []vpn.Observation, at time.Time)) {
	w.opts.onObserved = fn
}

// Watcher runs the alert loop.
type Watcher struct {
	opts   Options
	engine alerts.Engine
	st     Store
	log    *slog.Logger

	mu     sync.Mutex
	latest Cycle

	// explained is what Explain said per connection, for the set of
	// tunnels down it was asked about.
	explainMu sync.Mutex
	explained map[string]explanation
}

// explanation is the evidence-backed causes of one connection's outage.
type explanation struct {
	key    string // the tunnels not up when it was asked
	causes []string
}

// New builds a watcher.
func New(opts Options) *Watcher {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Minute
	}
	w := &Watcher{opts: opts, engine: alerts.Engine{Settings: opts.Settings}, st: opts.Store, log: opts.Logger, explained: map[string]explanation{}}
	if w.st == nil {
		w.st = newMemStore()
	}
	return w
}

// Latest returns the last cycle.
func (w *Watcher) Latest() Cycle {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.latest
}

// Run observes every Interval until ctx ends, starting at once, and sends
// pending messages in between (retries after Retry-After).
func (w *Watcher) Run(ctx context.Context) {
	w.log.Info("alert watcher running", "connections", len(w.opts.Connections), "interval", w.opts.Interval, "channel", w.opts.Channel)
	observe := time.NewTicker(w.opts.Interval)
	defer observe.Stop()
	send := time.NewTicker(min(w.opts.Interval, 5*time.Second))
	defer send.Stop()
	w.RunCycle(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-observe.C:
			w.RunCycle(ctx)
		case <-send.C:
			w.Deliver(ctx)
		}
	}
}

// RunCycle observes every connection once, steps the engine and sends
// what it decided.
func (w *Watcher) RunCycle(ctx context.Context) Cycle {
	began := w.opts.Now()
	var obs []vpn.Observation
	if c, ok := w.opts.Observer.(cycler); ok {
		// A background refresh: ARM reads paced under the scheduler's rate
		// and bounded by the interval, not by the status deadline. Cycle
		// itself warns when the fleet needs a longer interval.
		obs, _ = c.Cycle(ctx, w.opts.Connections, w.opts.Interval)
	} else {
		obs = w.opts.Observer.Observe(ctx, w.opts.Connections)
	}
	now := w.opts.Now()
	if w.opts.onObserved != nil {
		w.opts.onObserved(ctx, obs, now)
	}
	cyc := Cycle{At: now, Sides: map[string]map[vpn.Cloud]bool{}, Tunnels: map[string][]alerts.TunnelSample{}}
	statuses := make([]vpn.ConnectionStatus, len(obs))
	for i, o := range obs {
		statuses[i] = handlers.Assess(o)
	}
	w.explain(ctx, obs, statuses)
	for i, o := range obs {
		cs := statuses[i]
		sample := alerts.SampleOf(o, cs.Tunnels, now, messageContext(o, cs, w.evidence(o.Connection.Name)))
		sides := map[vpn.Cloud]bool{}
		for _, s := range sample.Sides {
			sides[vpn.Cloud(s.Cloud)] = s.Read
		}
		cyc.Sides[o.Connection.Name] = sides
		cyc.Tunnels[o.Connection.Name] = sample.Tunnels
		c, err := w.step(ctx, o.Connection.Name, now, func(c *alerts.Connection, change *alerts.Change) ([]alerts.Action, error) {
			return w.engine.Observe(c, sample, change), nil
		})
		if err != nil {
			w.log.Error("alert state not updated; the next cycle tries again", "connection", o.Connection.Name, "error", err)
			continue
		}
		for _, a := range c.Alerts() {
			cyc.Open = append(cyc.Open, *a)
			if a.State == alerts.Firing {
				cyc.Firing++
			}
		}
	}
	cyc.Report = vpn.NewReport(now, statuses)
	cyc.Elapsed = w.opts.Now().Sub(began)
	w.mu.Lock()
	w.latest = cyc
	w.mu.Unlock()
	if w.opts.OnCycle != nil {
		w.opts.OnCycle(cyc)
	}
	w.Deliver(ctx)
	return cyc
}

// maxExplain bounds the connections explained per cycle: a region-wide
// outage must not turn one cycle into hundreds of log queries. The others
// are explained in the next cycles.
const maxExplain = 5

// explain asks Explain about every connection that turned down or
// degraded (or whose set of tunnels down changed) since it was last
// asked, in parallel, bounded by half the interval (at least 5 s, at
// most 20 s). The cycle waits: the root posted after debounce then
// already names the cause. A failed explanation is not retried until the
// tunnels down change; the alert keeps its likely causes.
func (w *Watcher) explain(ctx context.Context, obs []vpn.Observation, statuses []vpn.ConnectionStatus) {
	if w.opts.Explain == nil {
		return
	}
	type job struct {
		name, key string
		obs       vpn.Observation
	}
	var jobs []job
	w.explainMu.Lock()
	for i, cs := range statuses {
		key := downKey(cs)
		if key == "" {
			delete(w.explained, cs.Name)
			continue
		}
		if e, ok := w.explained[cs.Name]; ok && e.key == key || len(jobs) == maxExplain {
			continue
		}
		jobs = append(jobs, job{cs.Name, key, obs[i]})
	}
	w.explainMu.Unlock()
	if len(jobs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, max(min(w.opts.Interval/2, 20*time.Second), 5*time.Second))
	defer cancel()
	results := make([]explanation, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			results[i].key = j.key
			ans, err := w.opts.Explain(ctx, j.obs)
			if err != nil {
				w.log.Warn("why not read for the alert; it names the likely causes only", "connection", j.name, "error", err)
				return
			}
			results[i].causes = evidenceCauses(ans)
		})
	}
	wg.Wait()
	w.explainMu.Lock()
	defer w.explainMu.Unlock()
	for i, j := range jobs {
		w.explained[j.name] = results[i]
	}
}

func (w *Watcher) evidence(connection string) []string {
	w.explainMu.Lock()
	defer w.explainMu.Unlock()
	return w.explained[connection].causes
}

// downKey names the tunnels not up of a connection that is down or
// degraded, "" otherwise.
func downKey(cs vpn.ConnectionStatus) string {
	if cs.Health != vpn.Down && cs.Health != vpn.Degraded {
		return ""
	}
	var keys []string
	for _, t := range cs.Tunnels {
		if !t.Up {
			keys = append(keys, t.AWSOutsideIP+"/"+t.AzureConnection)
		}
	}
	return string(cs.Health) + ":" + strings.Join(keys, ",")
}

// evidenceCauses are the causes why found records for, one line each:
// the finding and its newest record.
func evidenceCauses(ans why.Answer) []string {
	var out []string
	for _, c := range ans.Causes {
		// tunnel-down is why's "down, and no recorded reason": the
		// likely causes say more than that.
		if len(c.Evidence) == 0 || c.Rule == rules.IDTunnelDown {
			continue
		}
		ev := c.Evidence[0]
		text := ev.Text
		if r := []rune(text); len(r) > 200 {
			text = string(r[:199]) + "…"
		}
		out = append(out, fmt.Sprintf("%s: %s — seen %s in %s: “%s”", c.Rule, c.Message, ev.Time, ev.Source, text))
		if len(out) == 2 {
			break
		}
	}
	return out
}

// step runs one engine decision on a connection's stored state and
// records its messages in the outbox before anything is sent.
func (w *Watcher) step(ctx context.Context, conn string, now time.Time, decide func(c *alerts.Connection, change *alerts.Change) ([]alerts.Action, error)) (alerts.Connection, error) {
	var change *alerts.Change
	if w.opts.ActiveChange != nil {
		ch, err := w.opts.ActiveChange(ctx, conn, now)
		if err != nil {
			// Paging when in doubt beats staying silent.
			w.log.Warn("cannot tell whether a change window is open; alerts page as usual", "connection", conn, "error", err)
		}
		change = ch
	}
	var acts []alerts.Action
	var changes []alerts.TunnelChange
	c, err := w.st.UpdateAlerts(ctx, conn, now, func(c *alerts.Connection) (store.AlertStep, error) {
		if c.Name == "" {
			c.Name = conn
		}
		var err error
		acts, err = decide(c, change)
		if err != nil {
			return store.AlertStep{}, err
		}
		changes = c.Changes
		st := store.AlertStep{Changes: c.Changes}
		if w.opts.Notifier == nil {
			return st, nil
		}
		for _, a := range acts {
			m, err := w.message(a, now)
			if err != nil {
				return store.AlertStep{}, err
			}
			st.Messages = append(st.Messages, m)
		}
		return st, nil
	})
	if err != nil {
		return c, err
	}
	for _, ch := range changes {
		w.log.Info("tunnel state changed", "connection", conn, "tunnel", ch.Label, "from", ch.From, "to", ch.To, "source", ch.Source)
	}
	if w.opts.OnEvent != nil {
		for _, a := range acts {
			w.opts.OnEvent(Event{At: now, Connection: conn, Alert: a.Alert.ID, Kind: string(a.Alert.Kind), State: string(a.Alert.State),
				Event: string(a.Event), Delivery: string(a.Delivery), Text: eventText(a, now)})
		}
	}
	return c, nil
}

func eventText(a alerts.Action, now time.Time) string {
	if a.Note != "" {
		return a.Note
	}
	return handlers.AlertRoot(a.Alert, now).Text
}

// message renders an action for the outbox.
func (w *Watcher) message(a alerts.Action, now time.Time) (store.AlertMessage, error) {
	m := Message{AlertID: a.Alert.ID, Connection: a.Alert.Connection, Kind: string(a.Alert.Kind)}
	switch a.Delivery {
	case alerts.PostRoot, alerts.UpdateRoot:
		m.Reply = handlers.AlertRoot(a.Alert, now)
	default:
		m.Reply = handlers.AlertNote(a, now)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return store.AlertMessage{}, err
	}
	out := store.AlertMessage{AlertID: a.Alert.ID, Seq: a.Seq, Delivery: a.Delivery, Event: a.Event, Body: string(body)}
	if a.Delivery == alerts.ChangeThread && a.Change != nil {
		out.Channel, out.ThreadTS = a.Change.Channel, a.Change.ThreadTS
	}
	out.ID = store.MessageID(out.AlertID, out.Seq, out.Delivery)
	return out, nil
}

// Decide applies a click (alert_ack or alert_silence) by user and sends
// the edits. A refusal (already acknowledged, resolved) is returned as an
// *alerts.Refusal with the reason to show.
func (w *Watcher) Decide(ctx context.Context, actionID, alertID, user string) (alerts.Alert, error) {
	conn, err := w.st.AlertConnection(ctx, alertID)
	if err != nil {
		return alerts.Alert{}, err
	}
	now := w.opts.Now()
	var out alerts.Alert
	_, err = w.step(ctx, conn, now, func(c *alerts.Connection, _ *alerts.Change) ([]alerts.Action, error) {
		var acts []alerts.Action
		var err error
		switch actionID {
		case handlers.AlertAckAction:
			acts, err = w.engine.Acknowledge(c, alertID, user, now)
		case handlers.AlertSilenceAction:
			acts, err = w.engine.Silence(c, alertID, user, now)
		default:
			return nil, fmt.Errorf("unknown alert action %q", actionID)
		}
		if len(acts) > 0 {
			out = acts[0].Alert
		}
		return acts, err
	})
	if err != nil {
		return alerts.Alert{}, err
	}
	w.Deliver(ctx)
	return out, nil
}

// staleClaim is how long a message may stay "sending" before another
// sender takes it: a process that died mid-send must not lose it.
const staleClaim = 2 * time.Minute

// Deliver sends due messages from the outbox, in order. A failed send
// stays queued and is retried (after Retry-After on a 429); replies wait
// for their root. Nothing is dropped silently: every failure is logged
// with the message and the reason.
func (w *Watcher) Deliver(ctx context.Context) {
	if w.opts.Notifier == nil {
		return
	}
	// Each claim holds at most one message per alert, in order; claim
	// again while messages go out.
	for range 50 {
		now := w.opts.Now()
		msgs, err := w.st.ClaimMessages(ctx, now, staleClaim, 100)
		if err != nil {
			w.log.Error("alert outbox not read; retrying", "error", err)
			return
		}
		sent := 0
		for _, m := range msgs {
			if err := w.send(ctx, m, now); err != nil {
				w.failed(ctx, m, err, now)
				continue
			}
			sent++
		}
		if sent == 0 {
			return
		}
	}
}

// failed puts a message back for a later try. It is recorded even when
// ctx has ended (doorbot stopping mid-send), so that the next process
// retries it at once instead of waiting for the claim to go stale.
func (w *Watcher) failed(ctx context.Context, m store.AlertMessage, err error, now time.Time) {
	next := now.Add(backoff(m.Attempts, w.opts.Interval))
	if re, ok := errors.AsType[*RetryError](err); ok && re.After > 0 {
		next = now.Add(re.After)
	}
	if ctx.Err() != nil {
		next = now
	}
	w.log.Warn("alert message not sent; will retry", "alert", m.AlertID, "message", m.ID, "attempt", m.Attempts+1, "retry_at", next, "error", err)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.st.MessageFailed(rctx, m, err.Error(), next); err != nil {
		w.log.Error("alert message failure not recorded; it is retried once its claim goes stale", "message", m.ID, "error", err)
	}
}

// sent records that Slack has the message. Once Slack has accepted a post,
// the record must outlive a stopping doorbot: a cancelled record would leave
// the root unposted in the store and the next process would post it again.
func (w *Watcher) sent(ctx context.Context, m store.AlertMessage, ch, ts string, now time.Time) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return w.st.MessageSent(rctx, m, ch, ts, now)
}

func backoff(attempts int, interval time.Duration) time.Duration {
	d := time.Second << min(attempts, 8)
	return min(d, max(interval, 5*time.Second), 5*time.Minute)
}

var errNoRoot = errors.New("the alert's root message is not posted yet")

func (w *Watcher) send(ctx context.Context, m store.AlertMessage, now time.Time) error {
	var msg Message
	if err := json.Unmarshal([]byte(m.Body), &msg); err != nil {
		return fmt.Errorf("corrupt message %s: %w", m.ID, err)
	}
	rootCh, rootTS, err := w.st.AlertRoot(ctx, m.AlertID)
	if err != nil {
		return err
	}
	n := w.opts.Notifier
	switch m.Delivery {
	case alerts.PostRoot:
		if rootTS != "" {
			// Posted before (a second leader, a crash after the post):
			// never twice.
			return w.sent(ctx, m, rootCh, rootTS, now)
		}
		ch, ts, err := n.Post(ctx, w.opts.Channel, msg)
		if err != nil {
			return err
		}
		return w.sent(ctx, m, ch, ts, now)
	case alerts.UpdateRoot, alerts.ThreadReply, alerts.Broadcast:
		if rootTS == "" {
			return errNoRoot
		}
		if m.Delivery == alerts.UpdateRoot {
			err = n.Update(ctx, rootCh, rootTS, msg)
		} else {
			err = n.Reply(ctx, rootCh, rootTS, msg, m.Delivery == alerts.Broadcast)
		}
		if err != nil {
			return err
		}
		return w.sent(ctx, m, rootCh, rootTS, now)
	case alerts.ChangeThread:
		ch, thread := m.Channel, m.ThreadTS
		if ch == "" || thread == "" {
			// The change has no thread doorbot knows of: say it in the
			// alerts channel rather than nowhere, without paging.
			ch, thread = w.opts.Channel, ""
			if err := n.Reply(ctx, ch, thread, msg, false); err != nil {
				return err
			}
			return w.sent(ctx, m, ch, "", now)
		}
		if err := n.Reply(ctx, ch, thread, msg, false); err != nil {
			return err
		}
		return w.sent(ctx, m, ch, thread, now)
	}
	return fmt.Errorf("unknown delivery %q", m.Delivery)
}

// messageContext is what an alert says about the connection now: the
// status summary (its first words say which side was not read), one line
// per tunnel not up with what each side says and since when, the likely
// causes and the next commands.
func messageContext(o vpn.Observation, cs vpn.ConnectionStatus, evidence []string) alerts.Context {
	ctx := alerts.Context{Summary: cs.Summary}
	for _, t := range cs.Tunnels {
		if (o.AWS == nil || t.AWSUp()) && (o.Azure == nil || t.AzureUp()) {
			continue
		}
		line := fmt.Sprintf("tunnel %d (%s): AWS %s", t.Index, orDash(t.AWSOutsideIP), t.AWSStatus)
		if t.AWSMessage != "" {
			line += " (" + t.AWSMessage + ")"
		}
		line += ", Azure " + t.AzureStatus
		if t.AzureConnection != "" {
			line += " (" + t.AzureConnection + ")"
		}
		if t.AWSSince != "" {
			line += "; AWS reports the change at " + t.AWSSince
		}
		ctx.Evidence = append(ctx.Evidence, line)
	}
	if cs.Health == vpn.Down || cs.Health == vpn.Degraded {
		// What the clouds recorded first, then what the state suggests.
		ctx.Causes = append(ctx.Causes, evidence...)
		for _, c := range triage.Diagnose(o, cs.Tunnels) {
			ctx.Causes = append(ctx.Causes, c.Title+" — check: "+c.Check)
		}
	}
	name := o.Connection.Name
	ctx.Next = strings.Join([]string{"/door status " + name, "doorbot history " + name}, "\n")
	return ctx
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
