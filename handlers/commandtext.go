package handlers

import (
	"strconv"
	"strings"
)

// A finding's fix and a likely cause's checks are prose with commands in
// it, some in backticks and some bare. On a phone the prose reads as a
// numbered list and each command goes in a code block of its own: inline, a
// JMESPath backtick (`203.0.113.21`) ends Slack's inline code early and the
// copied command breaks. This file lifts the commands out of the prose.

// step is one check, its commands lifted out; Text names each command by
// its first words so that the reader knows which block below is meant.
type step struct {
	Text     string
	Commands []string
}

// commandWords start a command a reader can paste.
var commandWords = []string{"aws ", "az ", "doorbot ", "/door "}

// isCommandStart reports whether a command begins at s[i:]: a command word
// at a word boundary, followed by a lower-case subcommand.
func isCommandStart(s string, i int) bool {
	if i > 0 && !strings.ContainsRune(" (:\n", rune(s[i-1])) {
		return false
	}
	return hasCommandPrefix(s[i:])
}

func hasCommandPrefix(s string) bool {
	for _, w := range commandWords {
		if strings.HasPrefix(s, w) {
			return len(s) > len(w) && s[len(w)] >= 'a' && s[len(w)] <= 'z'
		}
	}
	return false
}

// proseWords end a bare command: the prose that follows it.
var proseWords = map[string]bool{
	"and": true, "or": true, "with": true, "vs": true, "then": true, "on": true, "if": true,
	"when": true, "while": true, "so": true, "compare": true, "must": true, "for": true, "to": true,
}

// commandEnd returns where a command that starts at s[i:] ends. In
// backticks it ends at the closing backtick; bare, at a ';' or ', ', a
// sentence's end, an unmatched ')', " (" or a prose word. Quotes (opened at
// a word's start or after '=') and <placeholders> are skipped whole.
func commandEnd(s string, i int, backticked bool) int {
	depth := 0
	for j := i; j < len(s); j++ {
		c := s[j]
		prev := byte(' ')
		if j > 0 {
			prev = s[j-1]
		}
		switch {
		case (c == '\'' || c == '"') && (prev == ' ' || prev == '='):
			if k := strings.IndexByte(s[j+1:], c); k >= 0 {
				j += k + 1
				continue
			}
		case c == '<' && prev == ' ':
			if k := strings.IndexByte(s[j+1:], '>'); k >= 0 && !strings.ContainsAny(s[j+1:j+1+k], "`\n") {
				j += k + 1
				continue
			}
		}
		if backticked {
			if c == '`' {
				return j
			}
			continue
		}
		switch c {
		case '(':
			if prev == ' ' {
				return trimEnd(s, i, j)
			}
			depth++
		case ')':
			if depth == 0 {
				return trimEnd(s, i, j)
			}
			depth--
		case ';', '\n', '`':
			return trimEnd(s, i, j)
		case ',':
			if j+1 == len(s) || s[j+1] == ' ' {
				return trimEnd(s, i, j)
			}
		case '.':
			if j+1 == len(s) || s[j+1] == ' ' {
				return trimEnd(s, i, j)
			}
		case ' ':
			w := s[j+1 : min(j+10, len(s))] // prose words are short
			if k := strings.IndexAny(w, " ,;:"); k >= 0 {
				w = w[:k]
			}
			if proseWords[w] {
				return trimEnd(s, i, j)
			}
		}
	}
	return trimEnd(s, i, len(s))
}

func trimEnd(s string, i, j int) int {
	for j > i && s[j-1] == ' ' {
		j--
	}
	return j
}

// liftCommands replaces every command in text with a placeholder
// (\x00N\x00) and returns the commands in order.
func liftCommands(text string) (string, []string) {
	var b strings.Builder
	var cmds []string
	for i := 0; i < len(text); {
		switch {
		case text[i] == '`' && hasCommandPrefix(text[i+1:]):
			end := commandEnd(text, i+1, true)
			if end >= len(text) || text[end] != '`' {
				b.WriteByte(text[i])
				i++
				continue
			}
			cmds = append(cmds, strings.TrimSpace(text[i+1:end]))
			b.WriteString("\x00" + strconv.Itoa(len(cmds)-1) + "\x00")
			i = end + 1
		case isCommandStart(text, i):
			end := commandEnd(text, i, false)
			cmds = append(cmds, text[i:end])
			b.WriteString("\x00" + strconv.Itoa(len(cmds)-1) + "\x00")
			i = end
		default:
			b.WriteByte(text[i])
			i++
		}
	}
	return b.String(), cmds
}

