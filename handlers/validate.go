package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/rules"
)

// Verdicts of a validation (docs/proposal.md).
const (
	VerdictPass = "pass"
	VerdictWarn = "warn"
	VerdictFail = "fail"
)

// ValidateResult is the outcome of checking one proposal. Verdict and
// Findings are the fixed interface; the rest says what was checked.
type ValidateResult struct {
	Verdict  string        `json:"verdict"`
	Findings []vpn.Finding `json:"findings"`
	// Connection is the configured connection the proposal names, if any.
	Connection string `json:"connection,omitempty"`
	// Sources lists, by field path, which values came from the proposal
	// and which from the live state.
	Sources map[vpn.Origin][]string `json:"sources,omitempty"`
	// Errors are clouds that could not be read: the live state is then
	// incomplete and fewer values could be filled in.
	Errors []vpn.SideError `json:"errors,omitempty"`
	// Current is the live state the proposal was measured against (zero
	// without a connection) and End the checked end state: the change
	// thread diffs the two without reading the clouds again.
	Current vpn.Proposal `json:"-"`
	End     vpn.Proposal `json:"-"`
	// Observation is the reading Current came from: the IDs, regions and
	// tunnel states the change runbook needs (zero without a connection).
	Observation vpn.Observation `json:"-"`
}

// Failed reports whether any finding is an error (exit 1, no approval).
func (r ValidateResult) Failed() bool { return r.Verdict == VerdictFail }

// LiveProposal reads a configured connection and expresses its live state
// as a proposal: the starting point for a change.
func (s *Service) LiveProposal(ctx context.Context, name string) (vpn.Proposal, error) {
	_, obs, err := s.observeOne(ctx, name)
	if err != nil {
		return vpn.Proposal{}, err
	}
	return liveProposal(name, obs), nil
}

func liveProposal(name string, obs vpn.Observation) vpn.Proposal {
	live := vpn.ProposalFromObservation(obs)
	live.Connection = name
	return live
}

// Validate checks a proposal against the rule catalog. When it names a
// configured connection, the live state fills in whatever it omits and the
// live state is what the change is measured against.
func (s *Service) Validate(ctx context.Context, p vpn.Proposal) (ValidateResult, error) {
	res := ValidateResult{End: p}
	var current *vpn.Proposal
	var live *vpn.Observation
	if p.Connection != "" {
		_, obs, err := s.observeOne(ctx, p.Connection)
		if err != nil {
			return res, err
		}
		res.Connection = p.Connection
		res.Errors = obs.Errors
		res.Current = liveProposal(p.Connection, obs)
		res.Observation = obs
		res.End = vpn.Merge(p, res.Current)
		current, live = &res.Current, &obs
	}
	res.Findings = rules.Check(res.End, current)
	if live != nil {
		res.Findings = rules.WithLive(res.Findings, *live)
	}
	res.Verdict = verdict(res.Findings)
	res.Sources = sources(res.End)
	return res, nil
}

func verdict(fs []vpn.Finding) string {
	v := VerdictPass
	for _, f := range fs {
		switch f.Severity {
		case vpn.SeverityError:
			return VerdictFail
		case vpn.SeverityWarning:
			v = VerdictWarn
		}
	}
	return v
}

func sources(p vpn.Proposal) map[vpn.Origin][]string {
	if len(p.Origins) == 0 {
		return nil
	}
	out := map[vpn.Origin][]string{}
	for path, o := range p.Origins {
		out[o] = append(out[o], path)
	}
	for _, paths := range out {
		slices.Sort(paths)
	}
	return out
}

// ValidateReply renders a result for people: the verdict, then findings
// grouped by severity, each with its fix and reference.
func ValidateReply(r ValidateResult) Reply {
	var rep Reply
	subject := "proposal"
	if r.Connection != "" {
		subject = "proposal for " + r.Connection
	}
	counts := map[vpn.Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	tone, icon := ToneGood, "✓"
	switch r.Verdict {
	case VerdictFail:
		tone, icon = ToneBad, "✗"
	case VerdictWarn:
		tone, icon = ToneWarning, "▲"
	}
	head := fmt.Sprintf("%s %s: %s", icon, subject, strings.ToUpper(r.Verdict))
	hb := heading(tone, fmt.Sprintf("%s: %s", subject, strings.ToUpper(r.Verdict)))
	hb.Icon = icon
	rep.Blocks = append(rep.Blocks, hb,
		paragraph(ToneNone, fmt.Sprintf("%d errors, %d warnings, %d notes", counts[vpn.SeverityError], counts[vpn.SeverityWarning], counts[vpn.SeverityInfo])))
	if r.Connection != "" {
		n := len(r.Sources[vpn.OriginLive])
		rep.Blocks = append(rep.Blocks, notes(fmt.Sprintf("%d values came from the proposal, %d from the live state of %s", len(r.Sources[vpn.OriginProposal]), n, r.Connection)))
	}
	for _, sev := range []vpn.Severity{vpn.SeverityError, vpn.SeverityWarning, vpn.SeverityInfo} {
		if counts[sev] == 0 {
			continue
		}
		rep.Blocks = append(rep.Blocks, Block{Kind: Divider}, heading(severityTone(sev), fmt.Sprintf("%s (%d)", severityTitle(sev), counts[sev])))
		for _, f := range r.Findings {
			if f.Severity != sev {
				continue
			}
			rep.Blocks = append(rep.Blocks, findingBlock(f))
		}
	}
	for _, e := range r.Errors {
		b := paragraph(ToneWarning, fmt.Sprintf("%s: %s (live state incomplete)", e.Cloud, e.Message))
		b.Icon = IconSide
		rep.Blocks = append(rep.Blocks, b)
	}
	rep.Text = head
	return rep
}

func severityTitle(s vpn.Severity) string {
	switch s {
	case vpn.SeverityError:
		return "Errors: the design cannot work"
	case vpn.SeverityWarning:
		return "Warnings"
	}
	return "Notes"
}
