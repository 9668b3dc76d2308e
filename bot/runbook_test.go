package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/internal/fakeslack"
)

// A runbook posts as a parent with the summary and one thread reply per
// phase, within Block Kit limits (the harness fails on any violation).
func TestRunbookPostsAThreadPerPhase(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)
	ack := h.slash(t, ctx, "U0ONCALL", "C0CHANGES", "runbook migrate bgp-single-ip")
	if !strings.Contains(string(ack.Payload), "bgp-single-ip (migrate runbook)") {
		t.Errorf("ack %s", ack.Payload)
	}
	msgs, err := h.slack.WaitMessages(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	parent := msgs[0]
	if parent.Via != "chat.postMessage" || parent.Channel != "C0CHANGES" || parent.ThreadTS != "" {
		t.Fatalf("parent via %s in %s thread %q", parent.Via, parent.Channel, parent.ThreadTS)
	}
	// The replies arrive one by one; wait for the whole runbook.
	wants := []string{"Phase 1", "203.0.113.31", "rg-bgp-single-ip", "POINT OF NO RETURN", "rollback:"}
	for {
		thread := h.slack.Thread(parent.Channel, parent.TS)
		all := visible(parent) + joinVisible(thread)
		var missing []string
		for _, w := range wants {
			if !strings.Contains(all, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 && len(thread) >= 3 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("runbook thread (%d replies) lacks %q", len(thread), missing)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func joinVisible(ms []fakeslack.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(visible(m))
	}
	return b.String()
}
