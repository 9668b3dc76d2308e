package changes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/proposal"
	"github.com/doorbot/doorbot/vpn"
)

// Decision is one click on a change thread's buttons (or a rejection
// form), as the platform delivered it. Nothing in it is trusted: the
// request is read from the store and the click must come from its thread.
type Decision struct {
	// Action is the button's action_id: handlers.ActionApprove,
	// ActionReject or ActionVerify.
	Action    string
	RequestID string
	User      string
	Team      string
	// Channel and MessageTS name the message the button was on.
	Channel   string
	MessageTS string
	// Reason is a rejection's reason.
	Reason string
	// journaled says the click is in the click journal (DecideRecorded,
	// a replay), which keeps it when the job ends before the decision is
	// stored.
	journaled bool
}

// CheckClick checks a click against the stored request without deciding
// anything: the Reject button does this before it opens the reason form.
// A refusal is audited and told to the clicker; the error says why.
func (s *Service) CheckClick(ctx context.Context, d Decision) error {
	if err := s.screenOrRefuse(ctx, &d); err != nil {
		return err
	}
	r, err := s.getRequest(ctx, d)
	if err != nil {
		return err
	}
	if !belongs(r, d) {
		return s.refuse(ctx, d, "this button does not belong to change "+d.RequestID+"; nothing was changed")
	}
	return nil
}

