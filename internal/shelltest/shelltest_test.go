package shelltest

import (
	"fmt"
	"testing"
)

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// The check can fail: an unclosed quote is refused, a continuation and a
// <value> gap are not.
func TestParses(t *testing.T) {
	Parses(t, "aws ec2 describe-vpn-connections \\\n  --vpn-connection-ids <vpn id> --query 'A[*]'")
	r := &recorder{TB: t}
	Parses(r, "echo 'unclosed")
	if len(r.errs) != 1 {
		t.Errorf("an unclosed quote parsed: %v", r.errs)
	}
}
