package vpn

import (
	"reflect"
	"testing"
)

func p[T any](v T) *T { return &v }

// liveObs is a user-owned static VPN: tunnel 1 hardened, tunnel 2 on AWS
// defaults (AWS omits its options), a 404 connection and two connections
// sharing one local network gateway.
func liveObs() Observation {
	return Observation{
		Connection: Connection{Name: "azure-prod", Kind: KindAWSVPN},
		AWS: &AWSSide{VPNConnections: []AWSVPNConnection{{
			ID: "vpn-1", StaticRoutesOnly: true, StaticRoutes: []string{"10.1.0.0/16"},
			Tunnels: []AWSTunnel{
				{OutsideIP: "198.51.100.1", Status: "UP", Options: TunnelOptions{
					InsideCIDR: "169.254.21.0/30", IKEVersions: []string{"ikev2"},
					Phase1Encryption: []string{"AES256"}, Phase1Integrity: []string{"SHA2-256"}, Phase1DHGroups: []int{14}, Phase1Lifetime: 28800,
					Phase2Lifetime: 3600, DPDTimeoutSeconds: 30, StartupAction: "start"}},
				{OutsideIP: "198.51.100.2", Status: "UP"},
			},
		}}},
		Azure: &AzureSide{
			Gateway: &AzureGateway{Name: "vgw", SKU: "VpnGw1", VPNType: "RouteBased", PublicIPCount: 1, ASN: 65515},
			Connections: []AzureConnection{
				{Name: "cn1", Found: true, Protocol: "IKEv2", ConnectionMode: "Default", DPDTimeoutSeconds: 45,
					LocalNetworkGateway: &LocalNetworkGateway{Name: "lng1", GatewayIP: "198.51.100.1", AddressPrefixes: []string{"172.31.0.0/16"}}},
				{Name: "cn-gone"},
				{Name: "cn2", Found: true, UsePolicyBasedTrafficSelectors: true,
					LocalNetworkGateway: &LocalNetworkGateway{Name: "lng2", GatewayIP: "198.51.100.2", BGPPeerAddress: "169.254.22.1", ASN: 64512}},
				{Name: "cn2b", Found: true,
					LocalNetworkGateway: &LocalNetworkGateway{Name: "lng2", GatewayIP: "198.51.100.2"}},
			},
		},
	}
}

