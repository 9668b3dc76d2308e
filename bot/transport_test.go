package bot_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/vpn"
)

const (
	botToken      = "xoxb-test-bot-token"
	appToken      = "xapp-test-app-token"
	signingSecret = "test-signing-secret"
)

// harness is a bot on the simulated clouds, talking to a fake Slack.
type harness struct {
	slack *fakeslack.Slack
	world *sim.World
	srv   *sim.Server
	bot   *bot.Bot
	conns []vpn.Connection
	// changes is the change workflow, when the setup configured one.
	changes *changes.Service
}

type setup struct {
	world   *sim.World
	conns   []vpn.Connection
	options bot.Options
	latency time.Duration
	// changes configures /door change; nil leaves it off.
	changes *changeSetup
	// home is the App Home view; nil publishes none.
	home commands.HomeFunc
	// model, when set, answers status from a live model refreshed every
	// model, filled before the clouds' latency is applied (serve's warm
	// state).
	model time.Duration
	// cloudTimeout, when set, bounds each cloud call and status instead of
	// 10 s and 20 s (long, for clouds made to hang).
	cloudTimeout time.Duration
	// noCache turns the observer's cache off.
	noCache bool
}

// changeSetup is the change workflow's configuration for a harness.
type changeSetup struct {
	store    store.Store
	required int
	now      func() time.Time
	// recordWait and replayGrace set the click journal's
	// (changes.Service); 0 leaves the defaults.
	recordWait, replayGrace time.Duration
	// count, when set, counts the workflow's outcomes, as serve wires
	// it to the bot's metrics.
	count func(command, outcome string)
}

// wire builds the command layer as doorbot serve does: the commands on
// svc and, with cs, the change workflow talking to Slack through api.
func wire(api *slack.Client, svc *handlers.Service, cs *changeSetup) (*commands.Registry, *changes.Service) {
	deps := commands.Deps{Service: svc}
	if cs != nil {
		n := bot.NewNotifier(api, nil, nil)
		deps.Changes = &changes.Service{
			Store: cs.store, Checks: svc, Notify: n, Channel: approvalsChannel,
			Approvers: &changes.Approvers{IDs: []string{"UAPP1", "UAPP2", "UREQ", "S0NETOPS"}, Members: n.GroupMembers},
			Required:  cs.required, TTL: time.Hour, Now: cs.now,
			RecordWait: cs.recordWait, ReplayGrace: cs.replayGrace, Count: cs.count,
		}
	}
	return commands.New(deps), deps.Changes
}

func newHarness(t testing.TB, s setup) *harness {
	t.Helper()
	if s.world == nil {
		world, scenarios := sim.DemoWorld()
		s.world = world
		for _, sc := range scenarios {
			s.conns = append(s.conns, sc.Connection)
		}
	}
	srv := simclient.StartForTest(t, s.world)
	opts := simclient.Options{CallTimeout: 10 * time.Second, StatusTimeout: 20 * time.Second, CacheTTL: time.Minute}
	if s.cloudTimeout > 0 {
		opts.CallTimeout, opts.StatusTimeout = s.cloudTimeout, s.cloudTimeout
	}
	if s.noCache {
		opts.CacheTTL = 0
	}
	obs, err := simclient.Observer(srv, opts)
	if err != nil {
		t.Fatal(err)
	}
	svc := &handlers.Service{Connections: s.conns, Observer: obs}
	if s.model > 0 {
		svc.Model = cloud.NewModel(obs, s.conns, s.model)
		svc.Model.Refresh(context.Background(), s.conns)
	}
	if s.latency > 0 {
		s.world.SetLatency("aws", s.latency)
		s.world.SetLatency("azure", s.latency)
	}
	fs := fakeslack.New(fakeslack.Options{BotToken: botToken, AppToken: appToken})
	t.Cleanup(func() {
		// Anything Slack would have refused (limits, late or oversize acks,
		// unknown methods) fails the test that caused it.
		if v := fs.Violations(); len(v) > 0 {
			t.Errorf("Slack would have refused: %v", v)
		}
		fs.Close()
	})
	api := bot.NewAPI(botToken, slack.OptionAPIURL(fs.APIURL()), slack.OptionAppLevelToken(appToken))
	if s.options.SlackAPIURL == "" {
		// The fake's response_urls are on its own host, as slack.api_url.
		s.options.SlackAPIURL = fs.APIURL()
	}
	cmds, cs := wire(api, svc, s.changes)
	if s.home != nil {
		cmds.SetHome(s.home)
	}
	b := bot.New(api, cmds, s.options)
	ctx, cancel := context.WithCancel(context.Background())
	b.Start(ctx)
	t.Cleanup(func() { cancel(); b.Wait() })
	return &harness{slack: fs, world: s.world, srv: srv, bot: b, conns: s.conns, changes: cs}
}

