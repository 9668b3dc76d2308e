package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/doorbot/doorbot/alerts"
)

// Slack identifiers of the alert buttons (docs/slack.md, interface): the
// value is the alert ID.
const (
	AlertAckAction     = "alert_ack"
	AlertSilenceAction = "alert_silence"
)

// AlertRoot is an alert's root message in the alerts channel: what is
// wrong, since when, the likely cause and the next command, its state, and
// the buttons while it is open. Every later change re-renders it in place.
func AlertRoot(a alerts.Alert, now time.Time) Reply {
	head := heading(alertTone(a), fmt.Sprintf("%s — %s", a.Connection, alertTitle(a)))
	head.Icon = alertIcon(a)
	rep := Reply{Text: alertFallback(a, now)}
	rep.Blocks = append(rep.Blocks, head)
	if a.Context.Summary != "" {
		rep.Blocks = append(rep.Blocks, paragraph(ToneNone, a.Context.Summary))
	}
	since := fmt.Sprintf("since %s (%s)", a.Since.UTC().Format("2006-01-02 15:04 MST"), alerts.Human(a.Duration(now)))
	if a.State == alerts.Resolved {
		since = fmt.Sprintf("resolved after %s (%s – %s)", alerts.Human(a.Duration(now)),
			a.Since.UTC().Format("15:04"), a.ResolvedAt.UTC().Format("15:04 MST"))
	}
	rep.Blocks = append(rep.Blocks, paragraph(ToneNone, since))
	if a.State != alerts.Resolved {
		if a.Error != "" {
			rep.Blocks = append(rep.Blocks, paragraph(ToneWarning, "cannot read "+a.Error))
		}
		if len(a.Context.Evidence) > 0 {
			rep.Blocks = append(rep.Blocks, Block{Kind: Paragraph, Lines: a.Context.Evidence})
		}
		if len(a.Context.Causes) > 0 {
			lines := []string{"Likely cause: " + a.Context.Causes[0]}
			for _, c := range a.Context.Causes[1:min(len(a.Context.Causes), 3)] {
				lines = append(lines, "also possible: "+c)
			}
			rep.Blocks = append(rep.Blocks, detail(ToneNone, lines...))
		}
		if a.Context.Next != "" {
			rep.Blocks = append(rep.Blocks, Block{Kind: Code, Lines: strings.Split(a.Context.Next, "\n")})
		}
	}
	rep.Blocks = append(rep.Blocks, WithPeople(Block{Kind: Notes}, alertState(a)))
	if a.State != alerts.Resolved {
		var bs []Button
		if a.AckedBy == "" {
			bs = append(bs, Button{ActionID: AlertAckAction, Label: "Acknowledge", Value: a.ID, Style: "primary"})
		}
		if a.State != alerts.Silenced {
			bs = append(bs, Button{ActionID: AlertSilenceAction, Label: "Silence 1h", Value: a.ID})
		}
		if len(bs) > 0 {
			rep.Blocks = append(rep.Blocks, Block{Kind: Buttons, Buttons: bs})
		}
	}
	return rep
}

// AlertNote is one transition told in the alert's thread (or in a change
// thread): the action's note, and the one-line state. An acknowledgement
// or a silence is told as the state, which names who did it.
func AlertNote(act alerts.Action, now time.Time) Reply {
	a := act.Alert
	line := []Span{Text(a.Connection + ": " + act.Note)}
	byPerson := act.Event == alerts.EventAcknowledged || act.Event == alerts.EventSilenced
	if byPerson {
		line = append([]Span{Text(a.Connection + ": ")}, alertState(a)...)
	}
	b := WithPeople(Block{Kind: Paragraph, Tone: alertTone(a), Icon: alertIcon(a)}, line)
	text := append([]Span{Text(alertIcon(a) + " ")}, line...)
	rep := Reply{Text: PlainText(text), TextSpans: text, Blocks: []Block{b}}
	switch {
	case a.Change != "" && a.State != alerts.Resolved && !a.Rooted:
		rep.Blocks = append(rep.Blocks, notes(fmt.Sprintf("alert %s · routed to change %s while its window is open; not paging", a.ID, a.Change)))
	case byPerson:
		rep.Blocks = append(rep.Blocks, notes("alert "+a.ID))
	default:
		rep.Blocks = append(rep.Blocks, WithPeople(Block{Kind: Notes}, append([]Span{Text("alert " + a.ID + " · ")}, alertState(a)...)))
	}
	return rep
}

