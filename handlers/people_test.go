package handlers

import (
	"bytes"
	"strings"
	"testing"
)

// Lines that name people keep a plain form for terminals ("@U…") beside
// their parts, line for line, whatever plain lines the block had first.
func TestWithPeopleKeepsLinesAndSpansAligned(t *testing.T) {
	b := WithPeople(Block{Kind: Paragraph, Lines: []string{"plain <@U0BOSS>"}},
		[]Span{Text("requested by "), Person("UREQ")},
		append([]Span{Text("approvals: 2 of 2")}, inParens(people([]string{"UAPP1", "S0NETOPS"}))...),
		[]Span{Text("rejected by "), Person("")})
	wantLines := []string{"plain <@U0BOSS>", "requested by @UREQ", "approvals: 2 of 2 (@UAPP1, @S0NETOPS)", "rejected by someone"}
	if strings.Join(b.Lines, "|") != strings.Join(wantLines, "|") {
		t.Errorf("Lines = %q, want %q", b.Lines, wantLines)
	}
	if len(b.Spans) != len(b.Lines) || b.Spans[0] != nil || b.Spans[1][1].Person != "UREQ" || b.Spans[3][1].Person != "" {
		t.Errorf("Spans = %+v", b.Spans)
	}
	var out bytes.Buffer
	if err := RenderText(&out, Reply{Blocks: []Block{b}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "  approvals: 2 of 2 (@UAPP1, @S0NETOPS)\n") {
		t.Errorf("terminal form:\n%s", out.String())
	}
	if inParens(nil) != nil {
		t.Error("nobody in parentheses is not nothing")
	}
}
