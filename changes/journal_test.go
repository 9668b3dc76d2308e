package changes_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/changes/changestest"
	"github.com/doorbot/doorbot/handlers"
)

// decisionOn is a click by user on the request's own thread root.
func decisionOn(action, user string, r approval.Request) changes.Decision {
	return changes.Decision{Action: action, RequestID: r.ID, User: user, Team: "T1", Channel: r.Channel, MessageTS: r.ThreadTS}
}

// approvalRecorded is a change needing required approvals and UAPP1's
// Approve click on it, journaled as before its ack (id).
func approvalRecorded(t *testing.T, required int) (f *fixture, req approval.Request, d changes.Decision, id string) {
	t.Helper()
	f = newFixture(t, required)
	req = f.submit(t, "healthy-static", "routing: static\n")
	d = decisionOn(handlers.ActionApprove, "UAPP1", req)
	id, err := f.svc.Record(context.Background(), d)
	if err != nil || id == "" {
		t.Fatalf("record: %q %v", id, err)
	}
	return f, req, d, id
}

func replay(t *testing.T, f *fixture) int {
	t.Helper()
	n, err := f.svc.ReplayClicks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A click recorded before its ack whose worker never ran (the process
// died) is decided by a replay once the grace has passed, once, and its
// clicker is told; a worker that turns up late does nothing more.
func TestReplayCompletesAClickWhoseWorkerDied(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		action, user, reason string
		want                 approval.State
		event                string
	}{
		{handlers.ActionApprove, "UAPP1", "", approval.Approved, "approved"},
		{handlers.ActionReject, "UAPP2", "not in the freeze", approval.Rejected, "rejected"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			f := newFixture(t, 1)
			req := f.submit(t, "healthy-static", "routing: static\n")
			d := decisionOn(tc.action, tc.user, req)
			d.Reason = tc.reason
			id, err := f.svc.Record(ctx, d)
			if err != nil || id == "" {
				t.Fatalf("record: %q %v", id, err)
			}
			if n := replay(t, f); n != 0 {
				t.Fatalf("a replay took a click %d younger than the grace", n)
			}
			f.clock.Add(changes.DefaultReplayGrace + time.Second)
			if n := replay(t, f); n != 1 {
				t.Fatalf("replayed %d clicks, want 1", n)
			}
			got, _ := f.store.Get(ctx, req.ID)
			if got.State != tc.want {
				t.Errorf("state %s after the replay, want %s", got.State, tc.want)
			}
			if len(f.notify.Find("private", "was interrupted", "has now been completed", req.ID)) != 1 {
				t.Errorf("the clicker was not told: %+v", f.notify.Messages())
			}
			// The dead process's worker, had it lived, finds the click taken.
			if _, err := f.svc.DecideRecorded(ctx, id, d); err != nil {
				t.Errorf("late worker: %v", err)
			}
			if n := replay(t, f); n != 0 {
				t.Errorf("the journal still held %d clicks", n)
			}
			if k := changestest.AuditKinds(t, f.store, req.ID); k[tc.event] != 1 || k["refused"] != 0 {
				t.Errorf("audit %v: want one %s, no refusal", k, tc.event)
			}
		})
	}
}

// A live worker completes its click and removes it: a replay, however
// late, finds nothing to do.
func TestWorkerAndReplayDecideOnce(t *testing.T) {
	ctx := context.Background()
	f, req, d, id := approvalRecorded(t, 2)
	if _, err := f.svc.DecideRecorded(ctx, id, d); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Hour)
	if n := replay(t, f); n != 0 {
		t.Errorf("replayed %d clicks a worker completed", n)
	}
	if got, _ := f.store.Get(ctx, req.ID); len(got.Approvals) != 1 {
		t.Errorf("approvals %v", got.Approvals)
	}
}

