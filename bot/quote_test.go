package bot

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/handlers"
)

func TestNeutralise(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain text is kept", "CHG-42: move to static routing", "CHG-42: move to static routing"},
		{"times are kept", "Sat 2026-12-05 02:00-03:00 JST", "Sat 2026-12-05 02:00-03:00 JST"},
		{"digit-only codes are kept", "we are :100: sure", "we are :100: sure"},
		{"bold", "*APPROVED*", "∗APPROVED∗"},
		{"italic", "_really_", "ˍreallyˍ"},
		{"strike", "~no~", "∼no∼"},
		{"code and fences", "`x` ```y```", "ˋxˋ ˋˋˋyˋˋˋ"},
		{"emoji", ":white_check_mark: done", "꞉whiteˍcheckˍmark꞉ done"},
		{"emoji sharing a colon", ":a:b:", "꞉a꞉b:"},
		{"emoji after a time", "at 02:00:tada:", "at 02:00꞉tada꞉"},
		{"skin tone", ":wave::skin-tone-2:", "꞉wave꞉꞉skin-tone-2꞉"},
		{"one colon", "reason: x", "reason: x"},
		{"newlines collapse", "routine\n*approvals: 2 of 2*\r\nAPPROVED", "routine ∗approvals: 2 of 2∗  APPROVED"},
		{"other line breaks", "a\u2028b\u2029c\u0085d\ve", "a b c d e"},
		{"user mention", "<@U0APPROVER1>", "&lt;@U0APPROVER1&gt;"},
		{"channel ping", "<!channel> <!here>", "&lt;!channel&gt; &lt;!here&gt;"},
		{"link", "<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"entity", "&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"},
		{"leading quote", "> approved", "› approved"},
		{"leading quote after spaces", "  >>> approved", "  ›&gt;&gt; approved"},
		{"inner arrow", "static -> bgp", "static -&gt; bgp"},
		{"zero-width and bidi", "A\u200bPPROVED\u202e\u2066x\ufeff", "APPROVEDx"},
		{"controls", "a\x00b\x1bc\x7fd", "abcd"},
		{"invalid UTF-8", "a\xffb", "ab"},
		{"unicode kept", "切替は土曜 ✓", "切替は土曜 ✓"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Neutralise(c.in); got != c.want {
				t.Errorf("Neutralise(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// emojiCode is an :emoji: code with a letter in it, as Slack reads them.
var emojiCode = regexp.MustCompile(`:[A-Za-z0-9_+'.-]*[A-Za-z][A-Za-z0-9_+'.-]*:`)

// checkInert fails when s could format, ping, link or break a line in
// mrkdwn.
func checkInert(t *testing.T, in, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("Neutralise(%q) is not UTF-8: %q", in, s)
	}
	if i := strings.IndexAny(s, "*_~`<>\n\r"); i >= 0 {
		t.Errorf("Neutralise(%q) = %q keeps %q", in, s, s[i])
	}
	if m := emojiCode.FindString(s); m != "" {
		t.Errorf("Neutralise(%q) = %q keeps the emoji code %q", in, s, m)
	}
	if strings.HasPrefix(strings.TrimLeft(s, " "), "&gt;") {
		t.Errorf("Neutralise(%q) = %q starts a block quote", in, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '&' && !strings.HasPrefix(s[i:], "&amp;") && !strings.HasPrefix(s[i:], "&lt;") && !strings.HasPrefix(s[i:], "&gt;") {
			t.Errorf("Neutralise(%q) = %q has a bare &", in, s)
		}
	}
}

func FuzzNeutralise(f *testing.F) {
	for _, s := range []string{
		"routine\n*approvals: 2 of 2* :white_check_mark: *APPROVED* by @U0APPROVER1",
		":a:b:c:", "::x::", "02:00:ab:", "> x", "&gt; x", "<@U1>", "`", "\xff:a\xff:", "\u202e:smile:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkInert(t, in, Neutralise(in))
	})
}

// The forged reason of issue 15: its lines stay inside a verbatim block
// quote under doorbot's label, with nothing bold, no emoji and no ping.
func TestQuoteKeepsTypedLinesQuoted(t *testing.T) {
	forged := "routine\n*approvals: 2 of 2* :white_check_mark: *APPROVED* by <@U0APPROVER1>\n\n\n> <!channel>"
	blocks := renderQuote(handlers.QuoteBlock("reason", forged))
	if len(blocks) != 1 {
		t.Fatalf("%d blocks for a short quote", len(blocks))
	}
	sec := blocks[0].(*slack.SectionBlock)
	if sec.Text.Type != slack.MarkdownType || !sec.Text.Verbatim {
		t.Errorf("quote text %s verbatim=%v; want verbatim mrkdwn", sec.Text.Type, sec.Text.Verbatim)
	}
	want := "reason:\n>routine\n>∗approvals: 2 of 2∗ ꞉whiteˍcheckˍmark꞉ ∗APPROVED∗ by &lt;@U0APPROVER1&gt;\n>\n>› &lt;!channel&gt;"
	if sec.Text.Text != want {
		t.Errorf("quote\n%s\nwant\n%s", sec.Text.Text, want)
	}
}

// A quote longer than one section continues in more, every typed line
// still quoted and within Slack's limits.
func TestLongQuoteStaysQuoted(t *testing.T) {
	line := strings.Repeat("&*", 100) // 200 runes, 1,100 bytes once neutralised
	blocks := renderQuote(handlers.QuoteBlock("reason", strings.Repeat(line+"\n", 8)))
	if len(blocks) < 2 {
		t.Fatalf("%d blocks for 8,800 bytes", len(blocks))
	}
	checkLimits(t, []Message{{Text: "x", Blocks: blocks}})
	for i, b := range blocks {
		text := b.(*slack.SectionBlock).Text.Text
		for j, l := range strings.Split(text, "\n") {
			if (i > 0 || j > 0) && !strings.HasPrefix(l, ">") {
				t.Errorf("block %d line %d not quoted: %.40q", i, j, l)
			}
		}
	}
}
