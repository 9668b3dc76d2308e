package rules

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/vpn"
)

const (
	ip1 = "198.51.100.1"
	ip2 = "198.51.100.2"
	ip3 = "198.51.100.3"
	ip4 = "198.51.100.4"
	ip9 = "203.0.113.9"
)

// --- fixtures: small builders so each case shows only what it changes ----

func tun(ip, status, msg string) vpn.AWSTunnel {
	return vpn.AWSTunnel{OutsideIP: ip, Status: status, StatusMessage: msg}
}

func awsConn(id string, static bool, tunnels ...vpn.AWSTunnel) vpn.AWSVPNConnection {
	return vpn.AWSVPNConnection{ID: id, State: "available", StaticRoutesOnly: static, Tunnels: tunnels}
}

func conn(name, lngIP, status string) vpn.AzureConnection {
	return vpn.AzureConnection{
		Name: name, Found: true, Status: status, ConnectionMode: "Default",
		LocalNetworkGateway: &vpn.LocalNetworkGateway{Name: "lng-" + name, GatewayIP: lngIP},
	}
}

func bgpConn(name, lngIP, status string) vpn.AzureConnection {
	c := conn(name, lngIP, status)
	c.EnableBGP = true
	return c
}

func missingConn(name string) vpn.AzureConnection { return vpn.AzureConnection{Name: name} }

// activePassive is the common single-public-IP gateway.
func activePassive(apipa ...string) *vpn.AzureGateway {
	return &vpn.AzureGateway{Name: "vgw-prod", SKU: "VpnGw1", VPNType: "RouteBased", PublicIPCount: 1, CustomAPIPA: apipa}
}

func activeActive() *vpn.AzureGateway {
	return &vpn.AzureGateway{Name: "vgw-prod", SKU: "VpnGw2AZ", VPNType: "RouteBased", ActiveActive: true, EnableBGP: true,
		PublicIPCount: 2, CustomAPIPA: []string{"169.254.21.2", "169.254.22.2", "169.254.21.6", "169.254.22.6"}}
}

func awsVPNObs(aws []vpn.AWSVPNConnection, gw *vpn.AzureGateway, conns ...vpn.AzureConnection) vpn.Observation {
	return vpn.Observation{
		Connection: vpn.Connection{Name: "azure-prod", Kind: vpn.KindAWSVPN,
			Azure: vpn.AzureRef{ResourceGroup: "rg-network", Gateway: "vgw-prod"}},
		AWS:   &vpn.AWSSide{Region: "ap-northeast-1", VPNConnections: aws},
		Azure: &vpn.AzureSide{Gateway: gw, Connections: conns},
	}
}

func doorObs(gw *vpn.AzureGateway, conns ...vpn.AzureConnection) vpn.Observation {
	return vpn.Observation{
		Connection: vpn.Connection{Name: "door-prod", Kind: vpn.KindSoracomDoor,
			Azure: vpn.AzureRef{ResourceGroup: "rg-door", Gateway: "vgw-prod"}},
		Azure: &vpn.AzureSide{Gateway: gw, Connections: conns},
	}
}

// static2 is SORACOM pattern 1 done right: one static AWS VPN connection,
// both tunnels terminated by two static Azure connections, all up.
func static2() vpn.Observation {
	o := awsVPNObs(
		[]vpn.AWSVPNConnection{awsConn("vpn-0123", true, tun(ip1, "UP", ""), tun(ip2, "UP", ""))},
		activePassive(),
		conn("cn1", ip1, "Connected"), conn("cn2", ip2, "Connected"))
	// Azure sends over one static connection at a time.
	o.Azure.Connections[0].IngressBytes, o.Azure.Connections[0].EgressBytes = 1_234_567, 7_654_321
	return o
}

func with(o vpn.Observation, f func(*vpn.Observation)) vpn.Observation {
	f(&o)
	return o
}

// --- assertions -----------------------------------------------------------

// want is one finding that must be present: its rule and substrings of its
// message (and optionally its fix).
type want struct {
	rule    string
	msg     []string
	fix     []string
	notInFx []string
}

// liveCase is one row of a live-rule table: the observation and the
// findings it must give, no more and no fewer.
type liveCase struct {
	name  string
	obs   vpn.Observation
	wants []want
}

func runCases(t *testing.T, cases []liveCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.obs, tt.wants) })
	}
}