// A worker that recorded the decision but died before removing the click
// leaves a click whose decision is stored: the replay applies nothing
// (no second vote, no refusal in the audit) and says it was recorded. A
// worker killed between its transaction and the thread root's update
// left a root that misleads the approvers (no approval shown), and its
// thread note unposted: the replay brings the root up to date and posts
// the note, once (the requester of a change it approved is told in it).
func TestReplayOfARecordedDecisionAppliesNothing(t *testing.T) {
	decided := func(ctx context.Context, f *fixture, d changes.Decision) error {
		_, err := f.svc.Decide(ctx, d)
		return err
	}
	killed := func(ctx context.Context, f *fixture, d changes.Decision) error {
		_, err := f.store.Update(ctx, d.RequestID, func(r *approval.Request) ([]approval.Event, error) {
			return approval.Approve(r, approval.Decider{User: d.User, IsApprover: true}, f.clock.Now())
		})
		return err
	}
	for _, tc := range []struct {
		name     string
		required int
		worker   func(ctx context.Context, f *fixture, d changes.Decision) error
		// note is the thread note's text, posted once, by the worker or
		// by the replay.
		note string
	}{
		{"decided", 2, decided, "Approved by @UAPP1 (1 of 2)."},
		{"killed after its transaction", 2, killed, "Approved by @UAPP1 (1 of 2)."},
		{"decided, approving it", 1, decided, "@UREQ: change %s is approved"},
		{"killed after its transaction and before the note", 1, killed, "@UREQ: change %s is approved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f, req, d, _ := approvalRecorded(t, tc.required)
			if err := tc.worker(ctx, f, d); err != nil { // without the click's removal
				t.Fatal(err)
			}
			f.clock.Add(changes.DefaultReplayGrace + time.Second)
			if n := replay(t, f); n != 1 {
				t.Fatalf("replayed %d", n)
			}
			note := tc.note
			if strings.Contains(note, "%s") {
				note = fmt.Sprintf(note, req.ID)
			}
			if m := f.notify.Find("thread", "Approved by @UAPP1", note); len(m) != 1 {
				t.Errorf("thread notes %q: %d, want 1: %+v", note, len(m), f.notify.Find("thread"))
			}
			// A second replay of the same click (its first died before
			// removing it) posts nothing more.
			if _, err := f.svc.Record(ctx, d); err != nil {
				t.Fatal(err)
			}
			f.clock.Add(changes.DefaultReplayGrace + time.Second)
			if n := replay(t, f); n != 1 {
				t.Fatalf("second replay took %d", n)
			}
			if m := f.notify.Find("thread", "Approved by @UAPP1"); len(m) != 1 {
				t.Errorf("the thread note was posted %d times, want once: %+v", len(m), m)
			}
			if k := changestest.AuditKinds(t, f.store, req.ID); k["approval"]+k["approved"] != 1 || k["refused"] != 0 || k["notified"] != 1 {
				t.Errorf("audit %v: want one approval, one thread note, no refusal", k)
			}
			if len(f.notify.Find("private", "was already recorded", req.ID)) != 2 {
				t.Errorf("the clicker was not told of each replay: %+v", f.notify.Messages())
			}
			if u := f.notify.Find("update", req.ID); len(u) == 0 || u[len(u)-1].TS != req.ThreadTS || !strings.Contains(u[len(u)-1].Text, fmt.Sprintf("approvals: 1 of %d", tc.required)) && !strings.Contains(u[len(u)-1].Text, "APPROVED") {
				t.Errorf("the thread root does not show the approval: %+v", u)
			}
		})
	}
}

// A click taken again and again (its taker dies each time) is given up
// after three takes, and its clicker is told to click again.
func TestReplayGivesUpAfterThreeTakes(t *testing.T) {
	ctx := context.Background()
	f, req, _, id := approvalRecorded(t, 1)
	for range 3 {
		f.clock.Add(changes.DefaultReplayGrace + time.Second)
		now := f.clock.Now()
		if ok, err := f.store.TakeClick(ctx, id, now, now.Add(-changes.DefaultReplayGrace)); !ok || err != nil {
			t.Fatalf("take: %v %v", ok, err)
		}
	}
	f.clock.Add(changes.DefaultReplayGrace + time.Second)
	if n := replay(t, f); n != 1 {
		t.Fatalf("replayed %d", n)
	}
	if got, _ := f.store.Get(ctx, req.ID); got.State != approval.Pending {
		t.Errorf("a given-up click was decided: %s", got.State)
	}
	if len(f.notify.Find("private", "could not be completed in 3 tries", "click again", req.ID)) != 1 {
		t.Errorf("the clicker was not told: %+v", f.notify.Messages())
	}
	if n := replay(t, f); n != 0 {
		t.Errorf("a given-up click stayed in the journal")
	}
}

