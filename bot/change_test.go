package bot_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/changes/changestest"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/store"
)

const approvalsChannel = "C0APPROVALS"

func openStore(t testing.TB, path string) store.Store {
	t.Helper()
	return openDriver(t, "sqlite", path)
}

func approvals(st store.Store, required int) *changeSetup {
	return &changeSetup{store: st, required: required}
}

// submitChange runs /door change NAME as UREQ and submits the form; it
// returns the stored request once its thread root is posted.
func submitChange(t *testing.T, h *harness, st store.Store, name, yaml string) approval.Request {
	t.Helper()
	return submitChangeWith(t, h, st, name, yaml, "CHG-42: "+name, "Sat 02:00 JST")
}

// submitChangeWith is submitChange with the reason and window given.
func submitChangeWith(t *testing.T, h *harness, st store.Store, name, yaml, reason, window string) approval.Request {
	t.Helper()
	ctx := wait(t)
	form := openChangeForm(t, h, name)
	if form.CallbackID != "door_change" || form.PrivateMetadata != name {
		t.Fatalf("change form: callback %q metadata %q", form.CallbackID, form.PrivateMetadata)
	}
	for _, id := range []string{`"block_id":"proposal"`, `"block_id":"reason"`, `"block_id":"window"`, `"action_id":"yaml"`, `"action_id":"text"`} {
		if !strings.Contains(string(form.View), id) {
			t.Errorf("change form lacks %s", id)
		}
	}
	send := func(values map[string]map[string]string) string { return submitForm(t, h, form, values) }
	if ack := send(map[string]map[string]string{"proposal": {"yaml": yaml}, "reason": {"text": ""}}); !strings.Contains(ack, `"reason"`) {
		t.Errorf("a change without a reason was accepted: %s", ack)
	}
	if ack := send(map[string]map[string]string{"proposal": {"yaml": "routing: [bgp"}, "reason": {"text": "x"}}); !strings.Contains(ack, `"proposal"`) {
		t.Errorf("malformed YAML accepted: %s", ack)
	}
	existing, _ := st.List(ctx)
	values := map[string]map[string]string{"proposal": {"yaml": yaml}, "reason": {"text": reason}, "window": {"text": window}}
	if start, text, ok := strings.Cut(window, "|"); ok {
		// "UNIX|text": the window's start picked in the form's
		// datetimepicker, then the free text.
		values["window_start"] = map[string]string{"datetime": start}
		values["window"]["text"] = text
	}
	send(values)
	// The new request is the one not listed before (a test clock may
	// give several requests the same creation time).
	known := map[string]bool{}
	for _, r := range existing {
		known[r.ID] = true
	}
	for {
		reqs, _ := st.List(ctx)
		for _, r := range reqs {
			if !known[r.ID] && r.ThreadTS != "" {
				// Settled once the form shows the results.
				waitView(t, h, 0, func(v fakeslack.View) bool {
					return v.Method == "views.update" && v.ID == form.ID && strings.Contains(string(v.View), r.ID)
				})
				return r
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("the change request was never posted")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func click(t *testing.T, h *harness, user, ts, action, id string) {
	t.Helper()
	ctx := wait(t)
	env, err := h.slack.SendInteractive(ctx, fakeslack.BlockActionsPayload(user, approvalsChannel, ts, action, id, h.slack.ResponseURL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
}

// waitText waits for a message (new or updated) containing every want.
func waitText(t *testing.T, h *harness, match func(fakeslack.Message) bool, want ...string) fakeslack.Message {
	t.Helper()
	m, err := h.slack.WaitMessage(wait(t), func(m fakeslack.Message) bool {
		if match != nil && !match(m) {
			return false
		}
		v := visible(m)
		for _, w := range want {
			if !strings.Contains(v, w) {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Fatalf("no message with %q", want)
	}
	return m
}

func ephemeralTo(user string) func(fakeslack.Message) bool {
	return func(m fakeslack.Message) bool { return m.Via == "chat.postEphemeral" && m.User == user }
}

func TestChangeApprovalFlow(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 2)})
	h.slack.SetUserGroup("S0NETOPS", []string{"UGRP"})
	h.runSocketMode(t)

	req := submitChange(t, h, st, "healthy-static", "routing: static\nazure:\n  vnet_prefixes: [10.1.0.0/16]\n")
	root := waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == approvalsChannel && m.TS == req.ThreadTS },
		req.ID, "healthy-static", "PENDING", "requested by <@UREQ>", "approvers: <@UAPP1>, <@UAPP2>, <@UREQ>, <!subteam^S0NETOPS>",
		"CHG-42", "Sat 02:00 JST", "change_approve", "change_reject")
	if !strings.Contains(string(root.Blocks), `"value":"`+req.ID+`"`) {
		t.Errorf("buttons do not carry the request ID")
	}
	// Real mentions: the post notifies the requester and every approver,
	// the user group too.
	if got := root.Mentions(); strings.Join(got, ",") != "UREQ,UAPP1,UAPP2,S0NETOPS" {
		t.Errorf("the root mentions %q, want the requester and the approvers", got)
	}
	waitText(t, h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS }, "Runbook for this change: healthy-static", "No change")
	waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == "UREQ" }, req.ID, "posted for approval")

	refusals := []struct{ user, ts, id, want string }{
		{"URANDOM", req.ThreadTS, req.ID, "not one of"},
		{"UREQ", req.ThreadTS, req.ID, "someone else must approve"},
		{"UAPP1", req.ThreadTS, "CR-0000000000", "no change request CR-0000000000"},
		{"UAPP1", req.ThreadTS, "CR-FORGED", "does not carry a change request ID"},
		{"UAPP1", "1111111111.000100", req.ID, "does not belong"},
	}
	for _, r := range refusals {
		click(t, h, r.user, r.ts, "change_approve", r.id)
		waitText(t, h, ephemeralTo(r.user), r.want)
	}
	if got, _ := st.Get(context.Background(), req.ID); len(got.Approvals) != 0 || got.State != approval.Pending {
		t.Fatalf("refused clicks changed the request: %+v", got)
	}

	click(t, h, "UAPP1", req.ThreadTS, "change_approve", req.ID)
	first := waitText(t, h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS }, "Approved by <@UAPP1> (1 of 2)")
	if got := first.Mentions(); strings.Join(got, ",") != "UAPP1" {
		t.Errorf("a first approval of two mentions %q, want the approver alone", got)
	}
	click(t, h, "UAPP1", req.ThreadTS, "change_approve", req.ID)
	waitText(t, h, ephemeralTo("UAPP1"), "already approved")

	// A member of an approver user group counts.
	click(t, h, "UGRP", req.ThreadTS, "change_approve", req.ID)
	root = waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS && m.Updated > 0 }, "APPROVED", "change_verify",
		"approvals: 2 of 2 (<@UAPP1>, <@UGRP>)")
	if strings.Contains(visible(root), "approvers:") {
		t.Errorf("an approved root still asks the approvers: %s", visible(root))
	}
	// The requester is told in the thread, by a mention that notifies them.
	told := waitText(t, h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS && m.Mentioned("UREQ") },
		"Approved by <@UGRP> (2 of 2).", "<@UREQ>: change "+req.ID+" is approved")
	if !strings.HasPrefix(told.Text, "<@UREQ>: change "+req.ID+" is approved") {
		t.Errorf("the notification text %q does not lead with the requester", told.Text)
	}
	click(t, h, "UAPP2", req.ThreadTS, "change_approve", req.ID)
	waitText(t, h, ephemeralTo("UAPP2"), "already approved")

	click(t, h, "UAPP2", req.ThreadTS, "change_verify", req.ID)
	waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS }, "last verification by <@UAPP2>")
	// A passed verification is no news for the requester: only the
	// approval named them in the thread.
	if n := len(find(h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS && m.Mentioned("UREQ") })); n != 1 {
		t.Errorf("%d thread replies mention the requester, want the approval's alone", n)
	}
	got, _ := st.Get(context.Background(), req.ID)
	if got.State != approval.Approved || strings.Join(got.Approvals, ",") != "UAPP1,UGRP" || got.Verification == nil {
		t.Errorf("stored request %+v", got)
	}
	events, _ := st.Audit(context.Background())
	kinds := map[string]int{}
	for _, e := range events {
		kinds[e.Kind]++
	}
	if kinds["created"] != 1 || kinds["approval"] != 1 || kinds["approved"] != 1 || kinds["refused"] < 6 || kinds["verified"] != 1 {
		t.Errorf("audit %v", kinds)
	}
}

