package alerts

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)

// clock is the fake clock: one observation per interval.
type clock struct {
	now      time.Time
	interval time.Duration
}

func (c *clock) next() time.Time { c.now = c.now.Add(c.interval); return c.now }

// sample builds an observation from a pattern: one letter per tunnel (U
// up, D down, ? unknown), then optional side flags "aws!" / "azure!" for a
// failed read of that side.
func sample(at time.Time, pattern string) Sample {
	f := strings.Fields(pattern)
	s := Sample{At: at, Sides: []SideSample{{Cloud: "aws", Read: true}, {Cloud: "azure", Read: true}}, Context: Context{Summary: pattern}}
	for i, r := range f[0] {
		st := map[rune]TunnelState{'U': Up, 'D': Down, '?': Unknown}[r]
		s.Tunnels = append(s.Tunnels, TunnelSample{Key: fmt.Sprintf("198.51.100.%d", i+1), Index: i + 1, Label: fmt.Sprintf("tunnel %d", i+1), State: st})
	}
	for _, flag := range f[1:] {
		for i := range s.Sides {
			if s.Sides[i].Cloud+"!" == flag {
				s.Sides[i].Read = false
				s.Sides[i].Error = "AWS throttled the request (RequestLimitExceeded)"
			}
		}
	}
	return s
}

func settings() Settings {
	return Settings{Debounce: 2, Repeat: time.Hour, UnobservedAfter: 5, FlapWindow: 21, FlapHigh: 20, FlapLow: 5}
}

// run feeds patterns one interval apart and returns the actions of each.
func run(t *testing.T, e *Engine, c *Connection, ck *clock, change *Change, patterns ...string) [][]Action {
	t.Helper()
	var out [][]Action
	for _, p := range patterns {
		out = append(out, e.Observe(c, sample(ck.next(), p), change))
	}
	return out
}

// deliveries flattens actions to "delivery/event" words.
func deliveries(acts []Action) string {
	var w []string
	for _, a := range acts {
		w = append(w, fmt.Sprintf("%s/%s", a.Delivery, a.Event))
	}
	return strings.Join(w, " ")
}

func all(steps [][]Action) []Action {
	var out []Action
	for _, s := range steps {
		out = append(out, s...)
	}
	return out
}

func count(acts []Action, d Delivery) int {
	n := 0
	for _, a := range acts {
		if a.Delivery == d {
			n++
		}
	}
	return n
}

func newEngine(s Settings) *Engine {
	n := 0
	return &Engine{Settings: s, NewID: func(conn string, k Kind, _ time.Time) string { n++; return fmt.Sprintf("%s-%s-%d", conn, k, n) }}
}

