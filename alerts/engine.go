package alerts

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Event says what happened to an alert.
type Event string

const (
	EventOpened       Event = "opened"        // a new alert
	EventChanged      Event = "changed"       // kind or tunnels changed
	EventFlapping     Event = "flapping"      // a tunnel started flapping
	EventFlapStopped  Event = "flap_stopped"  // flapping stopped, the alert goes on
	EventRepeat       Event = "repeat"        // still firing, nobody acknowledged
	EventAcknowledged Event = "acknowledged"  // somebody took it
	EventSilenced     Event = "silenced"      // muted for an hour
	EventSilenceEnded Event = "silence_ended" // the hour is over
	EventRouted       Event = "routed"        // paged after its change window closed
	EventResolved     Event = "resolved"
)

// Delivery is what to do with a message.
type Delivery string

const (
	PostRoot     Delivery = "post_root"     // the alert's root message in the alerts channel, once
	UpdateRoot   Delivery = "update_root"   // edit the root in place
	ThreadReply  Delivery = "thread_reply"  // a reply in the root's thread
	Broadcast    Delivery = "broadcast"     // a thread reply also shown in the channel (recovery, repeat)
	ChangeThread Delivery = "change_thread" // a reply in the change request's thread instead of paging
)

// Action is one message to send. Alert is the alert as it is after the
// transition, which is what the message shows.
type Action struct {
	Delivery Delivery
	Event    Event
	Alert    Alert
	// Note is the one line a thread reply says ("tunnel 2 is down").
	Note string
	// Change is the change thread, for ChangeThread.
	Change *Change
	// Seq is the alert's transition this action belongs to; (alert ID,
	// Seq, Delivery) identifies the message, so a retry never doubles it.
	Seq int
}

// Tunnel is the engine's memory of one tunnel.
type Tunnel struct {
	Key   string      `json:"key"`
	Index int         `json:"index"`
	Label string      `json:"label"`
	State TunnelState `json:"state"` // confirmed; "" until the first confirmation
	// Since is when the confirmed state began: the first observation of
	// the run that confirmed it.
	Since        time.Time   `json:"since,omitzero"`
	Pending      TunnelState `json:"pending,omitempty"`
	PendingCount int         `json:"pending_count,omitempty"`
	PendingSince time.Time   `json:"pending_since,omitzero"`
	// History holds the last FlapWindow raw observations, oldest first
	// (true = up).
	History  []bool  `json:"history"`
	Flapping bool    `json:"flapping"`
	Percent  float64 `json:"percent"`
	Detail   string  `json:"detail,omitempty"`
	// CloudSince is the cloud's own last state change (AWS LastStatusChange).
	CloudSince time.Time `json:"cloud_since,omitzero"`
}

// Side is the engine's memory of one cloud's reads.
type Side struct {
	Cloud    string    `json:"cloud"`
	Failures int       `json:"failures"`
	Error    string    `json:"error,omitempty"`
	Since    time.Time `json:"since,omitzero"` // first failure of the run
}

// Connection is everything the engine remembers about one connection; it
// is what the store keeps between observations and across restarts.
type Connection struct {
	Name     string    `json:"name"`
	Tunnels  []*Tunnel `json:"tunnels"`
	Sides    []*Side   `json:"sides"`
	Incident *Alert    `json:"incident,omitempty"`   // down | degraded | flapping
	Blind    *Alert    `json:"unobserved,omitempty"` // unobserved
	LastAt   time.Time `json:"last_at,omitzero"`
	// Samples counts observations, for "detected after n cycles".
	Samples int `json:"samples"`
	// Changes are the raw tunnel state changes of the last observation,
	// for the history; not kept in the state.
	Changes []TunnelChange `json:"-"`
}

// TunnelChange is one observed change of a tunnel's state (raw, before
// debounce: the history shows every flap).
type TunnelChange struct {
	Key, Label string
	From, To   TunnelState
	At         time.Time
	// Source is what the sides said ("AWS DOWN, Azure NotConnected").
	Source string
}

