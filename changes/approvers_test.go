package changes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/changes/changestest"
)

// Approvers are configured user IDs and members of configured user
// groups; members are read at most once per TTL, and a failing read keeps
// the last members for a while, then stops counting them.
func TestApproversGroupCache(t *testing.T) {
	clk := changestest.NewClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	reads := 0
	var fail error
	members := map[string][]string{"S0NETOPS": {"UGRP"}}
	a := &changes.Approvers{
		IDs: []string{"UAPP1", "S0NETOPS"},
		Members: func(_ context.Context, g string) ([]string, error) {
			reads++
			return members[g], fail
		},
		TTL: 5 * time.Minute, StaleLimit: time.Hour, Now: clk.Now,
	}
	ctx := context.Background()
	steps := []struct {
		name      string
		advance   time.Duration
		fail      error
		user      string
		want      bool
		wantReads int
	}{
		{"a configured user needs no lookup", 0, nil, "UAPP1", true, 0},
		{"a group member counts", 0, nil, "UGRP", true, 1},
		{"a stranger does not (from the cache)", 0, nil, "URANDOM", false, 1},
		{"within the TTL the group is not read again", time.Minute, nil, "UGRP", true, 1},
		{"after the TTL it is", 5 * time.Minute, nil, "UGRP", true, 2},
		{"a failing read keeps the last members", 10 * time.Minute, errors.New("ratelimited"), "UGRP", true, 3},
		{"but not past the stale limit", 2 * time.Hour, errors.New("ratelimited"), "UGRP", false, 4},
	}
	for _, s := range steps {
		clk.Add(s.advance)
		fail = s.fail
		if got := a.IsApprover(ctx, s.user); got != s.want || reads != s.wantReads {
			t.Errorf("%s: approver %v after %d reads, want %v after %d", s.name, got, reads, s.want, s.wantReads)
		}
	}
}