func TestLifecycle(t *testing.T) {
	cases := []struct {
		name     string
		settings func(*Settings)
		patterns []string
		// want is the deliveries of each step, "" for none.
		want []string
	}{
		{name: "debounce: one down observation is no alert",
			patterns: []string{"UU", "UU", "UD", "UU", "UU"},
			want:     []string{"", "", "", "", ""}},
		{name: "down after debounce observations, announced once, recovery edits the same root",
			patterns: []string{"UU", "UU", "DD", "DD", "DD", "DD", "UU", "UU", "UU"},
			want:     []string{"", "", "", "post_root/opened", "", "", "", "update_root/resolved broadcast/resolved", ""}},
		{name: "degraded escalates to down: one alert, paged again",
			patterns: []string{"UU", "UU", "UD", "UD", "DD", "DD", "UD", "UD"},
			want:     []string{"", "", "", "post_root/opened", "", "update_root/changed broadcast/changed", "", "update_root/changed thread_reply/changed"}},
		{name: "debounce 1 alerts on the first down observation",
			settings: func(s *Settings) { s.Debounce = 1 },
			patterns: []string{"UU", "DU", "UU"},
			want:     []string{"", "post_root/opened", "update_root/resolved broadcast/resolved"}},
		{name: "a tunnel never confirmed up that is down is degraded",
			patterns: []string{"UD", "UD"},
			want:     []string{"", "post_root/opened"}},
		{name: "unread side is neither down nor recovered",
			patterns: []string{"UU", "UU", "DD", "DD", "?? aws!", "?? aws!", "?? aws!", "UU", "UU"},
			want:     []string{"", "", "", "post_root/opened", "", "", "", "", "update_root/resolved broadcast/resolved"}},
		{name: "throttled reads never alert down; after unobserved_after they are their own alert naming the error",
			patterns: []string{"UU", "UU", "?? aws!", "?? aws!", "?? aws!", "?? aws!", "?? aws!", "?? aws!", "UU"},
			want:     []string{"", "", "", "", "", "", "post_root/opened", "", "update_root/resolved broadcast/resolved"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := settings()
			if tc.settings != nil {
				tc.settings(&s)
			}
			e := newEngine(s)
			c := &Connection{Name: "azure-prod"}
			steps := run(t, e, c, &clock{now: t0, interval: time.Minute}, nil, tc.patterns...)
			for i, st := range steps {
				if got := deliveries(st); got != tc.want[i] {
					t.Errorf("step %d (%s): got %q, want %q", i+1, tc.patterns[i], got, tc.want[i])
				}
			}
			// Every message of one incident is about the same alert.
			ids := map[Kind]map[string]bool{}
			for _, a := range all(steps) {
				k := a.Alert.Kind
				if k != KindUnobserved {
					k = "incident"
				}
				if ids[k] == nil {
					ids[k] = map[string]bool{}
				}
				ids[k][a.Alert.ID] = true
			}
			for k, m := range ids {
				if len(m) != 1 {
					t.Errorf("%s: messages about %d alerts, want 1: %v", k, len(m), m)
				}
			}
		})
	}
}

func TestDownAlertContent(t *testing.T) {
	e := newEngine(settings())
	c := &Connection{Name: "azure-prod"}
	ck := &clock{now: t0, interval: time.Minute}
	steps := run(t, e, c, ck, nil, "UU", "UU", "UD", "UD")
	a := steps[3][0].Alert
	if a.Kind != KindDegraded || a.State != Firing || !a.Since.Equal(t0.Add(3*time.Minute)) || a.Connection != "azure-prod" {
		t.Fatalf("alert = %+v; want degraded, firing, since the first down observation", a)
	}
	if strings.Join(a.Tunnels, ",") != "tunnel 2" {
		t.Errorf("tunnels = %v, want [tunnel 2]", a.Tunnels)
	}
	steps = run(t, e, c, ck, nil, "UU", "UU")
	res := steps[1][1]
	if res.Alert.State != Resolved || !strings.Contains(res.Note, "resolved after 3m") {
		t.Errorf("recovery = %+v %q; want resolved after 3m", res.Alert.State, res.Note)
	}
}

func TestDetectionDelay(t *testing.T) {
	for _, debounce := range []int{1, 2, 3, 5} {
		s := settings()
		s.Debounce = debounce
		e := newEngine(s)
		c := &Connection{Name: "x"}
		ck := &clock{now: t0, interval: time.Minute}
		run(t, e, c, ck, nil, "UU", "UU", "UU", "UU", "UU")
		cycles := 0
		for {
			cycles++
			if acts := e.Observe(c, sample(ck.next(), "DD"), nil); count(acts, PostRoot) == 1 {
				break
			}
			if cycles > 20 {
				t.Fatalf("debounce %d: no alert after 20 cycles", debounce)
			}
		}
		if cycles != debounce {
			t.Errorf("debounce %d: alerted after %d down observations, want %d", debounce, cycles, debounce)
		}
	}
}