func run(t *testing.T, obs vpn.Observation, wants []want) []vpn.Finding {
	t.Helper()
	rows := vpn.Pair(obs)
	got := Live(obs, rows)
	checkWellFormed(t, got)

	// Exactly the expected rules, as a multiset: extra findings are as much
	// a bug (double reporting) as missing ones.
	var gotRules, wantRules []string
	for _, f := range got {
		gotRules = append(gotRules, f.Rule)
	}
	for _, w := range wants {
		wantRules = append(wantRules, w.rule)
	}
	sort.Strings(gotRules)
	sort.Strings(wantRules)
	if !slices.Equal(gotRules, wantRules) {
		t.Errorf("rules = %v, want %v\n%s", gotRules, wantRules, dump(got))
	}

	used := make([]bool, len(got))
	for _, w := range wants {
		matched := false
		for i, f := range got {
			if used[i] || f.Rule != w.rule || !containsAll(f.Message, w.msg) || !containsAll(f.Fix, w.fix) {
				continue
			}
			bad := false
			for _, s := range w.notInFx {
				bad = bad || strings.Contains(f.Fix, s)
			}
			if bad {
				continue
			}
			used[i], matched = true, true
			break
		}
		if !matched {
			t.Errorf("no %s finding with message containing %q, fix containing %q and not %q\n%s",
				w.rule, w.msg, w.fix, w.notInFx, dump(got))
		}
	}
	return got
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func dump(fs []vpn.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  [%s] %s: %s\n      fix: %s\n", f.Severity, f.Rule, f.Message, f.Fix)
	}
	return b.String()
}

var narrowRefs = []string{refMSSKUConsolidation, refMSIPsecPolicy, refAWSHowItWorks, refAWSCGWOptions, refMSAWSBGP}

