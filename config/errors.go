package config

import "github.com/doorbot/doorbot/internal/strictyaml"

// Error is every problem found in a config. Its message is the first
// problem by line plus a count of the rest, so it stays one line on stderr
// and in Slack; Problems has them all for a caller that wants to list them.
type Error struct {
	// Problems are complete one-line messages ("doorbot.yaml:7: ..."),
	// ordered by line.
	Problems []string
}

func (e *Error) Error() string { return strictyaml.Summary(e.Problems, "invalid config") }