// Decide applies one click to the stored request in one transaction, then
// says what happened in the thread and updates the root in place. A
// refusal changes nothing, is audited and told to the clicker alone, and
// comes back as an *approval.Refusal; a store failure comes back as
// itself, and is never told as a missing request.
func (s *Service) Decide(ctx context.Context, d Decision) (approval.Request, error) {
	if err := s.screenOrRefuse(ctx, &d); err != nil {
		return approval.Request{}, err
	}
	current, err := s.getRequest(ctx, d)
	if err != nil {
		return current, err
	}
	// A button must come from its own request's thread root (a rejection
	// form carries the message it was opened from).
	if !belongs(current, d) {
		return current, s.refuse(ctx, d, "this button does not belong to change "+d.RequestID+"; nothing was changed")
	}
	decider := approval.Decider{User: d.User, IsApprover: s.Approvers.IsApprover(ctx, d.User), TeamID: d.Team, Channel: d.Channel}
	if u, ok := s.Approvers.(interface{ Unreadable() []string }); ok && !decider.IsApprover && d.Action != handlers.ActionVerify {
		if groups := u.Unreadable(); len(groups) > 0 {
			return current, s.refuse(ctx, d, fmt.Sprintf("the members of approver group %s could not be read from Slack for over %s, so group membership does not count for now; nothing was changed. Try again later, or ask an approver named in slack.approvers.",
				strings.Join(groups, ", "), DefaultStaleLimit))
		}
	}
	now := s.now()
	var verified bool
	var verification string
	if d.Action == handlers.ActionVerify {
		// Read the clouds and post a result only for an approved change;
		// the transaction below checks the state again.
		if current.State != approval.Approved {
			return current, s.refuse(ctx, d, fmt.Sprintf("change %s is %s; only an approved change is verified", d.RequestID, current.State))
		}
		// The recorded verification is what the approvers rely on: a
		// bystander's run must not replace it.
		if !decider.IsApprover && d.User != current.Requester {
			return current, s.refuse(ctx, d, fmt.Sprintf("only the requester and the approvers may verify change %s; run /door runbook verify %s to check it yourself", d.RequestID, current.Connection))
		}
		v, err := s.Checks.Verify(ctx, current.Connection, endState(current))
		if err != nil {
			return current, s.refuse(ctx, d, "verification could not run: "+err.Error())
		}
		verified, verification = v.Passed, v.Failed()
		msg := handlers.VerifyReply(v)
		// A failed verification is the requester's to act on: they are
		// named in it, so Slack notifies them, once per failure: pressing
		// Verify now again on the same failure (a double click, another
		// approver, a replay) notifies nobody again.
		if was := current.Verification; !v.Passed && (was == nil || was.Passed || was.Summary != v.Failed()) {
			msg = tellRequester(msg, current, handlers.Text("verification by "), handlers.Person(d.User),
				handlers.Text(" found change "+current.ID+" is not all live, as marked ✗ above."))
		}
		if err := s.Notify.PostInThread(ctx, current.Channel, current.ThreadTS, msg); err != nil {
			s.log().Warn("verification not posted in the change thread", "request", current.ID, "err", err)
		}
	}
	// The store retries a busy database with backoff; past StoreWait the
	// clicker is told (on a context of its own: the job's may be spent).
	wait := s.StoreWait
	if wait <= 0 {
		wait = DefaultStoreWait
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	updated, err := s.Store.Update(wctx, d.RequestID, func(r *approval.Request) ([]approval.Event, error) {
		switch d.Action {
		case handlers.ActionApprove:
			return approval.Approve(r, decider, now)
		case handlers.ActionReject:
			return approval.Reject(r, decider, d.Reason, now)
		case handlers.ActionVerify:
			return approval.RecordVerification(r, decider, verified, verification, now)
		}
		return nil, &approval.Refusal{Reason: fmt.Sprintf("%q is not a change decision", d.Action)}
	})
	var refusal *approval.Refusal
	switch {
	case errors.As(err, &refusal):
		return current, s.refuse(ctx, d, refusal.Reason)
	case err != nil && d.journaled && ctx.Err() != nil:
		// The job's own time ended (doorbot stopping, or the command
		// timeout), not the store's wait: the click journal keeps the
		// click and its replay tells the clicker, so "click again" here
		// would contradict it.
		s.log().Warn("decision interrupted while it waited for the store; left to the click replay", "request", d.RequestID, "user", d.User, "err", err)
		return current, fmt.Errorf("changes: record %s on %s: %w", d.Action, d.RequestID, err)
	case err != nil:
		s.log().Error("decision not stored", "request", d.RequestID, "user", d.User, "err", err)
		tctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer stop()
		s.tell(tctx, d.User, s.replyChannel(d), "Your decision on change "+d.RequestID+" could not be recorded in the change store (it is busy or failing); nothing was decided. Click again in a moment.")
		return current, fmt.Errorf("changes: record %s on %s: %w", d.Action, d.RequestID, err)
	}
	s.count(d.Action, "ok")
	if updated.State == approval.Expired {
		// The click found the request past its time: the expiry is stored
		// (by this click alone), the click refused.
		s.expired(ctx, updated)
		return updated, s.refuse(ctx, d, fmt.Sprintf("Change %s expired before this decision; nothing was approved.", d.RequestID))
	}
	s.postNote(ctx, d, updated)
	s.updateRoot(ctx, updated)
	return updated, nil
}

// decisionNote is the thread note of a stored decision (none for a
// verification, whose result is posted before it is stored): the worker
// and a replay that finds the note unposted build it alike from the
// stored request.
func decisionNote(d Decision, r approval.Request) handlers.Reply {
	switch d.Action {
	case handlers.ActionApprove:
		n := slices.Index(r.Approvals, d.User) + 1
		line := []handlers.Span{handlers.Text("Approved by "), handlers.Person(d.User),
			handlers.Text(fmt.Sprintf(" (%d of %d).", n, max(r.RequiredApprovals, 1)))}
		msg := handlers.Mentioning(handlers.ToneNone, line...)
		if r.State == approval.Approved && n == len(r.Approvals) {
			// Only the click that made it approved is its last approval
			// (the store refuses every later one), so the requester is
			// told once.
			msg = tellRequester(msg, r, handlers.Text("change "+r.ID+" is approved; after it, press Verify now or run /door runbook verify "+r.Connection+"."))
		}
		return msg
	case handlers.ActionReject:
		// The reason is the rejecter's words: quoted, never part of
		// doorbot's line (or of the notification text).
		msg := handlers.Mentioning(handlers.ToneNone, handlers.Text("Rejected by "), handlers.Person(d.User), handlers.Text("."))
		if d.User != r.Requester {
			msg = tellRequester(msg, r, handlers.Text("change "+r.ID+" will not go ahead."))
		}
		msg.Blocks = append(msg.Blocks, handlers.QuoteBlock("rejection reason", d.Reason))
		return msg
	}
	return handlers.Reply{}
}

// notified is the audit event recorded once a decision's thread note is
// posted: a replay that finds the decision stored and no such event (the
// worker died between its transaction and the post) posts the note.
const notified = "notified"

// noteDetail names the note of one decision in its "notified" event.
func noteDetail(d Decision) string {
	return "thread note of the " + noun(d.Action) + " posted"
}

// postNote posts a stored decision's thread note and records that it was
// posted. A note not posted is not recorded, but its click is gone from
// the journal once its worker completes: only a dead worker's note is
// posted again, by the replay.
func (s *Service) postNote(ctx context.Context, d Decision, r approval.Request) {
	msg := decisionNote(d, r)
	if len(msg.Blocks) == 0 {
		return
	}
	if err := s.Notify.PostInThread(ctx, r.Channel, r.ThreadTS, msg); err != nil {
		s.log().Warn("decision not posted in the change thread", "request", r.ID, "err", err)
		return
	}
	if err := s.Store.AppendEvent(ctx, approval.Event{RequestID: r.ID, Kind: notified, Actor: d.User, At: s.now(), TeamID: d.Team, Channel: d.Channel, Detail: noteDetail(d)}); err != nil {
		s.log().Warn("posted thread note not audited; a replay of its click would post it again", "request", r.ID, "err", err)
	}
}

// noted reports whether a decision's thread note is recorded as posted.
// An audit that cannot be read counts as not posted: a note twice is
// better than a requester never told.
func (s *Service) noted(ctx context.Context, d Decision) bool {
	evs, err := s.Store.AuditOf(ctx, d.RequestID)
	if err != nil {
		s.log().Warn("audit not read; the thread note is posted again", "request", d.RequestID, "err", err)
		return false
	}
	return slices.ContainsFunc(evs, func(e approval.Event) bool {
		return e.Kind == notified && e.Actor == d.User && e.Detail == noteDetail(d)
	})
}

// screenOrRefuse checks a decision's identifiers (screen); a malformed
// request ID is refused and told, naming no value.
func (s *Service) screenOrRefuse(ctx context.Context, d *Decision) error {
	checked, err := s.screen(*d)
	if err != nil && checked.RequestID == "" && checkIDs(checked) == "" {
		*d = checked
		return s.refuse(ctx, checked, "this button does not carry a change request ID; nothing was changed")
	}
	return err
}

// DefaultStoreWait is how long a decision waits for a busy store.
const DefaultStoreWait = 20 * time.Second

// endState is a request's approved end state; nil when it cannot be read
// back (verification then checks the live state alone).
func endState(r approval.Request) *vpn.Proposal {
	p, err := proposal.Parse([]byte(r.Proposal), r.ID)
	if err != nil {
		return nil
	}
	return &p
}

// belongs reports whether a click came from the request's own thread root.
func belongs(r approval.Request, d Decision) bool {
	return r.ThreadTS != "" && d.MessageTS == r.ThreadTS && d.Channel == r.Channel
}

func (s *Service) replyChannel(d Decision) string {
	if d.Channel != "" {
		return d.Channel
	}
	return s.Channel
}

// refuse audits a refused click and tells the clicker why; it returns the
// refusal as an error for the caller.
func (s *Service) refuse(ctx context.Context, d Decision, reason string) error {
	s.count("change_click", "refused")
	if err := s.Store.AppendEvent(ctx, approval.Event{RequestID: d.RequestID, Kind: "refused", Actor: d.User, At: s.now(), TeamID: d.Team, Channel: d.Channel, Detail: reason}); err != nil {
		s.log().Error("refusal not audited", "request", d.RequestID, "err", err)
	}
	msg := handlers.Reply{Text: reason, Blocks: []handlers.Block{{Kind: handlers.Paragraph, Tone: handlers.ToneBad, Lines: []string{reason}}}}
	if err := s.Notify.TellUser(ctx, d.User, s.replyChannel(d), msg); err != nil {
		s.log().Warn("refusal not delivered", "user", d.User, "err", err)
	}
	return &approval.Refusal{Reason: reason}
}

func (s *Service) updateRoot(ctx context.Context, r approval.Request) {
	if r.ThreadTS == "" {
		return
	}
	if err := s.Notify.UpdateRoot(ctx, r.Channel, r.ThreadTS, handlers.ChangeReply(r, s.approverIDs()...)); err != nil {
		s.log().Error("change root not updated", "request", r.ID, "err", err)
	}
}

// ExpireDue closes every pending request whose time is up and updates its
// thread, so that an abandoned request does not look open forever.
func (s *Service) ExpireDue(ctx context.Context) error {
	reqs, err := s.Store.List(ctx)
	if err != nil {
		return fmt.Errorf("changes: list requests for expiry: %w", err)
	}
	now := s.now()
	for _, r := range reqs {
		if r.State != approval.Pending || r.ExpiresAt.IsZero() || now.Before(r.ExpiresAt) {
			continue
		}
		updated, err := s.Store.Update(ctx, r.ID, func(req *approval.Request) ([]approval.Event, error) { return approval.Expire(req, now) })
		if err != nil {
			continue // decided or expired by another process meanwhile
		}
		s.expired(ctx, updated)
	}
	return nil
}

// expired updates the thread of a request that has just expired and tells
// the requester there by name. Its callers hold the one transaction that
// stored the expiry, so it is said once.
func (s *Service) expired(ctx context.Context, r approval.Request) {
	if r.ThreadTS == "" {
		return
	}
	s.updateRoot(ctx, r)
	msg := tellRequester(handlers.Reply{}, r, handlers.Text("change "+r.ID+" expired without a decision; submit a new /door change to go ahead."))
	if err := s.Notify.PostInThread(ctx, r.Channel, r.ThreadTS, msg); err != nil {
		s.log().Warn("expiry not posted in the change thread", "request", r.ID, "err", err)
	}
}

// tellRequester adds a line naming the requester ("@U…: what") after
// msg's blocks and at the head of its notification text, so that Slack
// notifies them of a thread reply they would otherwise not see.
func tellRequester(msg handlers.Reply, r approval.Request, what ...handlers.Span) handlers.Reply {
	told := handlers.Mentioning(handlers.ToneNone, append([]handlers.Span{handlers.Person(r.Requester), handlers.Text(": ")}, what...)...)
	msg.Blocks = append(msg.Blocks, told.Blocks...)
	text := told.TextSpans
	if msg.Text != "" {
		was := msg.TextSpans
		if len(was) == 0 {
			was = []handlers.Span{handlers.Text(msg.Text)}
		}
		text = slices.Concat(text, []handlers.Span{handlers.Text(" ")}, was)
	}
	msg.Text, msg.TextSpans = handlers.PlainText(text), text
	return msg
}

// SweepEvery is how often Sweep checks for expired requests.
const SweepEvery = time.Minute

// Sweep runs ExpireDue every interval until ctx ends.
func (s *Service) Sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.ExpireDue(ctx); err != nil {
				s.log().Warn("expiry sweep", "err", err)
			}
		}
	}
}
