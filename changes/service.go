package changes

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/proposal"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/runbook"
)

// Notifier carries the workflow's messages to people. Replies are neutral;
// the implementation renders them.
type Notifier interface {
	// PostRoot posts a change's thread root in channel and returns its ts.
	PostRoot(ctx context.Context, channel string, r handlers.Reply) (ts string, err error)
	// UpdateRoot replaces a posted thread root in place.
	UpdateRoot(ctx context.Context, channel, ts string, r handlers.Reply) error
	// PostInThread posts r, and its thread parts, as replies under ts.
	PostInThread(ctx context.Context, channel, ts string, r handlers.Reply) error
	// TellUser tells one user privately: in channel, visible to them
	// alone, or in a direct message when channel is empty.
	TellUser(ctx context.Context, user, channel string, r handlers.Reply) error
}

// Directory says who may approve. One that can also list the configured
// approvers (Named: user and user-group IDs) has them named in each
// pending thread root, so that the post notifies them.
type Directory interface {
	IsApprover(ctx context.Context, user string) bool
}

// approverIDs are the approvers a thread root names; none when the
// Directory does not list them.
func (s *Service) approverIDs() []string {
	if n, ok := s.Approvers.(interface{ Named() []string }); ok {
		return n.Named()
	}
	return nil
}

// Checker validates a proposal against the live state and verifies a
// connection: *handlers.Service.
type Checker interface {
	Validate(ctx context.Context, p vpn.Proposal) (handlers.ValidateResult, error)
	Verify(ctx context.Context, name string, p *vpn.Proposal) (runbook.Verification, error)
}

// Service runs the workflow. Store is required for everything; Checks,
// Notify and Approvers for submitting and deciding (the CLI's `runbook
// verify` needs only Store).
type Service struct {
	Store     store.Store
	Checks    Checker
	Notify    Notifier
	Approvers Directory
	// Channel is where requests are posted (slack.approvals_channel).
	Channel string
	// Required distinct approvals; TTL until a pending request expires.
	Required int
	TTL      time.Duration
	// ActiveFor is how long after its approval a change counts as under
	// way (ActiveChange); 0 means TTL, and no TTL a day.
	ActiveFor time.Duration
	Now       func() time.Time
	Log       *slog.Logger
	// StoreWait bounds how long a decision waits for a busy store (another
	// process holding SQLite's lock) before the clicker is told it was not
	// recorded; 0 means DefaultStoreWait.
	StoreWait time.Duration
	// RecordWait bounds the click journal's write before a click's ack
	// (Record); 0 means DefaultRecordWait.
	RecordWait time.Duration
	// ReplayGrace is how old a journaled click must be before a replay
	// takes it from its worker (ReplayClicks); 0 means
	// DefaultReplayGrace. Keep it above the command timeout.
	ReplayGrace time.Duration
	// Count, when set, counts outcomes (metrics): command, outcome.
	Count func(command, outcome string)
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Service) count(command, outcome string) {
	if s.Count != nil {
		s.Count(command, outcome)
	}
}

// Proposed is a change as submitted: who, for which connection (in
// Proposal.Connection), why and when.
type Proposed struct {
	User     string
	Team     string
	Proposal vpn.Proposal
	Reason   string
	Window   string
	// Key, when set, identifies the submission (commands: the form's ID
	// and a hash of its values): the request ID is derived from it, so a
	// replayed submission finds its request already stored and creates
	// nothing, in this process or another sharing the store.
	Key string
	// Tell, when set, receives everything Submit has to say to the
	// requester instead of a private message (the change form shows it in
	// its results and tells it once, with the findings).
	Tell func(ctx context.Context, r handlers.Reply)
}