func TestFlapping(t *testing.T) {
	e := newEngine(settings())
	c := &Connection{Name: "azure-prod"}
	ck := &clock{now: t0, interval: time.Minute}
	var flapping []string
	for i := range 10 {
		flapping = append(flapping, []string{"UU", "UD"}[i%2])
	}
	var acts []Action
	for _, st := range run(t, e, c, ck, nil, append([]string{"UU", "UU"}, flapping...)...) {
		acts = append(acts, st...)
	}
	if count(acts, PostRoot) != 1 || acts[0].Alert.Kind != KindFlapping {
		t.Fatalf("alternating tunnel: %s; want one flapping root", deliveries(acts))
	}
	// The root says how much the tunnel changes, and what to look at,
	// even when it happens to be up at the moment.
	if ev := strings.Join(acts[0].Alert.Context.Evidence, "\n"); !strings.Contains(ev, "tunnel 2: ") || !strings.Contains(ev, "% state change over the last") {
		t.Errorf("flapping root evidence: %q", ev)
	}
	if cs := acts[0].Alert.Context.Causes; len(cs) == 0 || !strings.Contains(cs[0], "doorbot why azure-prod") {
		t.Errorf("flapping root causes: %q", cs)
	}
	if n := count(acts, ThreadReply) + count(acts, Broadcast); n != 0 {
		t.Errorf("flapping tunnel sent %d replies, want none: one alert, not a stream", n)
	}
	// Hysteresis: stable again, the percentage falls; between low and high
	// the alert stays flapping; at <= low it stops and, all tunnels up,
	// resolves.
	var stopped int
	for i := range 30 {
		acts := e.Observe(c, sample(ck.next(), "UU"), nil)
		p := c.Tunnels[1].Percent
		if c.Incident.Open() && p <= e.Settings.FlapLow {
			t.Fatalf("observation %d: %.1f%% <= low but still flapping", i, p)
		}
		if c.Incident.Open() && c.Incident.Kind == KindFlapping && p < e.Settings.FlapHigh && p > e.Settings.FlapLow {
			stopped++ // in the band: hysteresis keeps it
		}
		if count(acts, Broadcast) == 1 {
			if acts[1].Event != EventResolved || acts[1].Alert.ID != acts[0].Alert.ID {
				t.Fatalf("stop: %s", deliveries(acts))
			}
			break
		}
	}
	if stopped == 0 {
		t.Error("the percentage never sat between low and high while flapping: hysteresis untested")
	}
	if c.Incident.Open() {
		t.Error("flapping never stopped")
	}
}

func TestFlappingDownTunnelStopsToDown(t *testing.T) {
	s := settings()
	e := newEngine(s)
	c := &Connection{Name: "x"}
	ck := &clock{now: t0, interval: time.Minute}
	run(t, e, c, ck, nil, "UU", "UD", "UU", "UD", "UU", "UD", "UU", "UD")
	if c.Incident == nil || c.Incident.Kind != KindFlapping {
		t.Fatalf("incident = %+v, want flapping", c.Incident)
	}
	var acts []Action
	for range 30 {
		acts = append(acts, e.Observe(c, sample(ck.next(), "UD"), nil)...)
	}
	if c.Incident.Kind != KindDegraded || !c.Incident.Open() {
		t.Fatalf("after flapping stops on a down tunnel: %+v, want degraded", c.Incident)
	}
	if !strings.Contains(deliveries(acts), "thread_reply/flap_stopped") || count(acts, PostRoot) != 0 {
		t.Errorf("actions %s: want one flap_stopped reply on the same root", deliveries(acts))
	}
}

