package fakeslack

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestSignRequestVector(t *testing.T) {
	// Slack's published example (docs.slack.dev, verifying requests from Slack).
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	ts, sig := SignRequest("8f742231b10e8888abcd99yyyzzz85a5", time.Unix(1531420618, 0), []byte(body))
	if ts != "1531420618" {
		t.Errorf("timestamp header = %q", ts)
	}
	if want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"; sig != want {
		t.Errorf("signature = %s, want %s", sig, want)
	}
}

// The forms must satisfy slack-go's own HTTP-mode verification and parsers.
func TestHTTPModeForms(t *testing.T) {
	f, _ := newFake(t)
	ctx := testCtx(t)
	const secret = "s3cret"
	verify := func(form url.Values) []byte {
		t.Helper()
		req, err := NewSignedRequest(ctx, "http://doorbot.invalid/slack/commands", secret, time.Now(), form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(req.Body)
		sv, err := slack.NewSecretsVerifier(req.Header, secret)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = sv.Write(body)
		if err := sv.Ensure(); err != nil {
			t.Fatalf("slack-go rejects the signature: %v", err)
		}
		return body
	}
	newReq := func(body []byte) *http.Request {
		req, _ := NewSignedRequest(ctx, "http://doorbot.invalid/", secret, time.Now(), nil)
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		return req
	}

	ru := f.ResponseURL()
	body := verify(SlashCommandForm(SlashCommand{Command: "/door", Text: "status aws", UserID: "U1", ResponseURL: ru}))
	cmd, err := slack.SlashCommandParse(newReq(body))
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Command != "/door" || cmd.Text != "status aws" || cmd.UserID != "U1" || cmd.UserName != "u1" || cmd.ResponseURL != ru ||
		cmd.TriggerID == "" || cmd.TeamID != TeamID || cmd.ChannelID != DefaultChannelID || cmd.APIAppID != AppID {
		t.Errorf("slash command = %+v", cmd)
	}

	body = verify(InteractiveForm(BlockActionsPayload("U2", "C1", "1700000000.000200", "change_reject", "req-9", ru)))
	cb, err := slack.InteractionCallbackParse(newReq(body))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U2" || cb.Team.ID != TeamID || cb.APIAppID != AppID ||
		cb.Container.Type != "message" || cb.Container.ChannelID != "C1" || cb.Message.Timestamp != "1700000000.000200" ||
		cb.ResponseURL != ru || cb.TriggerID == "" || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("interaction = %+v", cb)
	}
	if a := cb.ActionCallback.BlockActions[0]; a.ActionID != "change_reject" || a.Value != "req-9" || a.Type != "button" || a.BlockID == "" {
		t.Errorf("action = %+v", a)
	}
	if !strings.HasPrefix(string(body), "payload=") {
		t.Errorf("interactive form = %s", body)
	}
}
