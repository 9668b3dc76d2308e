package handlers

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/doorbot/doorbot/proposal"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/runbook"
)

// RunbookKinds are the runbooks `runbook KIND NAME` knows.
var RunbookKinds = []string{"static", "migrate", "verify"}

// Runbook reads the connection's live state and fills a runbook with it.
func (s *Service) Runbook(ctx context.Context, kind, name string) (runbook.Runbook, error) {
	in, err := s.runbookInput(ctx, name)
	if err != nil {
		return runbook.Runbook{}, err
	}
	return runbook.Generate(runbook.Kind(kind), in)
}

// LiveRunbook is the runbook for the routing the connection runs now, and
// its kind: migrate when either side routes with BGP, else static. One
// read of the connection serves both the choice and the runbook.
func (s *Service) LiveRunbook(ctx context.Context, name string) (runbook.Runbook, string, error) {
	in, err := s.runbookInput(ctx, name)
	if err != nil {
		return runbook.Runbook{}, "", err
	}
	kind := "static"
	if rt := routingOf(in.Observation); rt.AWS == vpn.RoutingBGP || rt.Azure == vpn.RoutingBGP {
		kind = "migrate"
	}
	rb, err := runbook.Generate(runbook.Kind(kind), in)
	return rb, kind, err
}

// LiveRunbookReply is LiveRunbook's answer: the runbook, and which of the
// others to ask for when the routing chosen is not the one meant.
func LiveRunbookReply(rb runbook.Runbook, kind, name string) Reply {
	rep := RunbookReply(rb)
	rep.Blocks = append(rep.Blocks, notes("The "+kind+" runbook, for the routing "+name+" runs now. Others: /door runbook static|migrate|verify "+name))
	return rep
}

// Verify re-reads the live state and checks the expected end state; p,
// when given, is the intended end state (an approved proposal).
func (s *Service) Verify(ctx context.Context, name string, p *vpn.Proposal) (runbook.Verification, error) {
	in, err := s.runbookInput(ctx, name)
	if err != nil {
		return runbook.Verification{}, err
	}
	in.Proposal = p
	v := runbook.Verify(in)
	if p != nil {
		addEndState(&v, *p, in.Observation)
	}
	return v, nil
}

// maxEndStateDetail bounds the differing fields one check lists.
const maxEndStateDetail = 12

// addEndState checks every field of the approved end state that doorbot
// observes against the live state, so that a change never applied (or
// applied differently) does not pass. Keys are never compared (no cloud
// returns them), nor are values doorbot cannot read (absent from the live
// state), except whole tunnels, gateways and connections, which must exist.
func addEndState(v *runbook.Verification, end vpn.Proposal, obs vpn.Observation) {
	var differ []string
	for _, l := range Diff(proposal.Marshal(vpn.ProposalFromObservation(obs)), proposal.Marshal(end)) {
		path, _, _ := strings.Cut(l, ": ")
		element := strings.HasSuffix(path, ")") || strings.HasSuffix(path, "]")
		if l == NoChange || strings.Contains(l, "(not shown)") || (strings.Contains(l, ": (absent) → ") && !element) {
			continue
		}
		differ = append(differ, strings.Replace(l, " → ", " live, approved ", 1))
	}
	detail := "every observed field of the approved end state is live"
	if len(differ) > 0 {
		shown := differ[:min(len(differ), maxEndStateDetail)]
		detail = strings.Join(shown, "; ")
		if len(differ) > len(shown) {
			detail += fmt.Sprintf("; and %d more", len(differ)-len(shown))
		}
	}
	v.Items = append(v.Items, runbook.CheckItem{Name: "the approved end state is live", OK: len(differ) == 0, Detail: detail})
	v.Passed = v.Passed && len(differ) == 0
}

// VerifyApproved is `runbook verify NAME`: it checks the live state
// against the newest approved change of the connection, when there is
// one, and records the outcome on that request.
func (s *Service) VerifyApproved(ctx context.Context, name string) (runbook.Verification, error) {
	var id string
	var end *vpn.Proposal
	var ok bool
	if s.Approved != nil {
		id, end, ok = s.Approved(ctx, name)
	}
	v, err := s.Verify(ctx, name, end)
	if err == nil && ok && s.RecordVerification != nil {
		s.RecordVerification(ctx, id, v)
	}
	return v, err
}

func (s *Service) runbookInput(ctx context.Context, name string) (runbook.Input, error) {
	conn, obs, err := s.observeOne(ctx, name)
	if err != nil {
		return runbook.Input{}, err
	}
	return runbook.Input{Connection: conn, Observation: obs}, nil
}