// Submit validates a proposal against the live state, records the request
// and posts it for approval with the diff, the findings and the runbook.
// The requester is told the outcome privately, whatever it is; the error
// says what failed for the caller's log.
func (s *Service) Submit(ctx context.Context, p Proposed) (approval.Request, error) {
	name := p.Proposal.Connection
	if !reUserID.MatchString(p.User) || (p.Team != "" && !reTeamID.MatchString(p.Team)) {
		s.log().Warn("change submission with a malformed user or team dropped")
		return approval.Request{}, errors.New("changes: submission with a malformed user or team ID")
	}
	id := requestID(p.Key)
	if p.Key != "" {
		if prior, err := s.Store.Get(ctx, id); err == nil {
			return s.duplicate(ctx, p, prior)
		}
	}
	res, err := s.Checks.Validate(ctx, p.Proposal)
	if err != nil {
		s.tellRequester(ctx, p, "Your change for "+name+" could not be validated: "+err.Error())
		return approval.Request{}, fmt.Errorf("changes: validate %s: %w", name, err)
	}
	// Validate read the live state once; the diff and the change's
	// runbook use that same reading.
	live, merged := res.Current, res.End
	in := runbook.Input{Connection: res.Observation.Connection, Observation: res.Observation}
	if in.Connection.Name == "" {
		in.Connection.Name = name
	}
	rb := runbook.ForChange(in, live, merged)
	now := s.now()
	req := approval.Request{
		ID: id, Connection: name, State: approval.Pending, Requester: p.User,
		Reason: p.Reason, Window: p.Window, Proposal: string(proposal.Marshal(merged)),
		Verdict: res.Verdict, Findings: res.Findings,
		Diff:              handlers.Diff(proposal.Marshal(live), proposal.Marshal(merged)),
		Runbook:           &rb,
		RequiredApprovals: s.Required, Approvals: []string{},
		CreatedAt: now, ExpiresAt: now.Add(s.TTL), TeamID: p.Team, Channel: s.Channel,
	}
	if err := s.Store.Create(ctx, req, approval.Event{RequestID: req.ID, Kind: "created", Actor: p.User, At: now, TeamID: p.Team, Channel: s.Channel,
		Detail: fmt.Sprintf("connection %s, verdict %s", req.Connection, req.Verdict)}); errors.Is(err, store.ErrExists) {
		prior, _ := s.Store.Get(ctx, id)
		return s.duplicate(ctx, p, prior)
	} else if err != nil {
		s.log().Error("change request not stored", "connection", name, "err", err)
		s.tellRequester(ctx, p, "Your change for "+name+" could not be recorded in the change store; nothing was posted. Try again.")
		return approval.Request{}, fmt.Errorf("changes: store %s: %w", req.ID, err)
	}
	ts, err := s.Notify.PostRoot(ctx, s.Channel, handlers.ChangeReply(req, s.approverIDs()...))
	if err != nil {
		s.log().Error("change request not posted", "request", req.ID, "channel", s.Channel, "err", err)
		s.tellRequester(ctx, p, fmt.Sprintf("Change %s is recorded but could not be posted in the approvals channel (%v): invite doorbot there.", req.ID, err))
		return req, fmt.Errorf("changes: post %s: %w", req.ID, err)
	}
	// Without the thread's ts stored, no button of this request would be
	// accepted: retry briefly, then say so rather than leave a dead thread.
	var posted approval.Request
	for range 3 {
		posted, err = s.Store.Update(ctx, req.ID, func(r *approval.Request) ([]approval.Event, error) {
			r.ThreadTS = ts
			return []approval.Event{{RequestID: r.ID, Kind: "posted", Actor: "doorbot", At: s.now(), TeamID: p.Team, Channel: s.Channel, Detail: "thread " + ts}}, nil
		})
		if err == nil {
			break
		}
	}
	if err != nil {
		s.log().Error("change thread not recorded", "request", req.ID, "err", err)
		_ = s.Notify.PostInThread(ctx, s.Channel, ts, note("doorbot could not record this thread for change "+req.ID+"; its buttons will not work. Submit the change again."))
		s.tellRequester(ctx, p, fmt.Sprintf("Change %s was posted but could not be recorded, so it cannot be approved; submit it again.", req.ID))
		return req, fmt.Errorf("changes: record thread of %s: %w", req.ID, err)
	}
	req = posted
	if err := s.Notify.PostInThread(ctx, s.Channel, ts, handlers.RunbookReply(rb)); err != nil {
		s.log().Error("runbook not posted in the change thread", "request", req.ID, "err", err)
	}
	s.tellRequester(ctx, p, fmt.Sprintf("Change %s for %s is posted for approval (%s).", req.ID, req.Connection, strings.ToUpper(req.Verdict)))
	return req, nil
}

// requestID is a new random ID, or the one derived from a submission's
// key.
func requestID(key string) string {
	var b [5]byte
	if key == "" {
		_, _ = rand.Read(b[:])
	} else {
		sum := sha256.Sum256([]byte("doorbot change request\x00" + key))
		copy(b[:], sum[:])
	}
	return "CR-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// duplicate answers a submission that was already made (a replay, a
// double submit): nothing new is stored or posted.
func (s *Service) duplicate(ctx context.Context, p Proposed, prior approval.Request) (approval.Request, error) {
	s.count("change_submit", "duplicate")
	s.log().Warn("change submission already recorded; nothing created", "request", prior.ID, "user", p.User)
	if prior.Requester == p.User {
		s.tellRequester(ctx, p, fmt.Sprintf("This form was already submitted as change %s; nothing new was created.", prior.ID))
	}
	return prior, ErrDuplicate
}

// ErrDuplicate is returned by Submit for a submission already recorded.
var ErrDuplicate = errors.New("changes: submission already recorded")

// note is a one-paragraph message.
func note(text string) handlers.Reply {
	return handlers.Reply{Text: text, Blocks: []handlers.Block{{Kind: handlers.Paragraph, Lines: []string{text}}}}
}

// tell says something to one user privately; a failure is logged, since
// there is nobody else to tell.
func (s *Service) tell(ctx context.Context, user, channel, text string) {
	if err := s.Notify.TellUser(ctx, user, channel, note(text)); err != nil {
		s.log().Warn("cannot message user", "user", user, "err", err)
	}
}

// tellRequester says something to the submitter of p, through p.Tell
// when the caller gave one.
func (s *Service) tellRequester(ctx context.Context, p Proposed, text string) {
	if p.Tell != nil {
		p.Tell(ctx, note(text))
		return
	}
	s.tell(ctx, p.User, "", text)
}

// getRequest reads a request for a decision. A missing request and a
// store that cannot be read are different answers: only the first means
// the button is wrong.
func (s *Service) getRequest(ctx context.Context, d Decision) (approval.Request, error) {
	r, err := s.Store.Get(ctx, d.RequestID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return r, s.refuse(ctx, d, "no change request "+d.RequestID+" exists; nothing was changed")
	case err != nil:
		s.log().Error("change store read failed", "request", d.RequestID, "err", err)
		s.tell(ctx, d.User, s.replyChannel(d), "The change store could not be read, so change "+d.RequestID+" was not touched; try again in a moment.")
		return r, fmt.Errorf("changes: read %s: %w", d.RequestID, err)
	}
	return r, nil
}
