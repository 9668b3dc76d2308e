package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

const (
	testBot = "xoxb-test"
	testApp = "xapp-test"
)

func newFake(t *testing.T) (*Slack, *slack.Client) {
	t.Helper()
	f := New(Options{BotToken: testBot, AppToken: testApp, PingInterval: 50 * time.Millisecond, DisconnectGrace: 200 * time.Millisecond})
	t.Cleanup(f.Close)
	return f, slack.New(testBot, slack.OptionAPIURL(f.APIURL()), slack.OptionAppLevelToken(testApp))
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func noViolations(t *testing.T, f *Slack) {
	t.Helper()
	if v := f.Violations(); len(v) != 0 {
		t.Fatalf("unexpected violations:\n%s", strings.Join(v, "\n"))
	}
}

func hasViolation(t *testing.T, f *Slack, substr string) {
	t.Helper()
	for _, v := range f.Violations() {
		if strings.Contains(v, substr) {
			return
		}
	}
	t.Fatalf("no violation mentions %q; have:\n%s", substr, strings.Join(f.Violations(), "\n"))
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func TestPostThreadAndUpdate(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)

	auth, err := api.AuthTestContext(ctx)
	if err != nil || auth.UserID != BotUserID || auth.TeamID != TeamID {
		t.Fatalf("auth.test = %+v, %v", auth, err)
	}

	ch, ts, err := api.PostMessageContext(ctx, "C1",
		slack.MsgOptionText("fallback", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn("*hello*"), nil, nil)))
	if err != nil || ch != "C1" || ts == "" {
		t.Fatalf("post = %q %q %v", ch, ts, err)
	}
	_, replyTS, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	if replyTS <= ts {
		t.Errorf("reply ts %q not after %q", replyTS, ts)
	}
	_, _, _, err = api.UpdateMessageContext(ctx, "C1", ts,
		slack.MsgOptionText("updated", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn("*approved*"), nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := f.WaitMessages(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("want 2 messages (updates do not add), got %d", len(msgs))
	}
	m := msgs[0]
	if m.Text != "updated" || m.Updated != 1 || m.Via != "chat.update" || !strings.Contains(string(m.Blocks), "approved") || m.User != BotUserID {
		t.Errorf("updated message = %+v", m)
	}
	if th := f.Thread("C1", ts); len(th) != 1 || th[0].Text != "reply" || th[0].ThreadTS != ts {
		t.Errorf("thread = %+v", th)
	}
	got, err := f.WaitMessage(ctx, func(m Message) bool { return m.TS == ts && m.Updated >= 1 })
	if err != nil || got.Text != "updated" {
		t.Errorf("WaitMessage = %+v, %v", got, err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U2", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	if all := f.Messages(); all[2].Via != "chat.postEphemeral" || all[2].User != "U2" {
		t.Errorf("ephemeral = %+v", all[2])
	}
	noViolations(t, f)

	_, _, _, err = api.UpdateMessageContext(ctx, "C1", "1.000000", slack.MsgOptionText("x", false))
	if slackErr(err) != "message_not_found" {
		t.Errorf("update of unknown message: %v", err)
	}
	_, _, _, err = api.UpdateMessageContext(ctx, "C1", f.Messages()[2].TS, slack.MsgOptionText("x", false))
	if slackErr(err) != "cant_update_message" {
		t.Errorf("update of ephemeral message: %v", err)
	}
	_, _, err = api.PostMessageContext(ctx, "C1")
	if slackErr(err) != "no_text" {
		t.Errorf("empty post: %v", err)
	}
	if n := len(f.Violations()); n != 3 {
		t.Errorf("want 3 violations, got %q", f.Violations())
	}
}

func TestAuth(t *testing.T) {
	f, _ := newFake(t)
	ctx := testCtx(t)
	for _, tc := range []struct{ token, want string }{
		{"", "not_authed"},
		{"xoxb-wrong", "invalid_auth"},
		{testApp, "not_allowed_token_type"},
	} {
		api := slack.New(tc.token, slack.OptionAPIURL(f.APIURL()))
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
		if slackErr(err) != tc.want {
			t.Errorf("token %q: err %v, want %s", tc.token, err, tc.want)
		}
	}
	if f.Calls("chat.postMessage") != 3 || len(f.Messages()) != 0 {
		t.Errorf("calls %d, messages %d", f.Calls("chat.postMessage"), len(f.Messages()))
	}
	// Socket Mode must use the app-level token.
	_, _, err := slack.New(testBot, slack.OptionAPIURL(f.APIURL()), slack.OptionAppLevelToken(testBot)).StartSocketModeContext(ctx)
	if slackErr(err) != "not_allowed_token_type" {
		t.Errorf("apps.connections.open with bot token: %v", err)
	}
}

func repeat(n int, mk func(i int) slack.Block) []slack.Block {
	out := make([]slack.Block, n)
	for i := range out {
		out[i] = mk(i)
	}
	return out
}

func fields(n, size int) []*slack.TextBlockObject {
	out := make([]*slack.TextBlockObject, n)
	for i := range out {
		out[i] = mrkdwn(strings.Repeat("f", size))
	}
	return out
}

func buttons(n int, text, value string) []slack.BlockElement {
	out := make([]slack.BlockElement, n)
	for i := range out {
		out[i] = slack.NewButtonBlockElement(fmt.Sprintf("a%d", i), value, plain(text))
	}
	return out
}

func TestBlockKitLimits(t *testing.T) {
	divider := func(int) slack.Block { return slack.NewDividerBlock() }
	ctxElems := func(n int) []slack.MixedElement {
		out := make([]slack.MixedElement, n)
		for i := range out {
			out[i] = mrkdwn("c")
		}
		return out
	}
	cases := []struct {
		name    string
		text    string
		blocks  []slack.Block
		wantErr string // "" means accepted
		reason  string
	}{
		{"at the limits", strings.Repeat("t", 4000), append([]slack.Block{
			slack.NewSectionBlock(mrkdwn(strings.Repeat("s", 3000)), nil, nil),
			slack.NewSectionBlock(nil, fields(10, 2000), nil),
			slack.NewHeaderBlock(plain(strings.Repeat("h", 150))),
			slack.NewContextBlock("", ctxElems(10)...),
			slack.NewActionBlock("", buttons(25, strings.Repeat("b", 75), strings.Repeat("v", 2000))...),
			slack.NewSectionBlock(mrkdwn("x"), nil, nil, slack.SectionBlockOptionBlockID(strings.Repeat("i", 255))),
		}, repeat(44, divider)...), "", ""},
		{"51 blocks", "t", repeat(51, divider), "invalid_blocks", "51 blocks"},
		{"section text 3001", "t", []slack.Block{slack.NewSectionBlock(mrkdwn(strings.Repeat("s", 3001)), nil, nil)}, "invalid_blocks", "text is 3001 characters"},
		{"empty section text", "t", []slack.Block{slack.NewSectionBlock(mrkdwn(""), nil, nil)}, "invalid_blocks", "empty"},
		{"11 fields", "t", []slack.Block{slack.NewSectionBlock(nil, fields(11, 1), nil)}, "invalid_blocks", "11 fields"},
		{"field 2001", "t", []slack.Block{slack.NewSectionBlock(nil, fields(1, 2001), nil)}, "invalid_blocks", "field 0: text is 2001"},
		{"header 151", "t", []slack.Block{slack.NewHeaderBlock(plain(strings.Repeat("h", 151)))}, "invalid_blocks", "text is 151 characters"},
		{"header mrkdwn", "t", []slack.Block{slack.NewHeaderBlock(mrkdwn("h"))}, "invalid_blocks", "must be plain_text"},
		{"context 11", "t", []slack.Block{slack.NewContextBlock("", ctxElems(11)...)}, "invalid_blocks", "11 elements"},
		{"actions 26", "t", []slack.Block{slack.NewActionBlock("", buttons(26, "b", "v")...)}, "invalid_blocks", "26 elements"},
		{"button text 76", "t", []slack.Block{slack.NewActionBlock("", buttons(1, strings.Repeat("b", 76), "v")...)}, "invalid_blocks", "text is 76 characters"},
		{"button value 2001", "t", []slack.Block{slack.NewActionBlock("", buttons(1, "b", strings.Repeat("v", 2001))...)}, "invalid_blocks", "value is 2001"},
		{"block_id 256", "t", []slack.Block{slack.NewSectionBlock(mrkdwn("x"), nil, nil, slack.SectionBlockOptionBlockID(strings.Repeat("i", 256)))}, "invalid_blocks", "block_id is 256"},
		{"duplicate block_id", "t", []slack.Block{
			slack.NewSectionBlock(mrkdwn("x"), nil, nil, slack.SectionBlockOptionBlockID("b1")),
			slack.NewSectionBlock(mrkdwn("y"), nil, nil, slack.SectionBlockOptionBlockID("b1")),
		}, "invalid_blocks", `"b1" repeats`},
		{"text 4001", strings.Repeat("t", 4001), nil, "msg_too_long", "4001 characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, api := newFake(t)
			opts := []slack.MsgOption{slack.MsgOptionText(tc.text, false)}
			if tc.blocks != nil {
				opts = append(opts, slack.MsgOptionBlocks(tc.blocks...))
			}
			_, _, err := api.PostMessageContext(testCtx(t), "C1", opts...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v\n%s", err, strings.Join(f.Violations(), "\n"))
				}
				noViolations(t, f)
				return
			}
			if slackErr(err) != tc.wantErr {
				t.Fatalf("err = %v, want %s", err, tc.wantErr)
			}
			hasViolation(t, f, tc.reason)
			if !strings.HasPrefix(f.Violations()[0], "chat.postMessage: ") {
				t.Errorf("violation does not name the method: %q", f.Violations()[0])
			}
			if len(f.Messages()) != 0 {
				t.Errorf("refused message was stored")
			}
		})
	}
}

func TestRateLimitNext(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	f.RateLimitNext("chat.postMessage", 2, 1500*time.Millisecond)
	for i := 0; i < 2; i++ {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
			t.Fatalf("call %d: err = %#v, want RateLimitedError{2s}", i, err)
		}
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatalf("after the budget: %v", err)
	}
	if n := f.Calls("chat.postMessage"); n != 3 {
		t.Errorf("Calls = %d, want 3", n)
	}
	if n := len(f.Messages()); n != 1 {
		t.Errorf("messages = %d, want 1", n)
	}

	u := f.ResponseURL()
	f.RateLimitNext("response_url", 1, 0)
	err := slack.PostWebhookContext(ctx, u, &slack.WebhookMessage{Text: "x"})
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("response_url: err = %#v, want RateLimitedError{1s}", err)
	}
	// A throttled post does not use up one of the five.
	for i := 0; i < 5; i++ {
		if err := slack.PostWebhookContext(ctx, u, &slack.WebhookMessage{Text: "x"}); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	if f.Calls("response_url") != 6 {
		t.Errorf("response_url calls = %d", f.Calls("response_url"))
	}
	noViolations(t, f)
}

