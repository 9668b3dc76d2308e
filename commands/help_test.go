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
	h := r.Help("")
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