func checkWellFormed(t *testing.T, fs []vpn.Finding) {
	t.Helper()
	if fs == nil {
		t.Error("Live returned nil; JSON needs []")
	}
	for _, f := range fs {
		r, ok := Lookup(f.Rule)
		if !ok {
			continue // pass-through notes are checked in their own test
		}
		// The catalog's page, or the narrower source of one check.
		if f.Reference != r.Reference && !slices.Contains(narrowRefs, f.Reference) {
			t.Errorf("%s reference %q, want catalog's %q or a cited source", f.Rule, f.Reference, r.Reference)
		}
		if f.Message == "" || f.Fix == "" || f.Severity == "" {
			t.Errorf("%s finding incomplete: %+v", f.Rule, f)
		}
	}
	if !slices.IsSortedFunc(fs, func(a, b vpn.Finding) int {
		if c := a.Severity.Rank() - b.Severity.Rank(); c != 0 {
			return c
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	}) {
		t.Errorf("findings not in severity, rule, message order:\n%s", dump(fs))
	}
}

// --- tests ----------------------------------------------------------------

// Zero bytes on one connection of a static two-tunnel design is normal:
// Azure uses one connection at a time (failure-mode table row 12).
func TestZeroBytesOnStaticStandbyIsNormal(t *testing.T) {
	obs := static2()
	if c := obs.Azure.Connections[1]; c.IngressBytes != 0 || c.EgressBytes != 0 {
		t.Fatal("fixture must have an idle second connection")
	}
	fs := run(t, obs, nil)
	if h := vpn.Verdict(obs, vpn.Pair(obs), fs); h != vpn.Healthy {
		t.Errorf("verdict = %s, want healthy", h)
	}
	// Same for Door.
	door := doorObs(activePassive(), conn("cn-door1", ip1, "Connected"), conn("cn-door2", ip2, "Connected"))
	door.Azure.Connections[0].EgressBytes = 99
	fs = run(t, door, nil)
	if h := vpn.Verdict(door, vpn.Pair(door), fs); h != vpn.Healthy {
		t.Errorf("Door verdict = %s, want healthy", h)
	}
}

func TestTunnelDown(t *testing.T) {
	runCases(t, []liveCase{
		{
			name: "down on both clouds",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "IPSEC IS DOWN")
				o.Azure.Connections[1].Status = "NotConnected"
			}),
			wants: []want{{rule: IDTunnelDown,
				msg:     []string{`tunnel 2 (198.51.100.2) is down: AWS DOWN "IPSEC IS DOWN", Azure cn2 NotConnected`},
				fix:     []string{"pre-shared key", "cn2", "list-ike-sas", "ResponderOnly", "GatewaySubnet", "AWS Health"},
				notInFx: []string{"BGP session", "SORACOM"}}},
		},
		{
			name: "down on Azure only",
			obs:  with(static2(), func(o *vpn.Observation) { o.Azure.Connections[0].Status = "Connecting" }),
			wants: []want{{rule: IDTunnelDown,
				msg: []string{"tunnel 1 (198.51.100.1) is down", "AWS UP", "Azure cn1 Connecting"}}},
		},
		{
			name: "Azure not observed: AWS alone decides",
			obs: with(static2(), func(o *vpn.Observation) {
				o.Azure = nil
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "")
			}),
			// no single-tunnel: without Azure, termination is unknown
			wants: []want{{rule: IDTunnelDown, msg: []string{"tunnel 2 (198.51.100.2) is down: AWS DOWN"}}},
		},
		{
			name: "AWS telemetry absent is not called down",
			obs:  with(static2(), func(o *vpn.Observation) { o.AWS.VPNConnections[0].Tunnels[1].Status = "" }),
			wants: []want{{rule: IDTunnelDown,
				msg: []string{"tunnel 2 (198.51.100.2) is not reported up: AWS unknown, Azure cn2 Connected"}}},
		},
		{
			name: "SORACOM Door: Azure alone decides",
			obs:  doorObs(activePassive(), conn("cn-door1", ip1, "Connected"), conn("cn-door2", ip2, "NotConnected")),
			wants: []want{{rule: IDTunnelDown,
				msg: []string{"tunnel 2 (198.51.100.2) is down: Azure cn-door2 NotConnected"},
				fix: []string{"SORACOM supplied", "soracom.statuspage.io"}}},
		},
		{
			name: "BGP tunnel with IPsec up is a BGP problem",
			obs: awsVPNObs(
				[]vpn.AWSVPNConnection{awsConn("vpn-bgp", false, tun(ip1, "UP", "1 BGP ROUTES"), tun(ip2, "DOWN", "IPSEC IS UP"))},
				activeActive(),
				bgpConn("cn1", ip1, "Connected"), bgpConn("cn2", ip2, "Connected")),
			wants: []want{{rule: IDTunnelDown,
				msg:     []string{`tunnel 2 (198.51.100.2) is down: IPsec is up but its BGP session with`, `AWS DOWN "IPSEC IS UP", Azure cn2 Connected`},
				fix:     []string{"list-bgp-peer-status -g rg-network -n vgw-prod", ".2", ".1", IDBGPNeedsActiveActive, "describe-vpn-connections --vpn-connection-ids vpn-bgp"},
				notInFx: []string{"pre-shared key"}}},
		},
		{
			// SORACOM Door BGP: Azure alone says IPsec is up and BGP is not.
			name: "Door BGP tunnel Connected with its peer Idle",
			obs: func() vpn.Observation {
				c1, c2 := bgpConn("cn-door1", ip1, "Connected"), bgpConn("cn-door2", ip2, "Connected")
				c1.LocalNetworkGateway.BGPPeerAddress, c1.LocalNetworkGateway.ASN = "169.254.21.1", 64512
				c2.LocalNetworkGateway.BGPPeerAddress, c2.LocalNetworkGateway.ASN = "169.254.22.1", 64512
				o := doorObs(activeActive(), c1, c2)
				o.Azure.BGPPeers = []vpn.BGPPeer{{Neighbor: "169.254.21.1", ASN: 64512, State: "Connected"}, {Neighbor: "169.254.22.1", ASN: 64512, State: "Idle"}}
				return o
			}(),
			wants: []want{{rule: IDTunnelDown,
				msg: []string{"tunnel 2 (198.51.100.2) is down: IPsec is up but its BGP session with 169.254.22.1 (ASN 64512) is not established",
					"Azure cn-door2 Connected, BGP peer Idle"},
				fix:     []string{"list-bgp-peer-status -g rg-door -n vgw-prod", "peer 169.254.22.1 must be Connected", "SORACOM"},
				notInFx: []string{"pre-shared key", "aws ec2"}}},
		},
		{
			name: "static tunnel with IPsec up gets no BGP hint",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "IPSEC IS UP")
			}),
			wants: []want{{rule: IDTunnelDown, msg: []string{"tunnel 2"}, notInFx: []string{"list-bgp-peer-status"}}},
		},
		{
			name: "BGP tunnel with IPsec down gets no BGP hint",
			obs: awsVPNObs(
				[]vpn.AWSVPNConnection{awsConn("vpn-bgp", false, tun(ip1, "UP", "1 BGP ROUTES"), tun(ip2, "DOWN", "IPSEC IS DOWN"))},
				activeActive(),
				bgpConn("cn1", ip1, "Connected"), bgpConn("cn2", ip2, "NotConnected")),
			wants: []want{{rule: IDTunnelDown, msg: []string{"tunnel 2"}, notInFx: []string{"list-bgp-peer-status"}}},
		},
		{
			name: "ResponderOnly with AWS startup action add: nobody initiates",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "IPSEC IS DOWN")
				o.Azure.Connections[1].Status = "NotConnected"
				o.Azure.Connections[1].ConnectionMode = "ResponderOnly"
			}),
			wants: []want{{rule: IDTunnelDown, msg: []string{"tunnel 2"},
				fix: []string{"Azure connection cn2 is ResponderOnly", "Default"}}},
		},
		{
			name: "ResponderOnly is fine when AWS starts the tunnel",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "IPSEC IS DOWN")
				o.AWS.VPNConnections[0].Tunnels[1].Options.StartupAction = "start"
				o.Azure.Connections[1].Status = "NotConnected"
				o.Azure.Connections[1].ConnectionMode = "ResponderOnly"
			}),
			wants: []want{{rule: IDTunnelDown, msg: []string{"tunnel 2"}, notInFx: []string{"cn2 is ResponderOnly"}}},
		},
		{
			name: "404 Azure connection is a down tunnel, its AWS tunnel a peer-ip-mismatch",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "IPSEC IS DOWN")
				o.Azure.Connections[1] = missingConn("cn2")
			}),
			wants: []want{
				{rule: IDTunnelDown, msg: []string{"Azure connection cn2 is configured but does not exist in resource group rg-network"},
					fix: []string{"az network vpn-connection list -g rg-network"}},
				{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[1] (198.51.100.2) has no local network gateway", "not found: cn2"}},
				{rule: IDSingleTunnel, msg: []string{"only 1 of 2 AWS tunnels terminated on Azure", "not terminated: aws.tunnels[1] (198.51.100.2)"}},
			},
		},
		{
			name: "404 on SORACOM Door",
			obs:  doorObs(activePassive(), conn("cn-door1", ip1, "Connected"), missingConn("cn-door2")),
			wants: []want{
				{rule: IDTunnelDown, msg: []string{"cn-door2 is configured but does not exist in resource group rg-door"}},
				{rule: IDSingleTunnel, msg: []string{"only 1 Azure connection with a local network gateway (cn-door1)", "not found: cn-door2"}},
			},
		},
		{
			name: "unterminated AWS tunnel is not also reported down",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "IPSEC IS DOWN")
				o.Azure.Connections = o.Azure.Connections[:1]
			}),
			wants: []want{
				{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[1] (198.51.100.2) has no local network gateway"}},
				{rule: IDSingleTunnel, msg: []string{"only 1 of 2 AWS tunnels terminated on Azure (198.51.100.1 by cn1)"}},
			},
		},
		{
			name: "each down tunnel is its own finding",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[0] = tun(ip1, "DOWN", "IPSEC IS DOWN")
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "IPSEC IS DOWN")
				o.Azure.Connections[0].Status = "NotConnected"
				o.Azure.Connections[1].Status = "NotConnected"
			}),
			wants: []want{
				{rule: IDTunnelDown, msg: []string{"tunnel 1 (198.51.100.1)"}},
				{rule: IDTunnelDown, msg: []string{"tunnel 2 (198.51.100.2)"}},
			},
		},
		{name: "all up", obs: static2()},
	})
}