func TestPercentStateChange(t *testing.T) {
	alt := func(n int) []bool {
		h := make([]bool, n)
		for i := range h {
			h[i] = i%2 == 0
		}
		return h
	}
	steady := make([]bool, 21)
	oldest := append([]bool{false}, steady[1:]...)
	for i := range oldest[1:] {
		oldest[i+1] = true
	}
	newest := append(append([]bool{}, steady[:20]...), true)
	cases := []struct {
		name string
		h    []bool
		want float64
	}{
		{"no change", steady, 0},
		{"every observation changes", alt(21), 100},
		{"one change, newest weighs 1.2", newest, 6},
		{"one change, oldest weighs 0.8", oldest, 4},
		{"short history counts against a full window", alt(3), (1.2 + 1.2 - 0.4/19) / 20 * 100},
		{"longer history is cut to the window", alt(40), 100},
	}
	for _, tc := range cases {
		if got := PercentStateChange(tc.h, 21); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: %.4f, want %.4f", tc.name, got, tc.want)
		}
	}
}

func TestUnobservedNamesTheError(t *testing.T) {
	e := newEngine(settings())
	c := &Connection{Name: "x"}
	ck := &clock{now: t0, interval: time.Minute}
	steps := run(t, e, c, ck, nil, "UU", "UU", "UU aws!", "UU aws!", "UU aws!", "UU aws!", "UU aws!")
	acts := all(steps)
	if count(acts, PostRoot) != 1 {
		t.Fatalf("%s: want one unobserved root", deliveries(acts))
	}
	a := acts[0].Alert
	if a.Kind != KindUnobserved || !strings.Contains(a.Error, "aws: AWS throttled") || !a.Since.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("alert = %+v; want unobserved naming the AWS error, since the first failed read", a)
	}
	if c.Incident != nil {
		t.Errorf("an unread side raised %+v", c.Incident)
	}
}

func TestRepeatAckSilence(t *testing.T) {
	e := newEngine(settings())
	c := &Connection{Name: "x"}
	ck := &clock{now: t0, interval: 10 * time.Minute}
	steps := run(t, e, c, ck, nil, "DD", "DD") // opened at t0+20m
	id := steps[1][0].Alert.ID
	// Unacknowledged: one repeat per hour.
	acts := all(run(t, e, c, ck, nil, "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD"))
	if n := count(acts, Broadcast); n != 2 {
		t.Fatalf("two hours unacknowledged: %d repeats, want 2 (%s)", n, deliveries(acts))
	}
	// Acknowledge stops repeats and records who and when.
	ackAt := ck.now.Add(time.Second)
	acts, err := e.Acknowledge(c, id, "U0ONCALL", ackAt)
	if err != nil || deliveries(acts) != "update_root/acknowledged thread_reply/acknowledged" {
		t.Fatalf("ack: %s, %v", deliveries(acts), err)
	}
	if c.Incident.State != Acknowledged || c.Incident.AckedBy != "U0ONCALL" || !c.Incident.AckedAt.Equal(ackAt) {
		t.Fatalf("after ack: %+v", c.Incident)
	}
	if _, err := e.Acknowledge(c, id, "U0OTHER", ackAt); err == nil || !strings.Contains(err.Error(), "already acknowledged by @U0ONCALL") {
		t.Errorf("second ack: %v", err)
	}
	if acts := all(run(t, e, c, ck, nil, "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD", "DD")); count(acts, Broadcast) != 0 {
		t.Errorf("acknowledged alert repeated: %s", deliveries(acts))
	}

	// Silence: no repeats for an hour, then repeats resume.
	c2 := &Connection{Name: "y"}
	run(t, e, c2, ck, nil, "DD", "DD")
	acts, err = e.Silence(c2, c2.Incident.ID, "U0ONCALL", ck.now)
	if err != nil || c2.Incident.State != Silenced || !c2.Incident.SilencedUntil.Equal(ck.now.Add(time.Hour)) {
		t.Fatalf("silence: %v %+v", err, c2.Incident)
	}
	var during, after []Action
	for i := range 12 {
		a := e.Observe(c2, sample(ck.next(), "DD"), nil)
		if i < 5 {
			during = append(during, a...)
		} else {
			after = append(after, a...)
		}
	}
	if len(during) != 0 {
		t.Errorf("silenced alert sent %s", deliveries(during))
	}
	if !strings.HasPrefix(deliveries(after), "update_root/silence_ended thread_reply/silence_ended") || c2.Incident.State != Firing {
		t.Errorf("after the hour: %s, state %s", deliveries(after), c2.Incident.State)
	}
	// Repeats count from the end of the silence: one, an hour later.
	if count(after, Broadcast) != 1 || after[len(after)-1].Event != EventRepeat || !c2.Incident.LastNotified.Equal(ck.now) {
		t.Errorf("after the silence: %s; want one repeat an hour after it ended", deliveries(after))
	}
	// A resolved alert refuses clicks with a reason.
	run(t, e, c2, ck, nil, "UU", "UU")
	if _, err := e.Acknowledge(c2, c2.Incident.ID, "U1", ck.now); err == nil || !strings.Contains(err.Error(), "already resolved") {
		t.Errorf("ack on resolved: %v", err)
	}
	if _, err := e.Silence(c2, "nope", "U1", ck.now); err == nil {
		t.Error("silence of an unknown alert succeeded")
	}
}

