package bot_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/store"
)

// openChangeForm runs /door change NAME as UREQ and returns the form once
// it is filled with the live state.
func openChangeForm(t *testing.T, h *harness, name string) fakeslack.View {
	t.Helper()
	ctx := wait(t)
	before := len(h.slack.Views())
	h.slash(t, ctx, "UREQ", "C0TEAM", "change "+name)
	opened := waitView(t, h, before, func(v fakeslack.View) bool { return v.Method == "views.open" && v.CallbackID == "door_change" })
	return waitView(t, h, before, func(v fakeslack.View) bool { return v.Method == "views.update" && v.ID == opened.ID })
}

// waitView waits for a view call after the first `after` that matches.
func waitView(t *testing.T, h *harness, after int, match func(fakeslack.View) bool) fakeslack.View {
	t.Helper()
	ctx := wait(t)
	for {
		views := h.slack.Views()
		for _, v := range views[min(after, len(views)):] {
			if match(v) {
				return v
			}
		}
		if _, err := h.slack.WaitViews(ctx, len(views)+1); err != nil {
			t.Fatalf("no such view: %v", err)
		}
	}
}

// submitForm submits the form with values (every input left out is sent
// as the form showed it) and returns the ack's payload.
func submitForm(t *testing.T, h *harness, form fakeslack.View, values map[string]map[string]string) string {
	t.Helper()
	ctx := wait(t)
	env, err := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UREQ", form, values))
	if err != nil {
		t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	return string(ack.Payload)
}

// newRequest waits for a change request stored and posted after known.
func newRequest(t *testing.T, st store.Store, known int) approval.Request {
	t.Helper()
	ctx := wait(t)
	for {
		if reqs, _ := st.List(ctx); len(reqs) > known && reqs[len(reqs)-1].ThreadTS != "" {
			return reqs[len(reqs)-1]
		}
		select {
		case <-ctx.Done():
			t.Fatal("the change request was never posted")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// The structured fields of the change form, end to end on the fake Slack:
// a DPD timeout changed there (the YAML left as the form showed it) is in
// the stored end state and in the diff; the form stays open with the
// results and the requester gets them in a direct message.
func TestChangeFormStructuredDPD(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	form := openChangeForm(t, h, "healthy-static")
	for _, id := range []string{`"block_id":"routing"`, `"block_id":"dpd_aws:198.51.100.11"`, `"block_id":"dpd_azure:cn-aws-tunnel1"`,
		`"block_id":"encryption"`, `"block_id":"vnet_prefixes"`, `"block_id":"onprem_prefixes"`, `"action_id":"seconds"`, `"type":"static_select"`} {
		if !strings.Contains(string(form.View), id) {
			t.Errorf("the change form lacks %s", id)
		}
	}
	views := len(h.slack.Views())
	ack := submitForm(t, h, form, map[string]map[string]string{
		"reason": {"text": "CHG-9: shorter DPD"}, "dpd_aws:198.51.100.11": {"seconds": "35"}})
	if !strings.Contains(ack, `"response_action":"update"`) || !strings.Contains(ack, "Validating your change for healthy-static") {
		t.Errorf("the form did not stay open while validating: %s", ack)
	}
	req := newRequest(t, st, 0)
	if !strings.Contains(req.Proposal, "dpd_timeout_seconds: 35") {
		t.Errorf("stored end state lacks the new DPD:\n%s", req.Proposal)
	}
	if want := "aws.tunnels[0] (198.51.100.11).dpd_timeout_seconds: 30 → 35"; !strings.Contains(strings.Join(req.Diff, "\n"), want) {
		t.Errorf("diff %q lacks %q", req.Diff, want)
	}
	waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == approvalsChannel && m.TS == req.ThreadTS },
		"dpd_timeout_seconds: 30 → 35")
	last := waitView(t, h, views, func(v fakeslack.View) bool { return v.Method == "views.update" && v.ID == form.ID })
	if last.CallbackID != "door_change_result" || !strings.Contains(string(last.View), req.ID) || !strings.Contains(string(last.View), "30 → 35") {
		t.Errorf("results view: %s %s", last.CallbackID, last.View)
	}
	waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == "UREQ" }, req.ID, "posted for approval")
	if v := h.slack.Violations(); len(v) > 0 {
		t.Errorf("Slack refused: %v", v)
	}
}

