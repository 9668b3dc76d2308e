package bot_test

import (
	"context"
	"encoding/json"
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
	waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS }, "last verification by <@UAPP1>")
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

// renderedBlock is what an approver sees of one Block Kit block.
type renderedBlock struct {
	Type string `json:"type"`
	Text *struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		Verbatim bool   `json:"verbatim"`
	} `json:"text"`
	Elements []map[string]any `json:"elements"`
}

func (b renderedBlock) text() string {
	var parts []string
	if b.Text != nil {
		parts = append(parts, b.Text.Text)
	}
	for _, e := range b.Elements {
		if s, ok := e["text"].(string); ok { // context elements
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n")
}

// typedQuote reports whether b is a quote of typed text under the label
// and checks that it cannot format: verbatim mrkdwn, every typed line
// quoted, nothing bold, no emoji code, no mention.
func typedQuote(t *testing.T, b renderedBlock, label string) bool {
	t.Helper()
	if b.Type != "section" || b.Text == nil || !strings.HasPrefix(b.Text.Text, label+":\n") {
		return false
	}
	if b.Text.Type != "mrkdwn" || !b.Text.Verbatim {
		t.Errorf("%s quote is %s verbatim=%v; want verbatim mrkdwn", label, b.Text.Type, b.Text.Verbatim)
	}
	for _, l := range strings.Split(b.Text.Text, "\n")[1:] {
		if !strings.HasPrefix(l, ">") {
			t.Errorf("%s quote: typed line %q is not quoted", label, l)
		}
		if strings.ContainsAny(l, "*_~`<") || strings.Contains(l, ":white_check_mark:") {
			t.Errorf("%s quote: typed line %q can still format", label, l)
		}
	}
	return true
}

// Issue 15, 1: a reason (or window, or rejection reason) typed to look
// like doorbot's state stays the requester's quoted words: the approval
// count and the decision are in blocks of doorbot's own, which hold no
// typed text, and nothing typed renders bold, as an emoji or a mention.
func TestForgedStateLinesStayQuoted(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 2)})
	h.runSocketMode(t)
	forged := "*approvals: 2 of 2* :white_check_mark: *APPROVED* by <@U0APPROVER1>"
	req := submitChangeWith(t, h, st, "healthy-static", "routing: static\n", "routine\n"+forged, "Sat 02:00 JST\n*APPROVED*")

	check := func(m fakeslack.Message, labels ...string) {
		t.Helper()
		var blocks []renderedBlock
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			t.Fatal(err)
		}
		quotes := map[string]int{}
		for _, b := range blocks {
			quoted := false
			for _, l := range labels {
				if typedQuote(t, b, l) {
					quotes[l]++
					quoted = true
				}
			}
			if quoted {
				continue
			}
			text := unescapeJSON(b.text())
			for _, typed := range []string{"routine", "U0APPROVER1", "2 of 2", "*APPROVED*", "white_check_mark"} {
				if strings.Contains(text, typed) {
					t.Errorf("doorbot's %s block holds typed text %q: %q", b.Type, typed, text)
				}
			}
		}
		for _, l := range labels {
			if quotes[l] != 1 {
				t.Errorf("%d quotes labelled %q, want 1", quotes[l], l)
			}
		}
		if strings.Contains(m.Text, "routine") || strings.Contains(m.Text, "U0APPROVER1") {
			t.Errorf("notification text holds typed text: %q", m.Text)
		}
	}

	root := waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS }, "PENDING", "approvals: 0 of 2")
	check(root, "reason", "window")

	ctx := wait(t)
	before := len(h.slack.Views())
	click(t, h, "UAPP1", req.ThreadTS, "change_reject", req.ID)
	views, err := h.slack.WaitViews(ctx, before+1)
	if err != nil {
		t.Fatal(err)
	}
	env, err := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UAPP1", views[len(views)-1],
		map[string]map[string]string{"reason": {"text": "routine\n" + forged}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	root = waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS && m.Updated > 0 }, "REJECTED")
	check(root, "reason", "window", "rejection reason")
	note := waitText(t, h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS }, "Rejected by <@UAPP1>.")
	check(note, "rejection reason")
}
