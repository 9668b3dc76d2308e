package watch

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/fakeclock"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/vpntest"
	"github.com/doorbot/doorbot/vpn/why"
)

// shapes is an observer that answers from vpntest shapes, switchable.
type shapes struct {
	mu    sync.Mutex
	shape vpntest.Shape
}

func (s *shapes) set(sh vpntest.Shape) { s.mu.Lock(); s.shape = sh; s.mu.Unlock() }
func (s *shapes) Observe(_ context.Context, conns []vpn.Connection) []vpn.Observation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]vpn.Observation, len(conns))
	for i := range conns {
		out[i] = s.shape.Observation()
	}
	return out
}

// notifier records sends; fail makes the next n sends fail with err.
type notifier struct {
	mu   sync.Mutex
	log  []string
	fail int
	err  error
	n    int
	// roots are the root messages as last posted or edited.
	roots []Message
}

func (n *notifier) record(what string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail > 0 {
		n.fail--
		return n.err
	}
	n.log = append(n.log, what)
	return nil
}

func (n *notifier) Post(_ context.Context, ch string, m Message) (string, string, error) {
	if err := n.record("post " + m.Kind); err != nil {
		return "", "", err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.n++
	n.roots = append(n.roots, m)
	return ch, fmt.Sprintf("1700000000.%06d", n.n), nil
}
func (n *notifier) Update(_ context.Context, _, ts string, m Message) error {
	return n.record("update " + ts + " " + m.Reply.Text)
}
func (n *notifier) Reply(_ context.Context, _, ts string, m Message, broadcast bool) error {
	return n.record(fmt.Sprintf("reply %s broadcast=%v", ts, broadcast))
}

func (n *notifier) sent() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.log...)
}

// tunnel2Down is the healthy shape with its tunnel 2 down on both clouds.
func tunnel2Down() vpntest.Shape {
	s := vpntest.Healthy
	s.AWSDown, s.Azure = vpntest.Tunnel2.AWSDown, vpntest.Tunnel2.Azure
	return s
}

// openStore opens a SQLite store in a temporary directory, closed when
// the test ends.
func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite", filepath.Join(t.TempDir(), "doorbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// simObserver is the real observer on a simulated world's endpoints, and
// the simulator (which records every request).
func simObserver(t testing.TB, world *sim.World, opts simclient.Options) (*sim.Server, *cloud.Observer) {
	t.Helper()
	srv := simclient.StartForTest(t, world)
	obs, err := simclient.Observer(srv, opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, obs
}

func setup(t testing.TB) (*Watcher, *shapes, *notifier, *fakeclock.Clock, store.Store) {
	t.Helper()
	st := openStore(t)
	clk := fakeclock.New(time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC))
	obs := &shapes{shape: vpntest.Healthy}
	n := &notifier{}
	w := New(Options{
		Connections: []vpn.Connection{vpntest.Healthy.Observation().Connection},
		Observer:    obs, Store: st, Notifier: n, Channel: "C0ALERTS01", Interval: time.Minute,
		Settings: alerts.Settings{Debounce: 2, Repeat: time.Hour, UnobservedAfter: 5, FlapWindow: 21, FlapHigh: 20, FlapLow: 5},
		Now:      clk.Now,
	})
	return w, obs, n, clk, st
}

func cycle(ctx context.Context, w *Watcher, clk *fakeclock.Clock) Cycle {
	clk.Add(time.Minute)
	return w.RunCycle(ctx)
}

