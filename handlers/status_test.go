package handlers

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

func text(t *testing.T, r Reply) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderText(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestStatusReplyShowsBothSidesAndFindings(t *testing.T) {
	rep := vpn.NewReport(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC), []vpn.ConnectionStatus{{
		Name: "azure-prod", Kind: vpn.KindAWSVPN, Health: vpn.Degraded, Summary: "1 of 2 tunnels up",
		Routing: vpn.RoutingPair{AWS: vpn.RoutingStatic, Azure: vpn.RoutingStatic},
		Tunnels: []vpn.TunnelStatus{
			{Index: 1, AWSOutsideIP: "198.51.100.1", AWSStatus: "UP", AzureConnection: "cn-1", AzureStatus: "Connected", AzureIngressBytes: 3 << 20},
			{Index: 2, AWSOutsideIP: "198.51.100.2", AWSStatus: "DOWN", AWSMessage: "IPSEC IS DOWN\x1b[31m\nforged line", AzureConnection: "cn-2", AzureStatus: "NotConnected"},
		},
		Findings: []vpn.Finding{{Rule: "tunnel-down", Severity: vpn.SeverityError, Message: "tunnel 2 is down", Fix: "check the key", Reference: "https://example.org/x"}},
		Errors:   []vpn.SideError{{Cloud: vpn.CloudAzure, Message: "throttled"}},
	}})
	r := StatusReply(rep)
	out := text(t, r)
	for _, w := range []string{"▲ azure-prod — DEGRADED", "198.51.100.2", "DOWN", "NotConnected", "3.0 MiB / 0 B", "✗ error tunnel-down: tunnel 2 is down",
		"fix: check the key", "ref: https://example.org/x", "⚠ azure: throttled", "routing: AWS static, Azure static"} {
		if !strings.Contains(out, w) {
			t.Errorf("reply lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\nforged line") {
		t.Errorf("cloud text broke the layout or smuggled an escape sequence:\n%q", out)
	}
	if !strings.Contains(r.Text, "azure-prod degraded") {
		t.Errorf("fallback text %q", r.Text)
	}
}
