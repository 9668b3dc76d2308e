package approval

import (
	"fmt"
	"slices"
	"time"
)

// Refusal is a click or command that changes nothing, with the reason to
// show the person who made it.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

func refuse(format string, args ...any) error { return &Refusal{Reason: fmt.Sprintf(format, args...)} }

// Decider is one person acting on a request. IsApprover is resolved by the
// caller from the configured approvers and user groups, server-side.
type Decider struct {
	User       string
	IsApprover bool
	TeamID     string
	Channel    string
}

// checkOpen refuses decided requests and expires stale ones. An expiry is
// a change worth storing even though the click itself is refused, so it
// is reported through expired rather than as an error.
func checkOpen(r *Request, now time.Time) (expired []Event, err error) {
	switch r.State {
	case Approved, Rejected:
		return nil, refuse("change %s is already %s; nothing was changed", r.ID, r.State)
	case Expired:
		return nil, refuse("change %s expired at %s; submit a new /door change", r.ID, r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt) {
		r.State = Expired
		r.DecidedAt = now
		return []Event{{RequestID: r.ID, Kind: "expired", Actor: "doorbot", At: now, Detail: "no decision before " + r.ExpiresAt.UTC().Format(time.RFC3339)}}, nil
	}
	return nil, nil
}

// Approve records an approval. Only approvers count, never the requester,
// never on a request with error findings, once per person; the request is
// approved when RequiredApprovals distinct approvers have approved.
func Approve(r *Request, d Decider, now time.Time) ([]Event, error) {
	if ev, err := checkOpen(r, now); err != nil || ev != nil {
		return ev, err
	}
	switch {
	case !d.IsApprover:
		return nil, refuse("you are not one of this workspace's change approvers (slack.approvers); your click was not counted")
	case d.User == r.Requester:
		return nil, refuse("you requested change %s: someone else must approve it", r.ID)
	case r.Verdict == "fail" || hasError(r):
		return nil, refuse("change %s has error findings and cannot be approved; fix the proposal and submit a new /door change", r.ID)
	case slices.Contains(r.Approvals, d.User):
		return nil, refuse("you already approved change %s", r.ID)
	}
	r.Approvals = append(r.Approvals, d.User)
	r.Votes = append(r.Votes, Vote{User: d.User, Kind: "approve", At: now})
	need := max(r.RequiredApprovals, 1)
	ev := Event{RequestID: r.ID, Kind: "approval", Actor: d.User, At: now, TeamID: d.TeamID, Channel: d.Channel,
		Detail: fmt.Sprintf("%d of %d approvals", len(r.Approvals), need)}
	if len(r.Approvals) >= need {
		r.State = Approved
		r.DecidedAt = now
		ev.Kind = "approved"
	}
	return []Event{ev}, nil
}

// Reject records a rejection, which needs a reason. Approvers may reject;
// the requester may withdraw their own request.
func Reject(r *Request, d Decider, reason string, now time.Time) ([]Event, error) {
	if ev, err := checkOpen(r, now); err != nil || ev != nil {
		return ev, err
	}
	switch {
	case !d.IsApprover && d.User != r.Requester:
		return nil, refuse("you are not one of this workspace's change approvers (slack.approvers); only they, or the requester, can reject")
	case len(trim(reason)) == 0:
		return nil, refuse("a rejection needs a reason")
	}
	r.State = Rejected
	r.DecidedAt = now
	r.RejectedBy = d.User
	r.RejectionReason = reason
	r.Votes = append(r.Votes, Vote{User: d.User, Kind: "reject", Reason: reason, At: now})
	return []Event{{RequestID: r.ID, Kind: "rejected", Actor: d.User, At: now, TeamID: d.TeamID, Channel: d.Channel, Detail: reason}}, nil
}

// RecordVerification stores a post-change check on an approved request.
func RecordVerification(r *Request, d Decider, passed bool, summary string, now time.Time) ([]Event, error) {
	if r.State != Approved {
		return nil, refuse("change %s is %s; only an approved change is verified", r.ID, r.State)
	}
	r.Verification = &Verification{At: now, By: d.User, Passed: passed, Summary: summary}
	detail := "failed: " + summary
	if passed {
		detail = "passed"
	}
	return []Event{{RequestID: r.ID, Kind: "verified", Actor: d.User, At: now, TeamID: d.TeamID, Channel: d.Channel, Detail: detail}}, nil
}

func hasError(r *Request) bool {
	for _, f := range r.Findings {
		if f.Severity == "error" {
			return true
		}
	}
	return false
}

func trim(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\n' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// Expire closes a pending request whose time is up; it is what a sweeper
// runs so that the thread shows the expiry without anyone clicking.
func Expire(r *Request, now time.Time) ([]Event, error) {
	if r.State != Pending {
		return nil, refuse("change %s is already %s", r.ID, r.State)
	}
	if r.ExpiresAt.IsZero() || now.Before(r.ExpiresAt) {
		return nil, refuse("change %s is not due to expire until %s", r.ID, r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	ev, err := checkOpen(r, now)
	return ev, err
}
