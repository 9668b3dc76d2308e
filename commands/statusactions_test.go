package commands

import (
	"context"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/handlers"
)

// A status reply's buttons outlive the config: a click naming a
// connection no longer configured is told so, and a configured one is
// answered with that connection.
func TestStatusButtonsCheckTheName(t *testing.T) {
	r, _ := simRegistry(t)
	cases := []struct {
		action, value string
		want          string
	}{
		{handlers.StatusRefreshAction, "removed-yesterday", "that connection is no longer configured"},
		{handlers.StatusWhyAction, "removed-yesterday", "that connection is no longer configured"},
		{handlers.StatusRunbookAction, "removed-yesterday", "that connection is no longer configured"},
		{handlers.StatusRefreshAction, "healthy-static", "healthy-static"},
		{handlers.StatusWhyAction, "psk-mismatch", "Why: psk-mismatch"},
		{handlers.StatusRunbookAction, "healthy-static", "The static runbook, for the routing healthy-static runs now"},
	}
	for _, tc := range cases {
		a, ok := r.Action(tc.action)
		if !ok {
			t.Fatalf("no action %s", tc.action)
		}
		out := a.Run(context.Background(), Click{ActionID: tc.action, Value: tc.value, User: "U0ONCALL", Channel: "C0OPS00001", MessageTS: "1.2"})
		var rep *handlers.Reply
		switch {
		case out.Replace != nil:
			rep = out.Replace
		case out.Answer != nil:
			rep = &out.Answer.Reply
		default:
			t.Fatalf("%s %s: no answer", tc.action, tc.value)
		}
		if got := text(t, *rep); !strings.Contains(got, tc.want) {
			t.Errorf("%s %s: answer lacks %q:\n%s", tc.action, tc.value, tc.want, got)
		}
	}
}