func TestResponseURL(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := base
	f.SetNow(func() time.Time { return now })

	u := f.ResponseURL()
	if u2 := f.ResponseURL(); u2 == u || !strings.Contains(u, "/commands/"+TeamID+"/") {
		t.Fatalf("response URLs %q, %q", u, u2)
	}
	for i := 0; i < 4; i++ {
		now = base.Add(time.Duration(i) * 7 * time.Minute)
		if err := slack.PostWebhookContext(ctx, u, &slack.WebhookMessage{Text: fmt.Sprint(i), ResponseType: "in_channel", ReplaceOriginal: i > 0}); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	// slack-go's chat path to a response_url must parse the answer too.
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionText("5th", false), slack.MsgOptionResponseURL(u, slack.ResponseTypeEphemeral)); err != nil {
		t.Fatalf("5th post via MsgOptionResponseURL: %v", err)
	}
	noViolations(t, f)
	err := slack.PostWebhookContext(ctx, u, &slack.WebhookMessage{Text: "6th"})
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Fatalf("6th post: %v, want 404", err)
	}
	hasViolation(t, f, "post number 6")

	msgs, err := f.WaitMessages(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if m := msgs[1]; m.Via != "response_url" || m.ResponseType != "in_channel" || !m.ReplaceOriginal || m.Text != "1" {
		t.Errorf("response_url message = %+v", m)
	}

	now = base
	fresh := f.ResponseURL()
	now = base.Add(29 * time.Minute)
	if err := slack.PostWebhookContext(ctx, fresh, &slack.WebhookMessage{Text: "in time"}); err != nil {
		t.Fatalf("at 29 min: %v", err)
	}
	now = base.Add(31 * time.Minute)
	if err := slack.PostWebhookContext(ctx, fresh, &slack.WebhookMessage{Text: "late"}); !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Fatalf("at 31 min: %v, want 404", err)
	}
	hasViolation(t, f, "after it was issued")

	big := &slack.Blocks{BlockSet: repeat(51, func(int) slack.Block { return slack.NewDividerBlock() })}
	if err := slack.PostWebhookContext(ctx, f.ResponseURL(), &slack.WebhookMessage{Text: "x", Blocks: big}); !errors.As(err, &sc) || sc.Code != http.StatusBadRequest {
		t.Fatalf("51 blocks via response_url: %v, want 400", err)
	}
	hasViolation(t, f, "response_url: 51 blocks")
}

