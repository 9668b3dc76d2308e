package commands

import (
	"context"
	"testing"
)

func TestWhy(t *testing.T) {
	r, _ := simRegistry(t)
	checkLines(t, r, []lineCase{
		{"/door why psk-mismatch", false, []string{"Why: psk-mismatch — DEGRADED", "psk-mismatch: tunnel 2 (203.0.113.81)", "aws:tunnel-log", "Authentication failed"}, []string{"Not read"}},
		{"/door why no-logs 2", false, []string{"Why: no-logs tunnel 2", "tunnel-down", "Not read", "modify-vpn-tunnel-options", "az monitor diagnostic-settings create"}, nil},
		{"/door why maintenance 198.51.100.111", false, []string{"maintenance: tunnel 1 (198.51.100.111)", "aws:maintenance"}, nil},
		{"/door why proposal-mismatch 2", false, []string{"This tunnel is up"}, []string{"proposal-mismatch:", "gateway-change"}},
		{"/door why soracom-door", false, []string{"soracom: the AWS side of a SORACOM Door connection belongs to SORACOM", "SORACOM support"}, nil},
		{"/door why psk-mismatch 7", true, []string{`tunnel "7" is not a tunnel of psk-mismatch`}, nil},
		{"/door why psk-mismatch not-a-tunnel", true, []string{"usage: /door why NAME [TUNNEL]"}, nil},
		{"/door why", true, []string{"usage: /door why NAME [TUNNEL]"}, nil},
		{"/door why nope", true, []string{`unknown connection "nope"`}, nil},
		// status on a degraded connection points at why; a healthy one does not.
		{"/door status tunnel2-down", false, []string{"/door why tunnel2-down"}, nil},
		{"/door status healthy-static", false, nil, []string{"/door why"}},
		{"/door help", false, []string{"/door why NAME [TUNNEL]"}, nil},
	})
	call := r.Route(context.Background(), "why psk-mismatch 2", Request{User: "U1"})
	if call.Answer != nil || call.Command == nil || !call.Command.Slow {
		t.Fatalf("why is a slow command decided without a refusal: %+v", call)
	}
	if got := call.Command.Working(call.Request); got != "Reading AWS and Azure logs, maintenance and BGP records for psk-mismatch…" {
		t.Errorf("working = %q", got)
	}
}