func TestSingleTunnel(t *testing.T) {
	fourTunnels := []vpn.AWSVPNConnection{
		awsConn("vpn-a", false, tun(ip1, "UP", ""), tun(ip2, "UP", "")),
		awsConn("vpn-b", false, tun(ip3, "UP", ""), tun(ip4, "UP", "")),
	}
	runCases(t, []liveCase{
		{
			name: "one of two AWS tunnels terminated",
			obs:  with(static2(), func(o *vpn.Observation) { o.Azure.Connections = o.Azure.Connections[:1] }),
			wants: []want{
				{rule: IDSingleTunnel, msg: []string{"only 1 of 2 AWS tunnels terminated on Azure (198.51.100.1 by cn1)", "not terminated: aws.tunnels[1] (198.51.100.2)"},
					fix: []string{"one tunnel at a time", "two", "static"}},
				{rule: IDPeerIPMismatch, msg: []string{"198.51.100.2"}},
			},
		},
		{
			name: "Door with one connection",
			obs:  doorObs(activePassive(), conn("cn-door1", ip1, "Connected")),
			wants: []want{{rule: IDSingleTunnel,
				msg: []string{"only 1 Azure connection with a local network gateway (cn-door1)"},
				fix: []string{"SORACOM supplied"}}},
		},
		{
			name: "Door with no connection found",
			obs:  doorObs(activePassive(), missingConn("cn-door1")),
			wants: []want{
				{rule: IDSingleTunnel, msg: []string{"only 0 Azure connections with a local network gateway", "(none)", "not found: cn-door1"}},
				{rule: IDTunnelDown, msg: []string{"cn-door1 is configured but does not exist"}},
			},
		},
		{
			name: "aws-vpn with AWS unreadable falls back to Azure connections",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS = nil
				o.Errors = []vpn.SideError{{Cloud: vpn.CloudAWS, Message: "throttled"}}
				o.Azure.Connections = o.Azure.Connections[:1]
			}),
			wants: []want{{rule: IDSingleTunnel, msg: []string{"only 1 Azure connection with a local network gateway (cn1)"}}},
		},
		{name: "two terminated", obs: static2()},
		{name: "Door with two connections, one down, is not single-tunnel",
			obs:   doorObs(activePassive(), conn("cn-door1", ip1, "Connected"), conn("cn-door2", ip2, "Connecting")),
			wants: []want{{rule: IDTunnelDown, msg: []string{"cn-door2 Connecting"}}}},
		{name: "Azure unobserved: cannot tell", obs: with(static2(), func(o *vpn.Observation) { o.Azure = nil })},
		{
			name: "active-active BGP with all four tunnels terminated",
			obs: awsVPNObs(fourTunnels, activeActive(),
				bgpConn("c1", ip1, "Connected"), bgpConn("c2", ip2, "Connected"),
				bgpConn("c3", ip3, "Connected"), bgpConn("c4", ip4, "Connected")),
		},
		{
			name: "three of four terminated is redundant but the fourth is reported",
			obs: awsVPNObs(fourTunnels, activeActive(),
				bgpConn("c1", ip1, "Connected"), bgpConn("c2", ip2, "Connected"), bgpConn("c3", ip3, "Connected")),
			wants: []want{{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[3] (198.51.100.4) has no local network gateway"}}},
		},
	})
}

