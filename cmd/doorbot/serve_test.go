package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/changes/changestest"
	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/watch"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// doorbot serve, wired from its config and env exactly as in production,
// answers /door status over Socket Mode from the simulated clouds.
func TestServeSocketModeEndToEnd(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	fs := fakeslack.New(fakeslack.Options{BotToken: "xoxb-e2e", AppToken: "xapp-e2e"})
	defer fs.Close()
	addr := freeAddr(t)
	cfg := writeConfig(t, srv, scenarios, fmt.Sprintf("slack:\n  mode: socket\n  listen: %q\n  api_url: %s\n", addr, fs.APIURL()))
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-e2e")
	t.Setenv("SLACK_APP_TOKEN", "xapp-e2e")

	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfg, "--log-level", "debug"}, strings.NewReader(""), io.Discard, &stderr, os.Getenv)
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if err := fs.WaitConnected(wctx); err != nil {
		t.Fatalf("bot never connected: %v\n%s", err, stderr.String())
	}
	// The bot marks itself ready when it handles the connection event,
	// just after the fake has seen the connection.
	eventually(t, wctx, "readyz 200 once connected", func() bool {
		code, _ := httpGet(t, "http://"+addr+"/readyz")
		return code == 200
	})
	env, err := fs.SendSlashCommand(wctx, fakeslack.SlashCommand{Command: "/door", Text: "status bgp-single-ip", UserID: "U0ONCALL", ChannelID: "C0INCIDENT"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.WaitAck(wctx, env); err != nil {
		t.Fatal(err)
	}
	msgs, err := fs.WaitMessages(wctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	body := string(msgs[0].Blocks)
	for _, want := range []string{"bgp-single-ip — DEGRADED", "bgp-needs-active-active"} {
		if !strings.Contains(body, want) {
			t.Errorf("Slack answer lacks %q", want)
		}
	}
	// The command is counted once its answer is delivered.
	eventually(t, wctx, "status command counted", func() bool {
		_, m := httpGet(t, "http://"+addr+"/metrics")
		return strings.Contains(m, `doorbot_commands_total{command="status",outcome="ok"} 1`)
	})
	_, metrics := httpGet(t, "http://"+addr+"/metrics")
	for _, want := range []string{
		`doorbot_tunnel_side_up{connection="bgp-single-ip",side="aws",tunnel="2"} 0`,
		`doorbot_tunnel_side_up{connection="bgp-single-ip",side="azure",tunnel="1"} 1`,
		`doorbot_cloud_calls_total{cloud="aws",operation="DescribeVpnConnections",result="ok"}`,
		`doorbot_cloud_calls_total{cloud="azure",operation="GetBgpPeerStatus",result="ok"}`,
		`doorbot_commands_total{command="status",outcome="ok"} 1`,
		"doorbot_leader 1", // SQLite: the one replica leads
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// SORACOM Door: the VPG is read with the auth key from the environment,
	// the answer shows SORACOM's side, and the API's rate-limit headers
	// reach /metrics.
	env, err = fs.SendSlashCommand(wctx, fakeslack.SlashCommand{Command: "/door", Text: "status soracom-door", UserID: "U0ONCALL", ChannelID: "C0INCIDENT"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.WaitAck(wctx, env); err != nil {
		t.Fatal(err)
	}
	if msgs, err = fs.WaitMessages(wctx, 2); err != nil {
		t.Fatal(err)
	}
	if body := string(msgs[1].Blocks); !strings.Contains(body, "SORACOM VPG") || !strings.Contains(body, "100.64.17.0/28") {
		t.Errorf("Slack answer for soracom-door lacks SORACOM's side: %s", body)
	}
	for _, m := range msgs {
		if strings.Contains(string(m.Blocks), sim.SoracomSecretPrefix) || strings.Contains(m.Text, sim.SoracomSecretPrefix) {
			t.Error("a SORACOM auth key, API key or token reached Slack")
		}
	}
	eventually(t, wctx, "SORACOM rate-limit headers in /metrics", func() bool {
		_, m := httpGet(t, "http://"+addr+"/metrics")
		return strings.Contains(m, `doorbot_soracom_ratelimit{operation="getVirtualPrivateGateway",value="limit"} 60`) &&
			strings.Contains(m, `doorbot_soracom_ratelimit{operation="getVirtualPrivateGateway",value="remaining"}`)
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on cancellation")
	}
	logs := stderr.String()
	for _, secret := range []string{"xoxb-e2e", "xapp-e2e", sim.PSKPrefix, sim.SoracomSecretPrefix} {
		if strings.Contains(logs, secret) {
			t.Errorf("a secret (%s…) reached the logs", secret[:5])
		}
	}
	if !strings.Contains(logs, "socket mode connected") {
		t.Errorf("connection not logged:\n%s", logs)
	}
}

func eventually(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("never: %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestServeRefusesMissingSecrets(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	cfg := writeConfig(t, srv, scenarios)
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-only")
	t.Setenv("SLACK_APP_TOKEN", "")
	r := runCLI(t, "", "serve", "--config", cfg)
	if r.code != 2 || !strings.Contains(r.stderr, "SLACK_APP_TOKEN") || strings.Contains(r.stderr, "xoxb-only") {
		t.Errorf("exit %d stderr %q: want 2 naming SLACK_APP_TOKEN without echoing the bot token", r.code, r.stderr)
	}
}

func TestServePortTakenIsAUsageError(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := writeConfig(t, srv, scenarios, fmt.Sprintf("slack:\n  listen: %q\n", ln.Addr().String()))
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-port")
	t.Setenv("SLACK_APP_TOKEN", "xapp-port")
	done := make(chan result, 1)
	go func() { done <- runCLI(t, "", "serve", "--config", cfg) }()
	select {
	case r := <-done:
		if r.code != 2 || !strings.Contains(r.stderr, "slack.listen") {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve hung on a taken port")
	}
}

// With slack.metrics_listen the public Slack endpoint serves /slack/*
// alone; health and metrics (which name every connection) are on the
// other address only.
func TestServeMetricsOnTheirOwnAddress(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	fs := fakeslack.New(fakeslack.Options{BotToken: "xoxb-apart"})
	defer fs.Close()
	public, private := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, srv, scenarios, fmt.Sprintf("slack:\n  mode: http\n  listen: %q\n  metrics_listen: %q\n  api_url: %s\n", public, private, fs.APIURL()))
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-apart")
	t.Setenv("SLACK_SIGNING_SECRET", "apart-secret")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfg}, strings.NewReader(""), io.Discard, &stderr, os.Getenv)
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	eventually(t, wctx, "healthz on metrics_listen", func() bool {
		code, _ := httpGet(t, "http://"+private+"/healthz")
		return code == 200
	})
	if code, body := httpGet(t, "http://"+private+"/metrics"); code != 200 || !strings.Contains(body, "doorbot_ack_seconds") {
		t.Errorf("metrics_listen /metrics: %d", code)
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		if code, _ := httpGet(t, "http://"+public+path); code != http.StatusNotFound {
			t.Errorf("slack.listen %s: %d, want 404", path, code)
		}
	}
	resp, err := http.Post("http://"+public+"/slack/commands", "application/x-www-form-urlencoded", strings.NewReader("command=%2Fdoor"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("slack.listen /slack/commands unsigned: %d, want 401", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d: %s", code, stderr.String())
	}
}

// SQLite means one replica: a second serve on a file another serve holds
// is refused with a usage error that says what to do instead.
func TestServeSecondReplicaOnSQLiteRefused(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	dsn := filepath.Join(t.TempDir(), "doorbot.db")
	release, err := store.ClaimSQLite(dsn) // the first serve
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	cfg := writeConfig(t, srv, scenarios, fmt.Sprintf(
		"slack:\n  listen: %q\n  approvals_channel: C0APPROVALS\n  approvers: [U0APPROVER]\nstore:\n  dsn: %s\n", freeAddr(t), dsn))
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-second")
	t.Setenv("SLACK_APP_TOKEN", "xapp-second")
	done := make(chan result, 1)
	go func() { done <- runCLI(t, "", "serve", "--config", cfg) }()
	select {
	case r := <-done:
		want := fmt.Sprintf("%s (pid %d): another doorbot serve is using this SQLite file", dsn, os.Getpid())
		if r.code != 2 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "store.driver: postgres") {
			t.Errorf("exit %d %q; want 2 and %q", r.code, r.stderr, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a second serve on one SQLite file was not refused")
	}
}

// One background reader of the clouds, on the leader: the alert loop when
// alerts are on (it feeds the live model), else the model's refresher;
// never both, which would read every connection twice per interval.
func TestLeaderJobsOneReader(t *testing.T) {
	model := cloud.NewModel(cloud.New(nil, nil, cloud.Options{}), nil, time.Minute)
	watcher := watch.New(watch.Options{})
	for _, tc := range []struct {
		name    string
		changes *changes.Service
		watcher *watch.Watcher
		model   *cloud.Model
		want    string
	}{
		{"alerts on", nil, watcher, model, "alerts"},
		{"alerts off", nil, nil, model, "live-model"},
		{"approvals and alerts", &changes.Service{}, watcher, model, "approval-expiry,click-replay,alerts"},
		{"no connections", nil, nil, nil, ""},
	} {
		var names []string
		for _, j := range leaderJobs(tc.changes, tc.watcher, tc.model) {
			names = append(names, j.Name)
		}
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("%s: leader jobs %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Issue 15, 3: a click journaled by a process that died before deciding
// it is completed by the next doorbot serve at start (its leader job),
// once, and the clicker is told.
func TestServeReplaysAJournaledClickAtStart(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	fs := fakeslack.New(fakeslack.Options{BotToken: "xoxb-replay", AppToken: "xapp-replay"})
	defer fs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// What the dead process left: a pending request posted in its thread,
	// and an Approve click journaled before its ack an hour ago.
	_, ts, err := slack.New("xoxb-replay", slack.OptionAPIURL(fs.APIURL())).PostMessageContext(ctx, "C0APPROVALS", slack.MsgOptionText("change CR-00000000AA", false))
	if err != nil {
		t.Fatal(err)
	}
	dsn := filepath.Join(t.TempDir(), "doorbot.db")
	st, err := store.Open(ctx, "sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	req := approval.Request{ID: "CR-00000000AA", Connection: scenarios[0].Connection.Name, State: approval.Pending, Requester: "U0REQ",
		RequiredApprovals: 1, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour), Channel: "C0APPROVALS", ThreadTS: ts}
	if err := st.Create(ctx, req, approval.Event{Kind: "created", Actor: "U0REQ", At: req.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	if err := st.JournalClick(ctx, store.Click{ID: "CK-DEAD", Action: "change_approve", RequestID: req.ID, User: "U0APPROVER",
		Channel: "C0APPROVALS", MessageTS: ts, At: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	cfg := writeConfig(t, srv, scenarios, fmt.Sprintf("slack:\n  mode: socket\n  listen: %q\n  api_url: %s\n  approvals_channel: C0APPROVALS\n  approvers: [U0APPROVER]\nstore:\n  dsn: %s\n",
		freeAddr(t), fs.APIURL(), dsn))
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-replay")
	t.Setenv("SLACK_APP_TOKEN", "xapp-replay")
	var stderr bytes.Buffer
	done := make(chan int, 1)
	sctx, stop := context.WithCancel(context.Background())
	go func() {
		done <- run(sctx, []string{"serve", "--config", cfg}, strings.NewReader(""), io.Discard, &stderr, os.Getenv)
	}()
	if _, err := fs.WaitMessage(ctx, func(m fakeslack.Message) bool {
		return m.Via == "chat.postEphemeral" && m.User == "U0APPROVER" && strings.Contains(m.Text+string(m.Blocks), "has now been completed")
	}); err != nil {
		t.Fatalf("the clicker was not told: %v\n%s", err, stderr.String())
	}
	stop()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on cancellation")
	}
	st, err = store.OpenReadOnly(ctx, "sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, _ := st.Get(ctx, req.ID)
	if got.State != approval.Approved || len(got.Approvals) != 1 {
		t.Errorf("after serve's replay: %s %v", got.State, got.Approvals)
	}
	if k := changestest.AuditKinds(t, st, req.ID); k["approved"] != 1 || k["refused"] != 0 {
		t.Errorf("audit %v: want one approval, no refusal", k)
	}
	if v := fs.Violations(); len(v) > 0 {
		t.Errorf("Slack would have refused: %v", v)
	}
}
