package triage

import (
	"strings"
	"testing"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/vpntest"
)

func TestDiagnose(t *testing.T) {
	tests := []struct {
		s     vpntest.Shape
		first string // title substring of the first cause, "" = no causes
	}{
		{vpntest.Healthy, ""},
		{vpntest.Door, ""},
		{vpntest.Tunnel2, "pre-shared key or IKE/IPsec proposal mismatch"},
		{vpntest.BGPSingle, "only one tunnel can peer"},
		{vpntest.Shape{Name: "both-connecting", Seq: 7, Azure: [2]string{"Connecting", "Connecting"}}, "Azure gateway maintenance"},
	}
	for _, tc := range tests {
		t.Run(tc.s.Name, func(t *testing.T) {
			obs := tc.s.Observation()
			causes := Diagnose(obs, vpn.Pair(obs))
			if tc.first == "" {
				if len(causes) != 0 {
					t.Fatalf("healthy connection got causes: %+v", causes)
				}
				return
			}
			if len(causes) == 0 || !strings.Contains(causes[0].Title, tc.first) {
				t.Fatalf("first cause = %+v, want %q", causes, tc.first)
			}
			c := causes[0]
			if c.Evidence == "" || c.Check == "" || c.Fix == "" {
				t.Errorf("incomplete cause %+v", c)
			}
			if !strings.Contains(c.Check, "rg-"+tc.s.Name) {
				t.Errorf("check does not use the real resource group: %s", c.Check)
			}
			for _, cs := range causes {
				if strings.Contains(cs.Title, "bytes") {
					t.Errorf("zero bytes reported as a cause: %+v", cs)
				}
			}
		})
	}
	obs := vpntest.Tunnel2.Observation()
	causes := Diagnose(obs, vpn.Pair(obs))
	if !strings.Contains(causes[0].Evidence, "IPSEC IS DOWN") || !strings.Contains(causes[0].Check, "203.0.113.21") {
		t.Errorf("PSK cause lacks evidence or the tunnel's IP: %+v", causes[0])
	}
	if len(causes) < 2 || !strings.Contains(causes[1].Title, "maintenance") {
		t.Errorf("want AWS maintenance as the second cause: %+v", causes)
	}
	obs = vpntest.BGPSingle.Observation()
	for _, c := range Diagnose(obs, vpn.Pair(obs)) {
		if strings.Contains(c.Title, "pre-shared key") {
			t.Error("IPSEC IS UP must not suggest a key mismatch")
		}
	}
}

func TestDiagnoseResponderOnly(t *testing.T) {
	obs := (vpntest.Shape{Name: "responder", Seq: 8, AWSDown: [2]string{"IPSEC IS DOWN", "IPSEC IS DOWN"}, Azure: [2]string{"NotConnected", "NotConnected"}}).Observation()
	for i := range obs.Azure.Connections {
		obs.Azure.Connections[i].ConnectionMode = "ResponderOnly"
	}
	causes := Diagnose(obs, vpn.Pair(obs))
	if len(causes) == 0 || !strings.Contains(causes[0].Title, "Nobody starts IKE") {
		t.Fatalf("causes = %+v", causes)
	}
	if !strings.Contains(causes[0].Fix, "-n cn-aws-tunnel2 --set connectionMode=Default") {
		t.Errorf("fix = %s", causes[0].Fix)
	}
}

// Enabling tunnel endpoint lifecycle control replaces the tunnel at once
// unless --skip-tunnel-replacement is given: the maintenance cause never
// suggests it for the surviving tunnel, and says why.
func TestMaintenanceNeverSuggestsLifecycleControlUnsafely(t *testing.T) {
	obs := vpntest.Tunnel2.Observation()
	var fix string
	for _, c := range Diagnose(obs, vpn.Pair(obs)) {
		if strings.Contains(c.Title, "maintenance") {
			fix = c.Fix
		}
	}
	if fix == "" {
		t.Fatal("no maintenance cause")
	}
	for _, w := range []string{"Do not enable tunnel endpoint lifecycle control now", "never on the surviving tunnel", "--skip-tunnel-replacement",
		"https://docs.aws.amazon.com/vpn/latest/s2svpn/tunnel-endpoint-lifecycle.html"} {
		if !strings.Contains(fix, w) {
			t.Errorf("fix lacks %q: %s", w, fix)
		}
	}
	// The surviving tunnel (198.51.100.21) is never the one acted on.
	if strings.Contains(fix, "198.51.100.21") || strings.Contains(fix, "--apply-pending-maintenance") {
		t.Errorf("fix acts on the surviving tunnel or applies maintenance mid-incident: %s", fix)
	}
}
