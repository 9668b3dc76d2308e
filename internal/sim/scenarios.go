package sim

import (
	"encoding/json"
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

		// The scenarios below carry the clouds' own evidence for `why`.
		pair{
			name:  "psk-mismatch",
			title: "Pre-shared key mismatch",
			desc: "Tunnel 2 has been DOWN since its pre-shared key was changed on one side only. Tunnel logging is on and the gateway sends " +
				"diagnostics to Log Analytics: AWS logs a pre-shared key mismatch every few minutes and Azure an authentication failure.",
			region: "ap-northeast-1", seq: 8, logs: true, diagnostics: true,
			awsDown:   [2]tunnelState{{}, {down: true, message: "IPSEC IS DOWN", since: 35 * time.Minute}},
			azureDown: [2]string{"", "NotConnected"},
			awsEvents: [2][]logLine{nil, repeatLine(34*time.Minute, 6*time.Minute, 6, "AWS tunnel detected a pre-shared key mismatch with cgw: 192.0.2.81")},
			diag: []diagLine{
				{age: 35 * time.Minute, category: "TunnelDiagnosticLog", op: "TunnelDisconnected", tunnel: 2, status: "Disconnected", reason: "IKE SA deleted"},
				{age: 3 * time.Minute, category: "IKEDiagnosticLog", op: "IKELogs", tunnel: 2, msg: "Remote %s:500: Local %s:500: Error: Authentication failed. Check shared key. Check crypto. Check lifetimes."},
			},
		}.scenario(),
		pair{
			name:  "proposal-mismatch",
			title: "IKE proposal mismatch after a change",
			desc: "Someone set a custom IPsec policy on the Azure connection of tunnel 1 that the AWS tunnel does not allow: AWS answers " +
				"\"No Proposal Match Found\", Azure logs the peer's NO_PROPOSAL_CHOSEN, and the gateway log shows the configuration change just before.",
			region: "ap-northeast-1", seq: 9, logs: true, diagnostics: true,
			awsDown:   [2]tunnelState{{down: true, message: "IPSEC IS DOWN", since: 21 * time.Minute}, {}},
			azureDown: [2]string{"Connecting", ""},
			awsEvents: [2][]logLine{repeatLine(20*time.Minute, 5*time.Minute, 4, "No Proposal Match Found by AWS"), nil},
			diag: []diagLine{
				{age: 22 * time.Minute, category: "GatewayDiagnosticLog", op: "SetConnectionConfiguration", msg: "Connection cn-aws-tunnel1 configuration updated"},
				{age: 2 * time.Minute, category: "IKEDiagnosticLog", op: "IKELogs", tunnel: 1, msg: "Remote %s:500: Local %s:500: [RECEIVED][NOTIFY] Peer sent NO_PROPOSAL_CHOSEN notify"},
			},
		}.scenario(),
		pair{
			name:  "dpd-timeout",
			title: "Dead peer detection timeout",
			desc: "Tunnel 2 went down 12 minutes ago when the Azure end stopped answering dead peer detection: AWS logs the DPD timeout " +
				"and Azure's tunnel log shows the disconnect. Logs are on for both tunnels; tunnel 1 carries the traffic.",
			region: "ap-northeast-1", seq: 10, logs: true,
			awsDown:   [2]tunnelState{{}, {down: true, message: "IPSEC IS DOWN", since: 12 * time.Minute}},
			azureDown: [2]string{"", "Connecting"},
			awsEvents: [2][]logLine{nil, {{age: 12 * time.Minute, text: "AWS tunnel DPD timed out after 3 retransmits"}}},
		}.scenario(),
		pair{
			name:  "maintenance",
			title: "AWS tunnel maintenance",
			desc: "AWS replaced tunnel 1's endpoint 5 minutes ago and it has not come back yet; tunnel 2 has the same replacement pending, " +
				"auto-applied in three days. Neither tunnel logging nor gateway diagnostics are on: the maintenance shows in the EC2 API.",
			region: "ap-northeast-1", seq: 11,
			awsDown:   [2]tunnelState{{down: true, message: "IPSEC IS DOWN", since: 4 * time.Minute}, {}},
			azureDown: [2]string{"Connecting", ""},
			maint:     [2]maintenance{{appliedAgo: 5 * time.Minute}, {pending: "Tunnel endpoint replacement", autoIn: 72 * time.Hour}},
		}.scenario(),
		pair{
			name:  "no-logs",
			title: "Down, and nothing recorded why",
			desc: "Tunnel 2 is DOWN but neither cloud recorded why: tunnel logging is off on AWS and the Azure gateway has no diagnostic " +
				"settings. why says what each source would need, and what enabling it interrupts.",
			region: "ap-northeast-1", seq: 12,
			awsDown:   [2]tunnelState{{}, {down: true, message: "IPSEC IS DOWN", since: 2 * time.Hour}},
			azureDown: [2]string{"", "NotConnected"},
		}.scenario(),
	}
}

