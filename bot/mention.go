package bot

import (
	"strings"

	"github.com/doorbot/doorbot/handlers"
)

// mention is how Slack shows a person doorbot names (handlers.Span): a
// user ID (U…, W…) as <@ID>, a user-group ID (S…) as <!subteam^ID>, which
// notify them. Anything else is shown as escaped text, so that no "ID"
// can carry an entity of its own; text never becomes a mention.
func mention(id string) string {
	switch {
	case slackID(id, "UW"):
		return "<@" + id + ">"
	case slackID(id, "S"):
		return "<!subteam^" + id + ">"
	}
	return Escape("@" + id)
}

// maxIDLen bounds a Slack ID: today's are 9 to 11 characters.
const maxIDLen = 21

// slackID reports whether id has the form of a Slack ID starting with one
// of prefixes: the prefix, then uppercase letters and digits.
func slackID(id, prefixes string) bool {
	if len(id) < 2 || len(id) > maxIDLen || !strings.ContainsRune(prefixes, rune(id[0])) {
		return false
	}
	for i := 1; i < len(id); i++ {
		if c := id[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// renderSpans is a line in parts as mrkdwn: text escaped, people as
// mentions.
func renderSpans(spans []handlers.Span) string {
	var b strings.Builder
	for _, s := range spans {
		if s.Person != "" {
			b.WriteString(mention(s.Person))
			continue
		}
		b.WriteString(Escape(s.Text))
	}
	return b.String()
}

// line is line i of a block as mrkdwn: its spans when it names people,
// else its escaped text.
func line(b handlers.Block, i int) string {
	if i < len(b.Spans) && b.Spans[i] != nil {
		return renderSpans(b.Spans[i])
	}
	return Escape(b.Lines[i])
}