func alertTitle(a alerts.Alert) string {
	what := map[alerts.Kind]string{
		alerts.KindDown:       "DOWN: no tunnel up",
		alerts.KindDegraded:   "DEGRADED: redundancy lost",
		alerts.KindFlapping:   "FLAPPING",
		alerts.KindUnobserved: "UNOBSERVED: a side cannot be read",
	}[a.Kind]
	if what == "" {
		what = strings.ToUpper(string(a.Kind))
	}
	if len(a.Tunnels) > 0 {
		what += " (" + strings.Join(a.Tunnels, ", ") + ")"
	}
	if a.State == alerts.Resolved {
		return "RESOLVED: was " + strings.ToLower(what)
	}
	return what
}

// alertFallback is the notification text: "vpn azure-prod: tunnel 2 DOWN".
func alertFallback(a alerts.Alert, now time.Time) string {
	if a.State == alerts.Resolved {
		return fmt.Sprintf("vpn %s: %s resolved after %s", a.Connection, a.Kind, alerts.Human(a.Duration(now)))
	}
	s := fmt.Sprintf("vpn %s: %s", a.Connection, strings.ToUpper(string(a.Kind)))
	if len(a.Tunnels) > 0 {
		s += " — " + strings.Join(a.Tunnels, ", ")
	}
	return s
}

// alertState is the alert's state in one line, naming who acknowledged
// or silenced it.
func alertState(a alerts.Alert) []Span {
	switch a.State {
	case alerts.Acknowledged:
		return []Span{Text("acknowledged by "), Person(a.AckedBy), Text(" at " + a.AckedAt.UTC().Format("15:04 MST"))}
	case alerts.Silenced:
		s := []Span{Text("silenced by "), Person(a.SilencedBy), Text(" until " + a.SilencedUntil.UTC().Format("15:04 MST"))}
		if a.AckedBy != "" {
			s = append(s, Text("; acknowledged by "), Person(a.AckedBy))
		}
		return s
	case alerts.Resolved:
		s := []Span{Text("resolved at " + a.ResolvedAt.UTC().Format("2006-01-02 15:04 MST"))}
		if a.AckedBy != "" {
			s = append(s, Text("; acknowledged by "), Person(a.AckedBy))
		}
		return s
	}
	return []Span{Text("firing, not acknowledged")}
}

func alertIcon(a alerts.Alert) string {
	switch {
	case a.State == alerts.Resolved:
		return "✓"
	case a.Kind == alerts.KindDown:
		return "✗"
	case a.Kind == alerts.KindUnobserved:
		return "?"
	}
	return "▲"
}

func alertTone(a alerts.Alert) Tone {
	switch {
	case a.State == alerts.Resolved:
		return ToneGood
	case a.Kind == alerts.KindDown:
		return ToneBad
	case a.Kind == alerts.KindUnobserved:
		return ToneMuted
	}
	return ToneWarning
}

// AlertsReply lists alerts for /door alerts: open ones first, then the
// recent resolved ones.
func AlertsReply(list []alerts.Alert, now time.Time) Reply {
	if len(list) == 0 {
		b := paragraph(ToneGood, "No open or recent alerts.")
		b.Icon = IconGood
		return Reply{Text: "no open or recent alerts", Blocks: []Block{b}}
	}
	t := Block{Kind: Table, Columns: []string{"alert", "connection", "kind", "state", "since", "for", "acked by"}}
	open := 0
	for _, a := range list {
		if a.State != alerts.Resolved {
			open++
		}
		t.Rows = append(t.Rows, []string{a.ID, a.Connection, string(a.Kind), string(a.State),
			a.Since.UTC().Format("2006-01-02 15:04 MST"), alerts.Human(a.Duration(now)), dash(a.AckedBy)})
	}
	text := fmt.Sprintf("%d open, %d recent alerts", open, len(list)-open)
	return Reply{Text: text, Blocks: []Block{heading(ToneNone, text), t}}
}
