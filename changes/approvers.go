package changes

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Approvers is the Directory from configuration: user IDs (U…, W…) and
// user-group IDs (S…), whose members are read through Members and cached,
// so that clicks do not each ask the platform.
type Approvers struct {
	IDs []string
	// Members lists a user group's members (Slack: usergroups.users.list).
	Members func(ctx context.Context, group string) ([]string, error)
	// TTL bounds how stale members may be (0: five minutes); StaleLimit
	// how long a failing lookup may keep serving the last known members
	// before they stop counting (0: DefaultStaleLimit).
	TTL        time.Duration
	StaleLimit time.Duration
	Now        func() time.Time
	Log        *slog.Logger

	mu     sync.Mutex
	groups map[string]groupEntry
	closed map[string]bool // groups whose members stopped counting
}

// DefaultStaleLimit is how long the last known members of a user group
// keep counting while the group cannot be read: past it, approvals fail
// closed and the clicker is told why.
const DefaultStaleLimit = 10 * time.Minute

// Unreadable lists the user groups whose members do not count right now
// because they could not be read for longer than StaleLimit.
func (a *Approvers) Unreadable() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for g, closed := range a.closed {
		if closed {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

func (a *Approvers) setClosed(group string, closed bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed == nil {
		a.closed = map[string]bool{}
	}
	a.closed[group] = closed
}

type groupEntry struct {
	members []string
	at      time.Time
}

// Named lists the configured approvers, user and user-group IDs, in the
// configuration's order.
func (a *Approvers) Named() []string { return slices.Clone(a.IDs) }

// IsApprover checks the configured user IDs, then the members of the
// configured user groups.
func (a *Approvers) IsApprover(ctx context.Context, user string) bool {
	if slices.Contains(a.IDs, user) {
		return true
	}
	for _, g := range a.IDs {
		if strings.HasPrefix(g, "S") && slices.Contains(a.members(ctx, g), user) {
			return true
		}
	}
	return false
}

func (a *Approvers) members(ctx context.Context, group string) []string {
	if a.Members == nil {
		return nil
	}
	ttl, stale := a.TTL, a.StaleLimit
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	if stale <= 0 {
		stale = DefaultStaleLimit
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	log := a.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a.mu.Lock()
	last := a.groups[group]
	a.mu.Unlock()
	if !last.at.IsZero() && now.Sub(last.at) < ttl {
		return last.members
	}
	// Read outside the lock: one slow lookup must not hold up every other
	// decision.
	members, err := a.Members(ctx, group)
	if err != nil {
		if last.at.IsZero() || now.Sub(last.at) > stale {
			log.Warn("cannot read user group; its members do not count", "group", group, "err", err)
			a.setClosed(group, true)
			return nil
		}
		log.Warn("cannot read user group; using the last known members", "group", group, "err", err)
		return last.members
	}
	a.mu.Lock()
	if a.groups == nil {
		a.groups = map[string]groupEntry{}
	}
	a.groups[group] = groupEntry{members: members, at: now}
	a.mu.Unlock()
	a.setClosed(group, false)
	return members
}
