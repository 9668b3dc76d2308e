package bot

import (
	"fmt"
	"testing"
	"time"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/vpn"
)

// BenchmarkStatusPhoneRender is the cost of laying out and rendering a
// 20-connection status for Slack (both layouts built, the compact one
// rendered): lifting and wrapping commands happens on every reply.
func BenchmarkStatusPhoneRender(b *testing.B) {
	fix := "Check in order: the key is identical (`az network vpn-connection shared-key show --connection-name cn-2 -g rg` vs the AWS key); aws ec2 describe-vpn-connections --vpn-connection-ids vpn-1 --query 'VpnConnections[0].Options.TunnelOptions[?OutsideIpAddress==`203.0.113.21`].PreSharedKey' --output text; UDP 500/4500 reach the tunnel IPs."
	var conns []vpn.ConnectionStatus
	for i := range 20 {
		conns = append(conns, vpn.ConnectionStatus{
			Name: fmt.Sprintf("site-%02d", i), Kind: vpn.KindAWSVPN, Health: vpn.Degraded, Summary: "1 of 2 tunnels up",
			Routing: vpn.RoutingPair{AWS: vpn.RoutingStatic, Azure: vpn.RoutingStatic}, Observed: vpn.ObservedSides{AWS: true, Azure: true},
			Tunnels: []vpn.TunnelStatus{
				{Index: 1, AWSOutsideIP: "198.51.100.1", AWSStatus: "UP", AWSSince: "2026-11-01T00:00:00Z", AzureConnection: "cn-1", AzureStatus: "Connected", Up: true},
				{Index: 2, AWSOutsideIP: "203.0.113.21", AWSStatus: "DOWN", AWSSince: "2026-11-20T00:00:00Z", DownForSeconds: 3600, AzureConnection: "cn-2", AzureStatus: "NotConnected"},
			},
			Findings: []vpn.Finding{{Rule: "tunnel-down", Severity: vpn.SeverityError, Message: "tunnel 2 is down", Fix: fix, Reference: "https://learn.microsoft.com/azure/vpn-gateway/x"}},
		})
	}
	report := vpn.NewReport(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC), conns)
	b.ReportAllocs()
	for b.Loop() {
		if msgs := Render(handlers.StatusReply(report)); len(msgs) == 0 {
			b.Fatal("nothing rendered")
		}
	}
}
