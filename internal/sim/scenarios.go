package sim

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// SubscriptionID is the Azure subscription every scenario lives in.
const SubscriptionID = "00000000-0000-0000-0000-000000000000"

// PSKPrefix starts every pre-shared key in the scenarios, so a test can
// grep any output for it to prove no key leaked.
const PSKPrefix = "Sim.PSK."

// Scenario is one situation the demo walks through and tests reuse.
type Scenario struct {
	Name, Title, Description string // Name is a connection name [a-z0-9-]{1,40}
	// Connection is the configured connection that observes the scenario.
	Connection vpn.Connection
	// Secrets lists the scenario's pre-shared keys, which must never
	// appear in any doorbot output.
	Secrets []string
	// Populate adds the scenario's resources (and its scoped faults) to w.
	Populate func(w *World)
	// SetTunnel brings tunnel i (0 or 1) down or up on both clouds at
	// once, as a real outage and recovery look: AWS telemetry DOWN with
	// "IPSEC IS DOWN" and a new LastStatusChange, the Azure connection
	// NotConnected.
	SetTunnel func(w *World, i int, up bool)
	// Match scopes a fault to this scenario alone: its AWS region for EC2,
	// its resource group for ARM.
	MatchAWS, MatchAzure string
}

// AlertScenario is a healthy static VPN that the alert demo and tests
// break and mend while doorbot watches (SetTunnel, faults scoped with
// MatchAWS / MatchAzure). It is not among Scenarios: it changes under
// the other scenarios' feet.
func AlertScenario() Scenario {
	return pair{
		name:  "alert-demo",
		title: "A tunnel that drops, flaps and recovers",
		desc: "A static VPN like healthy-static in its own region: the alert demo takes tunnel 2 down, " +
			"makes it flap, and brings it back, so that the alert messages can be seen.",
		region: "eu-west-1", location: "westeurope", seq: 6,
	}.scenario()
}

// Scenarios returns the built-in scenarios. Each lives in its own resource
// group, and each scenario with an EC2 fault in its own AWS region, so all
// of them fit in one world without interfering.
func Scenarios() []Scenario {
	return []Scenario{
		pair{
			name:  "healthy-static",
			title: "Healthy static VPN",
			desc: "AWS Site-to-Site VPN with static routing to an active-passive Azure VPN gateway: both tunnels up, " +
				"two local network gateways and two connections Connected. Only connection 1 carries traffic, which is normal with static routing.",
			region: "ap-northeast-1", seq: 1,
		}.scenario(),
		pair{
			name:  "tunnel2-down",
			title: "Tunnel 2 down",
			desc: "Same static design, but AWS reports tunnel 2 DOWN (IPSEC IS DOWN) and its Azure connection is NotConnected: " +
				"traffic still flows over tunnel 1, but redundancy across AWS maintenance is lost.",
			region: "ap-northeast-1", seq: 2,
			awsDown:   [2]tunnelState{{}, {down: true, message: "IPSEC IS DOWN", since: 47 * time.Minute}},
			azureDown: [2]string{"", "NotConnected"},
		}.scenario(),
		pair{
			name:  "bgp-single-ip",
			title: "BGP over an active-passive gateway",
			desc: "BGP over both AWS tunnels to an Azure gateway with one public IP and one custom APIPA address (169.254.21.2): " +
				"tunnel 1 peers; tunnel 2 has IPsec up (Azure Connected) but its BGP session can never establish (AWS DOWN \"IPSEC IS UP\", " +
				"Azure BGP peer Idle). Recommend static routing, or active-active with two public IPs.",
			region: "ap-northeast-1", seq: 3, bgp: true,
			awsDown:  [2]tunnelState{{message: "1 BGP ROUTES", routes: 1}, {down: true, message: "IPSEC IS UP", since: 3 * time.Hour}},
			bgpPeers: [2]string{"", "Idle"},
		}.scenario(),
		pair{
			name:  "soracom-door",
			title: "SORACOM Door, static",
			desc: "SORACOM Door to Azure with static routing: SORACOM owns the AWS side, so tunnel health is read from Azure, " +
				"where both connections are Connected and the local network gateways carry the VPG IP range; the SORACOM API " +
				"gives the VPG's side: its Door connection's routing mode, the device and VPG subnets and the routing filter.",
			seq: 4, door: true,
		}.scenario(),
		pair{
			name:  "aws-throttled",
			title: "EC2 throttling",
			desc: "A healthy static VPN whose AWS region answers every EC2 call with RequestLimitExceeded (HTTP 503): " +
				"the Azure side is still reported and the AWS side shows an error instead of a verdict.",
			region: "ap-southeast-2", location: "australiaeast", seq: 5,
			fault: &Fault{Status: 503, Code: "RequestLimitExceeded", Match: "ap-southeast-2"},
		}.scenario(),
		pair{
			name:  "bgp-peers-down",
			title: "BGP peers down behind Connected tunnels",
			desc: "BGP on an active-active gateway: both Azure connections are Connected (IPsec up), but both BGP peers are Idle " +
				"and AWS reports both tunnels DOWN \"IPSEC IS UP\": nothing is routed, so the connection is down, not healthy.",
			region: "ap-northeast-1", seq: 6, bgp: true, activeActive: true,
			awsDown:  [2]tunnelState{{down: true, message: "IPSEC IS UP", since: 12 * time.Minute}, {down: true, message: "IPSEC IS UP", since: 12 * time.Minute}},
			bgpPeers: [2]string{"Idle", "Idle"},
		}.scenario(),
		pair{
			name:  "door-bgp",
			title: "SORACOM Door, BGP",
			desc: "SORACOM Door with BGP to an active-active Azure gateway (SORACOM's high-availability pattern): both connections " +
				"Connected, but only tunnel 1's BGP peer is Connected; tunnel 2's peer is Idle, so redundancy is lost although Azure shows Connected.",
			seq: 7, door: true, bgp: true, activeActive: true,
			bgpPeers: [2]string{"", "Idle"},
		}.scenario(),
	}
}

