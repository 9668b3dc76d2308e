package changes

import (
	"context"
	"fmt"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/runbook"
)

// LatestApproved is the newest approved change of a connection, if any.
func (s *Service) LatestApproved(ctx context.Context, connection string) (approval.Request, bool, error) {
	reqs, err := s.Store.List(ctx)
	if err != nil {
		return approval.Request{}, false, fmt.Errorf("changes: list requests: %w", err)
	}
	for _, r := range reqs { // newest first
		if r.Connection == connection && r.State == approval.Approved {
			return r, true, nil
		}
	}
	return approval.Request{}, false, nil
}

// ActiveChange is the approved change of a connection that is under way
// at now: approved at most ActiveFor ago and not yet verified as done.
// While there is one, news about the connection (alerts) belongs in its
// thread (Channel, ThreadTS) rather than paging anyone.
func (s *Service) ActiveChange(ctx context.Context, connection string, now time.Time) (approval.Request, bool, error) {
	r, ok, err := s.LatestApproved(ctx, connection)
	if err != nil || !ok {
		return approval.Request{}, false, err
	}
	switch {
	case r.ThreadTS == "", now.Before(r.DecidedAt), !now.Before(r.DecidedAt.Add(s.activeFor())):
		return approval.Request{}, false, nil
	case r.Verification != nil && r.Verification.Passed:
		return approval.Request{}, false, nil
	}
	return r, true, nil
}

func (s *Service) activeFor() time.Duration {
	switch {
	case s.ActiveFor > 0:
		return s.ActiveFor
	case s.TTL > 0:
		return s.TTL
	}
	return 24 * time.Hour
}

// ApprovedEnd is handlers.Service.Approved: the newest approved change of
// a connection and its end state, so that `runbook verify` checks what was
// approved. A store that cannot be read means no approved change is known
// (verify then checks the live state alone); it is logged.
func (s *Service) ApprovedEnd(ctx context.Context, connection string) (id string, end *vpn.Proposal, ok bool) {
	r, ok, err := s.LatestApproved(ctx, connection)
	if err != nil {
		s.log().Warn("approved changes not read; verifying the live state alone", "connection", connection, "err", err)
		return "", nil, false
	}
	if !ok {
		return "", nil, false
	}
	return r.ID, endState(r), true
}

// RecordVerification is handlers.Service.RecordVerification: it stores a
// `runbook verify` outcome on the approved request it checked.
func (s *Service) RecordVerification(ctx context.Context, id string, v runbook.Verification) {
	_, err := s.Store.Update(ctx, id, func(r *approval.Request) ([]approval.Event, error) {
		return approval.RecordVerification(r, approval.Decider{User: "runbook verify"}, v.Passed, v.Failed(), s.now())
	})
	if err != nil {
		s.log().Warn("verification not recorded on the change", "request", id, "err", err)
	}
}