// Bad values come back on their own input, one line each, and nothing is
// stored; a setting changed both in a field and in the YAML is refused.
func TestChangeFormFieldErrors(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	form := openChangeForm(t, h, "healthy-static")
	for _, tc := range []struct {
		values     map[string]map[string]string
		block, msg string
	}{
		{map[string]map[string]string{"onprem_prefixes": {"cidrs": "172.31.0.0/16\n172.32.0.0/33"}}, "onprem_prefixes", `Line 2: \"172.32.0.0/33\" is not a CIDR`},
		{map[string]map[string]string{"vnet_prefixes": {"cidrs": "10.1.0.1/16"}}, "vnet_prefixes", "did you mean 10.1.0.0/16"},
		{map[string]map[string]string{"dpd_aws:198.51.100.11": {"seconds": "10"}}, "dpd_aws:198.51.100.11", "outside AWS's DPD timeout range of 30-3600 s"},
		{map[string]map[string]string{"dpd_azure:cn-aws-tunnel1": {"seconds": "soon"}}, "dpd_azure:cn-aws-tunnel1", "whole seconds"},
		{map[string]map[string]string{"dpd_aws:198.51.100.11": {"seconds": "35"},
			"proposal": {"yaml": "aws:\n  tunnels:\n    - {outside_ip: 198.51.100.11, dpd_timeout_seconds: 50}\n    - {outside_ip: 203.0.113.11}\n"}},
			"dpd_aws:198.51.100.11", "here (35) and in the YAML (50)"},
		{map[string]map[string]string{"dh_group": {"select": "19"}, "encryption": {"select": "keep"}}, "encryption", "Pick a value"},
	} {
		values := map[string]map[string]string{"reason": {"text": "CHG-10"}}
		for k, v := range tc.values {
			values[k] = v
		}
		ack := submitForm(t, h, form, values)
		if !strings.Contains(ack, `"response_action":"errors"`) || !strings.Contains(ack, `"`+tc.block+`":`) || !strings.Contains(ack, tc.msg) {
			t.Errorf("%v: ack %s", tc.values, ack)
		}
	}
	if reqs, _ := st.List(context.Background()); len(reqs) != 0 {
		t.Errorf("a refused form stored %d requests", len(reqs))
	}
}

// A FAIL verdict stays visible: the results view lists the error findings,
// and so does the direct message, which outlasts a form the requester
// closed before the results came.
func TestChangeFormFailVerdictStaysVisible(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	form := openChangeForm(t, h, "bgp-single-ip")
	views := len(h.slack.Views())
	submitForm(t, h, form, map[string]map[string]string{"reason": {"text": "CHG-11"}})
	req := newRequest(t, st, 0)
	if req.Verdict != "fail" {
		t.Fatalf("verdict %s; the test needs a failing change", req.Verdict)
	}
	last := string(waitView(t, h, views, func(v fakeslack.View) bool { return v.Method == "views.update" && v.ID == form.ID }).View)
	for _, want := range []string{"validation FAIL", "bgp-needs-active-active", "cannot be approved as proposed"} {
		if !strings.Contains(last, want) {
			t.Errorf("results view lacks %q: %s", want, last)
		}
	}
	waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == "UREQ" }, req.ID, "validation FAIL", "bgp-needs-active-active")

	// Closed before the results: the direct message still carries them.
	form = openChangeForm(t, h, "bgp-single-ip")
	h.slack.CloseView(form.ID)
	submitForm(t, h, form, map[string]map[string]string{"reason": {"text": "CHG-12"}})
	again := newRequest(t, st, 1)
	waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == "UREQ" }, again.ID, "bgp-needs-active-active")
}