func TestChangeWithErrorFindingsCannotBeApproved(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	req := submitChange(t, h, st, "bgp-single-ip", "routing: bgp\n")
	if req.Verdict != "fail" {
		t.Fatalf("BGP over one public IP: verdict %s", req.Verdict)
	}
	waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS }, "bgp-needs-active-active", "cannot be approved")
	click(t, h, "UAPP1", req.ThreadTS, "change_approve", req.ID)
	waitText(t, h, ephemeralTo("UAPP1"), "error findings")
}

func TestChangeRejectAndExpire(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	clk := changestest.NewClock(time.Now())
	cs := approvals(st, 1)
	cs.now = clk.Now
	h := newHarness(t, setup{changes: cs})
	h.runSocketMode(t)
	ctx := wait(t)

	req := submitChange(t, h, st, "healthy-static", "routing: static\n")
	before := len(h.slack.Views())
	click(t, h, "UAPP1", req.ThreadTS, "change_reject", req.ID)
	views, err := h.slack.WaitViews(ctx, before+1)
	if err != nil {
		t.Fatal(err)
	}
	form := views[len(views)-1]
	env, _ := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UAPP1", form, map[string]map[string]string{"reason": {"text": " "}}))
	if ack, _ := h.slack.WaitAck(ctx, env); !strings.Contains(string(ack.Payload), "needs a reason") {
		t.Errorf("empty rejection reason accepted: %s", ack.Payload)
	}
	env, _ = h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UAPP1", form, map[string]map[string]string{"reason": {"text": "clashes with the SORACOM maintenance"}}))
	if _, err := h.slack.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS && m.Updated > 0 }, "REJECTED", "clashes with the SORACOM maintenance",
		"rejected by <@UAPP1>")
	waitText(t, h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS && m.Mentioned("UREQ") },
		"Rejected by <@UAPP1>.", "<@UREQ>: change "+req.ID+" will not go ahead.", "rejection reason:", "clashes with the SORACOM maintenance")

	second := submitChange(t, h, st, "healthy-static", "routing: static\n")
	clk.Add(2 * time.Hour)
	click(t, h, "UAPP1", second.ThreadTS, "change_approve", second.ID)
	waitText(t, h, ephemeralTo("UAPP1"), "expired")
	if got, _ := st.Get(ctx, second.ID); got.State != approval.Expired {
		t.Errorf("state %s after the window", got.State)
	}
	waitText(t, h, func(m fakeslack.Message) bool { return m.ThreadTS == second.ThreadTS && m.Mentioned("UREQ") },
		"<@UREQ>: change "+second.ID+" expired without a decision")

	// Nobody clicks: the sweep closes the request and its thread says so.
	third := submitChange(t, h, st, "healthy-static", "routing: static\n")
	clk.Add(2 * time.Hour)
	if err := h.changes.ExpireDue(ctx); err != nil {
		t.Fatal(err)
	}
	waitText(t, h, func(m fakeslack.Message) bool { return m.TS == third.ThreadTS && m.Updated > 0 }, "EXPIRED")
	waitText(t, h, func(m fakeslack.Message) bool { return m.ThreadTS == third.ThreadTS && m.Mentioned("UREQ") },
		"<@UREQ>: change "+third.ID+" expired without a decision")
}