// What Record refuses to write: a malformed click is not recorded (Decide
// refuses and says why), and a store locked past RecordWait is an error
// for the caller to tell, within the wait.
func TestRecordBounds(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 1)
	req := f.submit(t, "healthy-static", "routing: static\n")
	forged := decisionOn(handlers.ActionApprove, "UAPP1", req)
	forged.RequestID = strings.Repeat("A", 200000)
	if id, err := f.svc.Record(ctx, forged); id != "" || err != nil {
		t.Errorf("a forged click: %q %v, want not recorded and no error", id, err)
	}

	changestest.LockSQLite(t, f.path)
	f.svc.RecordWait = 100 * time.Millisecond
	if id, err := f.svc.Record(ctx, decisionOn(handlers.ActionApprove, "UAPP1", req)); err == nil || id != "" {
		t.Errorf("recorded on a locked store: %q %v", id, err)
	}
}

// Issue 15, 3: a worker stopped while deciding (doorbot shutting down
// cancels its jobs, and a worker may even start one on a spent context)
// leaves its click in the journal: the next replay completes it and tells
// the clicker, instead of the click vanishing with nobody told.
func TestInterruptedWorkerLeavesItsClickForTheReplay(t *testing.T) {
	ctx := context.Background()
	f, req, d, id := approvalRecorded(t, 1)
	stopped, stop := context.WithCancel(ctx)
	stop()
	if _, err := f.svc.DecideRecorded(stopped, id, d); err == nil {
		t.Fatal("decided on a spent context")
	}
	f.clock.Add(changes.DefaultReplayGrace + time.Second)
	if n := replay(t, f); n != 1 {
		t.Fatalf("replayed %d clicks, want the interrupted one", n)
	}
	if got, _ := f.store.Get(ctx, req.ID); got.State != approval.Approved {
		t.Errorf("state %s after the replay, want approved", got.State)
	}
	if len(f.notify.Find("private", "has now been completed", req.ID)) != 1 {
		t.Errorf("the clicker was not told: %+v", f.notify.Messages())
	}
}

// atThreadPost is a notifier that calls after once each decision is
// stored and its thread note posted: a test's way to stop a replay (as
// losing the lead or shutting down does) or to let time pass in it.
type atThreadPost struct {
	*changestest.Notifier
	after func()
}

func (n atThreadPost) PostInThread(ctx context.Context, channel, ts string, r handlers.Reply) error {
	defer n.after()
	return n.Notifier.PostInThread(ctx, channel, ts, r)
}

// A replay stopped in the middle of its batch leaves the clicks it had
// not finished in the journal, for the next replay: none is dropped, none
// is applied twice.
func TestStoppedReplayLeavesTheRestOfItsBatch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 2)
	req := f.submit(t, "healthy-static", "routing: static\n")
	for _, user := range []string{"UAPP1", "UAPP2"} {
		if _, err := f.svc.Record(ctx, decisionOn(handlers.ActionApprove, user, req)); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Second) // in this order
	}
	f.clock.Add(changes.DefaultReplayGrace)
	leading, stop := context.WithCancel(ctx)
	svc := *f.svc
	svc.Notify = atThreadPost{Notifier: f.notify, after: stop}
	if _, err := svc.ReplayClicks(leading); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Get(ctx, req.ID); len(got.Approvals) != 1 {
		t.Fatalf("approvals %v after the stopped replay, want the first click's", got.Approvals)
	}
	f.clock.Add(changes.DefaultReplayGrace + time.Second)
	if n := replay(t, f); n != 2 {
		t.Fatalf("the next replay took %d clicks, want both again", n)
	}
	got, _ := f.store.Get(ctx, req.ID)
	if got.State != approval.Approved || len(got.Approvals) != 2 {
		t.Errorf("after the next replay: %s %v", got.State, got.Approvals)
	}
	if k := changestest.AuditKinds(t, f.store, req.ID); k["approval"] != 1 || k["approved"] != 1 || k["refused"] != 0 {
		t.Errorf("audit %v: want each approval once, no refusal", k)
	}
	if m := f.notify.Find("private", req.ID, "was already recorded"); len(m) != 1 || m[0].User != "UAPP1" {
		t.Errorf("the first clicker was not told their click was recorded: %+v", m)
	}
}