func TestProposalFromObservation(t *testing.T) {
	got := ProposalFromObservation(liveObs())
	want := Proposal{
		Connection: "azure-prod",
		Routing:    RoutingStatic,
		AWS: ProposalAWS{
			StaticRoutes: []string{"10.1.0.0/16"},
			Tunnels: []ProposedTunnel{
				{OutsideIP: "198.51.100.1", InsideCIDR: "169.254.21.0/30", IKEVersions: []string{"ikev2"},
					Phase1: &PhaseParams{Encryption: []string{"AES256"}, Integrity: []string{"SHA2-256"}, DHGroups: []int{14}, LifetimeSeconds: p(28800)},
					Phase2: &PhaseParams{LifetimeSeconds: p(3600)}, DPDTimeoutSeconds: p(30), StartupAction: "start"},
				{OutsideIP: "198.51.100.2"},
			},
		},
		Azure: ProposalAzure{
			Gateway: &ProposedGateway{SKU: "VpnGw1", VPNType: "RouteBased", ActiveActive: p(false), PublicIPs: p(1), ASN: p(int64(65515))},
			LocalNetworkGateways: []ProposedLNG{
				{Name: "lng1", GatewayIP: "198.51.100.1", AddressPrefixes: []string{"172.31.0.0/16"}},
				{Name: "lng2", GatewayIP: "198.51.100.2", BGPPeerAddress: "169.254.22.1", ASN: p(int64(64512))},
			},
			Connections: []ProposedConnection{
				{Name: "cn1", LocalNetworkGateway: "lng1", Protocol: "IKEv2", EnableBGP: p(false),
					UsePolicyBasedTrafficSelectors: p(false), DPDTimeoutSeconds: p(45), ConnectionMode: "Default"},
				{Name: "cn2", LocalNetworkGateway: "lng2", EnableBGP: p(false), UsePolicyBasedTrafficSelectors: p(true)},
				{Name: "cn2b", LocalNetworkGateway: "lng2", EnableBGP: p(false), UsePolicyBasedTrafficSelectors: p(false)},
			},
		},
	}
	gotNoOrigins := got
	gotNoOrigins.Origins = nil
	if !reflect.DeepEqual(gotNoOrigins, want) {
		t.Errorf("got\n%#v\nwant\n%#v", gotNoOrigins, want)
	}

	wantOrigins := []string{
		"connection", "routing", "aws.static_routes",
		"aws.tunnels[0].outside_ip", "aws.tunnels[0].inside_cidr", "aws.tunnels[0].ike_versions",
		"aws.tunnels[0].phase1.encryption", "aws.tunnels[0].phase1.integrity", "aws.tunnels[0].phase1.dh_groups",
		"aws.tunnels[0].phase1.lifetime_seconds", "aws.tunnels[0].phase2.lifetime_seconds",
		"aws.tunnels[0].dpd_timeout_seconds", "aws.tunnels[0].startup_action", "aws.tunnels[1].outside_ip",
		"azure.gateway.sku", "azure.gateway.vpn_type", "azure.gateway.active_active", "azure.gateway.public_ips", "azure.gateway.asn",
		"azure.local_network_gateways[0].name", "azure.local_network_gateways[0].gateway_ip", "azure.local_network_gateways[0].address_prefixes",
		"azure.local_network_gateways[1].name", "azure.local_network_gateways[1].gateway_ip",
		"azure.local_network_gateways[1].bgp_peer_address", "azure.local_network_gateways[1].asn",
		"azure.connections[0].name", "azure.connections[0].local_network_gateway", "azure.connections[0].protocol",
		"azure.connections[0].enable_bgp", "azure.connections[0].use_policy_based_traffic_selectors",
		"azure.connections[0].dpd_timeout_seconds", "azure.connections[0].connection_mode",
		"azure.connections[1].name", "azure.connections[1].local_network_gateway", "azure.connections[1].enable_bgp",
		"azure.connections[1].use_policy_based_traffic_selectors",
		"azure.connections[2].name", "azure.connections[2].local_network_gateway", "azure.connections[2].enable_bgp",
		"azure.connections[2].use_policy_based_traffic_selectors",
	}
	for _, k := range wantOrigins {
		if got.Origins[k] != OriginLive {
			t.Errorf("Origins[%q] = %q, want live", k, got.Origins[k])
		}
	}
	if len(got.Origins) != len(wantOrigins) {
		for k := range got.Origins {
			found := false
			for _, w := range wantOrigins {
				found = found || w == k
			}
			if !found {
				t.Errorf("unexpected origin %q (unset values must have none)", k)
			}
		}
	}
	if got.Origins["aws.tunnels[1].inside_cidr"] != "" {
		t.Error("an option AWS did not return must not be recorded")
	}
}

func TestProposalFromObservationRoutingAndSides(t *testing.T) {
	bgpConn := func(name, ip string) AzureConnection {
		return AzureConnection{Name: name, Found: true, EnableBGP: true, LocalNetworkGateway: &LocalNetworkGateway{Name: "l-" + name, GatewayIP: ip}}
	}
	tests := []struct {
		name    string
		obs     Observation
		routing Routing
		door    bool
	}{
		{"nothing observed", Observation{}, "", false},
		{"Door: Azure decides, device subnet assumed",
			Observation{Connection: Connection{Kind: KindSoracomDoor}, Azure: &AzureSide{Connections: []AzureConnection{bgpConn("a", "192.0.2.1"), bgpConn("b", "192.0.2.2")}}},
			RoutingBGP, true},
		{"AWS mixed (migration) falls back to Azure",
			Observation{AWS: &AWSSide{VPNConnections: []AWSVPNConnection{{ID: "old"}, {ID: "new", StaticRoutesOnly: true}}},
				Azure: &AzureSide{Connections: []AzureConnection{bgpConn("a", "192.0.2.1")}}},
			RoutingBGP, false},
		{"AWS wins over Azure",
			Observation{AWS: &AWSSide{VPNConnections: []AWSVPNConnection{{ID: "v", StaticRoutesOnly: true}}},
				Azure: &AzureSide{Connections: []AzureConnection{bgpConn("a", "192.0.2.1")}}},
			RoutingStatic, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ProposalFromObservation(tt.obs)
			if got.Routing != tt.routing {
				t.Errorf("routing = %q, want %q", got.Routing, tt.routing)
			}
			if tt.door != (got.Soracom.DeviceSubnet == DefaultSoracomDeviceSubnet) || (tt.door && got.Origins["soracom.device_subnet"] != OriginDefault) {
				t.Errorf("device subnet %q origin %q, door %v", got.Soracom.DeviceSubnet, got.Origins["soracom.device_subnet"], tt.door)
			}
			if tt.door && got.AWS.Tunnels != nil {
				t.Error("Door: AWS tunnels are SORACOM's and unknown")
			}
		})
	}

	// A static connection without routes states an empty list: nothing
	// reaches Azure, and that must be checkable.
	got := ProposalFromObservation(Observation{AWS: &AWSSide{VPNConnections: []AWSVPNConnection{{ID: "v", StaticRoutesOnly: true}}}})
	if got.AWS.StaticRoutes == nil || len(got.AWS.StaticRoutes) != 0 {
		t.Errorf("static routes = %#v, want empty non-nil", got.AWS.StaticRoutes)
	}
	// BGP: static routes are not part of the design.
	got = ProposalFromObservation(Observation{AWS: &AWSSide{VPNConnections: []AWSVPNConnection{{ID: "v", StaticRoutes: []string{"10.9.0.0/16"}}}}})
	if got.AWS.StaticRoutes != nil {
		t.Errorf("BGP static routes = %#v, want nil", got.AWS.StaticRoutes)
	}
	// Public IP count falls back to the instances' tunnel IPs.
	got = ProposalFromObservation(Observation{Azure: &AzureSide{Gateway: &AzureGateway{TunnelIPs: []string{"192.0.2.1", "192.0.2.2"}}}})
	if got.Azure.Gateway.PublicIPs == nil || *got.Azure.Gateway.PublicIPs != 2 || got.Azure.Gateway.ASN != nil {
		t.Errorf("gateway = %#v", got.Azure.Gateway)
	}
}

