package bot_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/internal/fakeslack"
)

// Issue 14: only people doorbot names by the IDs Slack gave it are
// mentioned. Mentions and pings typed into a reason, a window, a
// rejection reason or a proposal's names stay text that notifies nobody.
func TestTypedMentionsNotifyNobody(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	ctx := wait(t)
	forged := "<@U0BOSS> <@W0BOSS|boss> <!subteam^S0BOSS> <!subteam^S0BOSS|@ops> <!channel> <!here> <!everyone>"
	inert := []string{"U0BOSS", "W0BOSS", "S0BOSS", "!channel", "!here", "!everyone"}

	// A proposal naming a gateway with a mention is refused in the form.
	before := len(h.slack.Views())
	h.slash(t, ctx, "UREQ", "C0TEAM", "change healthy-static")
	if _, err := h.slack.WaitViews(ctx, before+2); err != nil {
		t.Fatal(err)
	}
	for _, yaml := range []string{
		"azure:\n  local_network_gateways:\n    - name: '<@U0BOSS>'\n      gateway_ip: 198.51.100.11\n",
		"azure:\n  connections:\n    - name: '<!subteam^S0BOSS>'\n",
		"connection: '<!channel>'\n",
	} {
		env, err := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UREQ", lastForm(t, h, "door_change"),
			map[string]map[string]string{"proposal": {"yaml": yaml}, "reason": {"text": "x"}}))
		if err != nil {
			t.Fatal(err)
		}
		ack, err := h.slack.WaitAck(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(ack.Payload), `"proposal"`) {
			t.Errorf("a proposal with a mention in a name was accepted: %s", ack.Payload)
		}
	}

	req := submitChangeWith(t, h, st, "healthy-static", "routing: static\n", "CHG-1 "+forged, "Sat "+forged)
	root := waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS }, "PENDING", "&lt;@U0BOSS&gt;", "&lt;!channel&gt;")
	if got := strings.Join(root.Mentions(), ","); got != "UREQ,UAPP1,UAPP2,S0NETOPS" {
		t.Errorf("the root mentions %s, want the requester and the approvers alone", got)
	}

	before = len(h.slack.Views())
	click(t, h, "UAPP1", req.ThreadTS, "change_reject", req.ID)
	if _, err := h.slack.WaitViews(ctx, before+1); err != nil {
		t.Fatal(err)
	}
	env, err := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UAPP1", lastForm(t, h, "door_change_reject"),
		map[string]map[string]string{"reason": {"text": "no " + forged}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	root = waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS && m.Updated > 0 }, "REJECTED", "rejected by <@UAPP1>")
	if got := strings.Join(root.Mentions(), ","); got != "UREQ,UAPP1" {
		t.Errorf("the rejected root mentions %s, want the requester and the rejecter", got)
	}
	note := waitText(t, h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS }, "Rejected by <@UAPP1>.", "no &lt;@U0BOSS&gt;")
	if got := strings.Join(note.Mentions(), ","); got != "UREQ,UAPP1" {
		t.Errorf("the rejection in the thread mentions %s, want the requester and the rejecter", got)
	}

	for _, m := range h.slack.Messages() {
		for _, who := range inert {
			if m.Mentioned(who) {
				t.Errorf("a %s message (%q) mentions %s, which only typed text named", m.Via, m.Text, who)
			}
		}
	}
}