func TestBGPNeedsActiveActive(t *testing.T) {
	bgpAWS := []vpn.AWSVPNConnection{awsConn("vpn-0123", false, tun(ip1, "UP", "1 BGP ROUTES"), tun(ip2, "DOWN", "IPSEC IS DOWN"))}
	runCases(t, []liveCase{
		{
			// Failure-mode table row 1: the classic silent loss of redundancy.
			name: "AWS BGP over two tunnels, active-passive gateway, one BGP connection",
			obs:  awsVPNObs(bgpAWS, activePassive("169.254.21.2"), bgpConn("cn1", ip1, "Connected")),
			wants: []want{
				{rule: IDBGPNeedsActiveActive,
					msg: []string{"AWS BGP VPN connections: vpn-0123 (2 tunnels)", "Azure gateway vgw-prod is not active-active, has 1 public IP and has 1 custom APIPA address (169.254.21.2)",
						"only one tunnel can peer"},
					fix: []string{"static routing", "two local network gateways", "active-active", "two public IPs", "two AWS VPN connections", refSoracomStatic}},
				{rule: IDSingleTunnel, msg: []string{"only 1 of 2"}},
				{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[1] (198.51.100.2)"}},
			},
		},
		{
			name: "Door with two BGP connections on an active-passive gateway",
			obs: doorObs(activePassive("169.254.21.2"),
				bgpConn("cn-door1", ip1, "Connected"), bgpConn("cn-door2", ip2, "Connecting")),
			wants: []want{
				{rule: IDBGPNeedsActiveActive, msg: []string{"Azure connections with BGP: cn-door1, cn-door2", "is not active-active"}},
				{rule: IDTunnelDown, msg: []string{"cn-door2 Connecting"}},
			},
		},
		{
			name: "one BGP Azure connection and static AWS is a routing mismatch, not this",
			obs: awsVPNObs([]vpn.AWSVPNConnection{awsConn("vpn-0123", true, tun(ip1, "UP", ""), tun(ip2, "UP", ""))},
				activePassive("169.254.21.2"), bgpConn("cn1", ip1, "Connected"), conn("cn2", ip2, "Connected")),
			wants: []want{
				{rule: IDRoutingMismatch, msg: []string{"BGP is enabled on Azure connections cn1 but not on cn2, all terminating AWS VPN connection vpn-0123"}},
				{rule: IDRoutingMismatch, msg: []string{"vpn-0123 uses static routing but Azure connection cn1 has BGP enabled"}},
			},
		},
		{
			name: "gateway unreadable: no verdict on it",
			obs: with(awsVPNObs(bgpAWS, nil, bgpConn("cn1", ip1, "Connected"), bgpConn("cn2", ip2, "Connected")),
				func(o *vpn.Observation) { o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "UP", "1 BGP ROUTES") }),
		},
	})
}