func TestViews(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	modal := func(title, meta, callback string) slack.ModalViewRequest {
		return slack.ModalViewRequest{
			Type:            slack.VTModal,
			Title:           plain(title),
			Submit:          plain("Check"),
			CallbackID:      callback,
			PrivateMetadata: meta,
			Blocks: slack.Blocks{BlockSet: []slack.Block{
				slack.NewInputBlock("proposal", plain("Proposal"), nil, slack.NewPlainTextInputBlockElement(nil, "yaml")),
			}},
		}
	}

	trigger := f.TriggerID()
	resp, err := api.OpenViewContext(ctx, trigger, modal(strings.Repeat("t", 24), strings.Repeat("m", 3000), "door_validate"))
	if err != nil {
		t.Fatalf("views.open: %v\n%s", err, strings.Join(f.Violations(), "\n"))
	}
	if resp.ID == "" || resp.Hash == "" || resp.CallbackID != "door_validate" {
		t.Errorf("view response = %+v", resp.View)
	}
	upd, err := api.UpdateViewContext(ctx, modal("Result", "conn", "door_validate"), "", resp.Hash, resp.ID)
	if err != nil || upd.ID != resp.ID {
		t.Fatalf("views.update: %+v %v", upd, err)
	}
	views, err := f.WaitViews(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if v := views[0]; v.Method != "views.open" || v.TriggerID != trigger || v.CallbackID != "door_validate" || len(v.PrivateMetadata) != 3000 {
		t.Errorf("views[0] = %+v", v)
	}
	if v := views[1]; v.Method != "views.update" || v.PrivateMetadata != "conn" || v.ID != resp.ID {
		t.Errorf("views[1] = %+v", v)
	}
	noViolations(t, f)

	if _, err := api.UpdateViewContext(ctx, modal("Again", "", "door_validate"), "", resp.Hash, resp.ID); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash: %v", err)
	}
	if _, err := api.OpenViewContext(ctx, trigger, modal("Again", "", "door_validate")); slackErr(err) != "exchanged_trigger_id" {
		t.Errorf("reused trigger: %v", err)
	}
	hasViolation(t, f, "already used")

	base := time.Now()
	f.SetNow(func() time.Time { return base })
	late := f.TriggerID()
	f.SetNow(func() time.Time { return base.Add(3100 * time.Millisecond) })
	if _, err := api.OpenViewContext(ctx, late, modal("Late", "", "door_validate")); slackErr(err) != "expired_trigger_id" {
		t.Errorf("expired trigger: %v", err)
	}
	hasViolation(t, f, "after it was issued")
	f.SetNow(nil)

	for _, tc := range []struct {
		name   string
		view   slack.ModalViewRequest
		reason string
	}{
		{"title 25", modal(strings.Repeat("t", 25), "", "cb"), "view title: text is 25 characters"},
		{"metadata 3001", modal("T", strings.Repeat("m", 3001), "cb"), "private_metadata is 3001"},
		{"no callback", modal("T", "", ""), "callback_id is missing"},
		{"101 blocks", func() slack.ModalViewRequest {
			m := modal("T", "", "cb")
			m.Blocks.BlockSet = append(m.Blocks.BlockSet, repeat(100, func(int) slack.Block { return slack.NewDividerBlock() })...)
			return m
		}(), "101 blocks"},
		{"initial option not offered", func() slack.ModalViewRequest {
			m := modal("T", "", "cb")
			el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "select",
				slack.NewOptionBlockObject("static", plain("static"), nil))
			el.InitialOption = slack.NewOptionBlockObject("bgp", plain("bgp"), nil)
			m.Blocks.BlockSet = append(m.Blocks.BlockSet, slack.NewInputBlock("routing", plain("Routing"), nil, el))
			m.Submit = plain("Go")
			return m
		}(), "initial_option is not one of its options"},
	} {
		_, err := api.OpenViewContext(ctx, f.TriggerID(), tc.view)
		if slackErr(err) != "invalid_arguments" {
			t.Errorf("%s: err %v, want invalid_arguments", tc.name, err)
		}
		hasViolation(t, f, tc.reason)
	}
	if n := len(f.Views()); n != 2 {
		t.Errorf("refused views were recorded: %d", n)
	}
}

