package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/fakeslack"
)

// Opening the Home tab publishes the command layer's view for that user,
// rendered and escaped like any message.
func TestAppHomeIsPublished(t *testing.T) {
	home := func(_ context.Context, user string) commands.View {
		return commands.View{Blocks: []handlers.Block{
			{Kind: handlers.Heading, Lines: []string{"doorbot for " + user}},
			{Kind: handlers.Paragraph, Lines: []string{"<!channel> stays text"}},
		}}
	}
	h := newHarness(t, setup{home: home})
	v := openHome(t, h, "U0ONCALL")
	raw := unescapeJSON(string(v.View))
	if v.Method != "views.publish" || !strings.Contains(raw, "doorbot for U0ONCALL") || !strings.Contains(raw, `"type":"home"`) {
		t.Errorf("published %s: %s", v.Method, raw)
	}
	if strings.Contains(raw, "<!channel>") {
		t.Error("a mention survived into the Home tab")
	}
}

// In HTTP mode the Events API answers Slack's URL check and publishes the
// Home tab on app_home_opened; an unsigned event is refused.
func TestAppHomeOverHTTP(t *testing.T) {
	home := func(_ context.Context, user string) commands.View {
		return commands.View{Blocks: []handlers.Block{{Kind: handlers.Heading, Lines: []string{"doorbot for " + user}}}}
	}
	h := newHarness(t, setup{home: home})
	web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
	defer web.Close()
	post := func(body string, sign bool) (int, string) {
		b := []byte(body)
		req, _ := http.NewRequest(http.MethodPost, web.URL+"/slack/events", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if sign {
			ts, sig := fakeslack.SignRequest(signingSecret, time.Now(), b)
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", sig)
		}
		return do(t, req)
	}
	if code, body := post(`{"type":"url_verification","token":"x","challenge":"c0ffee"}`, true); code != 200 || body != "c0ffee" {
		t.Errorf("url_verification: %d %q", code, body)
	}
	event, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event": fakeslack.AppHomeOpened("U0HTTP")})
	if code, _ := post(string(event), false); code != 401 {
		t.Errorf("unsigned event: %d", code)
	}
	if code, body := post(string(event), true); code != 200 {
		t.Fatalf("event: %d %s", code, body)
	}
	if code, _ := post(`{"type":`, true); code != 400 {
		t.Errorf("malformed event: %d", code)
	}
	views, err := h.slack.WaitViews(wait(t), 1)
	if err != nil || views[0].Method != "views.publish" || !strings.Contains(string(views[0].View), "doorbot for U0HTTP") {
		t.Errorf("home tab: %v %+v", err, views)
	}
}

// The Home tab doorbot publishes by itself: every configured connection
// with its verdict, worst first, one emoji each, and the open alerts,
// within Slack's limits for a Home tab.
func TestAppHomeShowsEveryConnection(t *testing.T) {
	h := newHarness(t, setup{})
	raw := unescapeJSON(string(openHome(t, h, "U0ONCALL").View))
	for _, c := range h.conns {
		if !strings.Contains(raw, c.Name+" — ") {
			t.Errorf("home lacks %s", c.Name)
		}
	}
	if !strings.Contains(raw, "connections: ") || !strings.Contains(raw, ":red_circle: bgp-peers-down — DOWN") || !strings.Contains(raw, "No open alerts") {
		t.Errorf("home: %s", raw)
	}
	if strings.Contains(raw, "✗") || strings.Contains(raw, "▲") {
		t.Errorf("a plain icon beside the emoji: %s", raw)
	}
	if strings.Index(raw, "bgp-peers-down — DOWN") > strings.Index(raw, "healthy-static — HEALTHY") {
		t.Error("a healthy connection is listed before a down one")
	}
}

// openHome opens the Home tab for user over Socket Mode and returns the
// view doorbot published.
func openHome(t *testing.T, h *harness, user string) fakeslack.View {
	t.Helper()
	h.runSocketMode(t)
	ctx := wait(t)
	env, err := h.slack.SendEvent(ctx, fakeslack.AppHomeOpened(user))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(ctx, env); err != nil {
		t.Fatalf("event not acked: %v", err)
	}
	views, err := h.slack.WaitViews(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	return views[0]
}
