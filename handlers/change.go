package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/vpn"
)

// Action IDs of the change thread's buttons (docs/slack.md, interface).
const (
	ActionApprove = "change_approve"
	ActionReject  = "change_reject"
	ActionVerify  = "change_verify"
)

// ChangeReply is the thread root of a change request: who, what, the
// diff, the findings and verdict, the decisions so far, and the buttons
// that still make sense. It is re-rendered and updated in place on every
// decision.
func ChangeReply(r approval.Request) Reply {
	tone := ToneWarning
	switch r.State {
	case approval.Approved:
		tone = ToneGood
	case approval.Rejected, approval.Expired:
		tone = ToneBad
	}
	need := max(r.RequiredApprovals, 1)
	head := fmt.Sprintf("Change %s: %s — %s", r.ID, r.Connection, strings.ToUpper(string(r.State)))
	rep := Reply{Text: fmt.Sprintf("%s (%d of %d approvals)", head, len(r.Approvals), need)}
	// The state lines are doorbot's; what the requester typed (reason,
	// window) is quoted apart from them, so no typed line can pass for an
	// approval count or a decision.
	state := paragraph(ToneNone,
		"requested by "+mention(r.Requester),
		fmt.Sprintf("approvals: %d of %d%s", len(r.Approvals), need, mentions(r.Approvals)),
	)
	if strings.TrimSpace(r.Window) == "" {
		state.Lines = append(state.Lines, "window: not stated")
	}
	rep.Blocks = append(rep.Blocks, heading(tone, head), state, QuoteBlock("reason", r.Reason))
	if strings.TrimSpace(r.Window) != "" {
		rep.Blocks = append(rep.Blocks, QuoteBlock("window", r.Window))
	}
	verdictLine := fmt.Sprintf("validation: %s", strings.ToUpper(r.Verdict))
	if r.Verdict == "fail" {
		verdictLine += " — error findings: this change cannot be approved as proposed"
	}
	rep.Blocks = append(rep.Blocks, paragraph(verdictTone(r.Verdict), verdictLine))
	// The root must stay one Slack message with its buttons in it, however
	// long the proposal: the rest is in `doorbot changes show ID`.
	const maxRootFindings, maxRootDiff = 8, 40
	shown := 0
	for _, f := range r.Findings {
		if f.Severity == vpn.SeverityInfo {
			continue
		}
		if shown == maxRootFindings {
			rep.Blocks = append(rep.Blocks, notes(fmt.Sprintf("%d more findings: doorbot changes show %s", countFindings(r.Findings)-shown, r.ID)))
			break
		}
		rep.Blocks = append(rep.Blocks, findingBlock(f))
		shown++
	}
	if len(r.Diff) > 0 {
		diff := r.Diff
		if len(diff) > maxRootDiff {
			diff = append(diff[:maxRootDiff:maxRootDiff], fmt.Sprintf("… %d more lines: doorbot changes show %s", len(r.Diff)-maxRootDiff, r.ID))
		}
		rep.Blocks = append(rep.Blocks, paragraph(ToneNone, "What changes (- live, + proposed):"), Block{Kind: Code, Lines: diff})
	} else {
		rep.Blocks = append(rep.Blocks, paragraph(ToneMuted, "The proposal states nothing that differs from the live state."))
	}
	switch r.State {
	case approval.Pending:
		rep.Blocks = append(rep.Blocks, notes("expires "+r.ExpiresAt.UTC().Format(time.RFC3339)+"; the runbook for this change is in the thread"),
			Block{Kind: Buttons, Buttons: []Button{
				{ActionID: ActionApprove, Label: "Approve", Value: r.ID, Style: "primary", Confirm: "Approve change " + r.ID + " to " + r.Connection + "?"},
				{ActionID: ActionReject, Label: "Reject", Value: r.ID, Style: "danger"},
			}})
	case approval.Approved:
		line := "approved " + r.DecidedAt.UTC().Format(time.RFC3339)
		if v := r.Verification; v != nil {
			result := "passed"
			if !v.Passed {
				result = "FAILED: " + v.Summary
			}
			line += fmt.Sprintf("; last verification by %s at %s: %s", mention(v.By), v.At.UTC().Format(time.RFC3339), result)
		}
		rep.Blocks = append(rep.Blocks, notes(line), Block{Kind: Buttons, Buttons: []Button{
			{ActionID: ActionVerify, Label: "Verify now", Value: r.ID},
		}})
	case approval.Rejected:
		rep.Blocks = append(rep.Blocks, notes(fmt.Sprintf("rejected by %s at %s", mention(r.RejectedBy), r.DecidedAt.UTC().Format(time.RFC3339))),
			QuoteBlock("rejection reason", r.RejectionReason))
	case approval.Expired:
		rep.Blocks = append(rep.Blocks, notes("expired "+r.ExpiresAt.UTC().Format(time.RFC3339)+" without a decision"))
	}
	return rep
}

func countFindings(fs []vpn.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity != vpn.SeverityInfo {
			n++
		}
	}
	return n
}

// mention is a Slack user reference. IDs come from Slack itself (never
// from typed text), so the renderer keeps <@…> for them alone.
func mention(user string) string {
	if user == "" {
		return "someone"
	}
	return "@" + user
}

func mentions(users []string) string {
	if len(users) == 0 {
		return ""
	}
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = mention(u)
	}
	return " (" + strings.Join(out, ", ") + ")"
}

func verdictTone(v string) Tone {
	switch v {
	case VerdictFail:
		return ToneBad
	case VerdictWarn:
		return ToneWarning
	}
	return ToneGood
}

// Diff compares the live state and the intended end state as the YAML
// people read, line by line.
func Diff(live, proposed []byte) []string {
	a := strings.Split(strings.TrimRight(string(live), "\n"), "\n")
	b := strings.Split(strings.TrimRight(string(proposed), "\n"), "\n")
	inA := map[string]int{}
	for _, l := range a {
		inA[l]++
	}
	inB := map[string]int{}
	for _, l := range b {
		inB[l]++
	}
	var out []string
	for _, l := range a {
		if inB[l] == 0 && strings.TrimSpace(l) != "" {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if inA[l] == 0 && strings.TrimSpace(l) != "" {
			out = append(out, "+ "+l)
		}
	}
	return out
}