// DemoWorld returns one world holding every scenario.
func DemoWorld() (*World, []Scenario) {
	w := NewWorld()
	sc := Scenarios()
	for _, s := range sc {
		s.Populate(w)
	}
	return w, sc
}

// pair describes an AWS (or SORACOM) VPN connection terminated on an Azure
// VPN gateway by two local network gateways and two connections, the
// shape every scenario shares.
type pair struct {
	name, title, desc string
	region, location  string
	seq               int // distinguishes IDs and addresses per scenario
	bgp, door         bool
	activeActive      bool // two public IPs and a custom APIPA address per tunnel
	awsDown           [2]tunnelState
	azureDown         [2]string // connection status override, "" = Connected
	bgpPeers          [2]string // BGP peer state per tunnel, "" = Connected
	fault             *Fault
}

type tunnelState struct {
	down    bool
	message string
	routes  int
	since   time.Duration // how long ago the status last changed
}

var insideCIDRs = [2]string{"169.254.21.0/30", "169.254.22.0/30"}

func (p pair) rg() string { return "rg-" + p.name }

func (p pair) gateway() string {
	if p.door {
		return "vgw-door"
	}
	return "vgw-aws"
}

func (p pair) connName(i int) string {
	if p.door {
		return fmt.Sprintf("cn-door-tunnel%d", i+1)
	}
	return fmt.Sprintf("cn-aws-tunnel%d", i+1)
}

func (p pair) lngName(i int) string {
	if p.door {
		return fmt.Sprintf("lng-door-tunnel%d", i+1)
	}
	return fmt.Sprintf("lng-aws-tunnel%d", i+1)
}

// vpgID is shaped like SORACOM's VPG IDs (a UUID).
func (p pair) vpgID() string { return fmt.Sprintf("5e2c7a90-1b3d-4f6e-8a9c-0d1e2f3a4b%02d", p.seq) }