// Two replicas replaying one journal (the lead moved while the old
// leader was still at work): a click is taken just before it is worked
// on, so a replay whose earlier clicks took long does not hold its later
// ones past the grace, where the other replica takes them too and both
// decide. Each click is decided once, by one replay, and its clicker told
// once.
func TestSlowReplayAndAnotherReplicaDecideEachClickOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 3)
	f.svc.Approvers = changestest.Directory{"UAPP1", "UAPP2", "UAPP3"}
	req := f.submit(t, "healthy-static", "routing: static\n")
	users := []string{"UAPP1", "UAPP2", "UAPP3"}
	for _, user := range users {
		if _, err := f.svc.Record(ctx, decisionOn(handlers.ActionApprove, user, req)); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Second) // in this order
	}
	f.clock.Add(changes.DefaultReplayGrace)

	other := *f.svc // the other replica, on the same store
	slow := *f.svc
	posts := 0
	slow.Notify = atThreadPost{Notifier: f.notify, after: func() {
		// Each click takes just over half the grace; after the second,
		// the other replica replays.
		if posts++; posts <= 2 {
			f.clock.Add(changes.DefaultReplayGrace/2 + time.Second)
		}
		if posts == 2 {
			if _, err := other.ReplayClicks(ctx); err != nil {
				t.Error(err)
			}
		}
	}}
	if _, err := slow.ReplayClicks(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.Get(ctx, req.ID)
	if got.State != approval.Approved || len(got.Approvals) != 3 {
		t.Errorf("after both replays: %s %v", got.State, got.Approvals)
	}
	if k := changestest.AuditKinds(t, f.store, req.ID); k["approval"] != 2 || k["approved"] != 1 || k["refused"] != 0 {
		t.Errorf("audit %v: want each approval once, no refusal", k)
	}
	for _, user := range users {
		var told []changestest.Message
		for _, m := range f.notify.Find("private", req.ID) {
			if m.User == user {
				told = append(told, m)
			}
		}
		if len(told) != 1 {
			t.Errorf("%s told %d times: %+v", user, len(told), told)
		}
	}
}

// lockingDirectory locks the SQLite store (another process's write
// transaction) when asked about an approver, that is while a decision is
// under way, between its reading and its writing.
type lockingDirectory struct {
	changestest.Directory
	lock func()
}

func (d lockingDirectory) IsApprover(ctx context.Context, user string) bool {
	d.lock()
	return d.Directory.IsApprover(ctx, user)
}

// A worker whose own time ends (doorbot stopping, or the command timeout)
// while its decision waits for a busy store leaves the click for the
// replay, so it must not also tell the clicker "nothing was decided,
// click again": the replay decides it and says so, once.
func TestWorkerOutOfTimeAtTheStoreIsNotToldToClickAgain(t *testing.T) {
	f, req, d, id := approvalRecorded(t, 1)
	f.svc.StoreWait = time.Hour // the job's time ends first
	var unlock func()
	f.svc.Approvers = lockingDirectory{Directory: changestest.Directory{"UAPP1", "UAPP2"}, lock: func() {
		if unlock == nil {
			unlock = changestest.LockSQLite(t, f.path)
		}
	}}
	job, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := f.svc.DecideRecorded(job, id, d); err == nil {
		t.Fatal("decided on a locked store")
	}
	if m := f.notify.Find("private", "Click again"); len(m) != 0 {
		t.Errorf("told to click again although the click is kept for the replay: %+v", m)
	}
	unlock()
	f.svc.Approvers = changestest.Directory{"UAPP1", "UAPP2"}
	f.clock.Add(changes.DefaultReplayGrace + time.Second)
	if n := replay(t, f); n != 1 {
		t.Fatalf("replayed %d clicks, want the kept one", n)
	}
	if got, _ := f.store.Get(context.Background(), req.ID); got.State != approval.Approved {
		t.Errorf("state %s after the replay, want approved", got.State)
	}
	var told []changestest.Message
	for _, m := range f.notify.Find("private", req.ID) {
		if m.User == "UAPP1" {
			told = append(told, m)
		}
	}
	// Nothing restarted here: the worker ran out of time, so the clicker
	// is not told a restart alone was the cause ("by a doorbot restart"
	// was an older wording; the replay cannot tell which, and says both).
	if m := told; len(m) != 1 || !strings.Contains(m[0].Text, "has now been completed") || strings.Contains(m[0].Text, "by a doorbot restart") ||
		!strings.Contains(m[0].Text, "(doorbot restarted, or fell behind)") {
		t.Errorf("the clicker was told %+v, want once that it was completed", m)
	}
}
