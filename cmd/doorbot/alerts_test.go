package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/internal/sim"
)

const alertsChannel = "C0ALERTS01"

// serving is one doorbot serve process run by a test.
type serving struct {
	t      *testing.T
	addr   string
	cancel context.CancelFunc
	done   chan int
	stderr *bytes.Buffer
}

func startServe(t *testing.T, cfg, addr string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{t: t, addr: addr, cancel: cancel, done: make(chan int, 1), stderr: &bytes.Buffer{}}
	go func() {
		s.done <- run(ctx, []string{"serve", "--config", cfg, "--log-level", "info"}, strings.NewReader(""), io.Discard, s.stderr, os.Getenv)
	}()
	t.Cleanup(s.stop)
	return s
}

func (s *serving) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case code := <-s.done:
		if code != 0 {
			s.t.Errorf("serve exited %d: %s", code, s.stderr.String())
		}
	case <-time.After(20 * time.Second):
		s.t.Fatal("serve did not stop")
	}
}

var cyclesRe = regexp.MustCompile(`(?m)^doorbot_watch_cycle_seconds_count (\d+)$`)

// cycles is how many watcher cycles the process has run (0 when its
// metrics cannot be read yet).
func (s *serving) cycles() int {
	_, m := httpGet(s.t, "http://"+s.addr+"/metrics")
	if c := cyclesRe.FindStringSubmatch(m); c != nil {
		n, _ := strconv.Atoi(c[1])
		return n
	}
	return 0
}

// waitCycles waits until n more cycles have run.
func (s *serving) waitCycles(ctx context.Context, n int) {
	s.t.Helper()
	target := s.cycles() + n
	eventually(s.t, ctx, fmt.Sprintf("%d watcher cycles", target), func() bool { return s.cycles() >= target })
}

// roots are the alert root messages in the alerts channel.
func roots(fs *fakeslack.Slack) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range fs.Messages() {
		if m.Channel == alertsChannel && m.ThreadTS == "" {
			out = append(out, m)
		}
	}
	return out
}

