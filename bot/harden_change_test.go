package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/internal/fakeslack"
)

func find(h *harness, match func(fakeslack.Message) bool) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range h.slack.Messages() {
		if match(m) {
			out = append(out, m)
		}
	}
	return out
}

// waitCount waits until at least n messages match.
func waitCount(t *testing.T, h *harness, n int, match func(fakeslack.Message) bool) {
	t.Helper()
	ctx := wait(t)
	for len(find(h, match)) < n {
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d messages arrived", len(find(h, match)), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// lastForm is the newest view with callbackID.
func lastForm(t *testing.T, h *harness, callbackID string) fakeslack.View {
	t.Helper()
	views := h.slack.Views()
	for i := len(views) - 1; i >= 0; i-- {
		if views[i].CallbackID == callbackID {
			return views[i]
		}
	}
	t.Fatalf("no %s view", callbackID)
	return fakeslack.View{}
}

// Replaying one signed view_submission (Slack's signature stays valid for
// five minutes) creates no second change request and posts nothing new.
func TestReplayedChangeSubmissionCreatesOneRequest(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	ctx := wait(t)
	yaml := "routing: static\nazure:\n  vnet_prefixes: [10.1.0.0/16]\n"
	req := submitChange(t, h, st, "healthy-static", yaml)
	form := lastForm(t, h, "door_change")
	values := map[string]map[string]string{"proposal": {"yaml": yaml}, "reason": {"text": "CHG-42: healthy-static"}, "window": {"text": "Sat 02:00 JST"}}
	for range 4 {
		env, err := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UREQ", form, values))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.slack.WaitAck(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	waitCount(t, h, 4, func(m fakeslack.Message) bool {
		return m.Channel == "UREQ" && strings.Contains(visible(m), "already submitted as change "+req.ID)
	})
	reqs, _ := st.List(ctx)
	roots := find(h, func(m fakeslack.Message) bool { return m.Channel == approvalsChannel && m.ThreadTS == "" })
	if len(reqs) != 1 || len(roots) != 1 {
		t.Errorf("after 4 replays: %d requests, %d thread roots; want 1 and 1", len(reqs), len(roots))
	}
}

// Only the requester and the approvers may verify; a bystander's click
// is refused and the recorded verification stays the approver's.
func TestVerifyByABystanderIsRefused(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	req := submitChange(t, h, st, "healthy-static", "routing: static\n")
	click(t, h, "UAPP1", req.ThreadTS, "change_approve", req.ID)
	waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS && m.Updated > 0 }, "APPROVED", "change_verify")
	click(t, h, "UAPP1", req.ThreadTS, "change_verify", req.ID)
	waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS }, "last verification by @UAPP1")
	before, _ := st.Get(context.Background(), req.ID)

	click(t, h, "UBYSTANDER", req.ThreadTS, "change_verify", req.ID)
	waitText(t, h, ephemeralTo("UBYSTANDER"), "only the requester and the approvers may verify")
	after, _ := st.Get(context.Background(), req.ID)
	if after.Verification == nil || after.Verification.By != before.Verification.By || after.Version != before.Version {
		t.Errorf("a bystander's verify changed the request: before %+v after %+v", before.Verification, after.Verification)
	}
}

// A forged button value of 200 KB is refused without being written to
// the audit log or echoed.
func TestForgedHugeButtonValueIsNotRecorded(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	req := submitChange(t, h, st, "healthy-static", "routing: static\n")
	huge := "CR-" + strings.Repeat("A", 200<<10)
	for _, action := range []string{"change_approve", "change_verify", "change_reject"} {
		click(t, h, "UAPP1", req.ThreadTS, action, huge)
	}
	waitCount(t, h, 3, ephemeralTo("UAPP1"))
	for _, m := range h.slack.Messages() {
		if len(visible(m)) > 10<<10 {
			t.Errorf("a %d-byte message went out (%s)", len(visible(m)), m.Via)
		}
	}
	events, _ := st.Audit(context.Background())
	for _, e := range events {
		if len(e.RequestID)+len(e.Detail) > 1000 {
			t.Errorf("audit event of %d bytes: %s…", len(e.RequestID)+len(e.Detail), e.Kind)
		}
	}
	if got, _ := st.Get(context.Background(), req.ID); got.State != approval.Pending {
		t.Errorf("request changed: %+v", got)
	}
}

// A forged change submission larger than the form allows is refused on
// the form; nothing is stored.
func TestOversizeChangeSubmissionIsRefused(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	ctx := wait(t)
	h.slash(t, ctx, "UREQ", "C0TEAM", "change healthy-static")
	if _, err := h.slack.WaitViews(ctx, 2); err != nil {
		t.Fatal(err)
	}
	form := lastForm(t, h, "door_change")
	var tunnels strings.Builder
	tunnels.WriteString("aws:\n  tunnels:\n")
	for range 3000 {
		tunnels.WriteString("    - {outside_ip: 198.51.100.1}\n")
	}
	cases := []struct {
		name   string
		values map[string]map[string]string
		field  string
	}{
		{"proposal over 3000 characters", map[string]map[string]string{"proposal": {"yaml": tunnels.String()}, "reason": {"text": "x"}}, "3000"},
		{"reason over 1000 characters", map[string]map[string]string{"proposal": {"yaml": "routing: static\n"}, "reason": {"text": strings.Repeat("r", 1001)}}, "at most 1000"},
		{"window over 200 characters", map[string]map[string]string{"proposal": {"yaml": "routing: static\n"}, "reason": {"text": "x"}, "window": {"text": strings.Repeat("w", 201)}}, "at most 200"},
	}
	for _, tc := range cases {
		env, err := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UREQ", form, tc.values))
		if err != nil {
			t.Fatal(err)
		}
		ack, err := h.slack.WaitAck(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(ack.Payload), `"response_action":"errors"`) || !strings.Contains(string(ack.Payload), tc.field) {
			t.Errorf("%s: ack %s", tc.name, ack.Payload)
		}
	}
	if reqs, _ := st.List(ctx); len(reqs) != 0 {
		t.Errorf("%d requests stored", len(reqs))
	}
}