func (h *harness) runSocketMode(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.bot.RunSocketMode(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("socket mode loop did not stop")
		}
	})
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := h.slack.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
}

func wait(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// degradedFleet is n connections with their second Azure connection down:
// a phone reply shows every one of them in detail (healthy ones are only
// named), so the reply is long.
func degradedFleet(world *sim.World, n int) []vpn.Connection {
	conns := sim.Fleet(world, n, "ap-northeast-1")
	for _, c := range conns {
		world.SetConnectionStatus(c.Azure.SubscriptionID, c.Azure.ResourceGroup, c.Azure.Connections[1], "NotConnected")
	}
	return conns
}

// visible is what Slack would display: blocks and text, JSON-unescaped.
func visible(m fakeslack.Message) string {
	s := string(m.Blocks) + m.Text
	return strings.ReplaceAll(unescapeJSON(s), `\n`, "\n")
}

// unescapeJSON undoes encoding/json's HTML escaping, to see what Slack
// would display.
func unescapeJSON(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

// slash sends "/door TEXT" as user in channel over Socket Mode and
// returns the bot's ack.
func (h *harness) slash(t testing.TB, ctx context.Context, user, channel, text string) fakeslack.Ack {
	t.Helper()
	env, err := h.slack.SendSlashCommand(ctx, fakeslack.SlashCommand{Command: "/door", Text: text, UserID: user, ChannelID: channel})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

func TestSocketModeSlashCommandRoundTrip(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)

	ack := h.slash(t, ctx, "U0ONCALL", "C0INCIDENT", "status tunnel2-down")
	if !strings.Contains(string(ack.Payload), "Reading AWS and Azure for tunnel2-down") {
		t.Errorf("ack payload %s", ack.Payload)
	}
	msgs, err := h.slack.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.Via != "response_url" || m.ResponseType != "in_channel" {
		t.Errorf("answer via %s as %q, want response_url in_channel", m.Via, m.ResponseType)
	}
	for _, want := range []string{"tunnel2-down — DEGRADED", "IPSEC IS DOWN", "NotConnected", "tunnel-down"} {
		if !strings.Contains(visible(m), want) {
			t.Errorf("answer lacks %q: %s", want, visible(m))
		}
	}
	if strings.Contains(visible(m), sim.PSKPrefix) {
		t.Error("a pre-shared key reached Slack")
	}
	if v := h.slack.Violations(); len(v) > 0 {
		t.Errorf("Block Kit violations: %v", v)
	}
}

func TestSocketModeHelpIsAnsweredInTheAck(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)
	for _, text := range []string{"help", "", "frobnicate <!channel>"} {
		ack := h.slash(t, ctx, "U0ONCALL", "C0INCIDENT", text)
		payload := unescapeJSON(string(ack.Payload))
		if !strings.Contains(payload, "/door status [NAME...]") || !strings.Contains(payload, `"response_type":"ephemeral"`) {
			t.Errorf("%q: ack %s", text, payload)
		}
		if strings.Contains(payload, "<!channel>") {
			t.Errorf("%q: injection survived in the ack", text)
		}
	}
	if n := len(h.slack.Messages()); n != 0 {
		t.Errorf("help posted %d messages; it belongs in the ack", n)
	}
}

func TestSocketModeInteractiveAndReconnect(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)

	env, err := h.slack.SendInteractive(ctx, fakeslack.BlockActionsPayload("U0ONCALL", "C0INCIDENT", "1700000000.000100", "change_approve", "CR-1", h.slack.ResponseURL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(ctx, env); err != nil {
		t.Fatalf("interactive envelope not acked: %v", err)
	}

	if err := h.slack.SendDisconnect("refresh_requested"); err != nil {
		t.Fatal(err)
	}
	for h.slack.ConnectionsOpened() < 2 {
		select {
		case <-ctx.Done():
			t.Fatal("no reconnect after refresh_requested")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := h.slack.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	h.slash(t, ctx, "U0ONCALL", "C0INCIDENT", "status soracom-door")
	msgs, err := h.slack.WaitMessages(ctx, 1)
	if err != nil || !strings.Contains(visible(msgs[0]), "soracom-door — HEALTHY") {
		t.Fatalf("after reconnect: %v %+v", err, msgs)
	}
}

func TestBusyQueueStillAnswers(t *testing.T) {
	h := newHarness(t, setup{options: bot.Options{Workers: 1, Queue: 1}, latency: 3 * time.Second})
	h.runSocketMode(t)
	ctx := wait(t)
	var acks []string
	for range 3 {
		ack := h.slash(t, ctx, "U0ONCALL", "C0INCIDENT", "status healthy-static")
		acks = append(acks, string(ack.Payload))
	}
	if !strings.Contains(strings.Join(acks, "\n"), "busy") {
		t.Errorf("three commands into one worker and a queue of one: no busy answer in %q", acks)
	}
}

// signed builds a request as Slack would send it.
func signed(t testing.TB, url, path string, form url.Values, at time.Time) *http.Request {
	t.Helper()
	body := []byte(form.Encode())
	ts, sig := fakeslack.SignRequest(signingSecret, at, body)
	req, err := http.NewRequest(http.MethodPost, url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	return req
}

func do(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHTTPModeSecurity(t *testing.T) {
	h := newHarness(t, setup{})
	web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
	defer web.Close()
	now := time.Now()
	cmd := fakeslack.SlashCommandForm(fakeslack.SlashCommand{Command: "/door", Text: "help", UserID: "U0ONCALL", ChannelID: "C0INCIDENT", ResponseURL: h.slack.ResponseURL()})

	tamper := func(r *http.Request) *http.Request {
		r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
		return r
	}
	strip := func(r *http.Request) *http.Request {
		r.Header.Del("X-Slack-Signature")
		r.Header.Del("X-Slack-Request-Timestamp")
		return r
	}
	raw := func(body string) *http.Request {
		b := []byte(body)
		ts, sig := fakeslack.SignRequest(signingSecret, now, b)
		r, _ := http.NewRequest(http.MethodPost, web.URL+"/slack/commands", bytes.NewReader(b))
		r.Header.Set("X-Slack-Request-Timestamp", ts)
		r.Header.Set("X-Slack-Signature", sig)
		return r
	}
	huge := url.Values{"text": {strings.Repeat("a", bot.MaxBodyBytes)}}
	cases := []struct {
		name string
		req  *http.Request
		code int
		body string
	}{
		{"valid command", signed(t, web.URL, "/slack/commands", cmd, now), 200, "/door status"},
		{"bad signature", tamper(signed(t, web.URL, "/slack/commands", cmd, now)), 401, ""},
		{"stale timestamp", signed(t, web.URL, "/slack/commands", cmd, now.Add(-6*time.Minute)), 401, ""},
		{"missing headers", strip(signed(t, web.URL, "/slack/commands", cmd, now)), 401, ""},
		{"oversize body", signed(t, web.URL, "/slack/commands", huge, now), 413, ""},
		{"malformed form", raw("text=%zz&user_id=U1"), 400, ""},
		{"signed but no user", raw("command=%2Fdoor&text=help"), 400, ""},
		{"ssl_check", raw("ssl_check=1&token=x"), 200, ""},
		{"interactive", signed(t, web.URL, "/slack/interactive", fakeslack.InteractiveForm(fakeslack.BlockActionsPayload("U0ONCALL", "C0INCIDENT", "1.2", "x", "y", h.slack.ResponseURL())), now), 200, ""},
		{"interactive unsigned", strip(signed(t, web.URL, "/slack/interactive", fakeslack.InteractiveForm(map[string]any{"type": "block_actions"}), now)), 401, ""},
		{"interactive not JSON", signed(t, web.URL, "/slack/interactive", url.Values{"payload": {"{not json"}}, now), 400, ""},
		{"wrong method", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, web.URL+"/slack/commands", nil)
			return r
		}(), 405, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, tc.req)
			if code != tc.code || !strings.Contains(body, tc.body) {
				t.Errorf("got %d %.200q, want %d containing %q", code, body, tc.code, tc.body)
			}
			if code == 401 && strings.TrimSpace(body) != "Unauthorized" {
				t.Errorf("401 must carry no detail, got %q", body)
			}
		})
	}
}

// The ack comes back while the clouds are still answering: the HTTP
// response carries "Reading…" and no answer has been posted yet; the
// answer follows through response_url.
func TestHTTPAckDoesNotWaitForClouds(t *testing.T) {
	h := newHarness(t, setup{latency: 5 * time.Second})
	web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
	defer web.Close()
	form := fakeslack.SlashCommandForm(fakeslack.SlashCommand{Command: "/door", Text: "status healthy-static", UserID: "U0ONCALL", ChannelID: "C0INCIDENT", ResponseURL: h.slack.ResponseURL()})
	code, body := do(t, signed(t, web.URL, "/slack/commands", form, time.Now()))
	if code != 200 || !strings.Contains(body, "Reading AWS and Azure") {
		t.Fatalf("ack %d %s", code, body)
	}
	// The clouds take 5 s per call: an answer present now would mean the
	// ack waited for them.
	if n := len(h.slack.Messages()); n != 0 {
		t.Fatalf("%d answers posted before the ack returned", n)
	}
	msgs, err := h.slack.WaitMessages(wait(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(visible(msgs[0]), "healthy-static — HEALTHY") {
		t.Errorf("answer: %s", visible(msgs[0]))
	}
}

func TestInjectionFromArgumentsAndClouds(t *testing.T) {
	world, scenarios := sim.DemoWorld()
	var conn vpn.Connection
	for _, s := range scenarios {
		if s.Name == "tunnel2-down" {
			conn = s.Connection
		}
	}
	world.SetTunnelStatus(conn.AWS.Region, conn.AWS.VPNConnectionIDs[0], "203.0.113.21", "DOWN", "<!channel> <https://evil.example|reset here> <@U0BOSS>")
	h := newHarness(t, setup{world: world, conns: []vpn.Connection{conn}})
	h.runSocketMode(t)
	ctx := wait(t)
	for _, text := range []string{"status tunnel2-down", "status <!channel>", "status tunnel2-down <@U0BOSS>"} {
		ack := h.slash(t, ctx, "U0ONCALL", "C0INCIDENT", text)
		if p := unescapeJSON(string(ack.Payload)); strings.Contains(p, "<!") || strings.Contains(p, "<@") {
			t.Errorf("%q: ack carries a live mention: %s", text, p)
		}
	}
	// The two bad names are refused in the ack; one status is posted.
	msgs, err := h.slack.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range msgs {
		v := visible(m)
		for _, bad := range []string{"<!channel>", "<https://evil", "<@U0BOSS>"} {
			if strings.Contains(v, bad) {
				t.Errorf("live %q reached Slack: %s", bad, v)
			}
		}
		found = found || strings.Contains(v, "&lt;!channel&gt;")
	}
	if !found {
		t.Error("the cloud's status message is not shown (escaped) at all")
	}
}

func TestLongStatusSplitsIntoAThread(t *testing.T) {
	world := sim.NewWorld()
	conns := degradedFleet(world, 60)
	h := newHarness(t, setup{world: world, conns: conns})
	h.runSocketMode(t)
	ctx := wait(t)
	if _, err := h.slack.SendSlashCommand(ctx, fakeslack.SlashCommand{Command: "/door", Text: "status", UserID: "U0ONCALL", ChannelID: "C0INCIDENT"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := h.slack.WaitMessages(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Let the rest of the thread arrive.
	parent := msgs[0]
	var thread []fakeslack.Message
	for {
		thread = h.slack.Thread(parent.Channel, parent.TS)
		all := visible(parent)
		for _, m := range thread {
			all += visible(m)
		}
		if strings.Contains(all, "site-060 — DEGRADED") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("thread incomplete: %d replies", len(thread))
		case <-time.After(20 * time.Millisecond):
		}
	}
	if parent.Via != "chat.postMessage" || parent.ThreadTS != "" || len(thread) == 0 {
		t.Errorf("parent via %s thread_ts %q, %d replies", parent.Via, parent.ThreadTS, len(thread))
	}
	all := visible(parent)
	for _, m := range thread {
		all += visible(m)
	}
	for _, c := range conns {
		if !strings.Contains(all, c.Name+" — DEGRADED") {
			t.Errorf("%s missing from the thread", c.Name)
		}
	}
	if v := h.slack.Violations(); len(v) > 0 {
		t.Errorf("Block Kit violations: %v", v)
	}
}

func TestRateLimitedResponseIsRetried(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)
	h.slack.RateLimitNext("response_url", 1, time.Second)
	if _, err := h.slack.SendSlashCommand(ctx, fakeslack.SlashCommand{Command: "/door", Text: "status healthy-static", UserID: "U0ONCALL", ChannelID: "C0INCIDENT"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := h.slack.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(visible(msgs[0]), "healthy-static") || h.slack.Calls("response_url") != 2 {
		t.Errorf("after a 429: %d response_url calls, message %s", h.slack.Calls("response_url"), visible(msgs[0]))
	}
}

func TestMetricsAndHealth(t *testing.T) {
	h := newHarness(t, setup{})
	ops := httptest.NewServer(h.bot.OpsHandler())
	defer ops.Close()
	get := func(path string) (int, string) {
		r, _ := http.NewRequest(http.MethodGet, ops.URL+path, nil)
		return do(t, r)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("readyz before connecting: %d, want 503", code)
	}
	h.runSocketMode(t)
	ctx := wait(t)
	// Ready follows the bot's own connection event, just after the fake
	// has seen the connection.
	for code, _ := get("/readyz"); code != 200; code, _ = get("/readyz") {
		select {
		case <-ctx.Done():
			t.Fatalf("readyz %d once connected", code)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, err := h.slack.SendSlashCommand(ctx, fakeslack.SlashCommand{Command: "/door", Text: "help", UserID: "U1", ChannelID: "C1"}); err != nil {
		t.Fatal(err)
	}
	for {
		_, body := get("/metrics")
		if strings.Contains(body, `doorbot_commands_total{command="help",outcome="ok"} 1`) && strings.Contains(body, "doorbot_ack_seconds_bucket") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("metrics lack the help command:\n%s", body)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Web API 429s are waited out by slack-go's own retry (NewAPI) for the
// Retry-After Slack asked, so the runbook's parent message still lands.
func TestRateLimitedWebAPIIsRetried(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)
	h.slack.RateLimitNext("chat.postMessage", 1, time.Second)
	h.slash(t, ctx, "U0ONCALL", "C0CHANGES", "runbook migrate bgp-single-ip")
	msgs, err := h.slack.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Via != "chat.postMessage" || !strings.Contains(visible(msgs[0]), "bgp-single-ip") || h.slack.Calls("chat.postMessage") < 2 {
		t.Errorf("after a 429: %d chat.postMessage calls, first message via %s", h.slack.Calls("chat.postMessage"), msgs[0].Via)
	}
}

// Forms open beside the ack on goroutines of their own, but only so many
// at once: one more is told doorbot is busy rather than piling up.
func TestFormsAreBounded(t *testing.T) {
	h := newHarness(t, setup{options: bot.Options{Forms: 1}, latency: 3 * time.Second})
	h.runSocketMode(t)
	ctx := wait(t)
	// The first form waits on the clouds to fill itself, holding the slot.
	if ack := h.slash(t, ctx, "U0ONCALL", "C0CHANGES", "validate bgp-single-ip"); strings.Contains(string(ack.Payload), "busy") {
		t.Fatalf("first form refused: %s", ack.Payload)
	}
	if ack := h.slash(t, ctx, "U0ONCALL", "C0CHANGES", "validate healthy-static"); !strings.Contains(string(ack.Payload), "busy") {
		t.Errorf("a second form while the only slot is taken: %s", ack.Payload)
	}
}