// splitSteps turns prose with commands into checks: the parts of a list
// ("Check in order: a; b; c") or else its sentences, each with the
// commands it names.
func splitSteps(text string) []step {
	// NUL marks the lifted commands; text never carries one of its own.
	prose, cmds := liftCommands(strings.TrimSpace(strings.ReplaceAll(text, "\x00", "")))
	if prose == "" {
		return nil
	}
	prose = strings.TrimPrefix(prose, "Check in order: ")
	parts := splitTop(prose, "; ")
	if len(parts) == 1 {
		parts = splitSentences(prose)
	}
	var out []step
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		st := step{}
		var b strings.Builder
		for {
			i := strings.IndexByte(p, 0)
			if i < 0 {
				b.WriteString(p)
				break
			}
			j := strings.IndexByte(p[i+1:], 0)
			if j < 0 {
				b.WriteString(p)
				break
			}
			n, _ := strconv.Atoi(p[i+1 : i+1+j])
			b.WriteString(p[:i])
			if n >= 0 && n < len(cmds) {
				b.WriteString(commandName(cmds[n]))
				st.Commands = append(st.Commands, cmds[n])
			}
			p = p[i+1+j+1:]
		}
		st.Text = b.String()
		out = append(out, st)
	}
	return out
}

// splitTop splits s at sep where it is outside parentheses.
func splitTop(s, sep string) []string {
	return splitOutsideParens(s, func(i int) (int, bool) {
		return len(sep), strings.HasPrefix(s[i:], sep)
	})
}

// splitSentences splits after ". " followed by a capital letter, outside
// parentheses; the period stays with its sentence.
func splitSentences(s string) []string {
	return splitOutsideParens(s, func(i int) (int, bool) {
		return 1, i > 0 && s[i-1] == '.' && i+1 < len(s) && s[i] == ' ' && s[i+1] >= 'A' && s[i+1] <= 'Z'
	})
}

// splitOutsideParens cuts s wherever cut, asked at a byte outside
// parentheses, says so; the cut drops n bytes.
func splitOutsideParens(s string, cut func(i int) (n int, ok bool)) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		}
		if depth > 0 {
			continue
		}
		if n, ok := cut(i); ok {
			out = append(out, s[start:i])
			start = i + n
			i += n - 1
		}
	}
	return append(out, s[start:])
}

// commandName is how prose names a lifted command: its words up to the
// first flag or argument, in backticks ("`az network vpn-connection
// shared-key show`"), never with a backtick or quote of its own.
func commandName(cmd string) string {
	var words []string
	for _, w := range strings.Fields(cmd) {
		if strings.HasPrefix(w, "-") || strings.ContainsAny(w, "`'\"<>=|\\$") || len(words) == 5 {
			break
		}
		words = append(words, w)
	}
	if len(words) == 0 {
		return "the command below"
	}
	return "`" + strings.Join(words, " ") + "` ↓"
}

// wrapCommand breaks a command into lines of at most width characters
// that still paste into bash: between words with " \" and a two-space
// indent; inside a long quoted JMESPath or JSON argument after a ',' or
// before a '.', where both languages ignore the whitespace. A single word
// that cannot be broken keeps its line.
func wrapCommand(cmd string, width int) string {
	if strings.Contains(cmd, "\n") || len(cmd) <= width {
		return cmd
	}
	words := flagValues(shellWords(cmd), width-4)
	var lines []string
	cur := ""
	for _, w := range words {
		switch {
		case cur == "":
			cur = w
		case len(cur)+1+len(w)+2 <= width:
			cur += " " + w
		default:
			lines = append(lines, cur+" \\")
			cur = "  " + w
		}
		for len(cur) > width-2 {
			at := quotedBreak(cur, width-2)
			if at <= 0 {
				break
			}
			lines = append(lines, cur[:at])
			cur = "  " + cur[at:]
		}
	}
	return strings.Join(append(lines, cur), "\n")
}

// flagValues keeps a flag and its value on one line ("--region
// ap-northeast-1") when they fit.
func flagValues(words []string, width int) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "-") && i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") && len(w)+1+len(words[i+1]) <= width {
			w += " " + words[i+1]
			i++
		}
		out = append(out, w)
	}
	return out
}

// shellWords splits a command at spaces outside quotes.
func shellWords(s string) []string {
	var out []string
	var quote byte
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
			if start < 0 {
				start = i
			}
		case c == ' ':
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// quotedBreak finds the last place at or before width in line where a
// newline may go inside a single- or double-quoted argument: after ','
// ':' or '{', or before a '.' that starts a name or a '[' after one, outside any inner quotes or
// backticks. 0 when there is none.
func quotedBreak(line string, width int) int {
	best := 0
	var outer, inner byte
	for i := 0; i < len(line) && i < width; i++ {
		c := line[i]
		switch {
		case outer == 0:
			if c == '\'' || c == '"' {
				outer = c
			}
		case inner != 0:
			if c == inner {
				inner = 0
			}
		case c == outer:
			outer = 0
		case c == '`' || (c == '"' && outer == '\''):
			inner = c
		case (c == ',' || c == ':' || c == '{') && i+1 < len(line) && line[i+1] != outer:
			best = i + 1
		case c == '.' && i > 0 && !isDigit(line[i-1]) && i+1 < len(line) && isLetter(line[i+1]):
			best = i
		case c == '[' && i > 0 && (isLetter(line[i-1]) || line[i-1] == ']'):
			best = i
		}
	}
	if best < 4 {
		return 0
	}
	return best
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