func TestViewsPublish(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn("home"), nil, nil)}}}
	first, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home})
	if err != nil {
		t.Fatalf("views.publish: %v\n%s", err, strings.Join(f.Violations(), "\n"))
	}
	again, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home})
	if err != nil || again.ID != first.ID {
		t.Fatalf("republish: %+v, %v (first %s)", again.View, err, first.ID)
	}
	if v := f.Views(); len(v) != 2 || v[1].Method != "views.publish" || v[1].UserID != "U1" || v[1].Type != "home" {
		t.Errorf("views = %+v", v)
	}
	noViolations(t, f)
}

func TestUsersAndGroups(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	f.SetUserGroup("S1", []string{"U1", "U2"})
	members, err := api.GetUserGroupMembersContext(ctx, "S1")
	if err != nil || strings.Join(members, ",") != "U1,U2" {
		t.Errorf("members = %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S404"); slackErr(err) != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}
	f.SetUser(User{ID: "U1", Name: "alice", RealName: "Alice A", Email: "a@example.com"})
	u, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil || u.Name != "alice" || u.RealName != "Alice A" || u.Profile.Email != "a@example.com" {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	if u, err := api.GetUserInfoContext(ctx, "U9"); err != nil || u.ID != "U9" {
		t.Errorf("synthesised user = %+v, %v", u, err)
	}
	noViolations(t, f)
	if _, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C1"}); slackErr(err) != "unknown_method" {
		t.Errorf("unimplemented method: %v", err)
	}
	hasViolation(t, f, "conversations.info: the fake does not implement")
}