// Alerts returns the connection's open alerts.
func (c *Connection) Alerts() []*Alert {
	var out []*Alert
	for _, a := range []*Alert{c.Incident, c.Blind} {
		if a.Open() {
			out = append(out, a)
		}
	}
	return out
}

// Engine applies Settings. NewID names new alerts; it must not repeat.
type Engine struct {
	Settings Settings
	NewID    func(connection string, kind Kind, at time.Time) string
}

func (e *Engine) newID(conn string, k Kind, at time.Time) string {
	if e.NewID != nil {
		return e.NewID(conn, k, at)
	}
	return ID(conn, k, at)
}

// ID names an alert: its connection, when it opened and its kind
// ("azure-prod-20261203T031500-down").
func ID(conn string, k Kind, at time.Time) string {
	return fmt.Sprintf("%s-%s-%s", conn, at.UTC().Format("20060102T150405"), k)
}

var reID = regexp.MustCompile(`^[a-z0-9-]{1,40}-[0-9]{8}T[0-9]{6}-(down|degraded|flapping|unobserved)$`)

// ValidID reports whether id has the form ID gives, so that a button
// value that is not an alert ID is refused before anything is read or
// echoed.
func ValidID(id string) bool { return reID.MatchString(id) }

// Observe feeds one observation of c to the engine and returns the
// messages to send, in order. change is the approved change whose window
// is open, or nil.
func (e *Engine) Observe(c *Connection, s Sample, change *Change) []Action {
	now := s.At
	c.LastAt = now
	c.Samples++
	c.Changes = nil
	var out []Action

	// Sides.
	for _, ss := range s.Sides {
		sd := c.side(ss.Cloud)
		if ss.Read {
			sd.Failures, sd.Error, sd.Since = 0, "", time.Time{}
			continue
		}
		if sd.Failures == 0 {
			sd.Since = now
		}
		sd.Failures++
		sd.Error = ss.Error
	}

	// Tunnels: debounce and flap history.
	var flapNotes []string
	for _, ts := range s.Tunnels {
		if ts.State == Unknown {
			// Not observed: no evidence, and no new tunnel either. A
			// partial read can pair the sides into a row that does not
			// exist (an Azure connection whose local network gateway was
			// not read); remembered, it would make "every tunnel down"
			// read as degraded for ever.
			c.relabel(ts)
			continue
		}
		t := c.tunnel(ts)
		t.Detail = ts.Detail
		t.CloudSince = ts.Since
		from := Unknown
		if n := len(t.History); n > 0 {
			from = map[bool]TunnelState{true: Up, false: Down}[t.History[n-1]]
		}
		if from != ts.State {
			c.Changes = append(c.Changes, TunnelChange{Key: t.Key, Label: t.Label, From: from, To: ts.State, At: now, Source: ts.Detail})
		}
		t.History = append(t.History, ts.State == Up)
		if w := max(e.Settings.FlapWindow, 2); len(t.History) > w {
			t.History = slices.Delete(t.History, 0, len(t.History)-w)
		}
		e.debounce(t, ts.State, now)
		t.Percent = PercentStateChange(t.History, e.Settings.FlapWindow)
		switch {
		case !t.Flapping && t.Percent >= e.Settings.FlapHigh && e.Settings.FlapHigh > 0:
			t.Flapping = true
			flapNotes = append(flapNotes, fmt.Sprintf("%s is flapping: %.0f%% state change over the last %d observations", t.Label, t.Percent, len(t.History)))
		case t.Flapping && t.Percent <= e.Settings.FlapLow:
			t.Flapping = false
			flapNotes = append(flapNotes, fmt.Sprintf("%s stopped flapping (%.0f%% state change)", t.Label, t.Percent))
		}
	}

	c.forget(s)

	out = append(out, e.incident(c, s.Context, flapNotes, change, now)...)
	out = append(out, e.unobserved(c, s.Context, change, now)...)
	out = append(out, e.tick(c, change, now)...)
	return out
}