// A restarted bot on the same store carries on, and two bot processes on
// one SQLite file receiving approvals at the same moment decide once.
func TestChangeRestartAndConcurrentDecisions(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	req := submitChange(t, h, st, "healthy-static", "routing: static\n")

	// Two new processes: each its own store handle and its own bot, as
	// after a restart, answering over HTTP.
	var webs []*httptest.Server
	for range 2 {
		st2 := openStore(t, filepath.Join(dir, "doorbot.db"))
		api := bot.NewAPI(botToken, slack.OptionAPIURL(h.slack.APIURL()))
		cmds, _ := wire(api, &handlers.Service{Connections: h.conns}, approvals(st2, 1))
		b := bot.New(api, cmds, bot.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		b.Start(ctx)
		t.Cleanup(func() { cancel(); b.Wait() })
		web := httptest.NewServer(b.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
		t.Cleanup(web.Close)
		webs = append(webs, web)
	}
	var wg sync.WaitGroup
	for i, user := range []string{"UAPP1", "UAPP2"} {
		form := fakeslack.InteractiveForm(fakeslack.BlockActionsPayload(user, approvalsChannel, req.ThreadTS, "change_approve", req.ID, h.slack.ResponseURL()))
		web := webs[i]
		wg.Go(func() {
			if code, body := do(t, signed(t, web.URL, "/slack/interactive", form, time.Now())); code != 200 {
				t.Errorf("click: %d %s", code, body)
			}
		})
	}
	wg.Wait()
	ctx := wait(t)
	for {
		got, _ := st.Get(ctx, req.ID)
		evs, _ := st.Audit(ctx)
		var approved, refused int
		for _, e := range evs {
			if e.RequestID == req.ID && e.Kind == "approved" {
				approved++
			}
			if e.RequestID == req.ID && e.Kind == "refused" {
				refused++
			}
		}
		if approved+refused == 2 {
			if approved != 1 || got.State != approval.Approved || len(got.Approvals) != 1 {
				t.Errorf("decided %d times; state %s approvals %v", approved, got.State, got.Approvals)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("decisions incomplete: approved %d refused %d", approved, refused)
		case <-time.After(20 * time.Millisecond):
		}
	}
	// The process that approved tells the requester, then updates the
	// root; the other was refused and says nothing in the thread. Once
	// both are seen, the requester has been told exactly once.
	waitText(t, h, func(m fakeslack.Message) bool { return m.TS == req.ThreadTS && m.Updated > 0 }, "APPROVED")
	waitText(t, h, func(m fakeslack.Message) bool { return m.Via == "chat.postEphemeral" }, "already approved")
	if n := len(find(h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS && m.Mentioned("UREQ") })); n != 1 {
		t.Errorf("the requester was told of the approval %d times, want once", n)
	}
}

// A Reject button on another message, a forged ID on it, or a state-less
// form submission changes nothing, and a malformed payload never takes the
// bot down.
func TestChangeRejectMustComeFromItsThread(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	ctx := wait(t)
	req := submitChange(t, h, st, "healthy-static", "routing: static\n")
	views := len(h.slack.Views())

	click(t, h, "UAPP1", "1111111111.000100", "change_reject", req.ID)
	waitText(t, h, ephemeralTo("UAPP1"), "does not belong")
	click(t, h, "UAPP1", req.ThreadTS, "change_reject", "CR-00000F0F0F")
	waitText(t, h, ephemeralTo("UAPP1"), "no change request CR-00000F0F0F")
	if n := len(h.slack.Views()); n != views {
		t.Errorf("a refused Reject opened %d forms", n-views)
	}
	for _, payload := range []map[string]any{
		{"type": "view_submission", "user": map[string]any{"id": "UAPP1"}, "view": map[string]any{"callback_id": "door_change", "private_metadata": "healthy-static"}},
		{"type": "view_submission", "user": map[string]any{"id": "UAPP1"}, "view": map[string]any{"callback_id": "door_change_reject", "private_metadata": req.ID}},
		{"type": "view_submission", "user": map[string]any{"id": "UAPP1"}, "view": map[string]any{"callback_id": "door_validate"}},
		{"type": "block_actions", "user": map[string]any{"id": "UAPP1"}, "actions": []any{}},
	} {
		env, err := h.slack.SendInteractive(ctx, payload)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.slack.WaitAck(ctx, env); err != nil {
			t.Fatalf("malformed %v not acked: %v", payload["view"], err)
		}
	}
	if got, _ := st.Get(ctx, req.ID); got.State != approval.Pending {
		t.Errorf("state %s after refused and malformed clicks", got.State)
	}
}

// Verify on a change that is not approved reads no cloud and posts no
// result in the thread.
func TestVerifyBeforeApprovalIsRefused(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	req := submitChange(t, h, st, "healthy-static", "routing: static\n")
	reads := len(h.srv.Requests())
	click(t, h, "UAPP1", req.ThreadTS, "change_verify", req.ID)
	waitText(t, h, ephemeralTo("UAPP1"), "only an approved change is verified")
	if n := len(h.srv.Requests()); n != reads {
		t.Errorf("a refused verify made %d cloud requests", n-reads)
	}
	for _, m := range h.slack.Thread(approvalsChannel, req.ThreadTS) {
		if strings.Contains(visible(m), "verify healthy-static") {
			t.Errorf("a refused verify posted a result in the thread")
		}
	}
}
