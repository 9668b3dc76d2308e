package bot

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/vpn"
)

// Only a person doorbot names by ID becomes a mention, and only when the
// ID has Slack's form; anything else is escaped text.
func TestMentionOnlyForSlackIDs(t *testing.T) {
	cases := []struct{ id, want string }{
		{"U0123ABCD", "<@U0123ABCD>"},
		{"W0123ABCD", "<@W0123ABCD>"},
		{"UREQ", "<@UREQ>"},
		{"S0NETOPS", "<!subteam^S0NETOPS>"},
		{"U" + strings.Repeat("A", 20), "<@U" + strings.Repeat("A", 20) + ">"},
		{"U" + strings.Repeat("A", 21), "@U" + strings.Repeat("A", 21)}, // too long for an ID
		{"U", "@U"},
		{"u0123abcd", "@u0123abcd"},
		{"C0123ABCD", "@C0123ABCD"}, // a channel is nobody
		{"T0123ABCD", "@T0123ABCD"},
		{"U0123>", "@U0123&gt;"},
		{"U0123|boss", "@U0123|boss"},
		{"U0 123", "@U0 123"},
		{"<!channel>", "@&lt;!channel&gt;"},
		{"S0^U1", "@S0^U1"},
		{"!subteam^S1", "@!subteam^S1"},
		{"U0Ü23", "@U0Ü23"},
	}
	for _, c := range cases {
		if got := mention(c.id); got != c.want {
			t.Errorf("mention(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}

func TestPeopleRenderAsMentionsAndTextStaysInert(t *testing.T) {
	b := handlers.WithPeople(handlers.Block{Kind: handlers.Paragraph, Lines: []string{"typed <@U0BOSS> <!channel>"}},
		[]handlers.Span{handlers.Text("approved by "), handlers.Person("UAPP1"), handlers.Text(" <!subteam^S0BOSS> <@U0BOSS>")},
		[]handlers.Span{handlers.Text("asks "), handlers.Person("S0NETOPS"), handlers.Text(" and "), handlers.Person("U0BOSS> <!channel")})
	r := handlers.Reply{Text: "fallback <@U0BOSS>", Blocks: []handlers.Block{b, handlers.WithPeople(handlers.Block{Kind: handlers.Notes},
		[]handlers.Span{handlers.Text("verified by "), handlers.Person("UAPP2")})}}
	out := blocksJSON(t, Render(r))
	plain := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(out)
	for _, want := range []string{
		"typed &lt;@U0BOSS&gt; &lt;!channel&gt;",
		"approved by <@UAPP1> &lt;!subteam^S0BOSS&gt; &lt;@U0BOSS&gt;",
		"asks <!subteam^S0NETOPS> and @U0BOSS&gt; &lt;!channel",
		"verified by <@UAPP2>",
		"fallback &lt;@U0BOSS&gt;",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("rendered reply lacks %q:\n%s", want, plain)
		}
	}
	for _, bad := range []string{"<@U0BOSS", "<!channel", "<!subteam^S0BOSS"} {
		if strings.Contains(plain, bad) {
			t.Errorf("%q became an entity:\n%s", bad, plain)
		}
	}
}

// The notification text names whom a reply is for as mentions, so that
// Slack notifies them; typed text in it stays escaped.
func TestNotificationTextMentions(t *testing.T) {
	r := handlers.Mentioning(handlers.ToneNone, handlers.Person("UREQ"), handlers.Text(": change CR-1 <!here> is approved"))
	msgs := Render(r)
	if want := "<@UREQ>: change CR-1 &lt;!here&gt; is approved"; msgs[0].Text != want {
		t.Errorf("notification text %q, want %q", msgs[0].Text, want)
	}
	home := handlers.Block{Kind: handlers.Fields, Lines: []string{"alert"}, Fields: []handlers.Field{
		{Label: "Acknowledged by", Value: "@U0ONCALL", Person: "U0ONCALL"},
		{Label: "Typed", Value: "<@U0BOSS>"},
	}}
	plain := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(blocksJSON(t, Render(handlers.Reply{Blocks: []handlers.Block{home}})))
	if !strings.Contains(plain, `*Acknowledged by*\n<@U0ONCALL>`) || !strings.Contains(plain, "&lt;@U0BOSS&gt;") {
		t.Errorf("fields: %s", plain)
	}
}

// A cut never leaves half a mention (or link) behind.
func TestTruncateKeepsEntitiesWhole(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"by <@U0123ABCD> now", 12, "by …"},
		{"by <@U0123ABCD> now", 18, "by <@U0123ABCD>…"},
		{"a &lt;b", 6, "a …"},
	} {
		if got := truncate(c.s, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

// Whatever the text and the ID, a line holds at most the one entity of a
// well-formed ID, and never one that the text brought.
func FuzzSpans(f *testing.F) {
	for _, seed := range [][2]string{{"by ", "U0123ABCD"}, {"<@U0BOSS>", "S0NETOPS"}, {"<!channel>", "U0>|<!here"}, {"&lt;@U1&gt;", ""}, {"a", "W1"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, text, id string) {
		out := renderSpans([]handlers.Span{handlers.Text(text), handlers.Person(id), handlers.Text(text)})
		want := ""
		switch {
		case slackID(id, "UW"):
			want = "<@" + id + ">"
		case slackID(id, "S"):
			want = "<!subteam^" + id + ">"
		}
		rest := strings.Replace(out, want, "", 1)
		if want != "" && rest == out {
			t.Fatalf("%q: no mention of %q", out, id)
		}
		if strings.ContainsAny(rest, "<>") {
			t.Fatalf("%q: an entity besides the person's", out)
		}
	})
}

// Who acknowledged or silenced an alert is a mention on the root, in the
// thread reply for the click and on the Home tab; the terminal keeps @ID.
func TestAlertActorsAreMentions(t *testing.T) {
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	a := alerts.Alert{ID: "AL-1", Connection: "prod", Kind: alerts.KindDown, State: alerts.Silenced, Since: now.Add(-time.Hour),
		AckedBy: "U0ONCALL", AckedAt: now, SilencedBy: "W0LEAD", SilencedUntil: now.Add(time.Hour)}
	unescape := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace
	for name, c := range map[string]struct {
		reply handlers.Reply
		want  []string
	}{
		"root":  {handlers.AlertRoot(a, now), []string{"silenced by <@W0LEAD> until 04:00 UTC; acknowledged by <@U0ONCALL>"}},
		"reply": {handlers.AlertNote(alerts.Action{Event: alerts.EventSilenced, Alert: a, Note: "silenced by @W0LEAD until 04:00 UTC"}, now), []string{"prod: silenced by <@W0LEAD>"}},
		"home":  {handlers.Reply{Blocks: handlers.HomeView(vpn.Report{}, nil, []alerts.Alert{a}, nil, now)}, []string{`*Acknowledged by*\n<@U0ONCALL>`}},
	} {
		out := unescape(blocksJSON(t, Render(c.reply)))
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, out)
			}
		}
		var text bytes.Buffer
		if err := handlers.RenderText(&text, c.reply); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text.String(), "<@") || !strings.Contains(text.String(), "@U0ONCALL") {
			t.Errorf("%s in a terminal:\n%s", name, text.String())
		}
	}
}