func (e *Engine) debounce(t *Tunnel, st TunnelState, now time.Time) {
	if st == t.State {
		t.Pending, t.PendingCount, t.PendingSince = "", 0, time.Time{}
		return
	}
	if st != t.Pending {
		t.Pending, t.PendingCount, t.PendingSince = st, 0, now
	}
	t.PendingCount++
	if t.PendingCount >= max(e.Settings.Debounce, 1) {
		t.State, t.Since = st, t.PendingSince
		t.Pending, t.PendingCount, t.PendingSince = "", 0, time.Time{}
	}
}

// PercentStateChange is Nagios's flap measure over history (oldest first,
// at most window entries): each change between consecutive observations
// counts with a weight rising linearly from 0.8 (oldest possible) to 1.2
// (newest), and the weighted sum is taken as a percent of the window's
// window-1 possible changes. A short history therefore counts for less
// than a full one, so a young tunnel is not called flapping too early.
func PercentStateChange(history []bool, window int) float64 {
	n := max(window, 2) - 1 // possible changes in a full window
	if len(history) > n+1 {
		history = history[len(history)-n-1:]
	}
	var sum float64
	// The newest change sits at position n-1 of the window, the oldest
	// possible one at 0.
	offset := n - (len(history) - 1)
	for i := 1; i < len(history); i++ {
		if history[i] == history[i-1] {
			continue
		}
		pos := offset + i - 1
		w := 1.2
		if n > 1 {
			w = 0.8 + 0.4*float64(pos)/float64(n-1)
		}
		sum += w
	}
	return sum * 100 / float64(n)
}

// condition derives the incident kind from the confirmed tunnel states and
// lists the tunnels concerned.
func condition(c *Connection) (Kind, []string) {
	var down, flapping []string
	all := len(c.Tunnels) > 0
	for _, t := range c.Tunnels {
		if t.Flapping {
			flapping = append(flapping, t.Label)
		}
		if t.State == Down {
			down = append(down, t.Label)
		} else {
			all = false
		}
	}
	switch {
	case len(flapping) > 0:
		return KindFlapping, flapping
	case len(down) > 0 && all:
		return KindDown, down
	case len(down) > 0:
		return KindDegraded, down
	}
	return "", nil
}

func (e *Engine) incident(c *Connection, ctx Context, flapNotes []string, change *Change, now time.Time) []Action {
	kind, tunnels := condition(c)
	if kind == KindFlapping {
		ctx = e.flapContext(c, ctx)
	}
	a := c.Incident
	switch {
	case !a.Open() && kind == "":
		return nil
	case !a.Open():
		a = &Alert{
			ID: e.newID(c.Name, kind, now), Connection: c.Name, Kind: kind, State: Firing,
			Since: c.since(kind), OpenedAt: now, Tunnels: tunnels, Context: ctx,
		}
		c.Incident = a
		return e.open(a, change, now, openNote(a, flapNotes))
	case kind == "":
		a.Context = ctx
		a.Tunnels = nil
		return e.resolve(a, change, now, fmt.Sprintf("resolved after %s: every tunnel of %s is up", Human(now.Sub(a.Since)), c.Name))
	}
	a.Context = ctx
	if kind == a.Kind && slices.Equal(tunnels, a.Tunnels) {
		return nil
	}
	prev := a.Kind
	a.Kind, a.Tunnels = kind, tunnels
	var note string
	switch {
	case kind == KindFlapping && prev != KindFlapping:
		note = strings.Join(flapNotes, "; ")
		if note == "" {
			note = "flapping: " + strings.Join(tunnels, ", ")
		}
		return e.change(a, EventFlapping, change, now, note)
	case prev == KindFlapping && kind != KindFlapping:
		note = fmt.Sprintf("flapping stopped; now %s: %s", kind, strings.Join(tunnels, ", "))
		return e.change(a, EventFlapStopped, change, now, note)
	case kind == KindFlapping:
		// Which tunnels flap changed: keep the root right, but one
		// flapping alert is not a stream of replies.
		a.Seq++
		if !a.Rooted {
			return nil
		}
		return []Action{{Delivery: UpdateRoot, Event: EventChanged, Alert: *a, Seq: a.Seq}}
	}
	acts := e.change(a, EventChanged, change, now, fmt.Sprintf("now %s: %s down", kind, strings.Join(tunnels, ", ")))
	if kind == KindDown && prev != KindDown {
		// Losing the last tunnel is a new page even if somebody took the
		// degraded alert: whoever acknowledged redundancy lost did not
		// sign up for an outage.
		if a.State == Acknowledged {
			a.State, a.AckedBy, a.AckedAt = Firing, "", time.Time{}
		}
		a.LastNotified = now
		for i := range acts {
			acts[i].Alert = *a
			if acts[i].Delivery == ThreadReply {
				acts[i].Delivery = Broadcast
			}
		}
	}
	return acts
}

