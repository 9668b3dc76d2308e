package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/handlers"
)

// Neutralise makes one line of text someone typed inert in mrkdwn, so
// that it shows as typed and cannot pass for doorbot's own formatting: it
// escapes Slack's control characters with Escape (no mention, channel ping
// or link), puts look-alikes in place of the emphasis marks (* _ ~ `), so that
// "*APPROVED*" is not bold, breaks :emoji: codes, keeps a leading > from
// quoting, turns line breaks into spaces, and drops control and
// bidirectional formatting characters, which could hide or reorder text.
// Digit-only codes (:100:) are left alone so that times such as
// 02:00-03:00 read as typed; they cannot spell a state.
func Neutralise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
		case r == '*':
			b.WriteRune('∗') // U+2217 ASTERISK OPERATOR
		case r == '_':
			b.WriteRune('ˍ') // U+02CD MODIFIER LETTER LOW MACRON
		case r == '~':
			b.WriteRune('∼') // U+223C TILDE OPERATOR
		case r == '`':
			b.WriteRune('ˋ') // U+02CB MODIFIER LETTER GRAVE ACCENT
		case r == unicode.ReplacementChar, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			// Invalid UTF-8, controls, and format characters (zero-width
			// spaces and joiners, bidirectional overrides, BOM).
		default:
			b.WriteRune(r)
		}
	}
	// Escaped after the loop, by the one escaper: the look-alikes bring in
	// none of & < >, and breakEmoji and the leading-quote check below see
	// the escaped text as before.
	out := breakEmoji(Escape(b.String()))
	if t := strings.TrimLeft(out, " "); strings.HasPrefix(t, "&gt;") {
		// At the start of a line, even the escaped form quotes.
		out = out[:len(out)-len(t)] + "›" + t[len("&gt;"):]
	}
	return out
}

// emojiColon replaces a colon that would open or close an :emoji: code.
const emojiColon = '꞉' // U+A789 MODIFIER LETTER COLON

// breakEmoji replaces both colons of every :name: that Slack could read as
// an emoji code and whose name has a letter. A colon is tried as the end
// of one code and the start of the next, as Slack's parser would.
func breakEmoji(s string) string {
	if strings.Count(s, ":") < 2 {
		return s
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] != ':' {
			continue
		}
		j, letter := i+1, false
		for ; j < len(rs) && isEmojiNameRune(rs[j]); j++ {
			letter = letter || unicode.IsLetter(rs[j])
		}
		if j == len(rs) || rs[j] != ':' || j == i+1 {
			continue
		}
		if letter {
			rs[i], rs[j] = emojiColon, emojiColon
			i = j
			continue
		}
		i = j - 1 // the closing colon may open the next code
	}
	return string(rs)
}

func isEmojiNameRune(r rune) bool {
	// An underscore already neutralised (ˍ) still counts as one.
	return r == 'ˍ' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_+-'.", r))
}

// renderQuote shows what a person typed under doorbot's label, as a
// block quote of neutralised lines in sections of their own, with
// verbatim set so that Slack links nothing (URLs, #channels, @here)
// in it: nothing typed shares a block with doorbot's state lines.
func renderQuote(b handlers.Block) []slack.Block {
	text := strings.TrimSpace(strings.Join(b.Lines, "\n"))
	lines := []string{Escape(b.Label) + ":"}
	blank := false
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		l = strings.TrimSpace(Neutralise(l))
		if l == "" {
			// A run of empty lines is one empty quoted line.
			if !blank {
				lines = append(lines, ">")
			}
			blank = true
			continue
		}
		blank = false
		lines = append(lines, ">"+l)
	}
	if len(lines) == 1 {
		lines = append(lines, ">(empty)")
	}
	blocks := sections(lines, "", "")
	for i, bl := range blocks {
		if s, ok := bl.(*slack.SectionBlock); ok {
			s.Text.Verbatim = true
			if i > 0 && !strings.HasPrefix(s.Text.Text, ">") {
				s.Text.Text = ">" + s.Text.Text
			}
		}
	}
	return blocks
}