// liveProposal is what ProposalFromObservation gives for a two-tunnel
// static connection, written out so the merge cases read on their own.
func liveProposal() Proposal {
	return ProposalFromObservation(Observation{
		Connection: Connection{Name: "azure-prod", Kind: KindAWSVPN},
		AWS: &AWSSide{VPNConnections: []AWSVPNConnection{{ID: "v", StaticRoutesOnly: true, StaticRoutes: []string{"10.1.0.0/16"},
			Tunnels: []AWSTunnel{
				{OutsideIP: "198.51.100.1", Options: TunnelOptions{InsideCIDR: "169.254.21.0/30", Phase1Encryption: []string{"AES256"}, Phase1Lifetime: 28800, DPDTimeoutSeconds: 30}},
				{OutsideIP: "198.51.100.2", Options: TunnelOptions{InsideCIDR: "169.254.22.0/30"}},
			}}}},
		Azure: &AzureSide{
			Gateway: &AzureGateway{SKU: "VpnGw1", VPNType: "RouteBased", PublicIPCount: 1, ASN: 65515},
			Connections: []AzureConnection{
				{Name: "cn1", Found: true, Protocol: "IKEv2", ConnectionMode: "Default", DPDTimeoutSeconds: 45,
					LocalNetworkGateway: &LocalNetworkGateway{Name: "lng1", GatewayIP: "198.51.100.1", AddressPrefixes: []string{"172.31.0.0/16"}}},
				{Name: "cn2", Found: true, Protocol: "IKEv2", ConnectionMode: "Default",
					LocalNetworkGateway: &LocalNetworkGateway{Name: "lng2", GatewayIP: "198.51.100.2", AddressPrefixes: []string{"172.31.0.0/16"}}},
			},
		},
	})
}