func TestChangeWindowRouting(t *testing.T) {
	ch := &Change{ID: "chg-1", Channel: "C0APPROVE", ThreadTS: "1700000000.000100"}
	t.Run("opened and resolved inside the window never pages", func(t *testing.T) {
		e := newEngine(settings())
		c := &Connection{Name: "x"}
		ck := &clock{now: t0, interval: time.Minute}
		acts := all(run(t, e, c, ck, ch, "UU", "UU", "DD", "DD", "DD", "UD", "UD", "UU", "UU"))
		if count(acts, PostRoot)+count(acts, Broadcast)+count(acts, ThreadReply)+count(acts, UpdateRoot) != 0 {
			t.Errorf("paged during the change: %s", deliveries(acts))
		}
		if deliveries(acts) != "change_thread/opened change_thread/changed change_thread/resolved" {
			t.Errorf("change thread got %s", deliveries(acts))
		}
		for _, a := range acts {
			if a.Change == nil || a.Change.ID != "chg-1" {
				t.Errorf("%s not addressed to the change: %+v", a.Event, a.Change)
			}
		}
	})
	t.Run("still down after the window closes pages then", func(t *testing.T) {
		e := newEngine(settings())
		c := &Connection{Name: "x"}
		ck := &clock{now: t0, interval: time.Minute}
		run(t, e, c, ck, ch, "DD", "DD", "DD")
		acts := all(run(t, e, c, ck, nil, "DD", "DD"))
		if deliveries(acts) != "post_root/routed" {
			t.Errorf("after the window: %s, want one root", deliveries(acts))
		}
		acts = all(run(t, e, c, ck, nil, "UU", "UU"))
		if deliveries(acts) != "update_root/resolved broadcast/resolved" {
			t.Errorf("recovery: %s", deliveries(acts))
		}
	})
	t.Run("an alert paged before the window keeps its root edited, replies go to the change", func(t *testing.T) {
		e := newEngine(settings())
		c := &Connection{Name: "x"}
		ck := &clock{now: t0, interval: time.Minute}
		run(t, e, c, ck, nil, "UD", "UD")
		acts := all(run(t, e, c, ck, ch, "DD", "DD", "UU", "UU"))
		if deliveries(acts) != "update_root/changed change_thread/changed update_root/resolved change_thread/resolved" {
			t.Errorf("inside the window: %s", deliveries(acts))
		}
	})
}

