package bot_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/internal/fakeslack"
)

// The approval thread shows the structural diff: a proposal that restates
// the live state says "no change" plainly; one that changes a tunnel's DPD
// names the tunnel, the field, old and new.
func TestApprovalThreadShowsTheStructuralDiff(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	same := submitChange(t, h, st, "healthy-static", "routing: static\n")
	waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == approvalsChannel && m.TS == same.ThreadTS },
		"No change: the proposed end state is the live state")
	dpd := submitChange(t, h, st, "healthy-static", "aws:\n  tunnels:\n    - outside_ip: 198.51.100.11\n      dpd_timeout_seconds: 40\n")
	waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == approvalsChannel && m.TS == dpd.ThreadTS },
		"What changes, field by field", "aws.tunnels[0] (198.51.100.11).dpd_timeout_seconds: 30 → 40")
}

// The change form's window starts from a date and time picker (shown in the
// requester's time zone); the request keeps the moment in UTC.
func TestChangeWindowFromThePicker(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	req := submitChangeWith(t, h, st, "healthy-static", "routing: static\n", "CHG-7", "1796497200|one hour")
	if req.Window != "starts 2026-12-05 19:00 UTC; one hour" {
		t.Errorf("window %q", req.Window)
	}
	form := h.slack.Views()[len(h.slack.Views())-1]
	if !strings.Contains(string(form.View), `"type":"datetimepicker"`) || !strings.Contains(string(form.View), `"block_id":"window_start"`) {
		t.Errorf("the change form has no datetimepicker: %s", form.View)
	}
}