// WhyScenarios names the scenarios built for `why`.
var WhyScenarios = []string{"psk-mismatch", "proposal-mismatch", "dpd-timeout", "maintenance", "no-logs"}

// DemoWorld returns one world holding every scenario.
func DemoWorld() (*World, []Scenario) {
	w := NewWorld()
	sc := Scenarios()
	for _, s := range sc {
		s.Populate(w)
	}
	return w, sc
}

// Named returns the scenario called name among scs.
func Named(scs []Scenario, name string) (Scenario, bool) {
	for _, s := range scs {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
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

	// Evidence for `why`: tunnel logging on (both tunnels), the events of
	// each tunnel's stream, gateway diagnostics on, its records, and each
	// tunnel's maintenance details.
	logs, diagnostics bool
	awsEvents         [2][]logLine
	diag              []diagLine
	maint             [2]maintenance
}

// logLine is an AWS tunnel log event age ago with the given details.
type logLine struct {
	age  time.Duration
	text string
}

// repeatLine is the same event n times, every step, the newest first ago.
func repeatLine(first, step time.Duration, n int, text string) []logLine {
	out := make([]logLine, n)
	for i := range out {
		out[i] = logLine{age: first - time.Duration(i)*step, text: text}
	}
	return out
}

// diagLine is an Azure diagnostic record age ago; tunnel (1 or 2, 0 none)
// fills remoteIP_s, and msg's two %s the remote and local IPs.
type diagLine struct {
	age                               time.Duration
	category, op, status, reason, msg string
	tunnel                            int
}

type maintenance struct {
	pending            string
	autoIn, appliedAgo time.Duration
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
			if m := p.maint[i]; m.pending != "" || m.appliedAgo > 0 {
				t.Maintenance.Pending = m.pending
				if m.autoIn > 0 {
					t.Maintenance.AutoAppliedAfter = now.Add(m.autoIn)
				}
				if m.appliedAgo > 0 {
					t.Maintenance.LastApplied = now.Add(-m.appliedAgo)
				}
			}
			if p.logs {
				t.LogGroupARN = p.logGroup()
				var events []LogEvent
				for _, l := range p.awsEvents[i] {
					events = append(events, LogEvent{Time: now.Add(-l.age), Message: awsLogJSON(now.Add(-l.age), l.text)})
				}
				w.AddLogEvents(t.LogGroupARN, p.vpnID()+"-"+p.awsIP(i), events...)
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
		// Only the peered tunnels' routes are learned; the VNet's own
		// prefix is a Network route.
		routes := []ARMRoute{{LocalAddress: peers[0].LocalAddress, Network: "10.1.0.0/16", Origin: "Network", Weight: 32768}}
		for _, pr := range peers {
			if pr.State == "Connected" {
				routes = append(routes, ARMRoute{LocalAddress: pr.LocalAddress, Network: "172.31.0.0/16", NextHop: pr.Neighbor, SourcePeer: pr.Neighbor,
					Origin: "EBgp", ASPath: fmt.Sprint(awsASN), Weight: 32768})
			}
		}
		w.SetLearnedRoutes(SubscriptionID, p.rg(), p.gateway(), routes)
	}
	if p.fault != nil {
		w.AddFault(CloudAWS, *p.fault)
	}
	if p.diagnostics {
		recs := []DiagnosticRecord{}
		for _, d := range p.diag {
			r := DiagnosticRecord{Time: now.Add(-d.age), Category: d.category, OperationName: d.op, Instance: "GatewayTenantWorker_IN_0",
				Status: d.status, StateChangeReason: d.reason, Message: d.msg}
			if d.tunnel > 0 {
				r.RemoteIP = p.awsIP(d.tunnel - 1)
				if strings.Count(d.msg, "%s") == 2 {
					r.Message = fmt.Sprintf(d.msg, p.awsIP(d.tunnel-1), p.azureIP())
				}
			}
			recs = append(recs, r)
		}
		w.SetDiagnostics(SubscriptionID, p.rg(), p.gateway(), recs)
	}
}

// logGroup is the scenario's tunnel log group, named as AWS recommends
// (/aws/vendedlogs/ keeps the resource policy short).
func (p pair) logGroup() string {
	return fmt.Sprintf("arn:aws:logs:%s:123456789012:log-group:/aws/vendedlogs/vpn/%s", p.region, p.vpnID())
}

// awsLogJSON is a tunnel activity record in AWS's JSON log format.
func awsLogJSON(at time.Time, details string) string {
	phase := "down"
	b, _ := json.Marshal(map[string]any{
		"event_timestamp": at.Unix(), "timestamp": at.UTC().Format("2006-01-02 15:04:05.000Z"),
		"details": details, "dpd_enabled": true, "nat_t_detected": false,
		"ike_phase1_state": phase, "ike_phase2_state": phase,
	})
	return string(b)
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
