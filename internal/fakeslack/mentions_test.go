package fakeslack

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestMentions(t *testing.T) {
	section := func(typ, text string) string {
		b, _ := json.Marshal([]any{map[string]any{"type": "section", "text": map[string]any{"type": typ, "text": text}}})
		return string(b)
	}
	cases := []struct {
		name, text, blocks string
		want               []string
	}{
		{"user in mrkdwn", "", section("mrkdwn", "requested by <@U0REQ>"), []string{"U0REQ"}},
		{"user with a label", "", section("mrkdwn", "<@W0REQ|alice> and <@U0REQ>"), []string{"W0REQ", "U0REQ"}},
		{"user group", "", section("mrkdwn", "approvers: <!subteam^S0NETOPS>"), []string{"S0NETOPS"}},
		{"pings", "", section("mrkdwn", "<!channel> <!here|here> <!everyone>"), []string{"!channel", "!here", "!everyone"}},
		{"the fallback text", "<@U0REQ>: approved", section("mrkdwn", "approved"), []string{"U0REQ"}},
		{"each once", "<@U0REQ>", section("mrkdwn", "<@U0REQ> <@U0REQ>"), []string{"U0REQ"}},
		{"escaped is no entity", "&lt;@U0REQ&gt;", section("mrkdwn", "&lt;!channel&gt; &lt;!subteam^S1&gt;"), nil},
		{"plain text shows it literally", "", section("plain_text", "<@U0REQ>"), nil},
		{"links and dates are no mention", "", section("mrkdwn", "<https://example.com|x> <!date^1^{time}|t> <#C1|general>"), nil},
		{"an unclosed entity", "", section("mrkdwn", "<@U0REQ"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Message{Text: c.text, Blocks: json.RawMessage(c.blocks)}
			if got := m.Mentions(); !slices.Equal(got, c.want) {
				t.Errorf("Mentions() = %q, want %q", got, c.want)
			}
			for _, w := range c.want {
				if !m.Mentioned(w) {
					t.Errorf("Mentioned(%q) = false", w)
				}
			}
		})
	}
}
