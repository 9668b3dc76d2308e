package bot_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/internal/sim"
)

// The BGP-over-one-public-IP trap, as a person would paste it.
const bgpTrap = `connection: bgp-single-ip
routing: bgp
azure:
  gateway: {sku: VpnGw1, vpn_type: RouteBased, active_active: false, public_ips: 1, asn: 65000, apipa_addresses: [169.254.21.2]}
`

func TestValidateModalPrefilledFromLiveState(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)
	ack := h.slash(t, ctx, "U0ONCALL", "C0CHANGES", "validate bgp-single-ip")
	if strings.Contains(string(ack.Payload), "text") {
		t.Errorf("the form is the answer; the ack should carry no message: %s", ack.Payload)
	}
	views, err := h.slack.WaitViews(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	open, update := views[0], views[1]
	if open.Method != "views.open" || open.CallbackID != "door_validate" || update.Method != "views.update" {
		t.Fatalf("views: %s %s, %s", open.Method, open.CallbackID, update.Method)
	}
	var meta map[string]string
	if err := json.Unmarshal([]byte(update.PrivateMetadata), &meta); err != nil || meta["connection"] != "bgp-single-ip" || meta["channel"] != "C0CHANGES" {
		t.Errorf("private_metadata %q", update.PrivateMetadata)
	}
	raw := string(update.View)
	for _, want := range []string{`"block_id":"proposal"`, `"action_id":"yaml"`, "routing: bgp", "active_active: false", "169.254.21.2"} {
		if !strings.Contains(raw, want) {
			t.Errorf("prefilled form lacks %s", want)
		}
	}
	if strings.Contains(raw, sim.PSKPrefix) {
		t.Error("a pre-shared key reached the form")
	}
}

func TestValidateSubmission(t *testing.T) {
	h := newHarness(t, setup{})
	h.runSocketMode(t)
	ctx := wait(t)
	h.slash(t, ctx, "U0ONCALL", "C0CHANGES", "validate")
	views, err := h.slack.WaitViews(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	form := views[0]
	if strings.Contains(string(form.View), "initial_value") {
		t.Errorf("without a name the form starts empty")
	}

	submit := func(yaml string) fakeslack.Ack {
		t.Helper()
		env, err := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("U0ONCALL", form, map[string]map[string]string{"proposal": {"yaml": yaml}}))
		if err != nil {
			t.Fatal(err)
		}
		ack, err := h.slack.WaitAck(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		return ack
	}
	for _, bad := range []struct{ yaml, want string }{
		{"routing: [static", "proposal"},
		{"routing: sideways\n", "routing"},
		{"connection: nope\n", `unknown connection \"nope\"`},
		{"   ", "empty"},
		{"aws:\n  tunnels:\n    - {outside_ip: 198.51.100.300}\n", "198.51.100.300"},
	} {
		ack := submit(bad.yaml)
		if !strings.Contains(string(ack.Payload), `"response_action":"errors"`) || !strings.Contains(string(ack.Payload), bad.want) {
			t.Errorf("%q: ack %s, want an error on the form mentioning %q", bad.yaml, ack.Payload, bad.want)
		}
	}
	if n := len(h.slack.Messages()); n != 0 {
		t.Errorf("malformed proposals posted %d messages", n)
	}

	ack := submit(bgpTrap)
	if strings.Contains(string(ack.Payload), "errors") {
		t.Fatalf("a readable proposal was refused: %s", ack.Payload)
	}
	msgs, err := h.slack.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.Via != "chat.postEphemeral" || m.Channel != "C0CHANGES" || m.User != "U0ONCALL" {
		t.Errorf("verdict via %s to %s/%s, want ephemeral to the requester in the channel", m.Via, m.Channel, m.User)
	}
	for _, want := range []string{"FAIL", "bgp-needs-active-active"} {
		if !strings.Contains(visible(m), want) {
			t.Errorf("verdict lacks %q: %s", want, visible(m))
		}
	}
	// The form stayed open and shows the same verdict, which outlasts the
	// ephemeral message.
	if !strings.Contains(string(ack.Payload), `"response_action":"update"`) {
		t.Errorf("the form closed on a readable proposal: %s", ack.Payload)
	}
	results := waitView(t, h, 0, func(v fakeslack.View) bool { return v.Method == "views.update" && v.ID == form.ID })
	for _, want := range []string{`"callback_id":"door_validate_result"`, "FAIL", "bgp-needs-active-active"} {
		if !strings.Contains(string(results.View), want) {
			t.Errorf("results view lacks %q: %s", want, results.View)
		}
	}
}
