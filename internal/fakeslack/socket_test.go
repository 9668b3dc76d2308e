package fakeslack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// socketApp is a minimal Socket Mode app: it drains client.Events (slack-go
// wedges otherwise), acks everything at once and hands the data to the test.
type socketApp struct {
	client *socketmode.Client
	hello  chan struct{}
	cmds   chan slack.SlashCommand
	clicks chan slack.InteractionCallback
	bad    chan socketmode.Event
}

func startSocketApp(t *testing.T, api *slack.Client) *socketApp {
	t.Helper()
	a := &socketApp{
		client: socketmode.New(api),
		hello:  make(chan struct{}, 10),
		cmds:   make(chan slack.SlashCommand, 10),
		clicks: make(chan slack.InteractionCallback, 10),
		bad:    make(chan socketmode.Event, 10),
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.client.RunContext(ctx) }()
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-a.client.Events:
				switch evt.Type {
				case socketmode.EventTypeHello:
					a.hello <- struct{}{}
				case socketmode.EventTypeSlashCommand:
					cmd, _ := evt.Data.(slack.SlashCommand)
					_ = a.client.Ack(*evt.Request, map[string]any{"response_type": "ephemeral", "text": "got " + cmd.Text})
					a.cmds <- cmd
				case socketmode.EventTypeInteractive:
					cb, _ := evt.Data.(slack.InteractionCallback)
					_ = a.client.Ack(*evt.Request)
					a.clicks <- cb
				// IncomingError is left out: slack-go reports its own close of
				// the old connection during a reconnect as one.
				case socketmode.EventTypeErrorBadMessage, socketmode.EventTypeInvalidAuth:
					select {
					case a.bad <- evt:
					default:
					}
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-runDone:
		case <-time.After(10 * time.Second):
			t.Error("socketmode client did not stop")
		}
		<-loopDone
	})
	return a
}

func recv[T any](t *testing.T, ctx context.Context, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatalf("waiting for %s: %v", what, ctx.Err())
		var zero T
		return zero
	}
}

func TestSocketModeRoundTrip(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	app := startSocketApp(t, api)

	if err := f.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	recv(t, ctx, app.hello, "hello")

	env, err := f.SendSlashCommand(ctx, SlashCommand{Command: "/door", Text: "status", UserID: "U1", ChannelID: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), `"got status"`) || ack.At.Before(f.SentAt(env)) || f.SentAt(env).IsZero() {
		t.Errorf("ack = %+v, sent at %v", ack, f.SentAt(env))
	}
	cmd := recv(t, ctx, app.cmds, "slash command")
	if cmd.Command != "/door" || cmd.Text != "status" || cmd.UserID != "U1" || cmd.ChannelID != "C1" ||
		cmd.TeamID != TeamID || cmd.APIAppID != AppID || cmd.TriggerID == "" || !strings.HasPrefix(cmd.ResponseURL, f.URL()+"/commands/") {
		t.Errorf("slash command = %+v", cmd)
	}

	// The command's response_url and trigger_id work against the fake.
	if err := slack.PostWebhookContext(ctx, cmd.ResponseURL, &slack.WebhookMessage{Text: "later", ResponseType: "in_channel"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := f.WaitMessages(ctx, 1)
	if err != nil || msgs[0].Channel != "C1" || msgs[0].Via != "response_url" {
		t.Fatalf("messages = %+v, %v", msgs, err)
	}
	if _, err := api.OpenViewContext(ctx, cmd.TriggerID, slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain("Door"), CallbackID: "door_validate",
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn("loading"), nil, nil)}},
	}); err != nil {
		t.Fatalf("views.open with the command's trigger: %v", err)
	}

	click := BlockActionsPayload("U2", "C1", "1700000000.000100", "change_approve", "req-1", f.ResponseURL())
	env2, err := f.SendInteractive(ctx, click)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitAck(ctx, env2); err != nil {
		t.Fatal(err)
	}
	cb := recv(t, ctx, app.clicks, "block_actions")
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U2" || cb.Channel.ID != "C1" ||
		cb.Container.MessageTs != "1700000000.000100" || len(cb.ActionCallback.BlockActions) != 1 ||
		cb.ActionCallback.BlockActions[0].ActionID != "change_approve" || cb.ActionCallback.BlockActions[0].Value != "req-1" {
		t.Errorf("interaction = %+v", cb)
	}

	if err := f.WaitPongs(ctx, 1); err != nil {
		t.Fatal(err)
	}

	if err := f.SendDisconnect("refresh_requested"); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.ConnectionsOpened(); n != 2 {
		t.Errorf("ConnectionsOpened = %d, want 2", n)
	}
	env3, err := f.SendSlashCommand(ctx, SlashCommand{Command: "/door", Text: "again"})
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := f.WaitAck(ctx, env3); err != nil || !strings.Contains(string(ack.Payload), "got again") {
		t.Fatalf("second ack = %+v, %v", ack, err)
	}
	if c := recv(t, ctx, app.cmds, "second command"); c.UserID != DefaultUserID || c.ChannelID != DefaultChannelID {
		t.Errorf("defaults not applied: %+v", c)
	}
	if n := len(f.Acks()); n != 3 {
		t.Errorf("acks = %d, want 3", n)
	}
	select {
	case evt := <-app.bad:
		t.Errorf("client reported %s: %+v", evt.Type, evt.Data)
	default:
	}
	noViolations(t, f)
}

