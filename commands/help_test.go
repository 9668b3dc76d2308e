package commands

import (
	"context"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	r, _ := simRegistry(t)
	checkLines(t, r, []lineCase{
		{"/door frob", true, []string{`unknown subcommand "frob"`, "/door status [NAME...]"}, nil},
		{"/door", false, []string{"/door status [NAME...]"}, []string{"unknown"}},
		{"/door --help", false, []string{"/door runbook KIND NAME  the steps", "/door change NAME"}, nil},
	})
	// Help is made from the registered commands: every one is listed once,
	// in the fallback text too.
	h := r.Help()
	for _, c := range r.commands {
		if strings.Count(text(t, h), c.Usage+" ") != 1 || !strings.Contains(h.Text, c.Usage) {
			t.Errorf("help lists %q %d times", c.Usage, strings.Count(text(t, h), c.Usage))
		}
	}
	if call := r.Route(context.Background(), "help", Request{}); call.Answer != nil || call.Command.Slow || call.Label != "help" {
		t.Errorf("help is answered at once: %+v", call)
	}
}

func TestRouteLabels(t *testing.T) {
	r, _ := simRegistry(t)
	for line, want := range map[string]string{"frob": "unknown", "status \xff": "invalid", "STATUS": "status", "": "help"} {
		if got := r.Route(context.Background(), line, Request{}).Label; got != want {
			t.Errorf("%q: label %q, want %q", line, got, want)
		}
	}
}

// A usage error is its one line plus the names there are, never the whole
// help again; help itself lists the configured connections.
func TestUsageErrorIsOneLinePlusKnown(t *testing.T) {
	r, svc := simRegistry(t)
	all := make([]string, len(svc.Connections))
	for i, c := range svc.Connections {
		all[i] = c.Name
	}
	known := "known: " + strings.Join(all, ", ")
	for _, tc := range []struct{ line, first, known string }{
		{"/door status nope", `unknown connection "nope"`, known},
		{"/door why", "usage: /door why NAME [TUNNEL]", known},
		{"/door runbook sideways healthy-static", "usage: /door runbook static|migrate|verify NAME", known},
		{"/door frob", `unknown subcommand "frob"`, "known: /door status [NAME...] · /door why NAME [TUNNEL]"},
	} {
		rep := r.Handle(context.Background(), tc.line, Request{User: "U0ONCALL"})
		lines := strings.Split(strings.TrimSpace(text(t, rep)), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], tc.first) || !strings.Contains(lines[0]+lines[1], tc.known) || !rep.Ephemeral {
			t.Errorf("%s:\n%s", tc.line, strings.Join(lines, "\n"))
		}
		if strings.Count(lines[0]+lines[1], "known: ") != 1 {
			t.Errorf("%s: known listed twice: %q", tc.line, lines)
		}
	}
	if h := text(t, r.Help()); !strings.Contains(h, "Connections: "+strings.Join(all, ", ")) {
		t.Errorf("help does not list the connections:\n%s", h)
	}
}
