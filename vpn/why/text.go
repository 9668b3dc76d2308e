package why

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxText is how many characters of a log line are quoted: enough for any
// documented AWS or Azure message, short enough for a Slack section.
const MaxText = 300

// normalize turns a record into the one line the patterns match: an AWS
// JSON tunnel record becomes its details (plus the phase states), a BGP
// record "TYPE STATUS: details"; anything else is kept as it is.
func normalize(r Record) string {
	text := strings.TrimSpace(r.Text)
	if !strings.HasPrefix(text, "{") {
		return text
	}
	var m map[string]any
	if json.Unmarshal([]byte(text), &m) != nil {
		return text
	}
	switch r.Source {
	case SourceAWSTunnelLog:
		details, _ := m["details"].(string)
		var states []string
		for _, k := range []string{"ike_phase1_state", "ike_phase2_state"} {
			if v, ok := m[k].(string); ok && v != "" {
				states = append(states, strings.TrimPrefix(strings.ReplaceAll(k, "_", " "), "ike ")+" "+v)
			}
		}
		if details == "" && len(states) == 0 {
			return text
		}
		if len(states) > 0 {
			details += " (" + strings.Join(states, ", ") + ")"
		}
		return strings.TrimSpace(details)
	case SourceAWSBGPLog:
		typ, _ := m["type"].(string)
		status, _ := m["status"].(string)
		details := ""
		switch msg := m["message"].(type) {
		case map[string]any:
			details, _ = msg["details"].(string)
			if p, ok := msg["prefix"].(string); ok && p != "" {
				details = strings.TrimSpace(details + " prefix " + p)
			}
		case string:
			details = msg
		}
		if typ == "" && status == "" {
			return text
		}
		return strings.TrimSpace(fmt.Sprintf("%s %s: %s", typ, status, details))
	}
	return text
}

// keyAssignment is "psk=…", "pre-shared key: …", "SharedKey=…" and kin.
var keyAssignment = regexp.MustCompile(`(?i)((?:pre[-_ ]?shared[-_ ]?key|shared[-_ ]?key|psk|secret|password|passwd|token)["']?\s*[:=]\s*["']?)[^\s"',;})\]]+`)

// tokenRun is a run of the characters a key is made of (AWS allows
// [A-Za-z0-9._]); long mixed-case runs with digits are keys, not words.
var tokenRun = regexp.MustCompile(`[A-Za-z0-9._+=]{16,}`)

// Redact removes anything in log text that looks like a key. AWS and Azure
// logs are not documented to carry pre-shared keys; this is the belt to
// that pair of braces.
func Redact(s string) string {
	s = keyAssignment.ReplaceAllString(s, "${1}[redacted]")
	return tokenRun.ReplaceAllStringFunc(s, func(tok string) string {
		var upper, lower, digits int
		for _, r := range tok {
			switch {
			case r >= 'A' && r <= 'Z':
				upper++
			case r >= 'a' && r <= 'z':
				lower++
			case r >= '0' && r <= '9':
				digits++
			}
		}
		if upper > 0 && lower > 0 && digits >= 2 {
			return "[redacted]"
		}
		return tok
	})
}

// Clean makes cloud text safe to quote: one line, printable, keys
// redacted, at most MaxText characters (cut on a character boundary).
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError:
			return '?'
		case unicode.IsSpace(r):
			return ' '
		case !unicode.IsPrint(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	s = strings.Join(strings.Fields(s), " ")
	s = Redact(s)
	if utf8.RuneCountInString(s) <= MaxText {
		return s
	}
	// Redaction runs before the cut, so the cut cannot split a key in a
	// way that leaves part of it unrecognised.
	runes := []rune(s)
	return strings.TrimRight(string(runes[:MaxText-1]), " ") + "…"
}