func (p pair) vpnID() string { return fmt.Sprintf("vpn-0f3c9a1b2d4e5f6%02d", p.seq) }
func (p pair) cgwID() string { return fmt.Sprintf("cgw-0e7d2c4b6a8f1e3%02d", p.seq) }
func (p pair) vgwID() string { return fmt.Sprintf("vgw-0c5b3a9d7e1f2a4%02d", p.seq) }

// AWS tunnel endpoints come from two documentation ranges, as AWS puts the
// two tunnels in different Availability Zones.
func (p pair) awsIP(i int) string {
	return [2]string{"198.51.100.", "203.0.113."}[i] + fmt.Sprint(10*p.seq+1)
}

func (p pair) azureIP() string { return fmt.Sprintf("192.0.2.%d", 10*p.seq+1) }

func (p pair) psk(i int) string {
	return fmt.Sprintf("%s%s.tunnel%d.ABCdef123", PSKPrefix, strings.ReplaceAll(p.name, "-", ""), i+1)
}

func (p pair) scenario() Scenario {
	conn := vpn.Connection{
		Name: p.name,
		Kind: vpn.KindAWSVPN,
		Azure: vpn.AzureRef{
			SubscriptionID: SubscriptionID,
			ResourceGroup:  p.rg(),
			Gateway:        p.gateway(),
			Connections:    []string{p.connName(0), p.connName(1)},
		},
	}
	if p.door {
		conn.Kind = vpn.KindSoracomDoor
		conn.Soracom = vpn.SoracomRef{VPGID: p.vpgID()}
	} else {
		conn.AWS = vpn.AWSRef{VPNConnectionIDs: []string{p.vpnID()}, Region: p.region}
	}
	return Scenario{
		Name:        p.name,
		Title:       p.title,
		Description: p.desc,
		Connection:  conn,
		Secrets:     []string{p.psk(0), p.psk(1)},
		Populate:    p.populate,
		SetTunnel:   p.setTunnel,
		MatchAWS:    p.region,
		MatchAzure:  p.rg(),
	}
}

func (p pair) setTunnel(w *World, i int, up bool) {
	status, message, azure := "UP", "", "Connected"
	if !up {
		status, message, azure = "DOWN", "IPSEC IS DOWN", "NotConnected"
	}
	if !p.door {
		w.SetTunnelStatus(p.region, p.vpnID(), p.awsIP(i), status, message)
	}
	w.SetConnectionStatus(SubscriptionID, p.rg(), p.connName(i), azure)
}