// flapContext says, for a flapping connection, how much each flapping
// tunnel changes and what to look at: its state may be up at the moment,
// so the status summary alone would not say why anybody was paged.
func (e *Engine) flapContext(c *Connection, ctx Context) Context {
	ctx.Evidence = slices.Clone(ctx.Evidence)
	for _, t := range c.Tunnels {
		if t.Flapping {
			ctx.Evidence = append(ctx.Evidence, fmt.Sprintf("%s: %.0f%% state change over the last %d observations (flapping from %.0f%% until it falls to %.0f%%)",
				t.Label, t.Percent, len(t.History), e.Settings.FlapHigh, e.Settings.FlapLow))
		}
	}
	// Flapping is the alert: its cause comes before what the state of the
	// moment suggests.
	ctx.Causes = append([]string{"an unstable tunnel: dead peer detection timing out, rekeys failing, or the path between the outside IPs dropping packets — check: doorbot history " +
		c.Name + "; doorbot why " + c.Name}, ctx.Causes...)
	return ctx
}

func openNote(a *Alert, flapNotes []string) string {
	if a.Kind == KindFlapping && len(flapNotes) > 0 {
		return strings.Join(flapNotes, "; ")
	}
	return fmt.Sprintf("%s: %s", a.Kind, strings.Join(a.Tunnels, ", "))
}

// since is when the current problem began: the earliest confirmed-down
// (or, for flapping, first flapping observation) of its tunnels.
func (c *Connection) since(kind Kind) time.Time {
	var s time.Time
	for _, t := range c.Tunnels {
		if (kind == KindFlapping && t.Flapping) || (kind != KindFlapping && t.State == Down) {
			at := t.Since
			if kind == KindFlapping || at.IsZero() {
				at = c.LastAt
			}
			if s.IsZero() || at.Before(s) {
				s = at
			}
		}
	}
	if s.IsZero() {
		s = c.LastAt
	}
	return s
}

func (e *Engine) unobserved(c *Connection, ctx Context, change *Change, now time.Time) []Action {
	var blind []string
	var since time.Time
	limit := max(e.Settings.UnobservedAfter, 1)
	for _, sd := range c.Sides {
		if sd.Failures >= limit {
			blind = append(blind, fmt.Sprintf("%s: %s", sd.Cloud, orText(sd.Error, "no answer")))
			if since.IsZero() || sd.Since.Before(since) {
				since = sd.Since
			}
		}
	}
	a := c.Blind
	switch {
	case !a.Open() && len(blind) == 0:
		return nil
	case !a.Open():
		a = &Alert{
			ID: e.newID(c.Name, KindUnobserved, now), Connection: c.Name, Kind: KindUnobserved, State: Firing,
			Since: since, OpenedAt: now, Error: strings.Join(blind, "; "), Context: ctx,
		}
		c.Blind = a
		return e.open(a, change, now, "cannot read "+a.Error)
	case len(blind) == 0:
		a.Context = ctx
		return e.resolve(a, change, now, fmt.Sprintf("resolved after %s: every side of %s reads again", Human(now.Sub(a.Since)), c.Name))
	}
	if errs := strings.Join(blind, "; "); errs != a.Error {
		a.Error = errs
		return e.change(a, EventChanged, change, now, "cannot read "+errs)
	}
	return nil
}

