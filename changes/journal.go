package changes

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/store"
)

// The click journal. A decision click is acked at once (Slack wants the
// ack within 3 s) and decided by a worker afterwards; a process killed in
// between would lose the click without telling anybody. So the click is
// written to the store's journal before its ack (Record, within
// RecordWait), its worker takes it, decides it and removes it
// (DecideRecorded), and the leader replays what no worker completed
// (ReplayClicks): at start, and every ReplayEvery after, for clicks older
// than ReplayGrace. A click is taken by one worker or one replay at a
// time, and a replay checks the stored request first, so no decision is
// applied twice.

// DefaultRecordWait bounds the journal write before a click's ack: with
// the rest of the ack it stays well inside Slack's 3 s.
const DefaultRecordWait = time.Second

// DefaultReplayGrace is how old a journaled click must be before a replay
// takes it from its worker: longer than a worker may take (the command
// timeout), so that a live worker is never overtaken.
const DefaultReplayGrace = 2 * time.Minute

// ReplayEvery is how often the leader looks for clicks to replay.
const ReplayEvery = time.Minute

// maxClickTakes bounds how often a click is taken (worker and replays)
// before it is given up and its clicker told to click again.
const maxClickTakes = 3

// NotRecordedText is what a clicker is told when their click could not
// be written to the journal before its ack: nothing was done.
const NotRecordedText = "doorbot could not record your click (its change store is busy or failing), so nothing was done. Click again in a moment."

func (s *Service) recordWait() time.Duration {
	if s.RecordWait > 0 {
		return s.RecordWait
	}
	return DefaultRecordWait
}

func (s *Service) replayGrace() time.Duration {
	if s.ReplayGrace > 0 {
		return s.ReplayGrace
	}
	return DefaultReplayGrace
}

// Record writes a decision to the click journal before its ack, within
// RecordWait, and returns the entry's ID for DecideRecorded. A decision
// with malformed identifiers is not recorded (ID ""): Decide refuses it
// and says why. An error means nothing was recorded: the caller must not
// decide the click and tells its clicker NotRecordedText at once.
func (s *Service) Record(ctx context.Context, d Decision) (string, error) {
	if checkIDs(d) != "" || !ValidRequestID(d.RequestID) || !isDecision(d.Action) {
		return "", nil
	}
	id := "CK-" + rand.Text()
	ctx, cancel := context.WithTimeout(ctx, s.recordWait())
	defer cancel()
	err := s.Store.JournalClick(ctx, store.Click{ID: id, Action: d.Action, RequestID: d.RequestID, User: d.User, Team: d.Team,
		Channel: d.Channel, MessageTS: d.MessageTS, Reason: d.Reason, At: s.now()})
	if err != nil {
		s.count(d.Action, "unrecorded")
		s.log().Error("click not recorded before its ack; the clicker is told", "request", d.RequestID, "user", d.User, "action", d.Action, "err", err)
		return "", fmt.Errorf("changes: record %s on %s: %w", d.Action, d.RequestID, err)
	}
	return id, nil
}

func isDecision(action string) bool {
	return action == handlers.ActionApprove || action == handlers.ActionReject || action == handlers.ActionVerify
}

// DecideRecorded is Decide for a click Record wrote as id: it takes the
// click, decides it and removes it from the journal. A click a replay
// has taken meanwhile (its worker waited longer than ReplayGrace) is left
// to the replay. id "" is a click that was not recorded: Decide alone.
func (s *Service) DecideRecorded(ctx context.Context, id string, d Decision) (approval.Request, error) {
	if id == "" {
		return s.Decide(ctx, d)
	}
	now := s.now()
	taken, err := s.Store.TakeClick(ctx, id, now, now.Add(-s.replayGrace()))
	switch {
	case err != nil:
		// Deciding is still right: the store may answer the decision,
		// and a replay checks the stored request before it decides.
		s.log().Warn("journaled click not taken; deciding it anyway", "click", id, "err", err)
	case !taken:
		s.log().Info("journaled click already taken by a replay", "click", id, "request", d.RequestID)
		return approval.Request{}, nil
	}
	d.journaled = true
	r, err := s.Decide(ctx, d)
	if ctx.Err() != nil {
		s.leaveForReplay(id, d, ctx.Err())
		return r, err
	}
	s.clickDone(ctx, id)
	return r, err
}

// leaveForReplay keeps a click in the journal whose worker or replay ran
// out of context (doorbot stopping, or the time given to one click) while
// deciding it: the decision may be stored without its thread note, or
// not at all, and nothing can be said to the clicker on a spent context.
// The next replay, past the grace, finds it: it applies nothing already
// stored, refreshes the thread root, and tells the clicker either way.
func (s *Service) leaveForReplay(id string, d Decision, why error) {
	s.log().Warn("click interrupted; left in the journal for the replay", "click", id, "request", d.RequestID, "user", d.User, "err", why)
}

