package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is every problem found in a config. Its message is the first
// problem by line plus a count of the rest, so it stays one line on stderr
// and in Slack; Problems has them all for a caller that wants to list them.
type Error struct {
	// Problems are complete one-line messages ("doorbot.yaml:7: ..."),
	// ordered by line.
	Problems []string
}

func (e *Error) Error() string {
	switch len(e.Problems) {
	case 0:
		return "invalid config"
	case 1:
		return e.Problems[0]
	case 2:
		return e.Problems[0] + " (and 1 more problem)"
	}
	return fmt.Sprintf("%s (and %d more problems)", e.Problems[0], len(e.Problems)-1)
}

// problem is one finding before formatting. line 0 means "no line known"
// (a config built in code rather than read from a file).
type problem struct {
	line int
	path string // key path, e.g. connections[1].name; "" for the whole file
	text string // what follows the path: ` "value": problem` or `: problem`
}

// problems collects findings from decoding and validation.
type problems struct {
	source string
	list   []problem
}

func (p *problems) add(line int, path, format string, args ...any) {
	p.list = append(p.list, problem{line: line, path: path, text: ": " + fmt.Sprintf(format, args...)})
}

// addValue is add with the offending value quoted after the path, which is
// what makes `timeouts.cloud_call "8": not a duration` self-explanatory.
func (p *problems) addValue(line int, path, value, format string, args ...any) {
	p.list = append(p.list, problem{line: line, path: path, text: " " + quote(value) + ": " + fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	sort.SliceStable(p.list, func(i, j int) bool { return p.list[i].line < p.list[j].line })
	out := make([]string, len(p.list))
	for i, pr := range p.list {
		var b strings.Builder
		if p.source != "" {
			b.WriteString(p.source)
			if pr.line > 0 {
				b.WriteString(":" + strconv.Itoa(pr.line))
			}
			if pr.path != "" || pr.text != "" {
				b.WriteString(":")
			}
		} else if pr.line > 0 {
			b.WriteString("line " + strconv.Itoa(pr.line) + ":")
		}
		if pr.path != "" {
			if b.Len() > 0 {
				b.WriteString(" ")
			}
			b.WriteString(pr.path)
			b.WriteString(pr.text)
		} else {
			b.WriteString(strings.TrimPrefix(pr.text, ":"))
		}
		out[i] = oneLine(b.String())
	}
	return &Error{Problems: out}
}

// maxQuoted keeps a pasted blob (a certificate, a whole file) from turning
// one message into a screenful.
const maxQuoted = 64

// quote renders a user value for a message: Go-quoted so it is one line
// and shows stray spaces, truncated, and withheld when it looks like a
// credential put in the wrong key.
func quote(s string) string {
	if looksSecret(s) {
		return `"<redacted>"`
	}
	if utf8.RuneCountInString(s) > maxQuoted {
		r := []rune(s)
		s = string(r[:maxQuoted]) + "…"
	}
	return strconv.Quote(s)
}

// looksSecret recognises Slack tokens, which have well-known prefixes.
func looksSecret(s string) bool {
	for _, p := range []string{"xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxc-", "xoxd-", "xoxr-", "xoxs-", "xapp-"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// oneLine guarantees the single-line contract even for text from the YAML
// library or the OS.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
