package changes_test

import (
	"context"
	"testing"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/vpn/runbook"
)

// Alerts go to a change's thread while it is under way: approved, inside
// its window, and not yet verified as done.
func TestActiveChange(t *testing.T) {
	f := newFixture(t, 1)
	f.svc.ActiveFor = 2 * time.Hour
	ctx := context.Background()
	active := func(name string, at time.Time) string {
		t.Helper()
		r, ok, err := f.svc.ActiveChange(ctx, name, at)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ""
		}
		return r.ID
	}
	req := f.submit(t, "healthy-static", "routing: static\n")
	if id := active("healthy-static", f.clock.Now()); id != "" {
		t.Errorf("a pending change is under way: %s", id)
	}
	approved, err := f.click(handlers.ActionApprove, "UAPP1", req)
	if err != nil {
		t.Fatal(err)
	}
	at := approved.DecidedAt
	cases := []struct {
		name string
		conn string
		at   time.Time
		want string
	}{
		{"just approved", "healthy-static", at, req.ID},
		{"inside the window", "healthy-static", at.Add(2*time.Hour - time.Second), req.ID},
		{"window over", "healthy-static", at.Add(2 * time.Hour), ""},
		{"before approval", "healthy-static", at.Add(-time.Second), ""},
		{"another connection", "tunnel2-down", at, ""},
	}
	for _, c := range cases {
		if got := active(c.conn, c.at); got != c.want {
			t.Errorf("%s: active %q, want %q", c.name, got, c.want)
		}
	}
	r, _, _ := f.svc.ActiveChange(ctx, "healthy-static", at)
	if r.Channel != channel || r.ThreadTS != req.ThreadTS {
		t.Errorf("the thread to post in: %s %s", r.Channel, r.ThreadTS)
	}
	f.svc.RecordVerification(ctx, req.ID, runbook.Verification{Passed: true})
	if id := active("healthy-static", at); id != "" {
		t.Errorf("a change verified as done is still under way")
	}
	// runbook verify finds the approved change and its end state.
	if id, end, ok := f.svc.ApprovedEnd(ctx, "healthy-static"); !ok || id != req.ID || end == nil || end.Connection != "healthy-static" {
		t.Errorf("approved end state: %q %v %v", id, end, ok)
	}
	if got, _ := f.store.Get(ctx, req.ID); got.Verification == nil || !got.Verification.Passed || got.State != approval.Approved {
		t.Errorf("verification not recorded: %+v", got.Verification)
	}
}