func TestMerge(t *testing.T) {
	type check struct {
		path   string
		origin Origin
		value  func(Proposal) any
		want   any
	}
	tests := []struct {
		name   string
		p      Proposal
		checks []check
		also   func(t *testing.T, m Proposal)
	}{
		{
			name: "empty proposal is the live state",
			p:    Proposal{},
			checks: []check{
				{"routing", OriginLive, func(m Proposal) any { return m.Routing }, RoutingStatic},
				{"aws.tunnels[1].inside_cidr", OriginLive, func(m Proposal) any { return m.AWS.Tunnels[1].InsideCIDR }, "169.254.22.0/30"},
				{"azure.connections[1].name", OriginLive, func(m Proposal) any { return m.Azure.Connections[1].Name }, "cn2"},
			},
			also: func(t *testing.T, m Proposal) {
				live := liveProposal()
				if !reflect.DeepEqual(m, live) {
					t.Errorf("Merge(empty, live) differs from live:\n%#v\n%#v", m, live)
				}
			},
		},
		{
			name: "stated scalars win, the rest is live",
			p:    Proposal{Routing: RoutingBGP, Azure: ProposalAzure{Gateway: &ProposedGateway{SKU: "VpnGw2AZ", ActiveActive: p(true)}}},
			checks: []check{
				{"routing", OriginProposal, func(m Proposal) any { return m.Routing }, RoutingBGP},
				{"azure.gateway.sku", OriginProposal, func(m Proposal) any { return m.Azure.Gateway.SKU }, "VpnGw2AZ"},
				{"azure.gateway.active_active", OriginProposal, func(m Proposal) any { return *m.Azure.Gateway.ActiveActive }, true},
				{"azure.gateway.vpn_type", OriginLive, func(m Proposal) any { return m.Azure.Gateway.VPNType }, "RouteBased"},
				{"azure.gateway.asn", OriginLive, func(m Proposal) any { return *m.Azure.Gateway.ASN }, int64(65515)},
			},
		},
		{
			name: "stated tunnel list is the intended set, filled by outside IP",
			p: Proposal{AWS: ProposalAWS{Tunnels: []ProposedTunnel{
				{OutsideIP: " 198.51.100.2", DPDTimeoutSeconds: p(40), PSK: "Key.For.Tunnel2"},
				{OutsideIP: "198.51.100.9", InsideCIDR: "169.254.21.4/30"},
			}}},
			checks: []check{
				{"aws.tunnels[0].outside_ip", OriginProposal, func(m Proposal) any { return m.AWS.Tunnels[0].OutsideIP }, " 198.51.100.2"},
				{"aws.tunnels[0].inside_cidr", OriginLive, func(m Proposal) any { return m.AWS.Tunnels[0].InsideCIDR }, "169.254.22.0/30"},
				{"aws.tunnels[0].dpd_timeout_seconds", OriginProposal, func(m Proposal) any { return *m.AWS.Tunnels[0].DPDTimeoutSeconds }, 40},
				{"aws.tunnels[0].psk", OriginProposal, func(m Proposal) any { return m.AWS.Tunnels[0].PSK.Reveal() }, "Key.For.Tunnel2"},
				{"aws.tunnels[1].inside_cidr", OriginProposal, func(m Proposal) any { return m.AWS.Tunnels[1].InsideCIDR }, "169.254.21.4/30"},
				{"aws.tunnels[1].phase1.encryption", "", func(m Proposal) any { return m.AWS.Tunnels[1].Phase1 == nil }, true},
			},
			also: func(t *testing.T, m Proposal) {
				if len(m.AWS.Tunnels) != 2 {
					t.Errorf("tunnels = %d, want the 2 stated (live 198.51.100.1 dropped)", len(m.AWS.Tunnels))
				}
			},
		},
		{
			name: "nested phase merges field by field",
			p: Proposal{AWS: ProposalAWS{Tunnels: []ProposedTunnel{
				{OutsideIP: "198.51.100.1", Phase1: &PhaseParams{DHGroups: []int{14}}},
				{OutsideIP: "198.51.100.2"},
			}}},
			checks: []check{
				{"aws.tunnels[0].phase1.dh_groups", OriginProposal, func(m Proposal) any { return m.AWS.Tunnels[0].Phase1.DHGroups }, []int{14}},
				{"aws.tunnels[0].phase1.encryption", OriginLive, func(m Proposal) any { return m.AWS.Tunnels[0].Phase1.Encryption }, []string{"AES256"}},
				{"aws.tunnels[0].phase1.lifetime_seconds", OriginLive, func(m Proposal) any { return *m.AWS.Tunnels[0].Phase1.LifetimeSeconds }, 28800},
				{"aws.tunnels[1].inside_cidr", OriginLive, func(m Proposal) any { return m.AWS.Tunnels[1].InsideCIDR }, "169.254.22.0/30"},
			},
		},
		{
			name: "plain value lists are replaced whole, even by an empty list",
			p: Proposal{AWS: ProposalAWS{StaticRoutes: []string{}},
				Azure: ProposalAzure{VNetPrefixes: []string{"10.1.0.0/16"}, LocalNetworkGateways: []ProposedLNG{{Name: "lng1", AddressPrefixes: []string{"100.64.17.0/28"}}}}},
			checks: []check{
				{"aws.static_routes", OriginProposal, func(m Proposal) any { return m.AWS.StaticRoutes }, []string{}},
				{"azure.vnet_prefixes", OriginProposal, func(m Proposal) any { return m.Azure.VNetPrefixes }, []string{"10.1.0.0/16"}},
				{"azure.local_network_gateways[0].address_prefixes", OriginProposal, func(m Proposal) any { return m.Azure.LocalNetworkGateways[0].AddressPrefixes }, []string{"100.64.17.0/28"}},
				{"azure.local_network_gateways[0].gateway_ip", OriginLive, func(m Proposal) any { return m.Azure.LocalNetworkGateways[0].GatewayIP }, "198.51.100.1"},
			},
			also: func(t *testing.T, m Proposal) {
				if len(m.Azure.LocalNetworkGateways) != 1 {
					t.Errorf("LNGs = %d, want 1 (the stated set)", len(m.Azure.LocalNetworkGateways))
				}
				if len(m.Azure.Connections) != 2 {
					t.Errorf("connections = %d, want 2 (not stated, so live)", len(m.Azure.Connections))
				}
			},
		},
		{
			name: "connections by name: the live one at another index, policy field by field",
			p: Proposal{Azure: ProposalAzure{Connections: []ProposedConnection{
				{Name: "cn2", ConnectionMode: "ResponderOnly", SharedKey: "k2.abcdefgh", IPsecPolicy: &IPsecPolicy{IKEEncryption: "AES256"}},
				{Name: "cn1"},
			}}},
			checks: []check{
				{"azure.connections[0].connection_mode", OriginProposal, func(m Proposal) any { return m.Azure.Connections[0].ConnectionMode }, "ResponderOnly"},
				{"azure.connections[0].local_network_gateway", OriginLive, func(m Proposal) any { return m.Azure.Connections[0].LocalNetworkGateway }, "lng2"},
				{"azure.connections[0].ipsec_policy.ike_encryption", OriginProposal, func(m Proposal) any { return m.Azure.Connections[0].IPsecPolicy.IKEEncryption }, "AES256"},
				{"azure.connections[0].ipsec_policy.pfs_group", "", func(m Proposal) any { return m.Azure.Connections[0].IPsecPolicy.PFSGroup }, ""},
				{"azure.connections[1].dpd_timeout_seconds", OriginLive, func(m Proposal) any { return *m.Azure.Connections[1].DPDTimeoutSeconds }, 45},
			},
		},
		{
			name: "a list recorded as stated stays empty even when nil",
			p:    Proposal{Origins: map[string]Origin{"aws.static_routes": OriginProposal}},
			checks: []check{
				{"aws.static_routes", OriginProposal, func(m Proposal) any { return m.AWS.StaticRoutes }, []string{}},
			},
		},
		{
			name: "the proposal's own origins and live's defaults are kept",
			p: Proposal{Routing: RoutingStatic, Origins: map[string]Origin{"routing": OriginLive},
				Soracom: ProposalSoracom{VPGSubnet: "100.64.17.0/28"}},
			checks: []check{
				{"routing", OriginLive, func(m Proposal) any { return m.Routing }, RoutingStatic},
				{"soracom.vpg_subnet", OriginProposal, func(m Proposal) any { return m.Soracom.VPGSubnet }, "100.64.17.0/28"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Merge(tt.p, liveProposal())
			for _, c := range tt.checks {
				if got := c.value(m); !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s = %#v, want %#v", c.path, got, c.want)
				}
				if got := m.Origins[c.path]; got != c.origin {
					t.Errorf("origin of %s = %q, want %q", c.path, got, c.origin)
				}
			}
			if tt.also != nil {
				tt.also(t, m)
			}
		})
	}
}

