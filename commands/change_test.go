package commands

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/changes/changestest"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/store"
)

func TestChangeNotConfigured(t *testing.T) {
	r, _ := simRegistry(t)
	ctx := context.Background()
	if ans := r.Route(ctx, "change healthy-static", Request{}).Answer; ans == nil || !strings.Contains(text(t, *ans), "slack.approvals_channel") {
		t.Errorf("without approvals: %+v", ans)
	}
	if _, ok := r.Action(handlers.ActionApprove); ok {
		t.Error("buttons of a workflow that is not configured are registered")
	}
	if got := r.Handle(ctx, "/door change healthy-static", Request{}); !strings.Contains(text(t, got), "no terminal form") {
		t.Errorf("console: %s", text(t, got))
	}
}

func TestChangeFormsAndButtons(t *testing.T) {
	_, svc := simRegistry(t)
	st, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "doorbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := &changestest.Notifier{}
	cs := &changes.Service{Store: st, Checks: svc, Notify: n, Approvers: changestest.Directory{"UAPP1"}, Channel: "C0APPROVALS", Required: 1, TTL: time.Hour}
	r := New(Deps{Service: svc, Changes: cs})
	ctx := context.Background()

	for line, want := range map[string]string{"change": "usage: /door change NAME", "change a b": "usage: /door change NAME", "change nope": `unknown connection "nope"`} {
		if ans := r.Route(ctx, line, Request{}).Answer; ans == nil || !strings.Contains(text(t, *ans), want) {
			t.Errorf("%s: %+v", line, ans)
		}
	}
	call := r.Route(ctx, "change bgp-single-ip", Request{User: "UREQ"})
	first, fill := call.Command.Open(call.Request)
	if call.Answer != nil || first.CallbackID != "door_change" || first.Metadata != "bgp-single-ip" || first.Submit != "" || fill == nil {
		t.Fatalf("change form: %+v %+v", call.Answer, first)
	}
	form := fill(ctx)
	ids := map[string]string{}
	for _, in := range form.Inputs {
		ids[in.BlockID] = in.ActionID
	}
	if ids["proposal"] != "yaml" || ids["reason"] != "text" || ids["window"] != "text" || !strings.Contains(form.Inputs[0].Initial, "routing: bgp") {
		t.Errorf("change form inputs %+v", form.Inputs)
	}

	sub, _ := r.Submission("door_change")
	values := func(yaml, reason string) Request {
		return Request{User: "UREQ", Metadata: "healthy-static", Values: map[string]map[string]string{"proposal": {"yaml": yaml}, "reason": {"text": reason}}}
	}
	for _, bad := range []struct {
		req        Request
		block, msg string
	}{
		{values("routing: static\n", " "), "reason", "Say why"},
		{values("routing: [bgp", "x"), "proposal", "proposal"},
		{values("connection: bgp-single-ip\n", "x"), "proposal", "This form is for healthy-static"},
	} {
		if errs, work := sub.Accept(ctx, bad.req); work != nil || !strings.Contains(errs[bad.block], bad.msg) {
			t.Errorf("%v: errors %v", bad.req.Values, errs)
		}
	}
	errs, work := sub.Accept(ctx, values("routing: static\n", "CHG-1"))
	if len(errs) > 0 || work == nil {
		t.Fatalf("a good change was refused: %v", errs)
	}
	work(ctx)
	reqs, _ := st.List(ctx)
	if len(reqs) != 1 || reqs[0].ThreadTS == "" {
		t.Fatalf("requests %+v", reqs)
	}
	req := reqs[0]

	// Reject checks the click, then opens the reason form bound to the
	// message the button was on.
	reject, _ := r.Action(handlers.ActionReject)
	if out := reject.Run(ctx, Click{ActionID: handlers.ActionReject, Value: req.ID, User: "UAPP1", Channel: req.Channel, MessageTS: "1.2"}); out.Form != nil {
		t.Error("a Reject button from another message opened the form")
	}
	out := reject.Run(ctx, Click{ActionID: handlers.ActionReject, Value: req.ID, User: "UAPP1", Channel: req.Channel, MessageTS: req.ThreadTS})
	if out.Form == nil || out.Form.CallbackID != "door_change_reject" {
		t.Fatalf("reject form %+v", out.Form)
	}
	var meta map[string]string
	if err := json.Unmarshal([]byte(out.Form.Metadata), &meta); err != nil || meta["id"] != req.ID || meta["ts"] != req.ThreadTS || meta["channel"] != req.Channel {
		t.Errorf("reject metadata %q", out.Form.Metadata)
	}
	rsub, _ := r.Submission("door_change_reject")
	if errs, _ := rsub.Accept(ctx, Request{User: "UAPP1", Metadata: out.Form.Metadata}); !strings.Contains(errs["reason"], "needs a reason") {
		t.Errorf("empty reason: %v", errs)
	}
	if errs, _ := rsub.Accept(ctx, Request{User: "UAPP1", Metadata: req.ID, Values: map[string]map[string]string{"reason": {"text": "no"}}}); !strings.Contains(errs["reason"], "not tied to a change request") {
		t.Errorf("forged metadata: %v", errs)
	}
	_, work = rsub.Accept(ctx, Request{User: "UAPP1", Metadata: out.Form.Metadata, Values: map[string]map[string]string{"reason": {"text": "not now"}}})
	work(ctx)
	if got, _ := st.Get(ctx, req.ID); got.State != "rejected" || got.RejectionReason != "not now" {
		t.Errorf("after the rejection form: %s %q", got.State, got.RejectionReason)
	}
}

// A live state longer than Slack's 3000-character input does not leave
// the form empty and unexplained: it starts from the name and says why,
// with the file route.
func TestFormsSayWhenTheLiveStateIsTooLong(t *testing.T) {
	long := "connection: big\n" + strings.Repeat("# padding line for a large fleet\n", 120)
	for name, f := range map[string]Form{"change": changeForm("big", long), "validate": validateForm(validateMeta{Connection: "big"}, long)} {
		in := f.Inputs[0]
		if in.Initial != "connection: big\n" {
			t.Errorf("%s: initial %d characters", name, len(in.Initial))
		}
		intro := strings.Join(f.Intro[0].Lines, " ")
		if !strings.Contains(intro, "more than the 3000 a Slack form holds") || !strings.Contains(intro, "doorbot validate FILE") {
			t.Errorf("%s: intro %q", name, intro)
		}
	}
	if f := changeForm("small", "connection: small\n"); f.Inputs[0].Initial != "connection: small\n" || strings.Contains(f.Intro[0].Lines[0], "3000") {
		t.Errorf("a short live state is not prefilled as is: %+v", f)
	}
}