// The gateway conditions at their boundaries, with BGP over both tunnels.
func TestBGPNeedsActiveActiveGatewayBoundaries(t *testing.T) {
	two := []string{"169.254.21.2", "169.254.22.2"}
	tests := []struct {
		name string
		gw   vpn.AzureGateway
		fire bool
		msg  string
	}{
		{"active-active, 2 IPs, 2 APIPA", vpn.AzureGateway{ActiveActive: true, PublicIPCount: 2, CustomAPIPA: two}, false, ""},
		{"active-active, 2 IPs, 1 APIPA", vpn.AzureGateway{ActiveActive: true, PublicIPCount: 2, CustomAPIPA: two[:1]}, true, "has 1 custom APIPA address (169.254.21.2)"},
		{"active-active, 2 IPs, 0 APIPA", vpn.AzureGateway{ActiveActive: true, PublicIPCount: 2}, true, "has 0 custom APIPA addresses (none)"},
		{"active-active, 1 IP, 2 APIPA", vpn.AzureGateway{ActiveActive: true, PublicIPCount: 1, CustomAPIPA: two}, true, "has 1 public IP"},
		{"active-passive, 2 IPs, 2 APIPA", vpn.AzureGateway{PublicIPCount: 2, CustomAPIPA: two}, true, "is not active-active"},
		{"IP count from tunnel IPs", vpn.AzureGateway{ActiveActive: true, TunnelIPs: []string{"192.0.2.1", "192.0.2.2"}, CustomAPIPA: two}, false, ""},
		{"IP count unknown is not held against it", vpn.AzureGateway{ActiveActive: true, CustomAPIPA: two}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := tt.gw
			gw.Name = "vgw-x"
			obs := doorObs(&gw, bgpConn("cn1", ip1, "Connected"), bgpConn("cn2", ip2, "Connected"))
			var got []vpn.Finding
			for _, f := range Live(obs, vpn.Pair(obs)) {
				if f.Rule == IDBGPNeedsActiveActive {
					got = append(got, f)
				}
			}
			if !tt.fire {
				if len(got) != 0 {
					t.Errorf("fired: %s", dump(got))
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, "Azure gateway vgw-x ") || !strings.Contains(got[0].Message, tt.msg) {
				t.Errorf("want one finding containing %q, got\n%s", tt.msg, dump(got))
			}
		})
	}

	// One BGP connection (and no AWS side) is not "both tunnels".
	obs := doorObs(activePassive("169.254.21.2"), bgpConn("cn1", ip1, "Connected"), missingConn("cn2"))
	for _, f := range Live(obs, vpn.Pair(obs)) {
		if f.Rule == IDBGPNeedsActiveActive {
			t.Errorf("fired with one BGP connection: %s", f.Message)
		}
	}
}

