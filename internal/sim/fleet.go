package sim

import (
	"fmt"

	"github.com/doorbot/doorbot/vpn"
)

// FleetSubscription is the subscription of Fleet's Azure resources, and
// the first of FleetOf's.
const FleetSubscription = "11111111-2222-3333-4444-555555555555"

// Fleet adds n healthy static two-tunnel connections to w, spread over the
// given AWS regions, all behind one Azure gateway in one resource group —
// the shape of a team with many sites on one hub. It returns the configured
// connections. Tests and benchmarks use it to count upstream calls.
func Fleet(w *World, n int, regions ...string) []vpn.Connection {
	return FleetOf(w, FleetSpec{Connections: n, Regions: regions})
}

// FleetSpec shapes a larger fleet: sites spread round-robin over AWS
// regions, Azure gateways and subscriptions, as an organisation with
// several hubs has them.
type FleetSpec struct {
	Connections int
	// Regions default to ap-northeast-1.
	Regions []string
	// Gateways is the number of Azure gateways (default 1), each in its own
	// resource group; gateway g lives in subscription g mod Subscriptions.
	Gateways int
	// Subscriptions (default 1). The first is FleetSubscription.
	Subscriptions int
	// BGPGateways makes the first k gateways run BGP, so that their peer
	// status is read too (one established peer per gateway).
	BGPGateways int
}

// FleetSubscriptionN is the i-th (0-based) subscription of a FleetSpec.
func FleetSubscriptionN(i int) string {
	if i == 0 {
		return FleetSubscription
	}
	return fmt.Sprintf("11111111-2222-3333-4444-%012d", i)
}

// FleetOf adds the fleet spec describes to w and returns its configured
// connections. With one gateway it is exactly Fleet's world.
func FleetOf(w *World, spec FleetSpec) []vpn.Connection {
	regions := spec.Regions
	if len(regions) == 0 {
		regions = []string{"ap-northeast-1"}
	}
	gateways := max(spec.Gateways, 1)
	subs := max(spec.Subscriptions, 1)
	type hub struct{ sub, rg, gw string }
	hubs := make([]hub, gateways)
	for g := range gateways {
		h := hub{sub: FleetSubscriptionN(g % subs), rg: "rg-fleet", gw: "vgw-fleet"}
		if gateways > 1 {
			h.rg, h.gw = fmt.Sprintf("rg-fleet-%02d", g+1), fmt.Sprintf("vgw-fleet-%02d", g+1)
		}
		bgp := g < spec.BGPGateways
		w.AddGateway(ARMGateway{
			Subscription: h.sub, ResourceGroup: h.rg, Name: h.gw, Location: "japaneast",
			SKU: "VpnGw1", VPNType: "RouteBased", PublicIPs: []string{fmt.Sprintf("192.0.2.%d", 10+g%200)},
			EnableBGP: bgp,
		})
		if bgp {
			w.SetBGPPeers(h.sub, h.rg, h.gw, []ARMBGPPeer{{LocalAddress: "10.1.255.30", Neighbor: "169.254.21.1", State: "Connected", ASN: 64512, RoutesReceived: 1}})
		}
		hubs[g] = h
	}
	conns := make([]vpn.Connection, spec.Connections)
	for i := range spec.Connections {
		region := regions[i%len(regions)]
		h := hubs[i%gateways]
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
			w.AddLocalNetworkGateway(ARMLNG{Subscription: h.sub, ResourceGroup: h.rg, Name: lng, GatewayIP: ip, AddressPrefixes: []string{"172.31.0.0/16"}})
			w.AddConnection(ARMConnection{Subscription: h.sub, ResourceGroup: h.rg, Name: cn, Gateway: h.gw, LocalNetworkGateway: lng, Status: "Connected"})
			azConns = append(azConns, cn)
		}
		conns[i] = vpn.Connection{
			Name: name, Kind: vpn.KindAWSVPN,
			AWS:   vpn.AWSRef{VPNConnectionIDs: []string{id}, Region: region},
			Azure: vpn.AzureRef{SubscriptionID: h.sub, ResourceGroup: h.rg, Gateway: h.gw, Connections: azConns},
		}
	}
	return conns
}