// open announces a new alert: a root in the alerts channel, or a reply in
// the change thread while a change window is open.
func (e *Engine) open(a *Alert, change *Change, now time.Time, note string) []Action {
	a.Seq++
	a.LastNotified = now
	if change != nil {
		a.Change = change.ID
		return []Action{{Delivery: ChangeThread, Event: EventOpened, Alert: *a, Note: note, Change: change, Seq: a.Seq}}
	}
	a.Rooted = true
	return []Action{{Delivery: PostRoot, Event: EventOpened, Alert: *a, Note: note, Seq: a.Seq}}
}

// change announces a transition of an open alert: the root is edited and
// the thread told, or the change thread told while a window is open.
func (e *Engine) change(a *Alert, ev Event, change *Change, now time.Time, note string) []Action {
	a.Seq++
	var out []Action
	if a.Rooted {
		out = append(out, Action{Delivery: UpdateRoot, Event: ev, Alert: *a, Seq: a.Seq})
	}
	switch {
	case change != nil:
		out = append(out, Action{Delivery: ChangeThread, Event: ev, Alert: *a, Note: note, Change: change, Seq: a.Seq})
	case a.Rooted:
		out = append(out, Action{Delivery: ThreadReply, Event: ev, Alert: *a, Note: note, Seq: a.Seq})
	default:
		// Opened inside a change window that has closed since: page now.
		a.Rooted = true
		out = append(out, Action{Delivery: PostRoot, Event: ev, Alert: *a, Note: note, Seq: a.Seq})
	}
	return out
}

func (e *Engine) resolve(a *Alert, change *Change, now time.Time, note string) []Action {
	a.Seq++
	a.State = Resolved
	a.ResolvedAt = now
	var out []Action
	if a.Rooted {
		out = append(out, Action{Delivery: UpdateRoot, Event: EventResolved, Alert: *a, Seq: a.Seq})
	}
	switch {
	case change != nil || !a.Rooted:
		// Never paged (opened and closed inside the change): tell the
		// change thread only. With no change any more, the change thread
		// the alert went to is still the right place.
		ch := change
		if ch == nil {
			ch = &Change{ID: a.Change}
		}
		out = append(out, Action{Delivery: ChangeThread, Event: EventResolved, Alert: *a, Note: note, Change: ch, Seq: a.Seq})
	default:
		out = append(out, Action{Delivery: Broadcast, Event: EventResolved, Alert: *a, Note: note, Seq: a.Seq})
	}
	return out
}

// tick handles time: silences that end, alerts to page after their change
// window closed, and repeats.
func (e *Engine) tick(c *Connection, change *Change, now time.Time) []Action {
	var out []Action
	for _, a := range c.Alerts() {
		if a.State == Silenced && !now.Before(a.SilencedUntil) {
			a.State = Firing
			if a.AckedBy != "" {
				a.State = Acknowledged
			}
			a.LastNotified = now
			out = append(out, e.change(a, EventSilenceEnded, change, now, "silence ended")...)
			continue
		}
		if change == nil && !a.Rooted {
			a.Seq++
			a.Rooted = true
			a.LastNotified = now
			out = append(out, Action{Delivery: PostRoot, Event: EventRouted, Alert: *a, Seq: a.Seq,
				Note: fmt.Sprintf("still %s after change %s's window closed", a.Kind, a.Change)})
			continue
		}
		if a.State == Firing && change == nil && e.Settings.Repeat > 0 && now.Sub(a.LastNotified) >= e.Settings.Repeat {
			a.Seq++
			a.LastNotified = now
			out = append(out, Action{Delivery: Broadcast, Event: EventRepeat, Alert: *a, Seq: a.Seq,
				Note: fmt.Sprintf("still %s after %s; nobody has acknowledged", a.Kind, Human(now.Sub(a.Since)))})
		}
	}
	return out
}

