// Package vpntest builds observations shaped like the simulator's
// scenarios, for the tests of the domain packages (runbooks, triage).
// It imports nothing of the project but vpn.
package vpntest

import (
	"strconv"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// Subscription is the subscription every Shape uses.
const Subscription = "00000000-0000-0000-0000-000000000000"

// Shape builds an observation like the internal/sim scenarios: Seq picks
// the addresses, the options pick the scenario.
type Shape struct {
	Name      string
	Seq       int
	BGP, Door bool
	AWSDown   [2]string // StatusMessage of a DOWN tunnel, "" = UP
	Azure     [2]string // Azure status override, "" = Connected
	AWSErr    bool      // AWS side unreadable (throttled)
	Region    string
}

func (s Shape) IP(i int) string { return [2]string{"198.51.100.", "203.0.113."}[i] + itoa(10*s.Seq+1) }
func (s Shape) VPNID() string   { return "vpn-0f3c9a1b2d4e5f60" + itoa(s.Seq) }
func (s Shape) CGWID() string   { return "cgw-0e7d2c4b6a8f1e30" + itoa(s.Seq) }
func (s Shape) RG() string      { return "rg-" + s.Name }
func (s Shape) AzIP() string    { return "192.0.2." + itoa(10*s.Seq+1) }

func itoa(n int) string { return strconv.Itoa(n) }

// Prefix is the name part every Azure resource of the shape shares.
func (s Shape) Prefix() string {
	if s.Door {
		return "door"
	}
	return "aws"
}

// Observation is the shape as doorbot would observe it.
func (s Shape) Observation() vpn.Observation {
	region := s.Region
	if region == "" {
		region = "ap-northeast-1"
	}
	conn := vpn.Connection{
		Name: s.Name, Kind: vpn.KindAWSVPN,
		Azure: vpn.AzureRef{SubscriptionID: Subscription, ResourceGroup: s.RG(), Gateway: "vgw-" + s.Prefix(),
			Connections: []string{"cn-" + s.Prefix() + "-tunnel1", "cn-" + s.Prefix() + "-tunnel2"}},
	}
	if s.Door {
		conn.Kind = vpn.KindSoracomDoor
	} else {
		conn.AWS = vpn.AWSRef{VPNConnectionIDs: []string{s.VPNID()}, Region: region}
	}
	obs := vpn.Observation{Connection: conn}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if !s.Door && !s.AWSErr {
		v := vpn.AWSVPNConnection{ID: s.VPNID(), State: "available", CustomerGatewayID: s.CGWID(), StaticRoutesOnly: !s.BGP}
		if !s.BGP {
			v.StaticRoutes = []string{"10.1.0.0/16"}
		}
		for i := range 2 {
			t := vpn.AWSTunnel{OutsideIP: s.IP(i), Status: "UP", Options: vpn.TunnelOptions{InsideCIDR: [2]string{"169.254.21.0/30", "169.254.22.0/30"}[i]}}
			if s.BGP && i == 0 {
				t.StatusMessage, t.AcceptedRoutes = "1 BGP ROUTES", 1
			}
			if m := s.AWSDown[i]; m != "" {
				t.Status, t.StatusMessage, t.LastStatusChange = "DOWN", m, now.Add(-47*time.Minute)
			}
			v.Tunnels = append(v.Tunnels, t)
		}
		obs.AWS = &vpn.AWSSide{Region: region, VPNConnections: []vpn.AWSVPNConnection{v}}
	}
	if s.AWSErr {
		obs.Errors = append(obs.Errors, vpn.SideError{Cloud: vpn.CloudAWS, Message: "EC2 DescribeVpnConnections: RequestLimitExceeded (HTTP 503)"})
	}
	gw := &vpn.AzureGateway{Name: "vgw-" + s.Prefix(), SKU: "VpnGw1", VPNType: "RouteBased", PublicIPCount: 1, TunnelIPs: []string{s.AzIP()}}
	if s.BGP {
		gw.EnableBGP, gw.ASN, gw.CustomAPIPA = true, 65000, []string{"169.254.21.2"}
	}
	az := &vpn.AzureSide{Gateway: gw}
	for i := range 2 {
		l := &vpn.LocalNetworkGateway{Name: "lng-" + s.Prefix() + "-tunnel" + itoa(i+1), GatewayIP: s.IP(i)}
		switch {
		case s.Door:
			l.AddressPrefixes = []string{"100.64.17.0/28"}
		case s.BGP:
			l.BGPPeerAddress, l.ASN = [2]string{"169.254.21.1", "169.254.22.1"}[i], 64512
		default:
			l.AddressPrefixes = []string{"172.31.0.0/16"}
		}
		c := vpn.AzureConnection{Name: "cn-" + s.Prefix() + "-tunnel" + itoa(i+1), Found: true, Status: "Connected",
			EnableBGP: s.BGP, Protocol: "IKEv2", ConnectionMode: "Default", DPDTimeoutSeconds: 45, LocalNetworkGateway: l}
		if st := s.Azure[i]; st != "" {
			c.Status = st
		}
		if s.BGP {
			c.CustomBGPAddresses = []string{"169.254.21.2"}
		}
		az.Connections = append(az.Connections, c)
	}
	if s.BGP {
		az.BGPPeers = []vpn.BGPPeer{
			{LocalAddress: "169.254.21.2", Neighbor: "169.254.21.1", ASN: 64512, State: "Connected", RoutesReceived: 1},
			{LocalAddress: "169.254.21.2", Neighbor: "169.254.22.1", ASN: 64512, State: "Idle"},
		}
	}
	obs.Azure = az
	return obs
}

// The shapes of the demo scenarios.
var (
	Healthy   = Shape{Name: "healthy-static", Seq: 1}
	Tunnel2   = Shape{Name: "tunnel2-down", Seq: 2, AWSDown: [2]string{"", "IPSEC IS DOWN"}, Azure: [2]string{"", "NotConnected"}}
	BGPSingle = Shape{Name: "bgp-single-ip", Seq: 3, BGP: true, AWSDown: [2]string{"", "IPSEC IS UP"}}
	Door      = Shape{Name: "soracom-door", Seq: 4, Door: true}
	Throttled = Shape{Name: "aws-throttled", Seq: 5, AWSErr: true, Region: "ap-southeast-2"}
)
