package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
)

// Verify with an approved change compares every observed field of its end
// state: the live state itself passes; a change never applied fails and
// says which field differs.
func TestVerifyComparesTheApprovedEndState(t *testing.T) {
	svc, _ := simclient.DemoService(t, simclient.Options{MaxAttempts: 1})
	ctx := context.Background()
	conns, err := svc.Select([]string{"healthy-static"})
	if err != nil {
		t.Fatal(err)
	}
	live := vpn.ProposalFromObservation(svc.Observer.Observe(ctx, conns)[0])
	v, err := svc.Verify(ctx, "healthy-static", &live)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Passed {
		t.Fatalf("the live state as the approved end state does not pass: %+v", v.Items)
	}

	notApplied := vpn.ProposalFromObservation(svc.Observer.Observe(ctx, conns)[0])
	dpd := 40
	notApplied.AWS.Tunnels[0].DPDTimeoutSeconds = &dpd
	notApplied.Azure.Connections[0].ConnectionMode = "ResponderOnly"
	v, err = svc.Verify(ctx, "healthy-static", &notApplied)
	if err != nil {
		t.Fatal(err)
	}
	var item string
	for _, it := range v.Items {
		if it.Name == "the approved end state is live" && !it.OK {
			item = it.Detail
		}
	}
	if v.Passed || !strings.Contains(item, "aws.tunnels[0] (198.51.100.11).dpd_timeout_seconds: 30 live, approved 40") ||
		!strings.Contains(item, "connection_mode: Default live, approved ResponderOnly") {
		t.Errorf("a change never applied: passed %v, detail %q", v.Passed, item)
	}
}
