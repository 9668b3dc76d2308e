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
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/handlers"
)

// Block Kit limits (docs.slack.dev/reference/block-kit). Messages are cut
// below them so that Slack never answers invalid_blocks.
const (
	maxBlocks        = 50
	maxSectionText   = 3000
	maxHeaderText    = 150
	maxContextElem   = 10
	maxFallback      = 3000 // top-level text; Slack's limit is 4000
	maxSectionFields = 10
	maxFieldText     = 2000
)

// Message is one Slack message: the fallback text (notifications, screen
// readers) and its blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// Escape neutralises Slack's control characters so that text from a user
// or a cloud can neither ping (<!channel>, <@U…>) nor link (<https://x|y>).
func Escape(s string) string { return escaper.Replace(s) }

// escaper is built once: a Replacer builds its lookup table on first use,
// which cost most of a status reply's rendering when made per call.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

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
		blocks := part.Blocks
		if len(part.Compact) > 0 {
			// Slack is read on phones as much as on desks.
			blocks = part.Compact
		}
		for _, b := range blocks {
			add(renderBlock(b)...)
		}
	}
	flush()
	if len(msgs) == 0 {
		msgs = []Message{{Blocks: []slack.Block{section(" ")}}}
	}
	text := Escape(r.Text)
	if len(r.TextSpans) > 0 {
		// The notification names whom it is for, so Slack notifies them.
		text = renderSpans(r.TextSpans)
	}
	for i := range msgs {
		msgs[i].Text = truncate(text, maxFallback)
		if len(msgs) > 1 {
			msgs[i].Text = truncate(fmt.Sprintf("(%d/%d) %s", i+1, len(msgs), text), maxFallback)
		}
	}
	return msgs
}

func renderBlock(b handlers.Block) []slack.Block {
	if len(b.Narrow) > 0 {
		// Slack is read on phones: the block's narrow layout.
		var out []slack.Block
		for _, nb := range b.Narrow {
			out = append(out, renderBlock(nb)...)
		}
		return out
	}
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
		return []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(orSpace(mark(b)+text), maxHeaderText), true, false))}
	case handlers.Paragraph:
		lines := make([]string, len(b.Lines))
		for i := range b.Lines {
			lines[i] = line(b, i)
		}
		if len(lines) > 0 {
			lines[0] = mark(b) + lines[0]
		}
		return sections(lines, "", "")
	case handlers.Fields:
		return fieldSections(b)
	case handlers.Notes:
		var elems []slack.MixedElement
		var blocks []slack.Block
		texts := make([]string, 0, len(b.Lines)+len(b.Fields)+len(b.Links))
		for i := range b.Lines {
			texts = append(texts, line(b, i))
		}
		for _, f := range b.Fields {
			texts = append(texts, strings.TrimSpace(Escape(f.Label)+" "+fieldValue(f)))
		}
		for _, l := range b.Links {
			texts = append(texts, link(l))
		}
		for _, l := range texts {
			if len(elems) == maxContextElem {
				blocks = append(blocks, slack.NewContextBlock("", elems...))
				elems = nil
			}
			elems = append(elems, slack.NewTextBlockObject(slack.MarkdownType, truncate(orSpace(l), maxSectionText), false, false))
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
			if safeURL(btn.URL) {
				el.URL = btn.URL
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

// The one emoji vocabulary of verdicts and severities: a block's plain-text
// Icon becomes its emoji, never both.
var iconEmoji = map[string]string{
	handlers.IconGood:    ":large_green_circle: ",
	handlers.IconWarning: ":large_orange_circle: ",
	handlers.IconBad:     ":red_circle: ",
	handlers.IconUnknown: ":grey_question: ",
	handlers.IconSide:    ":large_orange_circle: ",
	handlers.IconInfo:    "",
}

// mark is the emoji a block starts with: its Icon's, else, for a
// paragraph, its tone's.
func mark(b handlers.Block) string {
	if b.Icon != "" {
		if e, ok := iconEmoji[b.Icon]; ok {
			return e
		}
		return b.Icon + " "
	}
	if b.Kind != handlers.Paragraph {
		return ""
	}
	switch b.Tone {
	case handlers.ToneBad:
		return iconEmoji[handlers.IconBad]
	case handlers.ToneWarning:
		return iconEmoji[handlers.IconWarning]
	case handlers.ToneGood:
		return iconEmoji[handlers.IconGood]
	}
	return ""
}

// fieldSections is a Fields block as section blocks: the title, then the
// fields two by two, ten to a section as Slack allows.
func fieldSections(b handlers.Block) []slack.Block {
	title := ""
	if len(b.Lines) > 0 {
		title = mark(b) + "*" + Escape(strings.Join(b.Lines, " ")) + "*"
	}
	var out []slack.Block
	for start := 0; start < len(b.Fields) || start == 0; start += maxSectionFields {
		end := min(start+maxSectionFields, len(b.Fields))
		var fields []*slack.TextBlockObject
		for _, f := range b.Fields[start:end] {
			text := "*" + Escape(f.Label) + "*\n" + fieldValue(f)
			fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, truncate(text, maxFieldText), false, false))
		}
		var head *slack.TextBlockObject
		if title != "" && start == 0 {
			head = slack.NewTextBlockObject(slack.MarkdownType, truncate(title, maxSectionText), false, false)
		}
		if head == nil && len(fields) == 0 {
			break
		}
		out = append(out, slack.NewSectionBlock(head, fields, nil))
	}
	return out
}

// fieldValue is a field's value; a moment becomes a Slack date token, which
// each reader sees in their own time zone, with the UTC text as fallback.
func fieldValue(f handlers.Field) string {
	if f.Person != "" {
		return mention(f.Person)
	}
	if f.At != "" {
		if t, err := time.Parse(time.RFC3339, f.At); err == nil {
			return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
		}
	}
	return orSpace(Escape(f.Value))
}

// link is a link when its URL is a plain https URL, else the escaped text.
func link(l handlers.Link) string {
	if !safeURL(l.URL) {
		return Escape(strings.TrimSpace(l.Label + " " + l.URL))
	}
	return "<" + l.URL + "|" + Escape(strings.ReplaceAll(l.Label, "|", "/")) + ">"
}

// safeURL admits plain https URLs: the characters of a documentation
// page's address and nothing that could end Slack's link syntax or hide an
// entity (no '&', '<', '>', '|', spaces).
func safeURL(u string) bool {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok || rest == "" || len(u) > 3000 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~/:#?=%+,", r)) {
			return false
		}
	}
	return true
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
	// Never leave half an escape entity or mention behind.
	if i := strings.LastIndexByte(s[:cut], '&'); i >= 0 && !strings.Contains(s[i:cut], ";") {
		cut = i
	}
	if i := strings.LastIndexByte(s[:cut], '<'); i >= 0 && !strings.Contains(s[i:cut], ">") {
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
