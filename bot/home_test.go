package bot_test

import (
	"context"
	"strings"
	"testing"

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
	h.runSocketMode(t)
	ctx := wait(t)
	env, err := h.slack.SendEvent(ctx, fakeslack.AppHomeOpened("U0ONCALL"))
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
	v := views[0]
	raw := unescapeJSON(string(v.View))
	if v.Method != "views.publish" || !strings.Contains(raw, "doorbot for U0ONCALL") || !strings.Contains(raw, `"type":"home"`) {
		t.Errorf("published %s: %s", v.Method, raw)
	}
	if strings.Contains(raw, "<!channel>") {
		t.Error("a mention survived into the Home tab")
	}
}