// TestSocketProtocolRules drives the WebSocket by hand to break the rules
// slack-go itself never breaks.
func TestSocketProtocolRules(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	conn, wsURL := dialSocket(t, ctx, api)
	origin := http.Header{"Origin": {"https://api.slack.com"}}
	var hello struct {
		Type           string         `json:"type"`
		NumConnections int            `json:"num_connections"`
		DebugInfo      map[string]any `json:"debug_info"`
		ConnectionInfo struct {
			AppID string `json:"app_id"`
		} `json:"connection_info"`
	}
	if err := conn.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.NumConnections != 1 || hello.ConnectionInfo.AppID != AppID {
		t.Fatalf("hello = %+v, %v", hello, err)
	}
	if _, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, origin); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reused ticket was accepted: %v", err)
	}
	hasViolation(t, f, "ticket")

	base := time.Now()
	f.SetNow(func() time.Time { return base })
	env, err := f.SendSlashCommand(ctx, SlashCommand{Command: "/door", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var frame struct {
		Type    string `json:"type"`
		ID      string `json:"envelope_id"`
		Accepts bool   `json:"accepts_response_payload"`
		Payload struct {
			Command string `json:"command"`
		} `json:"payload"`
	}
	if err := conn.ReadJSON(&frame); err != nil || frame.Type != "slash_commands" || frame.ID != env || !frame.Accepts || frame.Payload.Command != "/door" {
		t.Fatalf("envelope = %+v, %v", frame, err)
	}

	f.SetNow(func() time.Time { return base.Add(3500 * time.Millisecond) })
	badBlocks, _ := json.Marshal([]slack.Block{slack.NewHeaderBlock(plain(strings.Repeat("h", 151)))})
	write := func(v any) {
		t.Helper()
		if err := conn.WriteJSON(v); err != nil {
			t.Fatal(err)
		}
	}
	write(map[string]any{"envelope_id": env, "payload": map[string]any{"text": "t", "blocks": json.RawMessage(badBlocks)}})
	if _, err := f.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	write(map[string]any{"envelope_id": env})
	write(map[string]any{"envelope_id": "nope"})
	write(map[string]any{"envelope_id": env, "payload": strings.Repeat("x", maxAckBytes)})
	v, err := f.WaitViolations(ctx, 6)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"acked after 3.5s", "ack payload for " + env, "acked twice", "never sent", "silently drops"} {
		found := false
		for _, s := range v {
			found = found || strings.Contains(s, want)
		}
		if !found {
			t.Errorf("no violation mentions %q:\n%s", want, strings.Join(v, "\n"))
		}
	}

	if err := f.SendDisconnect("warning"); err != nil {
		t.Fatal(err)
	}
	var disc struct{ Type, Reason string }
	if err := conn.ReadJSON(&disc); err != nil || disc.Type != "disconnect" || disc.Reason != "warning" {
		t.Fatalf("disconnect = %+v, %v", disc, err)
	}
	// The server closes the connection itself after the grace period.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("server did not close the connection after disconnect")
			}
			break
		}
	}
	if err := f.SendDisconnect("again"); err == nil {
		t.Error("SendDisconnect without a connection succeeded")
	}
	sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := f.SendSlashCommand(sctx, SlashCommand{Command: "/door"}); err == nil {
		t.Error("SendSlashCommand without a connection succeeded")
	}
}

func TestCloseWithWaiters(t *testing.T) {
	f := New(Options{})
	errc := make(chan error, 1)
	go func() {
		_, err := f.WaitMessages(context.Background(), 1)
		errc <- err
	}()
	f.Close()
	f.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("wait succeeded on a closed fake")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waiter not released by Close")
	}
}

// A view submission's response_action errors must name input blocks of
// the submitted view: Slack refuses the ack otherwise and the user sees
// the form fail, not the error under the field.
func TestViewSubmissionErrorsNameInputs(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	conn, _ := dialSocket(t, ctx, api)
	var hello map[string]any
	if err := conn.ReadJSON(&hello); err != nil {
		t.Fatal(err)
	}
	view, _ := json.Marshal(map[string]any{"blocks": []any{
		map[string]any{"type": "input", "block_id": "reason", "element": map[string]any{"type": "plain_text_input", "action_id": "text"}},
		map[string]any{"type": "section", "block_id": "intro", "text": map[string]any{"type": "mrkdwn", "text": "x"}},
	}})
	for _, tc := range []struct {
		errors map[string]string
		want   string // "" means accepted
	}{
		{map[string]string{"reason": "Say why."}, ""},
		{map[string]string{"intro": "x"}, `names block "intro", which is not an input block`},
		{map[string]string{"dpd_azure:gone": "x"}, `names block "dpd_azure:gone"`},
		{map[string]string{}, "names no block"},
	} {
		before := len(f.Violations())
		env, err := f.SendInteractive(ctx, ViewSubmissionPayload("U1", View{ID: "V1", CallbackID: "door_change", View: view}, nil))
		if err != nil {
			t.Fatal(err)
		}
		var frame map[string]any
		if err := conn.ReadJSON(&frame); err != nil {
			t.Fatal(err)
		}
		if err := conn.WriteJSON(map[string]any{"envelope_id": env, "payload": map[string]any{"response_action": "errors", "errors": tc.errors}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WaitAck(ctx, env); err != nil {
			t.Fatal(err)
		}
		got := f.Violations()[before:]
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%v: refused: %q", tc.errors, got)
		case tc.want != "" && (len(got) == 0 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%v: violations %q, want one mentioning %q", tc.errors, got, tc.want)
		}
	}
}

// dialSocket opens a Socket Mode connection by hand, as an app that
// writes its own frames, and returns it with its URL.
func dialSocket(t *testing.T, ctx context.Context, api *slack.Client) (*websocket.Conn, string) {
	t.Helper()
	_, wsURL, err := api.StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, wsURL
}
