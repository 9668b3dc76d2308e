package fakeslack

import (
	"encoding/json"
	"slices"
	"strings"
)

// Mentions lists whom Slack would notify for the message, each once in
// the order first met: the user IDs of <@U…> and the user-group IDs of
// <!subteam^S…>, and "!channel", "!here" or "!everyone" for those
// pings. Slack reads these entities in the top-level text and in every
// mrkdwn text object of the blocks (verbatim or not); plain_text objects
// (headers, buttons) show them literally. Escaped text (&lt;@U…&gt;) is
// no entity. Code spans are read too, which is stricter than Slack: a
// test that something never pings cannot pass on a technicality.
func (m Message) Mentions() []string {
	var out []string
	add := func(text string) {
		for _, who := range entities(text) {
			if !slices.Contains(out, who) {
				out = append(out, who)
			}
		}
	}
	add(m.Text)
	var blocks any
	if json.Unmarshal(m.Blocks, &blocks) == nil {
		walkMrkdwn(blocks, add)
	}
	return out
}

// Mentioned reports whether the message notifies user (Mentions).
func (m Message) Mentioned(user string) bool { return slices.Contains(m.Mentions(), user) }

// walkMrkdwn calls f with the text of every mrkdwn text object in v.
func walkMrkdwn(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		if v["type"] == "mrkdwn" {
			if s, ok := v["text"].(string); ok {
				f(s)
			}
		}
		for _, c := range v {
			walkMrkdwn(c, f)
		}
	case []any:
		for _, c := range v {
			walkMrkdwn(c, f)
		}
	}
}

// entities are the mentions and pings in one mrkdwn text.
func entities(text string) []string {
	var out []string
	for {
		i := strings.IndexByte(text, '<')
		if i < 0 {
			return out
		}
		text = text[i+1:]
		j := strings.IndexByte(text, '>')
		if j < 0 {
			return out
		}
		body, _, _ := strings.Cut(text[:j], "|")
		text = text[j+1:]
		switch {
		case strings.HasPrefix(body, "@"):
			out = append(out, body[1:])
		case strings.HasPrefix(body, "!subteam^"):
			out = append(out, body[len("!subteam^"):])
		case body == "!channel" || body == "!here" || body == "!everyone":
			out = append(out, body)
		}
	}
}
