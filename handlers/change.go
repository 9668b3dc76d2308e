package handlers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/internal/strictyaml"
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
// decision. While the request is pending it names approvers (the
// configured user and user-group IDs), so that the post notifies them.
func ChangeReply(r approval.Request, approvers ...string) Reply {
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
	state := WithPeople(Block{Kind: Paragraph},
		[]Span{Text("requested by "), Person(r.Requester)},
		append([]Span{Text(fmt.Sprintf("approvals: %d of %d", len(r.Approvals), need))}, inParens(people(r.Approvals))...),
	)
	if r.State == approval.Pending && len(approvers) > 0 {
		// The approvers are asked by name, so the post reaches them.
		shown := approvers[:min(len(approvers), maxNamedApprovers)]
		line := append([]Span{Text("approvers: ")}, people(shown)...)
		if n := len(approvers) - len(shown); n > 0 {
			line = append(line, Text(fmt.Sprintf(" and %d more", n)))
		}
		state = WithPeople(state, line)
	}
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
	if len(r.Diff) == 1 && r.Diff[0] == NoChange {
		rep.Blocks = append(rep.Blocks, paragraph(ToneWarning, "No change: the proposed end state is the live state. Approving it changes nothing."))
	} else if len(r.Diff) > 0 {
		diff := r.Diff
		if len(diff) > maxRootDiff {
			diff = append(diff[:maxRootDiff:maxRootDiff], fmt.Sprintf("… %d more lines: doorbot changes show %s", len(r.Diff)-maxRootDiff, r.ID))
		}
		rep.Blocks = append(rep.Blocks, paragraph(ToneNone, "What changes, field by field (live → proposed):"), Block{Kind: Code, Lines: diff})
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
		line := []Span{Text("approved " + r.DecidedAt.UTC().Format(time.RFC3339))}
		if v := r.Verification; v != nil {
			result := "passed"
			if !v.Passed {
				result = "FAILED: " + v.Summary
			}
			line = append(line, Text("; last verification by "), Person(v.By), Text(fmt.Sprintf(" at %s: %s", v.At.UTC().Format(time.RFC3339), result)))
		}
		rep.Blocks = append(rep.Blocks, WithPeople(Block{Kind: Notes}, line), Block{Kind: Buttons, Buttons: []Button{
			{ActionID: ActionVerify, Label: "Verify now", Value: r.ID},
		}})
	case approval.Rejected:
		rep.Blocks = append(rep.Blocks, WithPeople(Block{Kind: Notes}, []Span{Text("rejected by "), Person(r.RejectedBy), Text(" at " + r.DecidedAt.UTC().Format(time.RFC3339))}),
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

// maxNamedApprovers bounds the approvers a thread root names.
const maxNamedApprovers = 10

// inParens is spans in parentheses after a space; nothing for none.
func inParens(spans []Span) []Span {
	if len(spans) == 0 {
		return nil
	}
	return append(append([]Span{Text(" (")}, spans...), Text(")"))
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

// NoChange is the whole diff of a proposal whose end state is the live
// state.
const NoChange = "no change: the proposed end state is the live state"

// Diff compares the live state and the intended end state field by field,
// in the order the proposal is written: one line per changed value with
// its path, old and new ("aws.tunnels[1] (203.0.113.20).dpd_timeout_seconds:
// 40 → 30"). Tunnels, connections and gateways are compared by position and
// labelled by their address or name, so values swapped between two of them
// show as two changes. Keys are never shown. Nothing changed is said so.
func Diff(live, proposed []byte) []string {
	var a, b yaml.Node
	if yaml.Unmarshal(live, &a) != nil || yaml.Unmarshal(proposed, &b) != nil {
		return []string{"the diff could not be computed: a side is not YAML"}
	}
	var out []string
	diffNode("", docRoot(&a), docRoot(&b), &out)
	if len(out) == 0 {
		return []string{NoChange}
	}
	return out
}

func docRoot(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	if n.Kind == 0 {
		return nil
	}
	return n
}

// elementLabels name a list element in a path, first found wins.
var elementLabels = []string{"outside_ip", "name", "gateway_ip", "ip_range"}

func diffNode(path string, a, b *yaml.Node, out *[]string) {
	switch {
	case a != nil && b != nil && a.Kind == yaml.MappingNode && b.Kind == yaml.MappingNode:
		keys := mapKeys(a)
		for _, k := range mapKeys(b) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			child := k
			if path != "" {
				child = path + "." + k
			}
			av, bv := mapValue(a, k), mapValue(b, k)
			if strictyaml.IsSecretKey(k) {
				if render(av) != render(bv) {
					*out = append(*out, child+": changed (not shown)")
				}
				continue
			}
			diffNode(child, av, bv, out)
		}
		return
	case a != nil && b != nil && a.Kind == yaml.SequenceNode && b.Kind == yaml.SequenceNode && !(scalars(a) && scalars(b)):
		for i := range max(len(a.Content), len(b.Content)) {
			var av, bv *yaml.Node
			if i < len(a.Content) {
				av = a.Content[i]
			}
			if i < len(b.Content) {
				bv = b.Content[i]
			}
			child := fmt.Sprintf("%s[%d]", path, i)
			if l := label(bv); l != "" {
				child += " (" + l + ")"
			} else if l := label(av); l != "" {
				child += " (" + l + ")"
			}
			if av == nil || bv == nil {
				if r1, r2 := render(av), render(bv); r1 != r2 {
					*out = append(*out, child+": "+r1+" → "+r2)
				}
				continue
			}
			diffNode(child, av, bv, out)
		}
		return
	}
	if r1, r2 := render(a), render(b); r1 != r2 {
		*out = append(*out, path+": "+r1+" → "+r2)
	}
}

func mapKeys(n *yaml.Node) []string {
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalars(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

func label(n *yaml.Node) string {
	for _, k := range elementLabels {
		if v := mapValue(n, k); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
			return v.Value
		}
	}
	return ""
}

// render is a value on one line: a scalar as is, anything else as flow
// YAML, keys hidden; "(absent)" when there is none.
func render(n *yaml.Node) string {
	if n == nil {
		return "(absent)"
	}
	if n.Kind == yaml.ScalarNode {
		if n.Value == "" {
			return `""`
		}
		return n.Value
	}
	cp := hideSecrets(n)
	setFlow(cp)
	b, err := yaml.Marshal(cp)
	if err != nil {
		return "(unreadable)"
	}
	return strings.TrimSpace(string(b))
}

// hideSecrets is a copy of n with secret values replaced.
func hideSecrets(n *yaml.Node) *yaml.Node {
	cp := *n
	cp.Content = make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 1 && strictyaml.IsSecretKey(n.Content[i-1].Value) {
			cp.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Value: "(not shown)"}
			continue
		}
		cp.Content[i] = hideSecrets(c)
	}
	return &cp
}

func setFlow(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = yaml.FlowStyle
	}
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		setFlow(c)
	}
}
