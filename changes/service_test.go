package changes_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/changes/changestest"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/proposal"
	"github.com/doorbot/doorbot/store"
)

const channel = "C0APPROVALS"

type fixture struct {
	svc    *changes.Service
	notify *changestest.Notifier
	store  store.Store
	clock  *changestest.Clock
	srv    *sim.Server
	path   string
}

// newFixture is the workflow on the real SQLite store and the demo's
// simulated clouds, talking to an in-memory notifier: no Slack at all.
func newFixture(t *testing.T, required int) *fixture {
	t.Helper()
	checks, srv := simclient.DemoService(t, simclient.Options{})
	path := filepath.Join(t.TempDir(), "doorbot.db")
	st, err := store.Open(context.Background(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := changestest.NewClock(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
	n := &changestest.Notifier{}
	svc := &changes.Service{
		Store: st, Checks: checks, Notify: n,
		Approvers: changestest.Directory{"UAPP1", "UAPP2", "UREQ"}, Channel: channel,
		Required: required, TTL: time.Hour, Now: clk.Now,
	}
	return &fixture{svc: svc, notify: n, store: st, clock: clk, srv: srv, path: path}
}

func (f *fixture) submit(t *testing.T, name, yaml string) approval.Request {
	t.Helper()
	p, err := proposal.Parse([]byte(yaml), "test")
	if err != nil {
		t.Fatal(err)
	}
	p.Connection = name
	req, err := f.svc.Submit(context.Background(), changes.Proposed{User: "UREQ", Team: "T1", Proposal: p, Reason: "CHG-42", Window: "Sat 02:00 JST"})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// click decides as user on the request's own thread root.
func (f *fixture) click(action, user string, r approval.Request) (approval.Request, error) {
	return f.svc.Decide(context.Background(), changes.Decision{Action: action, RequestID: r.ID, User: user, Channel: r.Channel, MessageTS: r.ThreadTS})
}

func TestSubmitPostsForApproval(t *testing.T) {
	f := newFixture(t, 1)
	req := f.submit(t, "healthy-static", "routing: static\nazure:\n  vnet_prefixes: [10.1.0.0/16]\n")
	stored, err := f.store.Get(context.Background(), req.ID)
	if err != nil || stored.State != approval.Pending || stored.ThreadTS == "" || stored.Channel != channel || stored.Verdict == "" {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	roots := f.notify.Find("root", req.ID, "healthy-static", "PENDING", "requested by @UREQ", "approvers: @UAPP1, @UAPP2, @UREQ", "CHG-42", "Sat 02:00 JST", "[Approve] [Reject]")
	if len(roots) != 1 || roots[0].TS != stored.ThreadTS || roots[0].Channel != channel {
		t.Errorf("thread root: %+v", f.notify.Messages())
	}
	// The requester and every configured approver are named as people, so
	// that the post reaches them.
	if len(roots) == 1 && strings.Join(roots[0].Named, ",") != "UREQ,UAPP1,UAPP2" {
		t.Errorf("the root names %q, want the requester and the approvers", roots[0].Named)
	}
	if len(f.notify.Find("thread", "Runbook for this change: healthy-static", "No change")) == 0 {
		t.Error("the runbook is not in the thread")
	}
	if m := f.notify.Find("private", req.ID, "posted for approval"); len(m) != 1 || m[0].User != "UREQ" || m[0].Channel != "" {
		t.Errorf("requester told %+v", m)
	}
}

func TestDecisions(t *testing.T) {
	f := newFixture(t, 2)
	req := f.submit(t, "healthy-static", "routing: static\n")
	wrongMsg := req
	wrongMsg.ThreadTS = "1111111111.000100"
	forged := req
	forged.ID = "CR-00000F0F0F"
	refusals := []struct {
		user string
		r    approval.Request
		want string
	}{
		{"URANDOM", req, "not one of"},
		{"UREQ", req, "someone else must approve"},
		{"UAPP1", forged, "no change request CR-00000F0F0F"},
		{"UAPP1", wrongMsg, "does not belong"},
	}
	for _, c := range refusals {
		_, err := f.click(handlers.ActionApprove, c.user, c.r)
		var refusal *approval.Refusal
		if !errors.As(err, &refusal) || !strings.Contains(refusal.Reason, c.want) {
			t.Errorf("%s: %v, want a refusal %q", c.user, err, c.want)
		}
		if len(f.notify.Find("private", c.want)) == 0 {
			t.Errorf("%s was not told %q", c.user, c.want)
		}
	}
	if _, err := f.click(handlers.ActionVerify, "UAPP1", req); err == nil || len(f.notify.Find("thread", "verify healthy-static: ")) != 0 {
		t.Errorf("verify before approval: %v", err)
	}
	got, err := f.click(handlers.ActionApprove, "UAPP1", req)
	if err != nil || got.State != approval.Pending || len(f.notify.Find("thread", "Approved by @UAPP1 (1 of 2)")) != 1 {
		t.Fatalf("first approval: %+v %v", got, err)
	}
	if m := f.notify.Find("thread", "Approved by @UAPP1 (1 of 2)"); len(m) == 1 && strings.Join(m[0].Named, ",") != "UAPP1" {
		t.Errorf("a first approval of two names %q, want the approver alone", m[0].Named)
	}
	if _, err := f.click(handlers.ActionApprove, "UAPP1", req); err == nil || len(f.notify.Find("private", "already approved")) != 1 {
		t.Errorf("a double click counted: %v", err)
	}
	got, err = f.click(handlers.ActionApprove, "UAPP2", req)
	if err != nil || got.State != approval.Approved || len(f.notify.Find("update", "APPROVED", "[Verify now]")) == 0 {
		t.Fatalf("second approval: %+v %v", got, err)
	}
	// The approval that decides it tells the requester in the thread; a
	// click after it is refused and tells nobody again.
	if _, err := f.click(handlers.ActionApprove, "UAPP1", req); err == nil {
		t.Error("a click on an approved change counted")
	}
	if told := toldRequester(f, "Approved by @UAPP2 (2 of 2).", "@UREQ: change "+req.ID+" is approved; after it, press Verify now"); told != 1 {
		t.Errorf("the requester was told of the approval %d times, want once: %+v", told, f.notify.Find("thread"))
	}
	got, err = f.click(handlers.ActionVerify, "UAPP2", req)
	if err != nil || got.Verification == nil || len(f.notify.Find("update", "last verification by @UAPP2")) == 0 ||
		len(f.notify.Find("thread", "verify healthy-static: PASSED")) != 1 {
		t.Errorf("verify: %+v %v", got.Verification, err)
	}
	events, _ := f.store.Audit(context.Background())
	kinds := map[string]int{}
	for _, e := range events {
		kinds[e.Kind]++
	}
	if kinds["created"] != 1 || kinds["approval"] != 1 || kinds["approved"] != 1 || kinds["refused"] != 7 || kinds["verified"] != 1 {
		t.Errorf("audit %v", kinds)
	}
	if told := toldRequester(f); told != 1 {
		t.Errorf("the requester was named in %d thread replies; a passed verification should not name them", told)
	}
}

// toldRequester counts the thread replies that name the requester UREQ
// as a person and contain every want.
func toldRequester(f *fixture, want ...string) int {
	n := 0
	for _, m := range f.notify.Find("thread", want...) {
		if slices.Contains(m.Named, "UREQ") {
			n++
		}
	}
	return n
}

// Concurrent approvals of a change that needs one: one of them decides
// it, and the requester is told once.
func TestRequesterToldOnceOnConcurrentApprovals(t *testing.T) {
	f := newFixture(t, 1)
	req := f.submit(t, "healthy-static", "routing: static\n")
	var wg sync.WaitGroup
	for _, user := range []string{"UAPP1", "UAPP2", "UAPP1", "UAPP2"} {
		wg.Go(func() { _, _ = f.click(handlers.ActionApprove, user, req) })
	}
	wg.Wait()
	got, _ := f.store.Get(context.Background(), req.ID)
	if got.State != approval.Approved || len(got.Approvals) != 1 {
		t.Fatalf("after concurrent clicks: %s with approvals %v", got.State, got.Approvals)
	}
	if told := toldRequester(f, "is approved"); told != 1 {
		t.Errorf("the requester was told %d times, want once: %+v", told, f.notify.Find("thread"))
	}
}

// A verification that fails names the requester, who has a change to
// finish; one that passes does not (TestDecisions).
func TestRequesterToldOfAFailedVerification(t *testing.T) {
	f := newFixture(t, 1)
	// Approved but never applied: the live DPD timeout is 30.
	req := f.submit(t, "healthy-static", "aws:\n  tunnels:\n    - outside_ip: 198.51.100.11\n      dpd_timeout_seconds: 40\n    - outside_ip: 203.0.113.11\n")
	if _, err := f.click(handlers.ActionApprove, "UAPP1", req); err != nil {
		t.Fatal(err)
	}
	got, err := f.click(handlers.ActionVerify, "UAPP1", req)
	if err != nil || got.Verification == nil || got.Verification.Passed {
		t.Fatalf("verify of a change never applied: %+v %v", got.Verification, err)
	}
	msgs := f.notify.Find("thread", "verify healthy-static: FAILED", "dpd_timeout_seconds", "@UREQ: verification by @UAPP1 found change "+req.ID+" is not all live")
	if len(msgs) != 1 || !slices.Contains(msgs[0].Named, "UREQ") || !slices.Contains(msgs[0].Named, "UAPP1") {
		t.Errorf("failed verification in the thread: %+v", f.notify.Find("thread"))
	}
}

// Verify now pressed again (a double click, a second approver, a replay)
// on the same failure posts the result again but names the requester only
// the first time: the failure is one transition, not one per press.
func TestRequesterToldOnceOfARepeatedFailure(t *testing.T) {
	f := newFixture(t, 1)
	req := f.submit(t, "healthy-static", "aws:\n  tunnels:\n    - outside_ip: 198.51.100.11\n      dpd_timeout_seconds: 40\n    - outside_ip: 203.0.113.11\n")
	if _, err := f.click(handlers.ActionApprove, "UAPP1", req); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"UAPP1", "UAPP2", "UAPP1"} {
		if got, err := f.click(handlers.ActionVerify, user, req); err != nil || got.Verification == nil || got.Verification.Passed {
			t.Fatalf("verify by %s of a change never applied: %+v %v", user, got.Verification, err)
		}
	}
	if n := len(f.notify.Find("thread", "verify healthy-static: FAILED")); n != 3 {
		t.Errorf("%d verification results in the thread, want one per press (3)", n)
	}
	if told := toldRequester(f, "is not all live"); told != 1 {
		t.Errorf("the requester was told %d times of the same failure, want once: %+v", told, f.notify.Find("thread"))
	}
}

func TestRejectAndErrorFindings(t *testing.T) {
	f := newFixture(t, 1)
	bad := f.submit(t, "bgp-single-ip", "routing: bgp\n")
	if bad.Verdict != "fail" || len(f.notify.Find("root", "bgp-needs-active-active", "cannot be approved")) != 1 {
		t.Fatalf("BGP over one public IP: verdict %s", bad.Verdict)
	}
	if _, err := f.click(handlers.ActionApprove, "UAPP1", bad); err == nil || len(f.notify.Find("private", "error findings")) != 1 {
		t.Errorf("a failing proposal was approved: %v", err)
	}
	d := changes.Decision{Action: handlers.ActionReject, RequestID: bad.ID, User: "UAPP1", Channel: bad.Channel, MessageTS: bad.ThreadTS}
	if err := f.svc.CheckClick(context.Background(), d); err != nil {
		t.Fatalf("the reject button on its own thread: %v", err)
	}
	if _, err := f.svc.Decide(context.Background(), d); err == nil {
		t.Error("a rejection without a reason was recorded")
	}
	d.Reason = "clashes with the SORACOM maintenance"
	got, err := f.svc.Decide(context.Background(), d)
	if err != nil || got.State != approval.Rejected || len(f.notify.Find("update", "REJECTED", d.Reason)) != 1 ||
		len(f.notify.Find("thread", "Rejected by @UAPP1.", "rejection reason: "+d.Reason)) != 1 {
		t.Errorf("reject: %+v %v", got, err)
	}
	if told := toldRequester(f, "@UREQ: change "+bad.ID+" will not go ahead.", "rejection reason: "+d.Reason); told != 1 {
		t.Errorf("the requester was told of the rejection %d times, want once: %+v", told, f.notify.Find("thread"))
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t, 1)
	clicked := f.submit(t, "healthy-static", "routing: static\n")
	swept := f.submit(t, "healthy-static", "routing: static\n")
	f.clock.Add(2 * time.Hour)
	if _, err := f.click(handlers.ActionApprove, "UAPP1", clicked); err == nil || len(f.notify.Find("private", "expired before this decision")) != 1 {
		t.Errorf("a click after the window: %v", err)
	}
	if err := f.svc.ExpireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range []approval.Request{clicked, swept} {
		got, _ := f.store.Get(context.Background(), r.ID)
		if got.State != approval.Expired {
			t.Errorf("%s: %s after the window", r.ID, got.State)
		}
	}
	if len(f.notify.Find("update", swept.ID, "EXPIRED")) != 1 || len(f.notify.Find("thread", swept.ID, "expired without a decision")) != 1 {
		t.Errorf("the sweep did not say so in the thread: %+v", f.notify.Messages())
	}
	// Expired by a click or by the sweep, each request's requester is told
	// once in its thread, however often the sweep runs or people click.
	if err := f.svc.ExpireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _ = f.click(handlers.ActionApprove, "UAPP1", swept)
	for _, r := range []approval.Request{clicked, swept} {
		if told := toldRequester(f, "@UREQ: change "+r.ID+" expired without a decision"); told != 1 {
			t.Errorf("%s: the requester was told of the expiry %d times, want once", r.ID, told)
		}
	}
}

// failingStore is a store whose reads fail, as a locked or lost database.
type failingStore struct{ store.Store }

func (failingStore) Get(context.Context, string) (approval.Request, error) {
	return approval.Request{}, errors.New("database is locked")
}

func TestStoreErrorIsNotAMissingRequest(t *testing.T) {
	f := newFixture(t, 1)
	req := f.submit(t, "healthy-static", "routing: static\n")
	f.svc.Store = failingStore{f.store}
	for _, action := range []string{handlers.ActionApprove, handlers.ActionReject} {
		_, err := f.click(action, "UAPP1", req)
		var refusal *approval.Refusal
		if err == nil || errors.As(err, &refusal) || !strings.Contains(err.Error(), "database is locked") {
			t.Errorf("%s: %v, want the store's error", action, err)
		}
	}
	if len(f.notify.Find("private", "no change request")) != 0 || len(f.notify.Find("private", "could not be read")) != 2 {
		t.Errorf("the clicker was told %+v", f.notify.Find("private"))
	}
}

func TestPostFailureIsToldToTheRequester(t *testing.T) {
	f := newFixture(t, 1)
	f.notify.Fail("root", errors.New("not_in_channel"))
	p, _ := proposal.Parse([]byte("routing: static\n"), "test")
	p.Connection = "healthy-static"
	req, err := f.svc.Submit(context.Background(), changes.Proposed{User: "UREQ", Proposal: p, Reason: "x"})
	if err == nil || len(f.notify.Find("private", req.ID, "invite doorbot there")) != 1 {
		t.Errorf("%v; told %+v", err, f.notify.Find("private"))
	}
}

// When a user group cannot be read for longer than the stale limit, its
// last known members stop counting and the clicker is told why.
func TestStaleGroupMembershipFailsClosed(t *testing.T) {
	f := newFixture(t, 1)
	failing := false
	dir := &changes.Approvers{IDs: []string{"S0NETOPS"}, Now: f.clock.Now, Members: func(context.Context, string) ([]string, error) {
		if failing {
			return nil, errors.New("usergroups.users.list: ratelimited")
		}
		return []string{"UGRP"}, nil
	}}
	f.svc.Approvers = dir
	req := f.submit(t, "healthy-static", "routing: static\n")
	if !dir.IsApprover(context.Background(), "UGRP") {
		t.Fatal("group member not an approver while the group reads")
	}
	failing = true
	f.clock.Add(changes.DefaultStaleLimit + 6*time.Minute)
	if _, err := f.click(handlers.ActionApprove, "UGRP", req); err == nil {
		t.Fatal("a stale group member approved")
	}
	if len(f.notify.Find("private", "could not be read from Slack", "S0NETOPS")) == 0 {
		t.Errorf("the clicker was not told why: %+v", f.notify.Messages())
	}
	if got, _ := f.store.Get(context.Background(), req.ID); got.State != approval.Pending {
		t.Errorf("request %s", got.State)
	}
}

// With the store locked by another process past the wait, a decision is
// not recorded and the clicker is told so, even when the job's own time
// has run out meanwhile.
func TestDecisionOnALockedStoreIsToldToTheClicker(t *testing.T) {
	f := newFixture(t, 1)
	req := f.submit(t, "healthy-static", "routing: static\n")
	f.svc.StoreWait = 300 * time.Millisecond
	unlock := changestest.LockSQLite(t, f.path)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := f.svc.Decide(ctx, changes.Decision{Action: handlers.ActionApprove, RequestID: req.ID, User: "UAPP1", Channel: req.Channel, MessageTS: req.ThreadTS}); err == nil {
		t.Fatal("a decision on a locked store reported success")
	}
	if len(f.notify.Find("private", "could not be recorded", req.ID)) == 0 {
		t.Errorf("the clicker was not told: %+v", f.notify.Messages())
	}
	unlock()
	if got, _ := f.store.Get(context.Background(), req.ID); got.State != approval.Pending {
		t.Errorf("request %s", got.State)
	}
}
