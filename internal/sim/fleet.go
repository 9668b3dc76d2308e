package sim

import (
	"fmt"

	"github.com/doorbot/doorbot/vpn"
)

// FleetSubscription is the subscription of Fleet's Azure resources.
const FleetSubscription = "11111111-2222-3333-4444-555555555555"

// Fleet adds n healthy static two-tunnel connections to w, spread over the
// given AWS regions, all behind one Azure gateway in one resource group —
// the shape of a team with many sites on one hub. It returns the configured
// connections. Tests and benchmarks use it to count upstream calls.
func Fleet(w *World, n int, regions ...string) []vpn.Connection {
	if len(regions) == 0 {
		regions = []string{"ap-northeast-1"}
	}
	const rg, gw = "rg-fleet", "vgw-fleet"
	w.AddGateway(ARMGateway{
		Subscription: FleetSubscription, ResourceGroup: rg, Name: gw, Location: "japaneast",
		SKU: "VpnGw1", VPNType: "RouteBased", PublicIPs: []string{"192.0.2.10"},
	})
	conns := make([]vpn.Connection, n)
	for i := range n {
		region := regions[i%len(regions)]
		id := fmt.Sprintf("vpn-%017x", i+1)
		name := fmt.Sprintf("site-%03d", i+1)
		ip1 := fmt.Sprintf("198.18.%d.%d", i/100, 2*(i%100)+1)
		ip2 := fmt.Sprintf("198.18.%d.%d", i/100, 2*(i%100)+2)
		w.AddVPN(EC2VPN{
			Region: region, ID: id, StaticRoutesOnly: true, Routes: []string{"10.1.0.0/16"},
			Tunnels: []EC2Tunnel{
				{OutsideIP: ip1, Status: "UP", InsideCIDR: "169.254.21.0/30", PreSharedKey: fmt.Sprintf("Fleet.PSK.%d.one", i)},
				{OutsideIP: ip2, Status: "UP", InsideCIDR: "169.254.22.0/30", PreSharedKey: fmt.Sprintf("Fleet.PSK.%d.two", i)},
			},
		})
		var azConns []string
		for t, ip := range []string{ip1, ip2} {
			lng := fmt.Sprintf("lng-%s-t%d", name, t+1)
			cn := fmt.Sprintf("cn-%s-t%d", name, t+1)
			w.AddLocalNetworkGateway(ARMLNG{Subscription: FleetSubscription, ResourceGroup: rg, Name: lng, GatewayIP: ip, AddressPrefixes: []string{"172.31.0.0/16"}})
			w.AddConnection(ARMConnection{Subscription: FleetSubscription, ResourceGroup: rg, Name: cn, Gateway: gw, LocalNetworkGateway: lng, Status: "Connected"})
			azConns = append(azConns, cn)
		}
		conns[i] = vpn.Connection{
			Name: name, Kind: vpn.KindAWSVPN,
			AWS:   vpn.AWSRef{VPNConnectionIDs: []string{id}, Region: region},
			Azure: vpn.AzureRef{SubscriptionID: FleetSubscription, ResourceGroup: rg, Gateway: gw, Connections: azConns},
		}
	}
	return conns
}
