package handlers

import (
	"fmt"
	"strings"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/vpn"
)

// SubmitResultReply is what the requester of a change is shown once the
// change form is submitted: what doorbot said (said, one line each), then,
// for a recorded request r, its verdict and the findings that are not
// info — the results that must stay visible, not only in the approvals
// channel — and, withDiff, what changes field by field. r is nil when
// nothing was recorded.
func SubmitResultReply(connection string, r *approval.Request, said []string, withDiff bool) Reply {
	const maxFindings, maxDiff = 8, 40
	rep := Reply{Text: strings.Join(said, " ")}
	if r == nil || r.ID == "" {
		rep.Blocks = append(rep.Blocks, heading(ToneBad, "Change for "+connection+" not submitted"))
		if len(said) > 0 {
			rep.Blocks = append(rep.Blocks, paragraph(ToneNone, said...))
		}
		return rep
	}
	verdict := strings.ToUpper(r.Verdict)
	rep.Blocks = append(rep.Blocks, heading(verdictTone(r.Verdict), fmt.Sprintf("Change %s for %s: validation %s", r.ID, r.Connection, verdict)))
	if len(said) > 0 {
		rep.Blocks = append(rep.Blocks, paragraph(ToneNone, said...))
	}
	if r.Verdict == VerdictFail {
		rep.Blocks = append(rep.Blocks, paragraph(ToneBad, "Error findings: approvers see them, and this change cannot be approved as proposed. Fix them and submit it again."))
	}
	if rep.Text == "" {
		rep.Text = fmt.Sprintf("Change %s for %s: validation %s", r.ID, r.Connection, verdict)
	}
	if n := countFindings(r.Findings); n > 0 {
		shown := 0
		for _, f := range r.Findings {
			if f.Severity == vpn.SeverityInfo {
				continue
			}
			if shown == maxFindings {
				rep.Blocks = append(rep.Blocks, notes(fmt.Sprintf("%d more findings: doorbot changes show %s", n-shown, r.ID)))
				break
			}
			rep.Blocks = append(rep.Blocks, findingBlock(f))
			shown++
		}
	}
	if withDiff && len(r.Diff) > 0 {
		diff := r.Diff
		if len(diff) > maxDiff {
			diff = append(diff[:maxDiff:maxDiff], fmt.Sprintf("… %d more lines: doorbot changes show %s", len(r.Diff)-maxDiff, r.ID))
		}
		rep.Blocks = append(rep.Blocks, paragraph(ToneNone, "What changes, field by field (live → proposed):"), Block{Kind: Code, Lines: diff})
	}
	return rep
}
