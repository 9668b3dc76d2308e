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
	form := lastForm(t, h, "door_change")
	if !strings.Contains(string(form.View), `"type":"datetimepicker"`) || !strings.Contains(string(form.View), `"block_id":"window_start"`) {
		t.Errorf("the change form has no datetimepicker: %s", form.View)
	}
}

// The runbook in a change's thread is the change's own: a DPD change on one
// tunnel posts modify-vpn-tunnel-options for that VPN connection and
// tunnel, with its impact and the wait before the other tunnel, and none of
// the generic setup steps.
func TestChangeThreadHasTheChangesRunbook(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	req := submitChange(t, h, st, "healthy-static",
		"aws:\n  tunnels:\n    - outside_ip: 198.51.100.11\n      dpd_timeout_seconds: 40\n    - outside_ip: 203.0.113.11\n")
	inThread := func(m fakeslack.Message) bool {
		return m.Channel == approvalsChannel && m.ThreadTS == req.ThreadTS && m.TS != req.ThreadTS
	}
	waitText(t, h, inThread, "Runbook for this change: healthy-static")
	step := waitText(t, h, inThread, "aws ec2 modify-vpn-tunnel-options --vpn-connection-id vpn-0f3c9a1b2d4e5f601",
		"--vpn-tunnel-outside-ip-address 198.51.100.11", "--tunnel-options '{", `DPDTimeoutSeconds\":40}'`,
		"traffic runs on tunnel 2 (203.0.113.11) meanwhile", "Wait until tunnel 1 (198.51.100.11) is up again")
	if strings.Contains(visible(step), "--vpn-tunnel-outside-ip-address 203.0.113.11") {
		t.Error("the unchanged tunnel is modified")
	}
	for _, m := range h.slack.Thread(approvalsChannel, req.ThreadTS) {
		v := visible(m)
		for _, generic := range []string{"Static routing, two active tunnels", "create-customer-gateway", "az network vnet-gateway create", "put-metric-alarm"} {
			if strings.Contains(v, generic) {
				t.Errorf("the change thread has the generic setup runbook (%q)", generic)
			}
		}
	}
	stored, err := st.Get(wait(t), req.ID)
	if err != nil || stored.Runbook == nil || len(stored.Runbook.Phases) == 0 {
		t.Fatalf("the request does not keep its runbook: %v", err)
	}
}
