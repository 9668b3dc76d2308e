// Package approval is the change-approval state machine: who may decide a
// change request, when, and what a decision does. It knows nothing of
// Slack or storage: the bot carries clicks to it, the store persists what
// it decides, each decision in one transaction.
package approval

import (
	"time"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/runbook"
)

// State of a change request (docs/slack.md).
type State string

const (
	Pending  State = "pending"
	Approved State = "approved"
	Rejected State = "rejected"
	Expired  State = "expired"
)

// Request is one change request and its decisions.
type Request struct {
	ID         string `json:"id"`
	Connection string `json:"connection"`
	State      State  `json:"state"`
	Requester  string `json:"requester"`
	Reason     string `json:"reason"`
	Window     string `json:"window,omitempty"`
	// Proposal is the submitted YAML as doorbot re-rendered it: keys are
	// never stored.
	Proposal string        `json:"proposal"`
	Verdict  string        `json:"verdict"`
	Findings []vpn.Finding `json:"findings"`
	// Diff says what the change does, line by line, for reviewers.
	Diff []string `json:"diff"`
	// Runbook applies the change, step by step, from the live state it was
	// submitted against (runbook.ForChange); nil for requests stored before
	// doorbot wrote it.
	Runbook           *runbook.Runbook `json:"runbook,omitempty"`
	RequiredApprovals int              `json:"required_approvals"`
	Approvals         []string         `json:"approvals"`
	Votes             []Vote           `json:"votes"`
	RejectedBy        string           `json:"rejected_by,omitempty"`
	RejectionReason   string           `json:"rejection_reason,omitempty"`
	CreatedAt         time.Time        `json:"created_at"`
	ExpiresAt         time.Time        `json:"expires_at"`
	DecidedAt         time.Time        `json:"decided_at,omitzero"`
	// Where the request lives in Slack: the approvals channel's thread root.
	TeamID   string `json:"team_id,omitempty"`
	Channel  string `json:"channel,omitempty"`
	ThreadTS string `json:"thread_ts,omitempty"`
	// Verification is the last post-change check, once approved.
	Verification *Verification `json:"verification,omitempty"`
	// Version increases with every stored change (optimistic checks).
	Version int `json:"version"`
}

// Vote is one approval or rejection.
type Vote struct {
	User   string    `json:"user"`
	Kind   string    `json:"kind"` // approve | reject
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// Verification records a post-change check of the live state.
type Verification struct {
	At      time.Time `json:"at"`
	By      string    `json:"by"`
	Passed  bool      `json:"passed"`
	Summary string    `json:"summary"`
}

// Event is one line of the append-only audit log.
type Event struct {
	RequestID string    `json:"request_id"`
	Kind      string    `json:"kind"` // created | approved | rejected | expired | refused | verified | posted
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
	TeamID    string    `json:"team_id,omitempty"`
	Channel   string    `json:"channel,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}
