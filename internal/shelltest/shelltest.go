// Package shelltest checks that the commands doorbot prints paste into a
// shell: each is parsed by `bash -n` exactly as a person would paste it.
// It is for tests only and knows nothing of doorbot.
package shelltest

import (
	"os/exec"
	"regexp"
)

// TB is the part of testing.TB Parses uses.
type TB interface {
	Helper()
	Skip(args ...any)
	Errorf(format string, args ...any)
}

// fillIn matches the <value> gaps a reader fills before running a command.
var fillIn = regexp.MustCompile(`<[^>]*>`)

// Parses fails t when bash refuses cmd's syntax; it skips t when there is
// no bash. A <value> gap is read as a value typed in its place.
func Parses(t TB, cmd string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	cmd = fillIn.ReplaceAllString(cmd, "VALUE")
	out, err := exec.Command(bash, "-n", "-c", cmd).CombinedOutput()
	if err != nil {
		t.Errorf("bash -n refuses %q: %v %s", cmd, err, out)
	}
}
