package approval

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func pending(required int) *Request {
	return &Request{ID: "CR-1", Connection: "azure-prod", State: Pending, Requester: "UREQ", Verdict: "pass",
		RequiredApprovals: required, CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
}

func refusal(t *testing.T, err error, want string) {
	t.Helper()
	var r *Refusal
	if !errors.As(err, &r) || !strings.Contains(r.Reason, want) {
		t.Errorf("err = %v, want a refusal containing %q", err, want)
	}
}

func TestApproveRefusals(t *testing.T) {
	approver := Decider{User: "UAPP", IsApprover: true}
	cases := []struct {
		name  string
		req   func() *Request
		d     Decider
		at    time.Time
		want  string
		state State
	}{
		{"not an approver", func() *Request { return pending(1) }, Decider{User: "URANDOM"}, t0, "not one of", Pending},
		{"self-approval", func() *Request { return pending(1) }, Decider{User: "UREQ", IsApprover: true}, t0, "someone else", Pending},
		{"error findings", func() *Request {
			r := pending(1)
			r.Findings = []vpn.Finding{{Rule: "bgp-needs-active-active", Severity: vpn.SeverityError}}
			return r
		}, approver, t0, "error findings", Pending},
		{"double approval", func() *Request { r := pending(2); r.Approvals = []string{"UAPP"}; return r }, approver, t0, "already approved", Pending},
		{"already decided", func() *Request { r := pending(1); r.State = Rejected; return r }, approver, t0, "already rejected", Rejected},
		{"expires on click", func() *Request { return pending(1) }, approver, t0.Add(24 * time.Hour), "", Expired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			before := len(r.Approvals)
			ev, err := Approve(r, tc.d, tc.at)
			if tc.state == Expired {
				if err != nil || len(ev) != 1 || ev[0].Kind != "expired" || r.State != Expired {
					t.Fatalf("expiry: %v %+v %s", err, ev, r.State)
				}
				_, err = Approve(r, tc.d, tc.at)
				refusal(t, err, "expired")
				return
			}
			refusal(t, err, tc.want)
			if ev != nil || r.State != tc.state || len(r.Approvals) != before {
				t.Errorf("a refusal changed the request: %+v", r)
			}
		})
	}
}

func TestApproveCountsDistinctApprovers(t *testing.T) {
	r := pending(2)
	ev, err := Approve(r, Decider{User: "UA", IsApprover: true}, t0)
	if err != nil || r.State != Pending || ev[0].Kind != "approval" || ev[0].Detail != "1 of 2 approvals" {
		t.Fatalf("first approval: %v %+v %s", err, ev, r.State)
	}
	ev, err = Approve(r, Decider{User: "UB", IsApprover: true}, t0.Add(time.Minute))
	if err != nil || r.State != Approved || ev[0].Kind != "approved" || !r.DecidedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("second approval: %v %+v %s", err, ev, r.State)
	}
	if strings.Join(r.Approvals, ",") != "UA,UB" {
		t.Errorf("approvals %v", r.Approvals)
	}
}

func TestReject(t *testing.T) {
	r := pending(1)
	_, err := Reject(r, Decider{User: "UAPP", IsApprover: true}, "  ", t0)
	refusal(t, err, "needs a reason")
	_, err = Reject(r, Decider{User: "URANDOM"}, "no", t0)
	refusal(t, err, "not one of")
	ev, err := Reject(r, Decider{User: "UAPP", IsApprover: true}, "window clashes with the SORACOM maintenance", t0)
	if err != nil || r.State != Rejected || r.RejectedBy != "UAPP" || ev[0].Detail == "" {
		t.Fatalf("%v %+v", err, r)
	}
	_, err = Approve(r, Decider{User: "UOTHER", IsApprover: true}, t0)
	refusal(t, err, "already rejected")
	// The requester may withdraw.
	w := pending(1)
	if _, err := Reject(w, Decider{User: "UREQ"}, "wrong connection", t0); err != nil || w.State != Rejected {
		t.Errorf("withdrawal: %v %s", err, w.State)
	}
}

func TestVerificationOnlyWhenApproved(t *testing.T) {
	r := pending(1)
	_, err := RecordVerification(r, Decider{User: "UAPP"}, true, "", t0)
	refusal(t, err, "only an approved change")
	r.State = Approved
	ev, err := RecordVerification(r, Decider{User: "UAPP"}, false, "tunnel 2 down", t0)
	if err != nil || r.Verification == nil || r.Verification.Passed || ev[0].Detail != "failed: tunnel 2 down" {
		t.Errorf("%v %+v %+v", err, r.Verification, ev)
	}
}

func TestExpire(t *testing.T) {
	r := pending(1)
	_, err := Expire(r, t0.Add(time.Hour))
	refusal(t, err, "not due")
	ev, err := Expire(r, t0.Add(24*time.Hour))
	if err != nil || r.State != Expired || len(ev) != 1 || ev[0].Kind != "expired" {
		t.Fatalf("%v %+v %s", err, ev, r.State)
	}
	_, err = Expire(r, t0.Add(48*time.Hour))
	refusal(t, err, "already expired")
}