// Slack answers 429 to the root: it is retried after Retry-After, posted
// once, and the edits wait for it and follow in order.
func TestDeliveryRetriesWithoutDuplicates(t *testing.T) {
	ctx := t.Context()
	w, obs, n, clk, st := setup(t)
	cycle(ctx, w, clk)
	obs.set(tunnel2Down())
	n.fail, n.err = 1, &RetryError{After: 90 * time.Second, Err: errors.New("slack rate limit exceeded, retry after 1m30s")}
	cycle(ctx, w, clk)
	cycle(ctx, w, clk) // confirmed down: the root is due, and refused
	if got := n.sent(); len(got) != 0 {
		t.Fatalf("sent %v while Slack refused", got)
	}
	if c, last, _ := st.UnsentMessages(ctx); c != 1 || !strings.Contains(last, "rate limit") {
		t.Fatalf("unsent = %d %q; the refused post must stay queued with its reason", c, last)
	}
	clk.Add(30 * time.Second)
	w.Deliver(ctx)
	if got := n.sent(); len(got) != 0 {
		t.Fatalf("retried before Retry-After: %v", got)
	}
	obs.set(vpntest.Healthy)
	cycle(ctx, w, clk) // 90 s later: the root goes out
	cycle(ctx, w, clk) // recovered: edit and broadcast, after the root
	w.Deliver(ctx)
	want := []string{"post degraded", "update 1700000000.000001 vpn healthy-static: degraded resolved after 3m", "reply 1700000000.000001 broadcast=true"}
	if got := n.sent(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sent:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Another delivery (a second leader, a restart) sends nothing again.
	w.Deliver(ctx)
	if got := n.sent(); len(got) != 3 {
		t.Errorf("sent again: %v", got)
	}
}

// stopAfterPost is a Slack that accepts the post, and doorbot is told to
// stop the moment it answers (a rolling restart right after the page).
type stopAfterPost struct {
	*notifier
	stop context.CancelFunc
}

func (s stopAfterPost) Post(ctx context.Context, ch string, m Message) (string, string, error) {
	defer s.stop()
	return s.notifier.Post(ctx, ch, m)
}

// A post Slack accepted is recorded even when doorbot stops as it lands:
// otherwise the next process posts the same alert root again.
func TestStopRightAfterPostDoesNotRepost(t *testing.T) {
	w, obs, n, clk, st := setup(t)
	ctx, stop := context.WithCancel(t.Context())
	w.opts.Notifier = stopAfterPost{notifier: n, stop: stop}
	obs.set(tunnel2Down())
	cycle(ctx, w, clk)
	cycle(ctx, w, clk) // confirmed down: the root is posted, then doorbot stops
	if got := n.sent(); len(got) != 1 {
		t.Fatalf("sent %v, want the root once", got)
	}
	// The next process, on the same store.
	w2 := New(w.opts)
	w2.opts.Notifier = n
	clk.Add(time.Minute)
	w2.Deliver(t.Context())
	if got := n.sent(); len(got) != 1 {
		t.Fatalf("the restarted watcher sent %v: the root went out twice", got)
	}
	if c, _, _ := st.UnsentMessages(t.Context()); c != 0 {
		t.Errorf("%d messages still queued after Slack accepted them", c)
	}
}

// Acknowledge through the watcher: recorded, the root edited; a second
// click is refused with who took it.
func TestDecide(t *testing.T) {
	ctx := t.Context()
	w, obs, n, clk, _ := setup(t)
	obs.set(tunnel2Down())
	cycle(ctx, w, clk)
	c := cycle(ctx, w, clk)
	if len(c.Open) != 1 || c.Firing != 1 {
		t.Fatalf("cycle = %+v", c)
	}
	id := c.Open[0].ID
	a, err := w.Decide(ctx, "alert_ack", id, "U0ONCALL")
	if err != nil || a.AckedBy != "U0ONCALL" || a.State != alerts.Acknowledged {
		t.Fatalf("ack = %+v %v", a, err)
	}
	got := n.sent()
	if len(got) != 3 || !strings.HasPrefix(got[1], "update ") || !strings.HasPrefix(got[2], "reply ") {
		t.Errorf("sent %v", got)
	}
	var ref *alerts.Refusal
	if _, err := w.Decide(ctx, "alert_ack", id, "U0OTHER"); !errors.As(err, &ref) || !strings.Contains(ref.Reason, "@U0ONCALL") {
		t.Errorf("second ack: %v", err)
	}
	if c := cycle(ctx, w, clk); c.Firing != 0 {
		t.Errorf("acknowledged alert counted as firing: %d", c.Firing)
	}
	if _, err := w.Decide(ctx, "alert_ack", "nope", "U1"); !errors.Is(err, store.ErrAlertNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
}

// One watcher cycle over the simulated clouds, the real SDK clients and a
// SQLite store: upstream calls, CPU and allocations per cycle for a fleet
// of 1, 100 and 1000 connections, and the detection delay in cycles.
func BenchmarkCycle(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("connections=%d", n), func(b *testing.B) {
			world := sim.NewWorld()
			conns := sim.Fleet(world, n, "ap-northeast-1", "eu-west-1")
			srv, obs := simObserver(b, world, simclient.Options{CallTimeout: 20 * time.Second, StatusTimeout: 60 * time.Second})
			st := openStore(b)
			clk := fakeclock.New(time.Now())
			w := New(Options{Connections: conns, Observer: obs, Store: st, Notifier: &notifier{}, Channel: "C0ALERTS01",
				Interval: time.Minute, Settings: alerts.DefaultSettings(), Now: clk.Now})
			w.RunCycle(b.Context()) // warm: TLS connections, tokens
			before := len(srv.Requests())
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for range b.N {
				clk.Add(time.Minute)
				w.RunCycle(b.Context())
			}
			cpu = processCPU() - cpu
			b.StopTimer()
			b.ReportMetric(float64(len(srv.Requests())-before)/float64(b.N), "upstream-calls/cycle")
			// Wall time is mostly the paced ARM reads waiting their turn;
			// CPU (the whole process: the simulated clouds and SQLite
			// included) is what a cycle costs the machine.
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/cycle")
		})
	}
	b.Run("detection-delay", func(b *testing.B) {
		// Cycles from the first down observation to the root message,
		// with the default debounce of 2.
		var cycles int
		for range b.N {
			w, obs, n, clk, _ := setup(b)
			cycles = 0
			obs.set(tunnel2Down())
			for len(n.sent()) == 0 && cycles < 10 {
				cycles++
				cycle(b.Context(), w, clk)
			}
		}
		b.ReportMetric(float64(cycles), "cycles-to-alert")
	})
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A tunnel down with the clouds' own records of why: the root names the
// recorded cause first (the pre-shared key mismatch in the tunnel and
// gateway logs), before the likely ones, through the real why on the
// simulated clouds.
func TestAlertNamesTheRecordedCause(t *testing.T) {
	world, scenarios := sim.DemoWorld()
	sc, ok := sim.Named(scenarios, "psk-mismatch")
	if !ok {
		t.Fatal("no psk-mismatch scenario")
	}
	psk := sc.Connection
	srv, obs := simObserver(t, world, simclient.Options{})
	st := openStore(t)
	svc := &handlers.Service{Connections: []vpn.Connection{psk}, Observer: obs}
	explained := 0
	n := &notifier{}
	w := New(Options{Connections: svc.Connections, Observer: obs, Store: st, Notifier: n, Channel: "C0ALERTS01",
		Interval: time.Minute, Settings: alerts.DefaultSettings(),
		Explain: func(ctx context.Context, o vpn.Observation) (why.Answer, error) {
			explained++
			return svc.WhyOf(ctx, o)
		}})
	for range 4 {
		w.RunCycle(t.Context())
	}
	// why judges the cycle's own observation: the connection is read once
	// a cycle (the cache is off here), not again for the explanation.
	reads := 0
	for _, r := range srv.Requests() {
		if r.Action == "DescribeVpnConnections" {
			reads++
		}
	}
	if reads != 4 {
		t.Errorf("DescribeVpnConnections %d times in 4 cycles, want 4: why read the connection again", reads)
	}
	if len(n.roots) != 1 {
		t.Fatalf("%d roots, want 1", len(n.roots))
	}
	var b strings.Builder
	if err := handlers.RenderText(&b, n.roots[0].Reply); err != nil {
		t.Fatal(err)
	}
	root := b.String()
	for _, want := range []string{"Likely cause: psk-mismatch: tunnel 2", "pre-shared keys of the two ends differ", "— seen 20", "aws:tunnel-log", "also possible: Tunnel 2: pre-shared key or IKE/IPsec proposal mismatch"} {
		if !strings.Contains(root, want) {
			t.Errorf("root lacks %q:\n%s", want, root)
		}
	}
	// Once per outage, not once per cycle.
	if explained != 1 {
		t.Errorf("why asked %d times in 4 cycles of one outage, want 1", explained)
	}
}

func TestEvidenceCauses(t *testing.T) {
	ev := []why.Evidence{{Source: "aws:tunnel-log", Time: "2026-12-03T03:00:00Z", Text: "AWS tunnel detected a pre-shared key mismatch"}}
	cause := func(rule string, evidence []why.Evidence) why.Cause {
		return why.Cause{Finding: vpn.Finding{Rule: rule, Message: "tunnel 2: " + rule}, Evidence: evidence}
	}
	cases := []struct {
		name   string
		causes []why.Cause
		want   []string
	}{
		{"a recorded cause", []why.Cause{cause("psk-mismatch", ev)},
			[]string{"psk-mismatch: tunnel 2: psk-mismatch — seen 2026-12-03T03:00:00Z in aws:tunnel-log: “AWS tunnel detected a pre-shared key mismatch”"}},
		{"down with no recorded reason says nothing new", []why.Cause{cause("tunnel-down", ev)}, nil},
		{"a cause without evidence", []why.Cause{cause("maintenance", nil)}, nil},
		{"at most two", []why.Cause{cause("a", ev), cause("b", ev), cause("c", ev)}, []string{"a: ", "b: "}},
		{"a long record is cut", []why.Cause{cause("psk-mismatch", []why.Evidence{{Source: "s", Time: "t", Text: strings.Repeat("x", 500)}})},
			[]string{"psk-mismatch: tunnel 2: psk-mismatch — seen t in s: “" + strings.Repeat("x", 199) + "…”"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := evidenceCauses(why.Answer{Causes: tc.causes})
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("cause %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}
