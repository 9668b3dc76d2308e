package bot_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/fakeslack"
)

// block is the part of Block Kit these tests read.
type block struct {
	Type string `json:"type"`
	Text *struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"text"`
	Fields []struct {
		Text string `json:"text"`
	} `json:"fields"`
	Elements []struct {
		Type     string `json:"type"`
		Text     any    `json:"text"`
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
		URL      string `json:"url"`
	} `json:"elements"`
}

func blocksOf(t *testing.T, m fakeslack.Message) []block {
	t.Helper()
	var bs []block
	if err := json.Unmarshal(m.Blocks, &bs); err != nil {
		t.Fatal(err)
	}
	return bs
}

// On Slack the status reply reads on a phone: the verdict in a header with
// one emoji and no second icon, a section of fields per tunnel with local
// times, each command in a code block no wider than 60 columns, the
// reference a link, and the buttons of design.md §6 with console links.
func TestStatusReplyFitsAPhoneOnSlack(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)
	h.slash(t, ctx, "U0ONCALL", "C0INCIDENT", "status tunnel2-down")
	msgs, err := h.slack.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	bs := blocksOf(t, msgs[0])
	if bs[0].Type != "header" || !strings.HasPrefix(bs[0].Text.Text, ":large_orange_circle: tunnel2-down — DEGRADED") {
		t.Errorf("first block %+v", bs[0])
	}
	raw := visible(msgs[0])
	for _, icon := range []string{handlers.IconGood, handlers.IconWarning, handlers.IconBad, handlers.IconSide, ":warning:"} {
		if strings.Contains(string(msgs[0].Blocks), icon) {
			t.Errorf("plain-text icon %q beside the emoji", icon)
		}
	}
	var tunnels, codes int
	var buttons map[string]string
	link := false
	for _, b := range bs {
		switch {
		case b.Type == "section" && len(b.Fields) > 0:
			tunnels++
			for _, f := range b.Fields {
				if strings.HasPrefix(f.Text, "*Since*") && !strings.Contains(f.Text, "<!date^") {
					t.Errorf("since is not a date token: %q", f.Text)
				}
			}
		case b.Type == "section" && b.Text != nil && strings.HasPrefix(b.Text.Text, "```"):
			codes++
			for _, l := range strings.Split(strings.Trim(b.Text.Text, "`\n"), "\n") {
				if len([]rune(l)) > handlers.PhoneWidth && strings.Contains(strings.TrimSpace(l), " ") {
					t.Errorf("preformatted line of %d: %q", len([]rune(l)), l)
				}
			}
		case b.Type == "context":
			for _, e := range b.Elements {
				if s, _ := e.Text.(string); strings.Contains(s, "<https://learn.microsoft.com/") {
					link = true
				}
			}
		case b.Type == "actions":
			buttons = map[string]string{}
			for _, e := range b.Elements {
				buttons[e.ActionID] = e.Value + " " + e.URL
			}
		}
	}
	if tunnels != 2 || codes == 0 || !link {
		t.Errorf("%d tunnel sections, %d code blocks, reference link %v:\n%s", tunnels, codes, link, raw)
	}
	for _, id := range []string{"status_refresh", "status_why", "status_runbook"} {
		if !strings.HasPrefix(buttons[id], "tunnel2-down") {
			t.Errorf("button %s: %q", id, buttons[id])
		}
	}
	if !strings.Contains(buttons["status_console_aws"], "https://ap-northeast-1.console.aws.amazon.com/vpcconsole/home?region=ap-northeast-1#VpnConnections:search=vpn-") ||
		!strings.Contains(buttons["status_console_azure"], "https://portal.azure.com/#resource/subscriptions/") {
		t.Errorf("console links: %v", buttons)
	}
	if strings.Contains(raw, "AWS outside IP  AWS") {
		t.Error("the wide table reached Slack")
	}
}

// Refresh re-reads and replaces the message in place; Why and Runbook
// answer the clicker privately.
func TestStatusButtons(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)
	click := func(action string) {
		t.Helper()
		env, err := h.slack.SendInteractive(ctx, fakeslack.BlockActionsPayload("U0ONCALL", "C0INCIDENT", "1700000000.000100", action, "tunnel2-down", h.slack.ResponseURLFor("C0INCIDENT")))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.slack.WaitAck(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	click("status_refresh")
	m, err := h.slack.WaitMessage(ctx, func(m fakeslack.Message) bool { return m.ReplaceOriginal })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(visible(m), "tunnel2-down — DEGRADED") || !strings.Contains(visible(m), "status_refresh") {
		t.Errorf("refreshed message: %s", visible(m))
	}
	click("status_why")
	if _, err := h.slack.WaitMessage(ctx, func(m fakeslack.Message) bool {
		return m.User == "U0ONCALL" && strings.Contains(visible(m), "Why: tunnel2-down")
	}); err != nil {
		t.Errorf("why: %v", err)
	}
	click("status_runbook")
	if _, err := h.slack.WaitMessage(ctx, func(m fakeslack.Message) bool {
		return m.User == "U0ONCALL" && strings.Contains(visible(m), "static runbook")
	}); err != nil {
		t.Errorf("runbook: %v", err)
	}
	if v := h.slack.Violations(); len(v) > 0 {
		t.Errorf("Slack refused: %v", v)
	}
}

// inlineCommand is a command with its arguments in running text: a
// backtick span with a flag, or a JMESPath literal that ends inline code.
var inlineCommand = regexp.MustCompile("`[^`]* --[a-z][^`]*`|==`")

// Every command that doorbot posts with its arguments is in a code block:
// in running text a JMESPath backtick ends Slack's inline code and the
// copied command breaks (status, why with its "to read it" steps).
func TestCommandsAreInCodeBlocks(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)
	lines := []string{"status tunnel2-down", "why no-logs", "why bgp-single-ip", "status psk-mismatch"}
	for _, l := range lines {
		h.slash(t, ctx, "U0ONCALL", "C0INCIDENT", l)
	}
	msgs, err := h.slack.WaitMessages(ctx, len(lines))
	if err != nil {
		t.Fatal(err)
	}
	codes := 0
	for _, m := range msgs {
		for _, b := range blocksOf(t, m) {
			var texts []string
			if b.Text != nil {
				texts = append(texts, b.Text.Text)
			}
			for _, f := range b.Fields {
				texts = append(texts, f.Text)
			}
			for _, e := range b.Elements {
				if s, ok := e.Text.(string); ok {
					texts = append(texts, s)
				}
			}
			for _, s := range texts {
				if strings.HasPrefix(s, "```") {
					codes++
					continue
				}
				if inlineCommand.MatchString(s) {
					t.Errorf("a command inline: %q", inlineCommand.FindString(s))
				}
			}
		}
	}
	if codes < len(lines) {
		t.Errorf("%d code blocks in %d answers", codes, len(lines))
	}
}