func TestMergeKeepsLiveDefaultOrigin(t *testing.T) {
	live := ProposalFromObservation(Observation{Connection: Connection{Kind: KindSoracomDoor}})
	m := Merge(Proposal{Soracom: ProposalSoracom{VPGSubnet: "100.64.17.0/28"}}, live)
	if m.Soracom.DeviceSubnet != DefaultSoracomDeviceSubnet || m.Origins["soracom.device_subnet"] != OriginDefault {
		t.Errorf("device subnet %q origin %q, want the default marked default", m.Soracom.DeviceSubnet, m.Origins["soracom.device_subnet"])
	}
}

// The merged proposal must not alias either input: handlers keep the live
// proposal cached and mutate merged ones.
func TestMergeSharesNoMemory(t *testing.T) {
	live := liveProposal()
	prop := Proposal{AWS: ProposalAWS{Tunnels: []ProposedTunnel{
		{OutsideIP: "198.51.100.1", IKEVersions: []string{"ikev2"}, Phase1: &PhaseParams{Encryption: []string{"AES128"}}},
	}}}
	m := Merge(prop, live)
	m.AWS.Tunnels[0].IKEVersions[0] = "x"
	m.AWS.Tunnels[0].Phase1.Encryption[0] = "x"
	*m.AWS.Tunnels[0].Phase1.LifetimeSeconds = 1
	m.AWS.StaticRoutes[0] = "x"
	*m.Azure.Gateway.ASN = 1
	m.Azure.LocalNetworkGateways[0].AddressPrefixes[0] = "x"
	m.Origins["routing"] = "x"
	if prop.AWS.Tunnels[0].IKEVersions[0] != "ikev2" || prop.AWS.Tunnels[0].Phase1.Encryption[0] != "AES128" {
		t.Error("merge aliases the proposal")
	}
	if !reflect.DeepEqual(live, liveProposal()) {
		t.Error("merge aliases the live proposal")
	}
}