func (p pair) populate(w *World) {
	now := time.Now().UTC().Truncate(time.Second)
	const awsASN, azureBGPASN = 64512, 65000
	location := p.location
	if location == "" {
		location = defaultLocation
	}
	if !p.door {
		v := EC2VPN{
			Region: p.region, ID: p.vpnID(), CustomerGatewayID: p.cgwID(), VPNGatewayID: p.vgwID(),
			StaticRoutesOnly: !p.bgp,
		}
		if !p.bgp {
			v.Routes = []string{"10.1.0.0/16"}
		}
		for i := range 2 {
			st := p.awsDown[i]
			t := EC2Tunnel{
				OutsideIP: p.awsIP(i), Status: "UP", StatusMessage: st.message, AcceptedRouteCount: st.routes,
				InsideCIDR: insideCIDRs[i], PreSharedKey: p.psk(i),
			}
			if st.down {
				t.Status = "DOWN"
			}
			if st.since > 0 {
				t.LastStatusChange = now.Add(-st.since)
			}
			if i == 0 {
				// Tunnel 1 was hardened; tunnel 2 kept AWS's defaults, which
				// AWS reports by omitting the options.
				t.IKEVersions = []string{"ikev2"}
				t.Phase1Encryption, t.Phase2Encryption = []string{"AES256"}, []string{"AES256"}
				t.Phase1Integrity, t.Phase2Integrity = []string{"SHA2-256"}, []string{"SHA2-256"}
				t.Phase1DHGroups, t.Phase2DHGroups = []int{14}, []int{14}
				t.Phase1LifetimeSeconds, t.Phase2LifetimeSeconds = 28800, 3600
				t.DPDTimeoutSeconds, t.DPDTimeoutAction, t.StartupAction = 30, "restart", "start"
			}
			v.Tunnels = append(v.Tunnels, t)
		}
		v.CustomerGatewayConfiguration = p.deviceConfig(awsASN, azureBGPASN)
		w.AddVPN(v)
		w.AddCustomerGateway(EC2CustomerGateway{Region: p.region, ID: p.cgwID(), IPAddress: p.azureIP(), BGPASN: azureBGPASN})
	}

	if p.door {
		d := SoracomDoor{ID: fmt.Sprintf("door-%02d", p.seq), Dynamic: p.bgp}
		if p.bgp {
			d.BGPASN = fmt.Sprint(awsASN)
		}
		w.AddVPG(SoracomVPG{
			ID: p.vpgID(), Name: p.name, Type: 15,
			DeviceSubnet: "10.128.0.0/9", VPGSubnet: "100.64.17.0/28",
			Door:   []SoracomDoor{d},
			Filter: []SoracomFilterEntry{{Action: "allow", IPRange: "10.1.0.0/16"}},
			Online: 412,
		})
	}

	gw := ARMGateway{
		Subscription: SubscriptionID, ResourceGroup: p.rg(), Name: p.gateway(), Location: location,
		SKU: "VpnGw1", VPNType: "RouteBased", PublicIPs: []string{p.azureIP()},
	}
	if p.bgp {
		gw.EnableBGP, gw.ASN = true, azureBGPASN
		gw.CustomAPIPA = [][]string{{hostIn(insideCIDRs[0], 2)}}
	}
	if p.activeActive {
		gw.SKU, gw.ActiveActive = "VpnGw2AZ", true
		gw.PublicIPs = append(gw.PublicIPs, fmt.Sprintf("192.0.2.%d", 10*p.seq+2))
		gw.CustomAPIPA = [][]string{{hostIn(insideCIDRs[0], 2)}, {hostIn(insideCIDRs[1], 2)}}
	}
	w.AddGateway(gw)
	for i := range 2 {
		lng := ARMLNG{Subscription: SubscriptionID, ResourceGroup: p.rg(), Name: p.lngName(i), GatewayIP: p.awsIP(i)}
		switch {
		case p.bgp:
			// With BGP the address space stays empty: routes are learned.
			lng.BGPPeerAddress, lng.ASN = hostIn(insideCIDRs[i], 1), awsASN
		case p.door:
			lng.AddressPrefixes = []string{"100.64.17.0/28"} // the VPG IP range
		default:
			lng.AddressPrefixes = []string{"172.31.0.0/16"}
		}
		w.AddLocalNetworkGateway(lng)

		c := ARMConnection{
			Subscription: SubscriptionID, ResourceGroup: p.rg(), Name: p.connName(i),
			Gateway: p.gateway(), LocalNetworkGateway: p.lngName(i),
			Status: "Connected", EnableBGP: p.bgp, Protocol: "IKEv2", ConnectionMode: "Default",
			DPDTimeoutSeconds: 45, SharedKey: p.psk(i),
		}
		if s := p.azureDown[i]; s != "" {
			c.Status = s
		}
		if i == 0 {
			// Static routing sends everything over one connection; the
			// other carrying zero bytes is normal.
			c.IngressBytes, c.EgressBytes = 18446744, 9876543
		}
		if p.bgp {
			c.CustomBGPAddresses = []string{hostIn(insideCIDRs[0], 2)}
			if p.activeActive {
				c.CustomBGPAddresses = []string{hostIn(insideCIDRs[i], 2)}
			}
		}
		w.AddConnection(c)
	}
	if p.bgp {
		// With IPsec up and BGP down Azure shows the connection Connected
		// and the peer not Connected in its BGP peer status.
		var peers []ARMBGPPeer
		for i := range 2 {
			local := hostIn(insideCIDRs[0], 2)
			if p.activeActive {
				local = hostIn(insideCIDRs[i], 2)
			}
			pr := ARMBGPPeer{LocalAddress: local, Neighbor: hostIn(insideCIDRs[i], 1), ASN: awsASN, State: "Connected", RoutesReceived: 1}
			if s := p.bgpPeers[i]; s != "" {
				pr.State, pr.RoutesReceived = s, 0
			}
			peers = append(peers, pr)
		}
		w.SetBGPPeers(SubscriptionID, p.rg(), p.gateway(), peers)
	}
	if p.fault != nil {
		w.AddFault(CloudAWS, *p.fault)
	}
}

