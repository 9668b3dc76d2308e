package strictyaml

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Summary is the one-line form of a list of problems: the first, plus a
// count of the rest, so an error stays one line on stderr and in Slack.
// none is the message for an empty list.
func Summary(problems []string, none string) string {
	switch len(problems) {
	case 0:
		return none
	case 1:
		return problems[0]
	case 2:
		return problems[0] + " (and 1 more problem)"
	}
	return fmt.Sprintf("%s (and %d more problems)", problems[0], len(problems)-1)
}

// problem is one finding before formatting. line 0 means "no line known"
// (a value built in code rather than read from a file).
type problem struct {
	line     int
	path     string // key path, e.g. connections[1].name; "" for the whole file
	value    string // the offending value, quoted only when formatted
	hasValue bool
	text     string // what follows the path (and value)
}

// Problems collects findings from decoding and validation and formats them
// as "<source>:<line>: <path>: <problem>".
type Problems struct {
	Source string
	list   []problem
	// secrets are values that must never appear in a message, known only
	// once the whole document has been read: formatting is therefore
	// deferred to Lines.
	secrets map[string]bool
}

// Add records a problem at a key path.
func (p *Problems) Add(line int, path, format string, args ...any) {
	p.list = append(p.list, problem{line: line, path: path, text: fmt.Sprintf(format, args...)})
}

// AddValue is Add with the offending value quoted after the path, which is
// what makes `timeouts.cloud_call "8": not a duration` self-explanatory.
func (p *Problems) AddValue(line int, path, value, format string, args ...any) {
	p.list = append(p.list, problem{line: line, path: path, value: value, hasValue: true, text: fmt.Sprintf(format, args...)})
}

// Len is the number of problems so far.
func (p *Problems) Len() int { return len(p.list) }

// Redact withholds values from every message: a quoted value containing
// one is shown as "<redacted>", and any other occurrence is masked.
func (p *Problems) Redact(values ...string) {
	for _, v := range values {
		if v == "" {
			continue
		}
		if p.secrets == nil {
			p.secrets = map[string]bool{}
		}
		p.secrets[v] = true
	}
}

// minMasked is the shortest secret masked wherever it occurs: a shorter
// one would mangle key names ("aws") while revealing nothing.
const minMasked = 4

// redactor hides the registered secrets in one formatting pass.
type redactor struct {
	exact map[string]bool
	long  *strings.Replacer // nil when no secret is long enough to mask
}

func (p *Problems) redactor() redactor {
	var long []string
	for sec := range p.secrets {
		if len(sec) >= minMasked {
			long = append(long, sec)
		}
	}
	r := redactor{exact: p.secrets}
	if len(long) == 0 {
		return r
	}
	// A Replacer tries its strings in argument order at each position:
	// longest first masks a secret that contains another one whole,
	// rather than leaving its remainder visible.
	sort.Slice(long, func(i, j int) bool {
		if len(long[i]) != len(long[j]) {
			return len(long[i]) > len(long[j])
		}
		return long[i] < long[j]
	})
	pairs := make([]string, 0, 2*len(long))
	for _, sec := range long {
		pairs = append(pairs, sec, "<redacted>")
	}
	r.long = strings.NewReplacer(pairs...)
	return r
}

func (r redactor) isSecret(v string) bool {
	return LooksSecret(v) || r.exact[v] || (r.long != nil && r.long.Replace(v) != v)
}

func (r redactor) mask(s string) string {
	if r.long == nil {
		return s
	}
	return r.long.Replace(s)
}

// Lines returns the complete one-line messages ordered by line, or nil
// when there are none.
func (p *Problems) Lines() []string {
	if len(p.list) == 0 {
		return nil
	}
	sort.SliceStable(p.list, func(i, j int) bool { return p.list[i].line < p.list[j].line })
	r := p.redactor()
	out := make([]string, len(p.list))
	for i, pr := range p.list {
		text := ": " + pr.text
		if pr.hasValue {
			v := `"<redacted>"`
			if !r.isSecret(pr.value) {
				v = Quote(pr.value)
			}
			text = " " + v + text
		}
		var b strings.Builder
		if p.Source != "" {
			b.WriteString(p.Source)
			if pr.line > 0 {
				b.WriteString(":" + strconv.Itoa(pr.line))
			}
			b.WriteString(":")
		} else if pr.line > 0 {
			b.WriteString("line " + strconv.Itoa(pr.line) + ":")
		}
		var rest string
		if pr.path != "" {
			rest = pr.path + text
		} else {
			rest = strings.TrimPrefix(text, ":")
		}
		if b.Len() > 0 && pr.path != "" {
			b.WriteString(" ")
		}
		// The source is the caller's, not the file's: only what came from
		// the file is masked.
		b.WriteString(r.mask(rest))
		out[i] = OneLine(b.String())
	}
	return out
}

// maxQuoted keeps a pasted blob (a certificate, a whole file) from turning
// one message into a screenful.
const maxQuoted = 64

// Quote renders a user value for a message: Go-quoted so it is one line
// and shows stray spaces, truncated, and withheld when it looks like a
// credential put in the wrong key.
func Quote(s string) string {
	if LooksSecret(s) {
		return `"<redacted>"`
	}
	if utf8.RuneCountInString(s) > maxQuoted {
		r := []rune(s)
		s = string(r[:maxQuoted]) + "…"
	}
	return strconv.Quote(s)
}

// LooksSecret recognises Slack tokens, which have well-known prefixes.
func LooksSecret(s string) bool {
	for _, p := range []string{"xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxc-", "xoxd-", "xoxr-", "xoxs-", "xapp-"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// OneLine guarantees the single-line contract even for text from the YAML
// library or the OS.
func OneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