// A Door connection's VPG states the SORACOM side: routing from its Door
// connections, the Door BGP ASN as aws.asn, the real subnets and filter.
func TestProposalFromObservationVPG(t *testing.T) {
	obs := Observation{
		Connection: Connection{Name: "door", Kind: KindSoracomDoor, Soracom: SoracomRef{VPGID: "vpg-1"}},
		Azure:      &AzureSide{Connections: []AzureConnection{{Name: "a", Found: true, LocalNetworkGateway: &LocalNetworkGateway{Name: "l", GatewayIP: "192.0.2.1"}}}},
		Soracom: &SoracomVPG{ID: "vpg-1", Status: "running", DeviceSubnet: "10.64.0.0/16", VPGSubnet: "100.64.17.0/28",
			DoorConnections: []DoorConnection{{ID: "d1", UseDynamicRouting: true, BGPASN: "x"}, {ID: "d2", UseDynamicRouting: true, BGPASN: "64513"}},
			RoutingFilter:   []RoutingFilterEntry{{Action: "deny", IPRange: "0.0.0.0/0"}}},
	}
	got := ProposalFromObservation(obs)
	if got.Routing != RoutingBGP || got.Origins["routing"] != OriginLive {
		t.Errorf("routing %q (%s), want bgp from the VPG although Azure's connection is static", got.Routing, got.Origins["routing"])
	}
	if got.AWS.ASN == nil || *got.AWS.ASN != 64513 || got.Origins["aws.asn"] != OriginLive {
		t.Errorf("aws.asn %v, want 64513 (the first parseable Door ASN)", got.AWS.ASN)
	}
	want := ProposalSoracom{DeviceSubnet: "10.64.0.0/16", VPGSubnet: "100.64.17.0/28", RoutingFilter: []RoutingFilterEntry{{Action: "deny", IPRange: "0.0.0.0/0"}}}
	if !reflect.DeepEqual(got.Soracom, want) {
		t.Errorf("soracom %+v, want %+v", got.Soracom, want)
	}
	for _, k := range []string{"soracom.device_subnet", "soracom.vpg_subnet", "soracom.routing_filter"} {
		if got.Origins[k] != OriginLive {
			t.Errorf("Origins[%q] = %q, want live", k, got.Origins[k])
		}
	}

	// Static Door: no ASN; an empty filter is stated as empty.
	obs.Soracom.DoorConnections = []DoorConnection{{ID: "d1", BGPASN: "65000"}}
	obs.Soracom.RoutingFilter = nil
	got = ProposalFromObservation(obs)
	if got.Routing != RoutingStatic || got.AWS.ASN != nil || got.Soracom.RoutingFilter == nil || len(got.Soracom.RoutingFilter) != 0 {
		t.Errorf("static Door: routing %q, asn %v, filter %#v", got.Routing, got.AWS.ASN, got.Soracom.RoutingFilter)
	}

	// A proposal's own filter replaces the live one; its device subnet too.
	m := Merge(Proposal{Soracom: ProposalSoracom{DeviceSubnet: "10.0.0.0/9", RoutingFilter: []RoutingFilterEntry{}},
		Origins: map[string]Origin{"soracom.routing_filter": OriginProposal, "soracom.device_subnet": OriginProposal}}, got)
	if m.Soracom.DeviceSubnet != "10.0.0.0/9" || len(m.Soracom.RoutingFilter) != 0 || m.Soracom.RoutingFilter == nil ||
		m.Origins["soracom.routing_filter"] != OriginProposal || m.Soracom.VPGSubnet != "100.64.17.0/28" {
		t.Errorf("merge: %+v %v", m.Soracom, m.Origins)
	}
}