// clickDone removes a click from the journal, on a context of its own:
// the job's may be spent. A click left behind is found by a replay,
// which sees its decision recorded and applies nothing.
func (s *Service) clickDone(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.Store.ClickDone(ctx, id); err != nil {
		s.log().Warn("journaled click not removed; a replay will find it decided", "click", id, "err", err)
	}
}

// ReplayClicks completes the journaled clicks that no worker completed
// (their process died between the ack and the decision), each through
// Decide, and tells each clicker that their click was completed after a
// restart. A decision already stored is not applied again. It returns the
// number of clicks it took; it ends when none is left to take (a click it
// took is not taken again within the grace) or ctx ends.
func (s *Service) ReplayClicks(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		// One click at a time, taken just before it is worked on: a take
		// lasts the grace, and a batch taken at once would outlive it
		// while its first clicks are decided, so that another replica's
		// replay (or a late worker) took its tail too and its clickers
		// were told twice. A stopped replay leaves the rest untaken.
		now := s.now()
		clicks, err := s.Store.ClaimClicks(ctx, now, now.Add(-s.replayGrace()), 1)
		if err != nil {
			return n, fmt.Errorf("changes: replay clicks: %w", err)
		}
		if len(clicks) == 0 {
			break
		}
		n++
		s.replay(ctx, clicks[0])
	}
	return n, nil
}

// ReplayLoop replays at once, then every interval until ctx ends: the
// leader's job, so that clicks left by a dead process (or one that
// stopped leading) are completed once.
func (s *Service) ReplayLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.ReplayClicks(ctx); err != nil {
			s.log().Warn("click replay", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) replay(ctx context.Context, c store.Click) {
	d := Decision{Action: c.Action, RequestID: c.RequestID, User: c.User, Team: c.Team, Channel: c.Channel, MessageTS: c.MessageTS, Reason: c.Reason, journaled: true}
	what := fmt.Sprintf("Your %s of change %s (clicked at %s)", noun(d.Action), d.RequestID, c.At.UTC().Format("2006-01-02 15:04:05 UTC"))
	defer func() {
		if ctx.Err() != nil {
			s.leaveForReplay(c.ID, d, ctx.Err())
			return
		}
		s.clickDone(ctx, c.ID)
	}()
	if c.Attempts > maxClickTakes {
		s.count(d.Action, "replay_given_up")
		s.tell(ctx, d.User, s.replyChannel(d), what+fmt.Sprintf(" could not be completed in %d tries (doorbot restarted or ran out of time each time); nothing more will be tried. Look at the change's thread and click again if your decision is not there.", maxClickTakes))
		return
	}
	if r, err := s.Store.Get(ctx, d.RequestID); err == nil && recorded(r, d, c.At) {
		// Its worker may have died between storing the decision and
		// posting its thread note (the requester never told) or updating
		// the thread root, which would still show the request as it was
		// to the approvers: the note is posted unless it is recorded as
		// posted, and replacing the root is harmless if it had been.
		if !s.noted(ctx, d) {
			s.postNote(ctx, d, r)
		}
		s.updateRoot(ctx, r)
		s.count(d.Action, "replayed")
		s.tell(ctx, d.User, s.replyChannel(d), what+" was already recorded when doorbot came back to it; nothing more was done.")
		return
	}
	_, err := s.Decide(ctx, d)
	var refusal *approval.Refusal
	switch {
	case err == nil:
		s.count(d.Action, "replayed")
		s.tell(ctx, d.User, s.replyChannel(d), what+interrupted+" and has now been completed.")
	case errors.As(err, &refusal):
		// Decide told the clicker why.
		s.count(d.Action, "replayed")
		s.tell(ctx, d.User, s.replyChannel(d), what+interrupted+" and has now been answered: refused, as the message above says.")
	default:
		// Decide told the clicker it was not recorded and to click again.
		s.log().Error("replayed click not decided", "request", d.RequestID, "user", d.User, "err", err)
	}
}

// recorded reports whether the click's decision is already in the stored
// request: then a replay applies nothing.
func recorded(r approval.Request, d Decision, at time.Time) bool {
	switch d.Action {
	case handlers.ActionApprove:
		return slices.Contains(r.Approvals, d.User)
	case handlers.ActionReject:
		return r.State == approval.Rejected && r.RejectedBy == d.User
	case handlers.ActionVerify:
		return r.Verification != nil && r.Verification.By == d.User && !r.Verification.At.Before(at)
	}
	return false
}

// interrupted is what a replay can say of why a click waited for it:
// doorbot restarted (killed, stopped, lost the lead) or its worker ran
// out of time, or the click waited in a queue longer than the grace. A
// replay cannot tell which, so it claims no restart.
const interrupted = " was interrupted (doorbot restarted, or fell behind)"

func noun(action string) string {
	switch action {
	case handlers.ActionApprove:
		return "approval"
	case handlers.ActionReject:
		return "rejection"
	case handlers.ActionVerify:
		return "verification"
	}
	return "click"
}