// A tunnel that goes down, stays down, is read through throttling,
// recovers, flaps, and goes down across a restart: through the real serve,
// the real SDKs against the simulated clouds, and the fake Slack.
func TestAlertsEndToEnd(t *testing.T) {
	srv, _ := startDemoWorld(t)
	realCloudEnv(t, srv)
	sc := sim.AlertScenario()
	w := demoWorld
	t.Cleanup(func() {
		sc.SetTunnel(w, 0, true)
		sc.SetTunnel(w, 1, true)
		w.RemoveFault("aws", sc.MatchAWS)
	})
	fs := fakeslack.New(fakeslack.Options{BotToken: "xoxb-alerts", AppToken: "xapp-alerts"})
	defer fs.Close()
	addr := freeAddr(t)
	db := filepath.Join(t.TempDir(), "doorbot.db")
	cfg := writeConfig(t, srv, []sim.Scenario{sc}, fmt.Sprintf("slack:\n  mode: socket\n  listen: %q\n  api_url: %s\n", addr, fs.APIURL()),
		fmt.Sprintf("store:\n  dsn: %s\n", db),
		// cache_ttl 0: every cycle reads the clouds, as with a real
		// interval longer than the cache.
		"cache_ttl: 0s\n",
		fmt.Sprintf("alerts:\n  channel: %s\n  interval: 1s\n  debounce: 2\n  repeat: 0s\n  unobserved_after: 4\n  flap: {window: 6, high: 40, low: 10}\n", alertsChannel))
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-alerts")
	t.Setenv("SLACK_APP_TOKEN", "xapp-alerts")
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()

	s := startServe(t, cfg, addr)
	s.waitCycles(ctx, 2)
	if n := len(roots(fs)); n != 0 {
		t.Fatalf("healthy VPN: %d alert roots", n)
	}

	// Throttled reads of AWS for fewer than unobserved_after cycles: no
	// false down, no alert at all.
	// Two cycles waited can be three reads under the fault (the next cycle
	// may start before the fault is lifted); unobserved_after is 4.
	w.AddFault("aws", sim.Fault{Status: 503, Code: "RequestLimitExceeded", Match: sc.MatchAWS})
	s.waitCycles(ctx, 2)
	w.RemoveFault("aws", sc.MatchAWS)
	s.waitCycles(ctx, 2)
	if n := len(roots(fs)); n != 0 {
		t.Fatalf("throttled reads raised %d alerts", n)
	}
	_, m := httpGet(t, "http://"+addr+"/metrics")
	for _, want := range []string{`doorbot_tunnel_up{connection="alert-demo",tunnel="2"} 1`, `doorbot_side_observed{cloud="aws",connection="alert-demo"} 1`, "doorbot_leader 1", "doorbot_alerts_firing 0"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Down → one root, with metadata, buttons, the likely cause and the
	// next command.
	sc.SetTunnel(w, 1, false)
	root, err := fs.WaitMessage(ctx, func(m fakeslack.Message) bool { return m.Channel == alertsChannel && m.ThreadTS == "" })
	if err != nil {
		t.Fatal(err)
	}
	body := string(root.Blocks)
	if root.EventType() != "doorbot_alert" || !strings.Contains(string(root.Metadata), `"connection":"alert-demo"`) {
		t.Errorf("root metadata = %s", root.Metadata)
	}
	for _, want := range []string{"alert-demo — DEGRADED", "IPSEC IS DOWN", "Likely cause", "/door status alert-demo", `"action_id":"alert_ack"`, `"action_id":"alert_silence"`} {
		if !strings.Contains(body, want) {
			t.Errorf("root lacks %q:\n%s", want, body)
		}
	}
	var md struct {
		Payload struct {
			AlertID string `json:"alert_id"`
		} `json:"event_payload"`
	}
	_ = json.Unmarshal(root.Metadata, &md)
	if !strings.Contains(body, `"value":"`+md.Payload.AlertID+`"`) {
		t.Errorf("buttons do not carry the alert ID %q", md.Payload.AlertID)
	}
	_, m = httpGet(t, "http://"+addr+"/metrics")
	for _, want := range []string{`doorbot_tunnel_up{connection="alert-demo",tunnel="2"} 0`, "doorbot_alerts_firing 1"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Still down → no new root.
	s.waitCycles(ctx, 3)
	if n := len(roots(fs)); n != 1 {
		t.Fatalf("still down: %d roots, want 1", n)
	}

	// Acknowledge: who and when on the root, in place.
	env, err := fs.SendInteractive(ctx, fakeslack.BlockActionsPayload("U0ONCALL", alertsChannel, root.TS, "alert_ack", md.Payload.AlertID, fs.ResponseURL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "root shows the acknowledgement", func() bool {
		m, _ := fs.Message(alertsChannel, root.TS)
		return strings.Contains(string(m.Blocks), `acknowledged by \u003c@U0ONCALL\u003e`) && m.Mentioned("U0ONCALL") &&
			!strings.Contains(string(m.Blocks), `"action_id":"alert_ack"`)
	})
	eventually(t, ctx, "the thread names who acknowledged, as a mention", func() bool {
		for _, r := range fs.Thread(alertsChannel, root.TS) {
			if strings.Contains(r.Text, "acknowledged by <@U0ONCALL>") && r.Mentioned("U0ONCALL") {
				return true
			}
		}
		return false
	})

	// Recover → the same root says resolved, loses its buttons, and the
	// recovery is broadcast to the channel.
	sc.SetTunnel(w, 1, true)
	eventually(t, ctx, "root edited to resolved", func() bool {
		m, _ := fs.Message(alertsChannel, root.TS)
		return strings.Contains(string(m.Blocks), "resolved after")
	})
	m2, _ := fs.Message(alertsChannel, root.TS)
	if strings.Contains(string(m2.Blocks), "alert_silence") {
		t.Errorf("resolved root keeps its buttons: %s", m2.Blocks)
	}
	eventually(t, ctx, "a broadcast recovery reply in the thread", func() bool {
		for _, r := range fs.Thread(alertsChannel, root.TS) {
			if r.Broadcast && strings.Contains(r.Text, "resolved after") {
				return true
			}
		}
		return false
	})
	t.Logf("recovered after %d cycles", s.cycles())
	if n := len(roots(fs)); n != 1 {
		t.Fatalf("after recovery: %d roots, want 1", n)
	}

	// Flapping: up and down every cycle → one alert, not a stream.
	for i := range 8 {
		sc.SetTunnel(w, 1, i%2 == 1)
		s.waitCycles(ctx, 1)
	}
	sc.SetTunnel(w, 1, true)
	eventually(t, ctx, "a flapping alert", func() bool {
		for _, r := range roots(fs) {
			if r.TS != root.TS && strings.Contains(r.Text+string(r.Blocks), "FLAPPING") {
				return true
			}
		}
		for _, r := range fs.Messages() {
			if r.Channel == alertsChannel && r.ThreadTS != "" && r.ThreadTS != root.TS && strings.Contains(r.Text, "flapping") {
				return true
			}
		}
		return false
	})
	if n := len(roots(fs)); n != 2 {
		t.Fatalf("flapping raised %d roots in all, want 2 (one for the flapping incident)", n)
	}

	// Restart while down: no second root; the recovery edits the first.
	s.waitCycles(ctx, 8) // flapping calms down and resolves
	sc.SetTunnel(w, 0, false)
	down, err := fs.WaitMessage(ctx, func(m fakeslack.Message) bool {
		return m.Channel == alertsChannel && m.ThreadTS == "" && strings.Contains(m.Text, "tunnel 1")
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("down before restart after %d cycles", s.cycles())
	s.stop()
	before := len(roots(fs))
	s2 := startServe(t, cfg, addr)
	eventually(t, ctx, "restarted watcher cycling", func() bool { return s2.cycles() >= 3 })
	if n := len(roots(fs)); n != before {
		t.Fatalf("restart while down posted %d new roots", n-before)
	}
	sc.SetTunnel(w, 0, true)
	eventually(t, ctx, "restarted process edits the same root", func() bool {
		m, _ := fs.Message(alertsChannel, down.TS)
		return strings.Contains(string(m.Blocks), "resolved after")
	})
	if v := fs.Violations(); len(v) != 0 {
		t.Errorf("Slack would refuse:\n%s", strings.Join(v, "\n"))
	}

	// The CLI lists them (docs/alerts.md fields) and shows the history.
	s2.stop()
	r := runCLI(t, "", "alerts", "list", "--config", cfg, "--output", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 0 {
		t.Fatalf("alerts list: %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if len(list) < 3 {
		t.Errorf("alerts list has %d alerts, want at least 3", len(list))
	}
	for _, a := range list {
		for _, k := range []string{"id", "connection", "kind", "state", "since", "channel", "ts", "acked_by"} {
			if _, ok := a[k]; !ok {
				t.Errorf("alert lacks %q: %v", k, a)
			}
		}
		if a["state"] != "resolved" || a["channel"] != alertsChannel || a["ts"] == "" {
			t.Errorf("alert %v: want resolved with its root", a["id"])
		}
	}
	r = runCLI(t, "", "history", "alert-demo", "--config", cfg, "--output", "json")
	var h struct {
		Tunnels []struct {
			Label string `json:"label"`
			Downs int    `json:"downs"`
		} `json:"tunnels"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &h); err != nil || len(h.Tunnels) != 2 || h.Tunnels[1].Downs < 3 {
		t.Errorf("history: %v %+v\n%s", err, h, r.stdout)
	}
}
