// Package handlers is what every command runs on, for Slack, the console
// and the CLI alike: the Service (status, validation, runbooks and
// verification, on the domain and the observer) and the platform-neutral
// Reply each answer is built as, with the replies for each kind of answer.
// The commands themselves live in package commands. handlers knows nothing
// of Slack (the bot package renders Block Kit) or terminals (RenderText
// here is the plain-text renderer), and must never import bot or slack-go.
package handlers

import "strings"

// Reply is what a command answers, independent of where it is shown.
// All text is plain: renderers escape it for their medium.
type Reply struct {
	// Text is a one-line fallback (Slack notifications, logs).
	Text   string
	Blocks []Block
	// Thread holds follow-up replies for media that split long answers.
	Thread []Reply
	// Ephemeral asks for a reply only the requester sees (usage errors).
	Ephemeral bool
	// Compact, when set, is the same answer laid out for a phone: no wide
	// tables, one section of labelled fields per row, commands in blocks of
	// their own. Chat media (Slack) render it instead of Blocks; terminals
	// keep Blocks, whose tables line up in a wide window.
	Compact []Block
	// TextSpans, when set, is Text naming people in parts (see Span);
	// Text is then its plain form.
	TextSpans []Span
}

// BlockKind is the shape of a block.
type BlockKind int

const (
	// Heading is a title line.
	Heading BlockKind = iota
	// Paragraph is a run of text; Lines are kept as separate lines.
	Paragraph
	// Table is rows of cells under column names.
	Table
	// Notes are small print: context, references, timestamps.
	Notes
	// Divider separates sections.
	Divider
	// Code is lines to copy and paste exactly (commands).
	Code
	// Buttons are actions a person can take (approve, reject, verify).
	Buttons
	// Quote is text a person typed (a change's reason or window, a
	// rejection's reason) under Label, which is doorbot's own words.
	// Renderers show it as that person's words and never format it, so
	// that it cannot pass for doorbot's lines (an approval count, a
	// decision): its line breaks stay inside the quote.
	Quote
	// Fields is a titled set of labelled values (Lines[0] is the title),
	// shown in two columns where the medium can: one tunnel on a phone.
	Fields
)

// Button is one action. Value carries what the action applies to (a
// change request ID); the server re-checks everything on the click.
type Button struct {
	ActionID string
	Label    string
	Value    string
	Style    string // primary | danger | ""
	// Confirm, when set, asks "are you sure" with this text first.
	Confirm string
	// URL, when set, makes the button a link (a cloud console page); the
	// click still reaches the bot, which only acknowledges it.
	URL string
}

// Tone colours a block where the medium can: a verdict, a finding.
type Tone string

const (
	ToneNone    Tone = ""
	ToneGood    Tone = "good"
	ToneWarning Tone = "warning"
	ToneBad     Tone = "bad"
	ToneMuted   Tone = "muted"
)

// Block is one part of a reply.
type Block struct {
	Kind    BlockKind
	Tone    Tone
	Lines   []string
	Columns []string   // Table
	Rows    [][]string // Table
	Buttons []Button   // Buttons
	// Hanging indents a paragraph's lines after the first (a finding and
	// its fix); otherwise the lines are a flat list.
	Hanging bool
	// Label introduces a Quote.
	Label string
	// Icon is the plain-text mark of the block's verdict or severity (one
	// of the Icon constants), put before the first line. Media with their
	// own icons (Slack emoji) show theirs for it instead, so that a line
	// never carries two.
	Icon string
	// Fields are labelled values: the body of a Fields block, or small
	// print after a Notes block's lines.
	Fields []Field
	// Links follow a Notes block's lines (a finding's reference).
	Links []Link
	// Narrow, when set, is this block laid out for a phone (a finding's
	// checks numbered, each command in a code block of its own): chat
	// media show these blocks instead; terminals show the block itself.
	Narrow []Block
	// Spans holds the lines of a Paragraph or Notes block that name people,
	// in parts (Spans[i] is line i; nil for a line naming nobody). Lines
	// keep every line as plain text, which is what terminals show. Build
	// both with WithPeople.
	Spans [][]Span
}

// Span is a part of a line that names people: plain text, or one person
// or user group. A person is named by the ID Slack gave doorbot (the user
// of a click, an event or a form; slack.approvers) and never by anything
// read from typed text, so only doorbot decides whom a message notifies.
type Span struct {
	Text string
	// Person is a Slack user ID (U…, W…) or user-group ID (S…). Media that
	// can mention show a mention, which notifies them; the others, and
	// Slack for an ID that is not of Slack's form, show "@" and the ID.
	Person string
}

// Text is a span of plain text.
func Text(s string) Span { return Span{Text: s} }

// Person is a span naming a person or user group by Slack ID; "someone"
// when there is no ID.
func Person(id string) Span {
	if id == "" {
		return Span{Text: "someone"}
	}
	return Span{Person: id}
}

// PlainText is spans as plain text: a person as "@" and the ID.
func PlainText(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		if s.Person != "" {
			b.WriteString("@" + s.Person)
			continue
		}
		b.WriteString(s.Text)
	}
	return b.String()
}

// WithPeople is b with lines that name people appended: as plain text in
// Lines and in parts in Spans, line for line.
func WithPeople(b Block, lines ...[]Span) Block {
	if len(b.Spans) < len(b.Lines) {
		b.Spans = append(b.Spans, make([][]Span, len(b.Lines)-len(b.Spans))...)
	}
	for _, l := range lines {
		b.Lines = append(b.Lines, PlainText(l))
		b.Spans = append(b.Spans, l)
	}
	return b
}

// Mentioning is a one-paragraph reply whose line names people, in its
// notification text too (so that Slack notifies them).
func Mentioning(tone Tone, line ...Span) Reply {
	return Reply{Text: PlainText(line), TextSpans: line, Blocks: []Block{WithPeople(Block{Kind: Paragraph, Tone: tone}, line)}}
}

// people are spans naming each of ids, separated by ", ".
func people(ids []string) []Span {
	var out []Span
	for i, id := range ids {
		if i > 0 {
			out = append(out, Text(", "))
		}
		out = append(out, Person(id))
	}
	return out
}

// Icons of verdicts and severities, in plain text.
const (
	IconGood    = "✓"
	IconWarning = "▲"
	IconBad     = "✗"
	IconUnknown = "?"
	IconSide    = "⚠" // a side that could not be read
	IconInfo    = "·"
)

// Field is one labelled value. When At is set (RFC 3339) the value is a
// moment, which media that can show it in the reader's time zone do;
// Value is then its fallback. When Person is set the value is that person
// (a Slack ID, as in Span), shown as a mention where the medium can.
type Field struct {
	Label  string
	Value  string
	At     string
	Person string
}

// Link is a reference to read: media that can link show Label linked to
// URL; others print both.
type Link struct {
	Label string
	URL   string
}

func heading(tone Tone, text string) Block {
	return Block{Kind: Heading, Tone: tone, Lines: []string{text}}
}
func paragraph(tone Tone, lines ...string) Block {
	return Block{Kind: Paragraph, Tone: tone, Lines: lines}
}
func notes(lines ...string) Block { return Block{Kind: Notes, Lines: lines} }

// QuoteBlock shows text a person typed, under a label of doorbot's.
func QuoteBlock(label, text string) Block {
	return Block{Kind: Quote, Label: label, Lines: []string{text}}
}

// detail is a paragraph whose first line is the point and the rest its
// details (fix, reference, evidence).
func detail(tone Tone, lines ...string) Block {
	return Block{Kind: Paragraph, Tone: tone, Lines: lines, Hanging: true}
}
