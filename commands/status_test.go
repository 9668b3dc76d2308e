package commands

import (
	"context"
	"testing"
)

func TestStatus(t *testing.T) {
	r, _ := simRegistry(t)
	checkLines(t, r, []lineCase{
		{"/door status tunnel2-down", false, []string{"tunnel2-down — DEGRADED", "IPSEC IS DOWN", "fix:"}, []string{"healthy-static"}},
		{"/door status", false, []string{"healthy-static — HEALTHY\n", "bgp-single-ip — DEGRADED", "soracom-door — HEALTHY", "aws-throttled"}, nil},
		// A verdict drawn from one side says so on its first line, and why.
		{"/door status aws-throttled", false, []string{"aws-throttled — HEALTHY · Azure only: AWS not read (", "RequestLimitExceeded"},
			[]string{"aws-throttled — HEALTHY\n"}},
		{"/door status soracom-door", false, []string{"soracom-door — HEALTHY · Azure view only: the AWS side is owned by SORACOM"},
			[]string{"soracom-door — HEALTHY\n", "AWS not read"}},
		{"/door status nope", true, []string{`unknown connection "nope"; known: healthy-static`}, []string{"HEALTHY"}},
		{"/door status Bad_Name", true, []string{`"Bad_Name" is not a connection name`}, nil},
	})
}

// A slow command says what it reads in the ack; a refusal is decided
// without reading a cloud.
func TestStatusRouting(t *testing.T) {
	r, _ := simRegistry(t)
	cases := []struct {
		line, working string
		refused       bool
	}{
		{"status", "Reading AWS and Azure for every configured connection…", false},
		{"status tunnel2-down soracom-door", "Reading AWS and Azure for tunnel2-down, soracom-door…", false},
		{"status nope", "", true},
	}
	for _, tc := range cases {
		call := r.Route(context.Background(), tc.line, Request{User: "U1"})
		if (call.Answer != nil) != tc.refused || call.Command == nil || !call.Command.Slow {
			t.Errorf("%s: refused %v, command %+v", tc.line, call.Answer != nil, call.Command)
			continue
		}
		if !tc.refused {
			if got := call.Command.Working(call.Request); got != tc.working {
				t.Errorf("%s: working %q, want %q", tc.line, got, tc.working)
			}
		}
	}
}