// hostIn returns the n-th address of an IPv4 prefix: AWS takes .1 of each
// tunnel's /30, the customer side .2.
func hostIn(prefix string, n int) string {
	pf, err := netip.ParsePrefix(prefix)
	if err != nil {
		return ""
	}
	a := pf.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a.String()
}

// deviceConfig renders the customer gateway configuration AWS generates
// for the connection, pre-shared keys included, as the real one has them.
func (p pair) deviceConfig(awsASN, customerASN int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vpn_connection id=\"%s\">\n", p.vpnID())
	fmt.Fprintf(&b, "  <customer_gateway_id>%s</customer_gateway_id>\n  <vpn_gateway_id>%s</vpn_gateway_id>\n", p.cgwID(), p.vgwID())
	b.WriteString("  <vpn_connection_type>ipsec.1</vpn_connection_type>\n")
	if !p.bgp {
		b.WriteString("  <vpn_connection_attributes>NoBGPVPNConnection</vpn_connection_attributes>\n")
	}
	for i := range 2 {
		b.WriteString("  <ipsec_tunnel>\n")
		side := func(tag, outside string, host, asn int) {
			fmt.Fprintf(&b, "    <%s>\n      <tunnel_outside_address>\n        <ip_address>%s</ip_address>\n      </tunnel_outside_address>\n", tag, outside)
			fmt.Fprintf(&b, "      <tunnel_inside_address>\n        <ip_address>%s</ip_address>\n        <network_mask>255.255.255.252</network_mask>\n        <network_cidr>30</network_cidr>\n      </tunnel_inside_address>\n", hostIn(insideCIDRs[i], host))
			if p.bgp {
				fmt.Fprintf(&b, "      <bgp>\n        <asn>%d</asn>\n        <hold_time>30</hold_time>\n      </bgp>\n", asn)
			}
			fmt.Fprintf(&b, "    </%s>\n", tag)
		}
		side("customer_gateway", p.azureIP(), 2, customerASN)
		side("vpn_gateway", p.awsIP(i), 1, awsASN)
		fmt.Fprintf(&b, "    <ike>\n      <authentication_protocol>sha1</authentication_protocol>\n      <encryption_protocol>aes-128-cbc</encryption_protocol>\n      <lifetime>28800</lifetime>\n      <perfect_forward_secrecy>group2</perfect_forward_secrecy>\n      <mode>main</mode>\n      <pre_shared_key>%s</pre_shared_key>\n    </ike>\n", p.psk(i))
		b.WriteString("    <ipsec>\n      <protocol>esp</protocol>\n      <authentication_protocol>hmac-sha1-96</authentication_protocol>\n      <encryption_protocol>aes-128-cbc</encryption_protocol>\n      <lifetime>3600</lifetime>\n      <perfect_forward_secrecy>group2</perfect_forward_secrecy>\n      <mode>tunnel</mode>\n      <clear_df_bit>true</clear_df_bit>\n      <fragmentation_before_encryption>true</fragmentation_before_encryption>\n      <tcp_mss_adjustment>1379</tcp_mss_adjustment>\n      <dead_peer_detection>\n        <delay>10</delay>\n        <retry>3</retry>\n      </dead_peer_detection>\n    </ipsec>\n")
		b.WriteString("  </ipsec_tunnel>\n")
	}
	b.WriteString("</vpn_connection>")
	return b.String()
}