func TestMetadataAndBroadcast(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	md := slack.SlackMetadata{EventType: "doorbot_alert", EventPayload: map[string]any{"alert_id": "a-1"}}
	ch, root, err := api.PostMessageContext(ctx, "C0ALERTS01", slack.MsgOptionText("vpn x: DOWN", false), slack.MsgOptionMetadata(md))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := f.Message(ch, root); m.EventType() != "doorbot_alert" || !strings.Contains(string(m.Metadata), `"alert_id":"a-1"`) {
		t.Errorf("metadata = %s", m.Metadata)
	}
	_, reply, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("resolved", false), slack.MsgOptionTS(root), slack.MsgOptionBroadcast())
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := f.Message(ch, reply); !m.Broadcast || m.ThreadTS != root {
		t.Errorf("reply = %+v; want a broadcast in the root's thread", m)
	}
	// Slack refuses what it would refuse.
	bad := slack.SlackMetadata{EventType: "doorbot alert!", EventPayload: map[string]any{}}
	if _, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false), slack.MsgOptionMetadata(bad)); slackErr(err) != "invalid_metadata_format" {
		t.Errorf("bad event_type: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false), slack.MsgOptionTS("1.000")); slackErr(err) != "thread_not_found" {
		t.Errorf("reply to nothing: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false), slack.MsgOptionBroadcast()); err != nil {
		t.Fatal(err)
	}
	// Every refusal fails the test that caused it.
	for _, v := range []string{"event_type", "to reply to", "reply_broadcast without thread_ts"} {
		hasViolation(t, f, v)
	}
}

// A view submission carries the view's blocks and a state for every input,
// as Slack's does: a select's chosen option, and an input the user left
// alone as the form showed it; slack-go decodes all of it. A closed view
// cannot be updated (not_found), which is no misuse.
func TestViewSubmissionAndClosedView(t *testing.T) {
	f, api := newFake(t)
	ctx := testCtx(t)
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "select",
		slack.NewOptionBlockObject("static", plain("static"), nil), slack.NewOptionBlockObject("bgp", plain("bgp"), nil))
	sel.InitialOption = slack.NewOptionBlockObject("static", plain("static"), nil)
	text := slack.NewPlainTextInputBlockElement(nil, "seconds")
	text.InitialValue = "30"
	resp, err := api.OpenViewContext(ctx, f.TriggerID(), slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain("Change"), Submit: plain("Go"), CallbackID: "door_change",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("routing", plain("Routing"), nil, sel),
			slack.NewInputBlock("dpd", plain("DPD"), nil, text),
			slack.NewInputBlock("other", plain("Other"), nil, slack.NewPlainTextInputBlockElement(nil, "text")),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	views, _ := f.WaitViews(ctx, 1)
	for _, tc := range []struct {
		values       map[string]map[string]string
		routing, dpd string
	}{
		{nil, "static", "30"},
		{map[string]map[string]string{"routing": {"select": "bgp"}, "dpd": {"seconds": "35"}}, "bgp", "35"},
	} {
		raw, _ := json.Marshal(ViewSubmissionPayload("U1", views[0], tc.values))
		var cb slack.InteractionCallback
		if err := json.Unmarshal(raw, &cb); err != nil {
			t.Fatal(err)
		}
		st := cb.View.State.Values
		if got := st["routing"]["select"]; got.Type != "static_select" || got.SelectedOption.Value != tc.routing {
			t.Errorf("%v: routing state %+v", tc.values, got)
		}
		if got := st["dpd"]["seconds"].Value; got != tc.dpd {
			t.Errorf("%v: dpd state %q", tc.values, got)
		}
		if _, ok := st["other"]; ok {
			t.Errorf("%v: an input without an initial value has a state", tc.values)
		}
		if len(cb.View.Blocks.BlockSet) != 3 {
			t.Errorf("%v: the submission carries %d blocks", tc.values, len(cb.View.Blocks.BlockSet))
		}
	}
	f.CloseView(resp.ID)
	if _, err := api.UpdateViewContext(ctx, slack.ModalViewRequest{Type: slack.VTModal, Title: plain("Done"), CallbackID: "door_change_result",
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}, "", "", resp.ID); slackErr(err) != "not_found" {
		t.Errorf("update of a closed view: %v", err)
	}
	noViolations(t, f)
}