// Tick runs the time-driven part alone (between observations).
func (e *Engine) Tick(c *Connection, now time.Time, change *Change) []Action {
	return e.tick(c, change, now)
}

// ErrNoSuchAlert is returned when a click names an alert the connection
// does not have open.
var ErrNoSuchAlert = errors.New("no such open alert")

// Refusal is a click that changes nothing, with the reason to show.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// find returns the open alert id of c.
func (c *Connection) find(id string) (*Alert, error) {
	for _, a := range []*Alert{c.Incident, c.Blind} {
		if a != nil && a.ID == id {
			if !a.Open() {
				return nil, &Refusal{Reason: fmt.Sprintf("alert %s was already resolved %s", id, a.ResolvedAt.UTC().Format(time.RFC3339))}
			}
			return a, nil
		}
	}
	return nil, fmt.Errorf("alert %s: %w", id, ErrNoSuchAlert)
}

// Acknowledge records that user took the alert: no more repeats.
func (e *Engine) Acknowledge(c *Connection, id, user string, now time.Time) ([]Action, error) {
	a, err := c.find(id)
	if err != nil {
		return nil, err
	}
	if a.AckedBy != "" {
		return nil, &Refusal{Reason: fmt.Sprintf("alert %s was already acknowledged by @%s at %s", id, a.AckedBy, a.AckedAt.UTC().Format(time.RFC3339))}
	}
	a.AckedBy, a.AckedAt = user, now
	if a.State == Firing {
		a.State = Acknowledged
	}
	return e.change(a, EventAcknowledged, nil, now, fmt.Sprintf("acknowledged by @%s", user)), nil
}

// Silence mutes the alert for Settings.SilenceFor (one hour).
func (e *Engine) Silence(c *Connection, id, user string, now time.Time) ([]Action, error) {
	a, err := c.find(id)
	if err != nil {
		return nil, err
	}
	a.State = Silenced
	a.SilencedBy = user
	a.SilencedUntil = now.Add(e.Settings.silence())
	return e.change(a, EventSilenced, nil, now, fmt.Sprintf("silenced by @%s until %s", user, a.SilencedUntil.UTC().Format("15:04 MST"))), nil
}

func (c *Connection) side(cloud string) *Side {
	for _, s := range c.Sides {
		if s.Cloud == cloud {
			return s
		}
	}
	s := &Side{Cloud: cloud}
	c.Sides = append(c.Sides, s)
	return s
}

// forget drops the tunnels an observation that read every side no longer
// shows (a VPN connection replaced, a connection removed from the config):
// a tunnel that no longer exists would otherwise keep an outage open for
// ever, or make "every tunnel down" read as degraded.
func (c *Connection) forget(s Sample) {
	for _, sd := range s.Sides {
		if !sd.Read {
			return
		}
	}
	if len(s.Sides) == 0 || len(s.Tunnels) == 0 {
		return
	}
	c.Tunnels = slices.DeleteFunc(c.Tunnels, func(t *Tunnel) bool {
		return !slices.ContainsFunc(s.Tunnels, func(ts TunnelSample) bool { return ts.Key == t.Key })
	})
}

// relabel updates the index and label of a known tunnel.
func (c *Connection) relabel(ts TunnelSample) {
	for _, t := range c.Tunnels {
		if t.Key == ts.Key {
			t.Index, t.Label = ts.Index, ts.Label
		}
	}
}

func (c *Connection) tunnel(ts TunnelSample) *Tunnel {
	for _, t := range c.Tunnels {
		if t.Key == ts.Key {
			t.Index, t.Label = ts.Index, ts.Label
			return t
		}
	}
	t := &Tunnel{Key: ts.Key, Index: ts.Index, Label: ts.Label}
	c.Tunnels = append(c.Tunnels, t)
	return t
}

// Human prints a duration the way on-call says it: 42s, 12m, 3h05m, 2d4h.
func Human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