func TestRestartFromStore(t *testing.T) {
	e := newEngine(settings())
	c := &Connection{Name: "x"}
	ck := &clock{now: t0, interval: time.Minute}
	run(t, e, c, ck, nil, "UU", "UD", "UD", "UD")
	c.Incident.Channel, c.Incident.TS = "C0ALERTS", "1700000000.000200"
	// The store keeps the JSON; a new process reads it back.
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Connection
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	e2 := newEngine(settings())
	acts := all(run(t, e2, &back, ck, nil, "UD", "UD", "DD", "DD", "UU", "UU"))
	if count(acts, PostRoot) != 0 {
		t.Fatalf("restart re-posted: %s", deliveries(acts))
	}
	for _, a := range acts {
		if a.Alert.ID != c.Incident.ID || a.Alert.TS != "1700000000.000200" {
			t.Errorf("%s/%s about %s ts %s, want the stored alert", a.Delivery, a.Event, a.Alert.ID, a.Alert.TS)
		}
	}
	if deliveries(acts) != "update_root/changed broadcast/changed update_root/resolved broadcast/resolved" {
		t.Errorf("after restart: %s", deliveries(acts))
	}
	// Flap history and debounce survive too.
	if len(back.Tunnels[1].History) != 10 {
		t.Errorf("history has %d entries after restart, want 10", len(back.Tunnels[1].History))
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		42 * time.Second: "42s", 12 * time.Minute: "12m", 3*time.Hour + 5*time.Minute: "3h05m", 52 * time.Hour: "2d4h", -time.Second: "0s",
	} {
		if got := Human(d); got != want {
			t.Errorf("Human(%s) = %s, want %s", d, got, want)
		}
	}
}

func TestValidID(t *testing.T) {
	at := time.Date(2026, 12, 3, 3, 15, 0, 0, time.UTC)
	for _, k := range []Kind{KindDown, KindDegraded, KindFlapping, KindUnobserved} {
		if id := ID("azure-prod", k, at); !ValidID(id) {
			t.Errorf("ID %q is not valid", id)
		}
	}
	for _, bad := range []string{"", "<!channel>", "CR-0123456789", "azure-prod-20261203T031500-sideways", "Azure-20261203T031500-down",
		"azure-prod-20261203T031500-down\n", "-20261203T031500-down", strings.Repeat("a", 41) + "-20261203T031500-down"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

// A row seen only as unknown (a pairing artifact of a partial read) is no
// tunnel: losing both real tunnels afterwards is "down", not "degraded".
func TestUnknownRowIsNoTunnel(t *testing.T) {
	e := newEngine(settings())
	c := &Connection{Name: "azure-prod"}
	run(t, e, c, &clock{now: t0, interval: time.Minute}, nil, "UU", "UU", "UU? azure!", "UU", "DD", "DD")
	if len(c.Tunnels) != 2 {
		t.Errorf("%d tunnels remembered, want 2", len(c.Tunnels))
	}
	if c.Incident == nil || c.Incident.Kind != KindDown {
		t.Errorf("incident = %+v, want down", c.Incident)
	}
}

// A tunnel that no side shows any more (the VPN connection was replaced)
// is forgotten once every side was read: its last state neither keeps an
// outage open nor turns "down" into "degraded". An unread side forgets
// nothing.
func TestGoneTunnelIsForgotten(t *testing.T) {
	e := newEngine(settings())
	c := &Connection{Name: "azure-prod"}
	ck := &clock{now: t0, interval: time.Minute}
	run(t, e, c, ck, nil, "UD", "UD")
	if c.Incident == nil || c.Incident.Kind != KindDegraded {
		t.Fatalf("incident = %+v, want degraded", c.Incident)
	}
	run(t, e, c, ck, nil, "U azure!")
	if len(c.Tunnels) != 2 || !c.Incident.Open() {
		t.Fatalf("an unread side forgot a tunnel: %d tunnels, incident %+v", len(c.Tunnels), c.Incident)
	}
	steps := run(t, e, c, ck, nil, "U")
	if len(c.Tunnels) != 1 || c.Incident.Open() || deliveries(steps[0]) != "update_root/resolved broadcast/resolved" {
		t.Errorf("tunnel 2 gone: %d tunnels, incident %+v, sent %q", len(c.Tunnels), c.Incident, deliveries(steps[0]))
	}
}
