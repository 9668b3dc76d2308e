package handlers_test

import (
	"context"
	"testing"

	"github.com/doorbot/doorbot/internal/simclient"
)

// The status reply's Runbook button gets the runbook for the routing the
// connection runs now, from one read of the clouds: no more than a status
// of that connection costs.
func TestLiveRunbookPicksTheRunningRoutingFromOneRead(t *testing.T) {
	for _, tc := range []struct{ name, kind string }{
		{"healthy-static", "static"},
		{"bgp-single-ip", "migrate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, srv := simclient.DemoService(t, simclient.Options{MaxAttempts: 1})
			ctx := context.Background()
			// The first read also signs in; the second is what a read costs.
			if _, err := svc.Status(ctx, []string{tc.name}); err != nil {
				t.Fatal(err)
			}
			before := len(srv.Requests())
			if _, err := svc.Status(ctx, []string{tc.name}); err != nil {
				t.Fatal(err)
			}
			oneRead := len(srv.Requests()) - before
			before += oneRead
			rb, kind, err := svc.LiveRunbook(ctx, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if kind != tc.kind || len(rb.Phases) == 0 {
				t.Errorf("kind %q with %d phases, want a %s runbook", kind, len(rb.Phases), tc.kind)
			}
			if n := len(srv.Requests()) - before; n != oneRead {
				t.Errorf("%d cloud requests for the runbook, a status reads with %d", n, oneRead)
			}
		})
	}
}