// heldWriter is an HTTP response whose body is written only once released:
// an ack on a slow connection.
type heldWriter struct {
	*httptest.ResponseRecorder
	release chan struct{}
}

func (w heldWriter) Write(p []byte) (int, error) {
	<-w.release
	return w.ResponseRecorder.Write(p)
}

// A kept-open form's results never reach Slack before the ack that shows
// its pending view, however long the ack takes to be written and with no
// settle margin at all: sent first, they would be overwritten by it.
func TestChangeFormResultsFollowTheAck(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1), options: bot.Options{FormSettle: -1}})
	h.runSocketMode(t)
	form := openChangeForm(t, h, "healthy-static")
	updates := func() int {
		n := 0
		for _, v := range h.slack.Views() {
			if v.Method == "views.update" && v.ID == form.ID && v.CallbackID == "door_change_result" {
				n++
			}
		}
		return n
	}
	payload := fakeslack.ViewSubmissionPayload("UREQ", form, map[string]map[string]string{
		"reason": {"text": "CHG-13"}, "dpd_aws:198.51.100.11": {"seconds": "35"}})
	w := heldWriter{httptest.NewRecorder(), make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := signed(t, "http://doorbot.test", "/slack/interactive", fakeslack.InteractiveForm(payload), time.Now())
		h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}).ServeHTTP(w, r)
	}()
	newRequest(t, st, 0)
	// The work is done; give results sent too early the time to arrive.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	for updates() == 0 {
		if _, err := h.slack.WaitViews(ctx, len(h.slack.Views())+1); err != nil {
			break
		}
	}
	cancel()
	if n := updates(); n > 0 {
		t.Errorf("%d results views.update before the ack was written: the ack's pending view would overwrite them", n)
	}
	close(w.release)
	<-done
	if body := w.Body.String(); !strings.Contains(body, `"response_action":"update"`) {
		t.Fatalf("ack: %s", body)
	}
	last := waitView(t, h, 0, func(v fakeslack.View) bool {
		return v.Method == "views.update" && v.ID == form.ID && v.CallbackID == "door_change_result"
	})
	if !strings.Contains(string(last.View), "30 → 35") {
		t.Errorf("results view: %s", last.View)
	}
}

// A proposal's keys never reach the results view or the direct message,
// with a structured field applied on top of the YAML that carries them.
func TestChangeFormResultsKeepKeysOut(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1)})
	h.runSocketMode(t)
	form := openChangeForm(t, h, "healthy-static")
	const psk = "Sup3rSecretPSKvalue_1"
	views := len(h.slack.Views())
	submitForm(t, h, form, map[string]map[string]string{
		"reason":                   {"text": "CHG-14: rotate the key"},
		"proposal":                 {"yaml": "aws:\n  tunnels:\n    - {outside_ip: 198.51.100.11, psk: " + psk + "}\n    - {outside_ip: 203.0.113.11}\n"},
		"dpd_azure:cn-aws-tunnel1": {"seconds": "40"}})
	req := newRequest(t, st, 0)
	waitView(t, h, views, func(v fakeslack.View) bool {
		return v.Method == "views.update" && v.ID == form.ID && v.CallbackID == "door_change_result"
	})
	waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == "UREQ" }, req.ID)
	for _, v := range h.slack.Views() {
		if strings.Contains(string(v.View), psk) {
			t.Errorf("%s %s shows the key", v.Method, v.CallbackID)
		}
	}
	for _, m := range h.slack.Messages() {
		if strings.Contains(m.Text+string(m.Blocks), psk) {
			t.Errorf("message in %s shows the key", m.Channel)
		}
	}
	if strings.Contains(strings.Join(req.Diff, "\n"), psk) || strings.Contains(req.Proposal, psk) {
		t.Errorf("the stored request carries the key")
	}
}
