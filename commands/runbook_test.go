package commands

import "testing"

func TestRunbook(t *testing.T) {
	r, _ := simRegistry(t)
	checkLines(t, r, []lineCase{
		{"/door runbook migrate bgp-single-ip", false, []string{"Phase 1", "203.0.113.31", "POINT OF NO RETURN", "rollback:"}, nil},
		{"/door runbook migrate healthy-static", false, []string{"already static: nothing to migrate", "runbook verify healthy-static"}, []string{"Phase", "thread reply"}},
		{"/door runbook verify healthy-static", false, []string{"verify healthy-static: PASSED"}, nil},
		{"/door runbook sideways healthy-static", true, []string{"usage: /door runbook static|migrate|verify NAME"}, nil},
		{"/door runbook static", true, []string{"usage: /door runbook"}, nil},
		{"/door runbook static nope", true, []string{`unknown connection "nope"`}, nil},
	})
}