func TestRoutingMismatch(t *testing.T) {
	runCases(t, []liveCase{
		{
			name: "AWS static, Azure BGP",
			obs: with(static2(), func(o *vpn.Observation) {
				o.Azure.Gateway = activeActive()
				o.Azure.Connections[0].EnableBGP = true
				o.Azure.Connections[1].EnableBGP = true
			}),
			wants: []want{{rule: IDRoutingMismatch,
				msg: []string{"AWS VPN connection vpn-0123 uses static routing but Azure connections cn1, cn2 have BGP enabled"},
				fix: []string{"Turn BGP off"}}},
		},
		{
			name: "AWS BGP, Azure static",
			obs: with(static2(), func(o *vpn.Observation) {
				o.Azure.Gateway = activeActive()
				o.AWS.VPNConnections[0].StaticRoutesOnly = false
			}),
			wants: []want{{rule: IDRoutingMismatch,
				msg: []string{"AWS VPN connection vpn-0123 uses BGP but Azure connections cn1, cn2 have BGP disabled (static)"},
				fix: []string{"runbook migrate", IDBGPNeedsActiveActive}}},
		},
		{
			name: "AWS BGP, Azure static, active-passive gateway: both rules explain",
			obs:  with(static2(), func(o *vpn.Observation) { o.AWS.VPNConnections[0].StaticRoutesOnly = false }),
			wants: []want{
				{rule: IDRoutingMismatch, msg: []string{"uses BGP but Azure connections cn1, cn2 have BGP disabled"}},
				{rule: IDBGPNeedsActiveActive, msg: []string{"vpn-0123 (2 tunnels)"}},
			},
		},
		{
			name: "Door: BGP on only some connections",
			obs:  doorObs(activeActive(), bgpConn("cn-door1", ip1, "Connected"), conn("cn-door2", ip2, "Connected")),
			wants: []want{{rule: IDRoutingMismatch,
				msg: []string{"BGP is enabled on Azure connections cn-door1 but not on cn-door2"}}},
		},
		{
			name: "404 connection does not count as static",
			obs:  doorObs(activeActive(), bgpConn("cn-door1", ip1, "Connected"), bgpConn("cn-door2", ip2, "Connected"), missingConn("cn-door3")),
			wants: []want{
				{rule: IDTunnelDown, msg: []string{"cn-door3"}},
			},
		},
		{
			name: "nothing paired: sides compared as a whole",
			obs: awsVPNObs([]vpn.AWSVPNConnection{awsConn("vpn-0123", true, tun(ip1, "DOWN", ""), tun(ip2, "DOWN", ""))},
				activeActive(), bgpConn("cn1", "203.0.113.1", "NotConnected"), bgpConn("cn2", "203.0.113.2", "NotConnected")),
			wants: []want{
				{rule: IDRoutingMismatch, msg: []string{"AWS VPN connection vpn-0123 uses static routing but Azure connections cn1, cn2 have BGP enabled"}},
				{rule: IDPeerIPMismatch, msg: []string{"gateway_ip 203.0.113.1 (lng-cn1) is not the outside IP of any AWS tunnel"}},
				{rule: IDPeerIPMismatch, msg: []string{"gateway_ip 203.0.113.2 (lng-cn2) is not the outside IP of any AWS tunnel"}},
				{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[0] (198.51.100.1)"}},
				{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[1] (198.51.100.2)"}},
				{rule: IDSingleTunnel, msg: []string{"only 0 of 2 AWS tunnels terminated on Azure (none)"}},
			},
		},
		{
			// During the BGP -> static migration each AWS connection agrees
			// with its own Azure connections: Azure allows BGP and static
			// connections side by side, so the mix is no finding.
			name: "migration: old BGP pair next to new static pair",
			obs: awsVPNObs([]vpn.AWSVPNConnection{
				awsConn("vpn-old", false, tun(ip1, "UP", "1 BGP ROUTES"), tun(ip2, "DOWN", "IPSEC IS DOWN")),
				awsConn("vpn-new", true, tun(ip3, "UP", ""), tun(ip4, "UP", "")),
			}, activePassive("169.254.21.2"),
				bgpConn("cn-old", ip1, "Connected"), conn("cn-new1", ip3, "Connected"), conn("cn-new2", ip4, "Connected")),
			wants: []want{
				{rule: IDBGPNeedsActiveActive, msg: []string{"vpn-old (2 tunnels)"}},
				{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[1] (198.51.100.2) has no local network gateway"}},
			},
		},
		{name: "static everywhere", obs: static2()},
		{
			name: "BGP everywhere on an active-active gateway",
			obs: awsVPNObs([]vpn.AWSVPNConnection{awsConn("vpn-a", false, tun(ip1, "UP", "2 BGP ROUTES"), tun(ip2, "UP", "2 BGP ROUTES"))},
				activeActive(), bgpConn("cn1", ip1, "Connected"), bgpConn("cn2", ip2, "Connected")),
		},
	})
}

func TestPeerIPMismatch(t *testing.T) {
	runCases(t, []liveCase{
		{
			name: "LNG points at no AWS tunnel",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "IPSEC IS DOWN")
				o.Azure.Connections[1] = conn("cn2", ip9, "NotConnected")
			}),
			// No tunnel-down for either half: the pairing is the problem.
			wants: []want{
				{rule: IDPeerIPMismatch,
					msg: []string{"azure.local_network_gateways[1].gateway_ip 203.0.113.9 (lng-cn2) is not the outside IP of any AWS tunnel (198.51.100.1, 198.51.100.2) (used by Azure connection cn2)"},
					fix: []string{"meant for (198.51.100.2)", "az network local-gateway update -g rg-network -n lng-cn2"}},
				{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[1] (198.51.100.2) has no local network gateway: no gateway_ip equals 198.51.100.2"}},
				{rule: IDSingleTunnel, msg: []string{"only 1 of 2"}},
			},
		},
		{
			name: "two connections on the same AWS tunnel",
			obs:  with(static2(), func(o *vpn.Observation) { o.Azure.Connections[1] = conn("cn1b", ip1, "Connecting") }),
			wants: []want{
				{rule: IDPeerIPMismatch, msg: []string{"all have gateway_ip 198.51.100.1 (used by Azure connections cn1, cn1b)"}},
				{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[1] (198.51.100.2)"}},
				{rule: IDSingleTunnel, msg: []string{"only 1 of 2"}},
			},
		},
		{
			name:  "duplicates are found despite spelling differences",
			obs:   doorObs(activePassive(), conn("cn-door1", ip1, "Connected"), conn("cn-door2", " "+ip1, "Connected")),
			wants: []want{{rule: IDPeerIPMismatch, msg: []string{"all have gateway_ip 198.51.100.1 (used by Azure connections cn-door1, cn-door2)"}}},
		},
		{
			name: "Door: unknown AWS IPs are not a mismatch",
			obs:  doorObs(activePassive(), conn("cn-door1", "192.0.2.10", "Connected"), conn("cn-door2", "192.0.2.11", "Connected")),
		},
		{
			name: "connection without local network gateway",
			obs: with(static2(), func(o *vpn.Observation) {
				o.Azure.Connections[1].LocalNetworkGateway = nil
			}),
			wants: []want{
				{rule: IDPeerIPMismatch, msg: []string{"azure.connections[1] (cn2) names no local_network_gateway"}, fix: []string{"198.51.100.2"}},
				{rule: IDPeerIPMismatch, msg: []string{"aws.tunnels[1] (198.51.100.2)"}},
				{rule: IDSingleTunnel, msg: []string{"only 1 of 2"}},
			},
		},
		{name: "all paired", obs: static2()},
	})
}

func TestObservationNotes(t *testing.T) {
	obs := with(static2(), func(o *vpn.Observation) {
		o.Notes = []vpn.Note{
			{Rule: IDBGPPeerStatusUnavailable, Severity: vpn.SeverityWarning,
				Message: "BGP peer status of vgw-prod: 403 AuthorizationFailed"},
			{Rule: IDBGPPeerStatusUnavailable, Message: "no severity given", Fix: "custom fix"},
			{Rule: "adapter-specific", Severity: vpn.SeverityInfo, Message: "m", Fix: "f"},
			{Rule: "adapter-unclassified", Message: "m2"},
		}
	})
	got := Live(obs, vpn.Pair(obs))
	ref, _ := Lookup(IDBGPPeerStatusUnavailable)
	wantList := []vpn.Finding{
		{Rule: IDBGPPeerStatusUnavailable, Severity: vpn.SeverityWarning, Message: "BGP peer status of vgw-prod: 403 AuthorizationFailed",
			Fix: defaultNoteFix[IDBGPPeerStatusUnavailable], Reference: ref.Reference},
		{Rule: IDBGPPeerStatusUnavailable, Severity: vpn.SeverityWarning, Message: "no severity given", Fix: "custom fix", Reference: ref.Reference},
		{Rule: "adapter-unclassified", Severity: vpn.SeverityWarning, Message: "m2"},
		{Rule: "adapter-specific", Severity: vpn.SeverityInfo, Message: "m", Fix: "f"},
	}
	sortFindings(wantList)
	if !reflect.DeepEqual(got, wantList) {
		t.Errorf("got\n%s\nwant\n%s", dump(got), dump(wantList))
	}
	if !strings.Contains(defaultNoteFix[IDBGPPeerStatusUnavailable], "getBgpPeerStatus/action") {
		t.Errorf("default fix does not name the RBAC action: %q", defaultNoteFix[IDBGPPeerStatusUnavailable])
	}
}

func TestLiveOrderAndDeterminism(t *testing.T) {
	obs := with(static2(), func(o *vpn.Observation) {
		o.AWS.VPNConnections[0].Tunnels[0] = tun(ip1, "DOWN", "IPSEC IS DOWN")
		o.Azure.Connections[0].Status = "NotConnected"
		o.Azure.Connections[1] = conn("cn2", ip9, "NotConnected")
		o.Notes = []vpn.Note{{Rule: IDBGPPeerStatusUnavailable, Severity: vpn.SeverityWarning, Message: "403"},
			{Rule: "x-info", Severity: vpn.SeverityInfo, Message: "i"}}
	})
	first := Live(obs, vpn.Pair(obs))
	var sev []vpn.Severity
	var rules []string
	for _, f := range first {
		sev = append(sev, f.Severity)
		rules = append(rules, f.Rule)
	}
	wantRules := []string{IDPeerIPMismatch, IDPeerIPMismatch, IDTunnelDown, IDBGPPeerStatusUnavailable, IDSingleTunnel, "x-info"}
	if !slices.Equal(rules, wantRules) {
		t.Errorf("order = %v, want %v\n%s", rules, wantRules, dump(first))
	}
	if sev[0] != vpn.SeverityError || sev[len(sev)-1] != vpn.SeverityInfo {
		t.Errorf("severities out of order: %v", sev)
	}
	for i := 0; i < 20; i++ {
		if again := Live(obs, vpn.Pair(obs)); !reflect.DeepEqual(again, first) {
			t.Fatalf("Live is not deterministic:\n%s\nvs\n%s", dump(again), dump(first))
		}
	}
}

func TestLiveNothingObserved(t *testing.T) {
	obs := vpn.Observation{Connection: vpn.Connection{Name: "x", Kind: vpn.KindAWSVPN},
		Errors: []vpn.SideError{{Cloud: vpn.CloudAWS}, {Cloud: vpn.CloudAzure}}}
	got := Live(obs, vpn.Pair(obs))
	if got == nil || len(got) != 0 {
		t.Errorf("got %v, want empty non-nil", got)
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "public IP", "0 public IPs"},
		{1, "public IP", "1 public IP"},
		{2, "custom APIPA address", "2 custom APIPA addresses"},
		{1, "custom APIPA address", "1 custom APIPA address"},
	} {
		if got := count(tt.n, tt.noun); got != tt.want {
			t.Errorf("count(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
}
