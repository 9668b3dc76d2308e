// Package bot is doorbot's Slack transport: Socket Mode and signed HTTP,
// acknowledgements inside Slack's 3 seconds, a bounded worker pool and
// bounded form openers, delivery through response_url or chat.postMessage
// with rate-limit retries, and the one renderer that turns a
// handlers.Reply, a commands.Form or a commands.View into Block Kit. What
// a command, button or form does is the command layer's (package
// commands): the bot asks it and keeps no list of its own. It also carries
// the change workflow's messages (Notifier).
package bot

import (
	"bytes"
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/handlers"
)

// Block Kit limits (docs.slack.dev/reference/block-kit). Messages are cut
// below them so that Slack never answers invalid_blocks.
const (
	maxBlocks      = 50
	maxSectionText = 3000
	maxHeaderText  = 150
	maxContextElem = 10
	maxFallback    = 3000 // top-level text; Slack's limit is 4000
)

// Message is one Slack message: the fallback text (notifications, screen
// readers) and its blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// Escape neutralises Slack's control characters so that text from a user
// or a cloud can neither ping (<!channel>, <@U…>) nor link (<https://x|y>).
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Render turns a reply into Slack messages within Block Kit limits. The
// first is the answer; any others continue it (as thread replies when the
// medium allows). Thread replies of the Reply follow the main part.
func Render(r handlers.Reply) []Message {
	var msgs []Message
	cur := Message{}
	flush := func() {
		if len(cur.Blocks) > 0 {
			msgs = append(msgs, cur)
		}
		cur = Message{}
	}
	add := func(bs ...slack.Block) {
		for _, b := range bs {
			if len(cur.Blocks) >= maxBlocks {
				flush()
			}
			cur.Blocks = append(cur.Blocks, b)
		}
	}
	parts := append([]handlers.Reply{r}, r.Thread...)
	for i, part := range parts {
		if i > 0 {
			flush()
		}
		for _, b := range part.Blocks {
			add(renderBlock(b)...)
		}
	}
	flush()
	if len(msgs) == 0 {
		msgs = []Message{{Blocks: []slack.Block{section(" ")}}}
	}
	fallback := truncate(Escape(r.Text), maxFallback)
	for i := range msgs {
		msgs[i].Text = fallback
		if len(msgs) > 1 {
			msgs[i].Text = truncate(fmt.Sprintf("(%d/%d) %s", i+1, len(msgs), Escape(r.Text)), maxFallback)
		}
	}
	return msgs
}

func renderBlock(b handlers.Block) []slack.Block {
	switch b.Kind {
	case handlers.Heading:
		text := strings.Join(b.Lines, " ")
		// Header blocks are plain text, where Slack's entities would show
		// literally; drop the control characters instead of escaping them.
		text = strings.Map(func(r rune) rune {
			if r == '<' || r == '>' || r == '&' {
				return -1
			}
			return r
		}, text)
		return []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(orSpace(text), maxHeaderText), true, false))}
	case handlers.Paragraph:
		lines := make([]string, len(b.Lines))
		for i, l := range b.Lines {
			lines[i] = Escape(l)
		}
		if len(lines) > 0 {
			lines[0] = toneMark(b.Tone) + lines[0]
		}
		return sections(lines, "", "")
	case handlers.Notes:
		var elems []slack.MixedElement
		var blocks []slack.Block
		for _, l := range b.Lines {
			if len(elems) == maxContextElem {
				blocks = append(blocks, slack.NewContextBlock("", elems...))
				elems = nil
			}
			elems = append(elems, slack.NewTextBlockObject(slack.MarkdownType, truncate(orSpace(Escape(l)), maxSectionText), false, false))
		}
		if len(elems) > 0 {
			blocks = append(blocks, slack.NewContextBlock("", elems...))
		}
		return blocks
	case handlers.Table:
		// A monospace table keeps AWS and Azure side by side per tunnel,
		// which is what on-call compares; fields would wrap it apart.
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(b.Columns, "\t"))
		for _, row := range b.Rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = strings.ReplaceAll(strings.ReplaceAll(c, "`", "'"), "\n", " ")
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		tw.Flush()
		lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
		for i := range lines {
			lines[i] = Escape(strings.TrimRight(lines[i], " "))
		}
		return sections(lines, "```\n", "\n```")
	case handlers.Code:
		// A fence inside a command would end the code block early.
		lines := make([]string, len(b.Lines))
		for i, l := range b.Lines {
			lines[i] = Escape(strings.ReplaceAll(l, "```", "'''"))
		}
		return sections(lines, "```\n", "\n```")
	case handlers.Buttons:
		var elems []slack.BlockElement
		for _, btn := range b.Buttons {
			el := slack.NewButtonBlockElement(btn.ActionID, btn.Value, slack.NewTextBlockObject(slack.PlainTextType, truncate(btn.Label, 75), false, false))
			if btn.Style != "" {
				el.Style = slack.Style(btn.Style)
			}
			if btn.Confirm != "" {
				el.Confirm = slack.NewConfirmationBlockObject(
					slack.NewTextBlockObject(slack.PlainTextType, truncate(btn.Label+"?", 100), false, false),
					slack.NewTextBlockObject(slack.MarkdownType, truncate(Escape(btn.Confirm), 300), false, false),
					slack.NewTextBlockObject(slack.PlainTextType, truncate(btn.Label, 30), false, false),
					slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
			}
			elems = append(elems, el)
		}
		if len(elems) == 0 {
			return nil
		}
		return []slack.Block{slack.NewActionBlock("", elems...)}
	case handlers.Divider:
		return []slack.Block{slack.NewDividerBlock()}
	case handlers.Quote:
		return renderQuote(b)
	}
	return nil
}

// sections packs lines into as few section blocks as fit 3000 characters,
// cutting only between lines (a single overlong line is truncated).
func sections(lines []string, prefix, suffix string) []slack.Block {
	budget := maxSectionText - len(prefix) - len(suffix)
	var out []slack.Block
	var cur []string
	size := 0
	emit := func() {
		if len(cur) == 0 {
			return
		}
		out = append(out, section(prefix+strings.Join(cur, "\n")+suffix))
		cur, size = nil, 0
	}
	for _, l := range lines {
		l = truncate(l, budget)
		if size+len(l)+1 > budget {
			emit()
		}
		cur = append(cur, l)
		size += len(l) + 1
	}
	emit()
	if len(out) == 0 {
		out = append(out, section(" "))
	}
	return out
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, orSpace(text), false, false), nil, nil)
}

func toneMark(t handlers.Tone) string {
	switch t {
	case handlers.ToneBad:
		return ":red_circle: "
	case handlers.ToneWarning:
		return ":warning: "
	case handlers.ToneGood:
		return ":large_green_circle: "
	}
	return ""
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	// Never leave half an escape entity behind.
	if i := strings.LastIndexByte(s[:cut], '&'); i >= 0 && !strings.Contains(s[i:cut], ";") {
		cut = i
	}
	return s[:cut] + "…"
}

func orSpace(s string) string {
	if strings.TrimSpace(s) == "" {
		return " "
	}
	return s
}