// RunbookReply is a runbook for people: a parent with the summary and the
// values still to fill in, then one thread reply per phase.
func RunbookReply(rb runbook.Runbook) Reply {
	rep := Reply{Text: rb.Title}
	rep.Blocks = append(rep.Blocks, heading(ToneNone, "📘 "+rb.Title), paragraph(ToneNone, rb.Summary...))
	if len(rb.Placeholders) > 0 {
		lines := []string{"Fill these in before you start (doorbot cannot read them):"}
		for _, p := range rb.Placeholders {
			lines = append(lines, fmt.Sprintf("{%s} — %s", p.Name, p.Description))
		}
		rep.Blocks = append(rep.Blocks, paragraph(ToneWarning, lines...))
	}
	if len(rb.Phases) == 0 {
		return rep
	}
	phases := make([]string, len(rb.Phases))
	for i, ph := range rb.Phases {
		phases[i] = fmt.Sprintf("%d. %s (%d steps)", i+1, ph.Title, len(ph.Steps))
	}
	rep.Blocks = append(rep.Blocks, paragraph(ToneNone, phases...))
	n := 0
	for i, ph := range rb.Phases {
		part := Reply{Blocks: []Block{heading(ToneNone, fmt.Sprintf("Phase %d: %s", i+1, ph.Title))}}
		for _, st := range ph.Steps {
			n++
			part.Blocks = append(part.Blocks, stepBlocks(n, st)...)
		}
		rep.Thread = append(rep.Thread, part)
	}
	return rep
}

func stepBlocks(n int, st runbook.Step) []Block {
	title := fmt.Sprintf("Step %d [%s]: %s", n, st.Side, st.Title)
	tone := ToneNone
	if st.PointOfNoReturn {
		title += " — POINT OF NO RETURN"
		tone = ToneBad
	}
	blocks := []Block{paragraph(tone, title)}
	if len(st.Commands) > 0 {
		blocks = append(blocks, Block{Kind: Code, Lines: st.Commands})
	}
	var lines []string
	if st.Impact != "" {
		lines = append(lines, "impact: "+st.Impact)
	}
	if st.Expect != "" {
		lines = append(lines, "expect: "+st.Expect)
	}
	if st.Check != "" {
		lines = append(lines, "check: "+joinContinuations(st.Check))
	}
	if st.Rollback != "" {
		lines = append(lines, "rollback: "+joinContinuations(st.Rollback))
	}
	if len(lines) > 0 {
		blocks = append(blocks, detail(ToneMuted, lines...))
	}
	return blocks
}

// continuation is a shell line continuation and the indent after it.
var continuation = regexp.MustCompile(`[ \t]*\\\n[ \t]*`)

// joinContinuations puts a multi-line command that sits inside a line of
// prose (a check, a rollback) on one line. Flattening the newline alone
// would leave "\ " behind, which the shell reads as an argument of one space.
func joinContinuations(s string) string {
	return continuation.ReplaceAllString(s, " ")
}

// RunbookMarkdown renders a runbook for a ticket.
func RunbookMarkdown(rb runbook.Runbook) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", rb.Title)
	for _, l := range rb.Summary {
		fmt.Fprintf(&b, "%s\n", l)
	}
	if len(rb.Placeholders) > 0 {
		b.WriteString("\n## Values to fill in\n\n| placeholder | where to find it |\n| --- | --- |\n")
		for _, p := range rb.Placeholders {
			fmt.Fprintf(&b, "| `{%s}` | %s |\n", p.Name, strings.ReplaceAll(p.Description, "|", `\|`))
		}
	}
	n := 0
	for i, ph := range rb.Phases {
		fmt.Fprintf(&b, "\n## Phase %d: %s\n", i+1, ph.Title)
		for _, st := range ph.Steps {
			n++
			fmt.Fprintf(&b, "\n### Step %d [%s]: %s\n", n, st.Side, st.Title)
			if st.PointOfNoReturn {
				b.WriteString("\n**Point of no return.**\n")
			}
			if len(st.Commands) > 0 {
				b.WriteString("\n```sh\n")
				for _, c := range st.Commands {
					b.WriteString(c + "\n")
				}
				b.WriteString("```\n")
			}
			if st.Impact != "" {
				fmt.Fprintf(&b, "\n- Impact: %s\n", st.Impact)
			}
			if st.Expect != "" {
				prefix := "\n"
				if st.Impact != "" {
					prefix = ""
				}
				fmt.Fprintf(&b, "%s- Expect: %s\n", prefix, st.Expect)
			}
			if st.Check != "" {
				fmt.Fprintf(&b, "- Check: %s\n", joinContinuations(st.Check))
			}
			if st.Rollback != "" {
				fmt.Fprintf(&b, "- Rollback: %s\n", joinContinuations(st.Rollback))
			}
		}
	}
	return b.String()
}

// VerifyReply shows each expected end state as ✓ or ✗.
func VerifyReply(v runbook.Verification) Reply {
	tone, verdict := ToneGood, "PASSED"
	if !v.Passed {
		tone, verdict = ToneBad, "FAILED"
	}
	rep := Reply{Text: fmt.Sprintf("verify %s: %s", v.Connection, verdict)}
	rep.Blocks = append(rep.Blocks, heading(tone, fmt.Sprintf("verify %s: %s", v.Connection, verdict)))
	var lines []string
	for _, it := range v.Items {
		mark := "✓"
		switch {
		case it.Skipped:
			mark = "·"
		case !it.OK:
			mark = "✗"
		}
		line := mark + " " + it.Name
		if it.Detail != "" {
			line += " — " + it.Detail
		}
		lines = append(lines, line)
	}
	rep.Blocks = append(rep.Blocks, paragraph(ToneNone, lines...))
	return rep
}
