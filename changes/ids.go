package changes

import (
	"fmt"
	"regexp"
)

// Identifier formats. Everything a click or a form carries is checked
// against them before it is written to the append-only audit log or
// echoed to anybody: a button value is whatever the sender put there
// (a forged 200 KB value must not become a 400 KB audit row).
var (
	reRequestID = regexp.MustCompile(`^CR-[0-9A-F]{10}$`)
	reUserID    = regexp.MustCompile(`^[UW][A-Z0-9]{1,20}$`)
	reTeamID    = regexp.MustCompile(`^[TE][A-Z0-9]{1,20}$`)
	reChannelID = regexp.MustCompile(`^[CGD][A-Z0-9]{1,20}$`)
	reTS        = regexp.MustCompile(`^[0-9]{1,12}\.[0-9]{1,9}$`)
)

// ValidRequestID reports whether id has the form of a change request ID
// (CR- and ten hexadecimal digits).
func ValidRequestID(id string) bool { return reRequestID.MatchString(id) }

// checkIDs says what is malformed in a decision, or "" when all is well.
// The request ID is checked apart (its refusal can still be told).
func checkIDs(d Decision) string {
	switch {
	case !reUserID.MatchString(d.User):
		return "user"
	case d.Team != "" && !reTeamID.MatchString(d.Team):
		return "team"
	case d.Channel != "" && !reChannelID.MatchString(d.Channel):
		return "channel"
	case d.MessageTS != "" && !reTS.MatchString(d.MessageTS):
		return "message ts"
	}
	return ""
}

// screen refuses a decision whose identifiers are malformed before
// anything is read, written or echoed. A click by a malformed user cannot
// be answered at all; any other is told, without its value.
func (s *Service) screen(d Decision) (Decision, error) {
	if bad := checkIDs(d); bad != "" {
		s.count("change_click", "malformed")
		s.log().Warn("change click with a malformed identifier dropped", "field", bad)
		return d, fmt.Errorf("changes: malformed %s in a click", bad)
	}
	if !ValidRequestID(d.RequestID) {
		n := len(d.RequestID)
		d.RequestID = ""
		return d, fmt.Errorf("changes: button value of %d bytes is not a change request ID", n)
	}
	return d, nil
}
