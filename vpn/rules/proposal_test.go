package rules

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/vpn"
)

func iptr(v int) *int    { return &v }
func i64(v int64) *int64 { return &v }
func bptr(v bool) *bool  { return &v }

// Keys carry a marker so a test can prove none leaks into any finding.
const (
	keyMarker = "SeCrEtMaRkEr"
	pskA1     = "Door.A1." + keyMarker + "_tunnel1"
	pskA2     = "Door.A2." + keyMarker + "_tunnel2"
)

func pskB(n string) vpn.Secret { return vpn.Secret("Bgp." + keyMarker + ".t" + n) }

// designA is SORACOM pattern 1 done right: static routing, both tunnels
// terminated by two local network gateways and two connections, BGP off.
func designA() vpn.Proposal {
	phase := func(life int) *vpn.PhaseParams {
		return &vpn.PhaseParams{Encryption: []string{"AES256"}, Integrity: []string{"SHA2-256"}, DHGroups: []int{14}, LifetimeSeconds: iptr(life)}
	}
	tunnel := func(ip, cidr, key string) vpn.ProposedTunnel {
		return vpn.ProposedTunnel{OutsideIP: ip, InsideCIDR: cidr, PSK: vpn.Secret(key), IKEVersions: []string{"ikev2"},
			Phase1: phase(28800), Phase2: phase(3600), DPDTimeoutSeconds: iptr(30), StartupAction: "add"}
	}
	lng := func(name, ip string) vpn.ProposedLNG {
		return vpn.ProposedLNG{Name: name, GatewayIP: ip, AddressPrefixes: []string{"172.31.0.0/16", "100.64.17.0/28"}}
	}
	conn := func(name, lng, key string) vpn.ProposedConnection {
		return vpn.ProposedConnection{Name: name, LocalNetworkGateway: lng, Protocol: "IKEv2", EnableBGP: bptr(false),
			UsePolicyBasedTrafficSelectors: bptr(false), DPDTimeoutSeconds: iptr(45), ConnectionMode: "Default", SharedKey: vpn.Secret(key),
			IPsecPolicy: &vpn.IPsecPolicy{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup14",
				IPsecEncryption: "AES256", IPsecIntegrity: "SHA256", PFSGroup: "PFS2048", SALifetimeSeconds: iptr(3600)}}
	}
	return vpn.Proposal{
		Connection: "door-prod",
		Routing:    vpn.RoutingStatic,
		AWS: vpn.ProposalAWS{
			StaticRoutes:  []string{"10.1.0.0/16"},
			LocalPrefixes: []string{"172.31.0.0/16"},
			// Static: AWS picks the inside CIDRs, anywhere in 169.254/16.
			Tunnels: []vpn.ProposedTunnel{tunnel(ip1, "169.254.10.0/30", pskA1), tunnel(ip2, "169.254.11.4/30", pskA2)},
		},
		Azure: vpn.ProposalAzure{
			VNetPrefixes: []string{"10.1.0.0/16"},
			Gateway: &vpn.ProposedGateway{SKU: "VpnGw1AZ", VPNType: "RouteBased", ActiveActive: bptr(false), PublicIPs: iptr(1),
				ASN: i64(65515), GatewaySubnet: "10.1.255.0/27"},
			LocalNetworkGateways: []vpn.ProposedLNG{lng("lng-aws-t1", ip1), lng("lng-aws-t2", ip2)},
			Connections:          []vpn.ProposedConnection{conn("cn-aws-t1", "lng-aws-t1", pskA1), conn("cn-aws-t2", "lng-aws-t2", pskA2)},
		},
		Soracom: vpn.ProposalSoracom{DeviceSubnet: "10.128.0.0/9", VPGSubnet: "100.64.17.0/28"},
	}
}

// designB is Microsoft's AWS BGP tutorial: an active-active gateway with
// two public IPs, two AWS VPN connections (four tunnels), four LNGs and
// four BGP connections, addresses as in azure-vpn-gateway.md §4.
func designB() vpn.Proposal {
	rows := []struct{ ip, cidr, apipa, peer, n string }{
		{ip1, "169.254.21.0/30", "169.254.21.2", "169.254.21.1", "1"},
		{ip2, "169.254.22.0/30", "169.254.22.2", "169.254.22.1", "2"},
		{ip3, "169.254.21.4/30", "169.254.21.6", "169.254.21.5", "3"},
		{ip4, "169.254.22.4/30", "169.254.22.6", "169.254.22.5", "4"},
	}
	p := vpn.Proposal{
		Connection: "azure-bgp",
		Routing:    vpn.RoutingBGP,
		AWS:        vpn.ProposalAWS{ASN: i64(64512), CustomerASN: i64(65000), LocalPrefixes: []string{"10.2.0.0/16"}},
		Azure: vpn.ProposalAzure{
			VNetPrefixes: []string{"10.1.0.0/16"},
			Gateway: &vpn.ProposedGateway{SKU: "VpnGw2AZ", VPNType: "RouteBased", ActiveActive: bptr(true), PublicIPs: iptr(2),
				ASN: i64(65000), GatewaySubnet: "10.1.1.0/24"},
		},
	}
	for _, r := range rows {
		p.AWS.Tunnels = append(p.AWS.Tunnels, vpn.ProposedTunnel{OutsideIP: r.ip, InsideCIDR: r.cidr, PSK: pskB(r.n),
			IKEVersions: []string{"ikev2"}, StartupAction: "start"})
		p.Azure.Gateway.APIPAAddresses = append(p.Azure.Gateway.APIPAAddresses, r.apipa)
		p.Azure.LocalNetworkGateways = append(p.Azure.LocalNetworkGateways,
			vpn.ProposedLNG{Name: "lng-aws-" + r.n, GatewayIP: r.ip, AddressPrefixes: []string{}, BGPPeerAddress: r.peer, ASN: i64(64512)})
		p.Azure.Connections = append(p.Azure.Connections, vpn.ProposedConnection{Name: "cn-aws-" + r.n, LocalNetworkGateway: "lng-aws-" + r.n,
			Protocol: "IKEv2", EnableBGP: bptr(true), UsePolicyBasedTrafficSelectors: bptr(false), ConnectionMode: "Default", SharedKey: pskB(r.n)})
	}
	return p
}

func withP(p vpn.Proposal, f func(*vpn.Proposal)) vpn.Proposal {
	f(&p)
	return p
}

func TestCorrectDesignsHaveNoFindings(t *testing.T) {
	for name, p := range map[string]vpn.Proposal{"static (SORACOM pattern 1)": designA(), "BGP active-active (MS tutorial)": designB()} {
		t.Run(name, func(t *testing.T) {
			got := Check(p, nil)
			checkWellFormed(t, got)
			if len(got) != 0 {
				t.Errorf("findings on a correct design:\n%s", dump(got))
			}
			// Unchanged against itself: nothing to warn about either.
			if got := Check(p, &p); len(got) != 0 {
				t.Errorf("findings for a no-op change:\n%s", dump(got))
			}
		})
	}
}

func TestCheckEmptyAndNil(t *testing.T) {
	got := Check(vpn.Proposal{}, nil)
	if got == nil || len(got) != 0 {
		t.Errorf("Check(empty) = %#v, want empty non-nil", got)
	}
}

// Every rule of docs/rules.md is in the engine once; all but tunnel-down
// (a live status) judge proposals, and the rules written for proposals
// also judge live state unless no cloud reports their inputs.
func TestRuleTableCoversDesign(t *testing.T) {
	seen := map[string]int{}
	for _, r := range ruleTable {
		if r.id == "" {
			continue // observation notes carry their own IDs
		}
		seen[r.id]++
		if _, ok := Lookup(r.id); !ok {
			t.Errorf("rule %q not in the catalog", r.id)
		}
		// Live status has no proposal form: a tunnel's state, the VPG's.
		liveOnly := r.id == IDTunnelDown || r.id == IDVPGNotRunning || r.id == IDDoorConnectionMissing
		if liveOnly && r.on&onProposal != 0 {
			t.Errorf("%s judges proposals; it is about live status", r.id)
		}
		if !liveOnly && r.on&onProposal == 0 {
			t.Errorf("%s does not judge proposals", r.id)
		}
	}
	for _, id := range designIDs {
		if seen[id] != 1 {
			t.Errorf("rule %s is in the engine %d times, want 1", id, seen[id])
		}
	}
	for _, id := range []string{IDBGPNeedsActiveActive, IDSingleTunnel, IDRoutingMismatch, IDPeerIPMismatch,
		IDASNInvalid, IDStaticRouteMissing, IDRoutingFilterDenies, IDVPGNotRunning, IDDoorConnectionMissing} {
		for _, r := range ruleTable {
			if r.id == id && r.on&onLive == 0 {
				t.Errorf("%s does not judge live state", id)
			}
		}
	}
}

func TestCheckSortedAndDeterministic(t *testing.T) {
	p := withP(designB(), func(p *vpn.Proposal) {
		p.Azure.Gateway.ActiveActive = bptr(false)
		p.Azure.Gateway.APIPAAddresses = []string{"169.254.20.2"}
		p.AWS.Tunnels[1].InsideCIDR = "169.254.5.0/30"
		p.Azure.Connections[2].DPDTimeoutSeconds = iptr(3)
		p.Azure.Gateway.GatewaySubnet = "10.1.1.0/28"
		p.Azure.Connections[0].UsePolicyBasedTrafficSelectors = bptr(true)
	})
	first := Check(p, nil)
	checkWellFormed(t, first)
	if len(first) < 5 {
		t.Fatalf("expected several findings:\n%s", dump(first))
	}
	for range 20 {
		if again := Check(p, nil); !reflect.DeepEqual(again, first) {
			t.Fatalf("Check is not deterministic:\n%s\nvs\n%s", dump(again), dump(first))
		}
	}
}

// A proposal merged with live state marks the values it did not state, so
// the engineer can tell their mistake from an existing one.
func TestCheckMarksLiveValues(t *testing.T) {
	live := designA()
	live.AWS.Tunnels[1].InsideCIDR = "169.254.5.0/30"
	live.Origins = map[string]vpn.Origin{}
	for _, k := range []string{"aws.tunnels[1].inside_cidr", "aws.tunnels[1].outside_ip"} {
		live.Origins[k] = vpn.OriginLive
	}
	prop := vpn.Proposal{Azure: vpn.ProposalAzure{Connections: []vpn.ProposedConnection{
		{Name: "cn-aws-t1", DPDTimeoutSeconds: iptr(5)}, {Name: "cn-aws-t2"},
	}}}
	got := Check(vpn.Merge(prop, live), nil)
	var inside, dpd string
	for _, f := range got {
		switch f.Rule {
		case IDInsideCIDRInvalid:
			inside = f.Message
		case IDDPDTimeoutRange:
			dpd = f.Message
		}
	}
	if !strings.Contains(inside, "aws.tunnels[1].inside_cidr 169.254.5.0/30 (198.51.100.2, from live state)") {
		t.Errorf("inside-cidr-invalid message %q does not mark the live value", inside)
	}
	if !strings.Contains(dpd, "azure.connections[0].dpd_timeout_seconds 5 (cn-aws-t1) is outside") || strings.Contains(dpd, "live") {
		t.Errorf("dpd message %q: the proposed value must not be marked live", dpd)
	}
	// Without a mix (Live, or a proposal checked alone) nothing is marked.
	for _, f := range Check(live, nil) {
		if strings.Contains(f.Message, "from live state") {
			t.Errorf("all-live proposal marked: %s", f.Message)
		}
	}
}

// No finding may carry a key, however broken the keys are.
func TestFindingsNeverContainKeys(t *testing.T) {
	keys := []string{
		"0" + keyMarker + "startsWithZero",
		keyMarker + "-with-dash~and~tilde",
		strings.Repeat(keyMarker, 6),
		"sh" + keyMarker[:3],
		keyMarker + " space",
		"Bgp." + keyMarker + ".t1",
	}
	base := designB()
	var all []vpn.Finding
	for i, k := range keys {
		p := withP(designB(), func(p *vpn.Proposal) {
			p.AWS.Tunnels[i%4].PSK = vpn.Secret(k)
			p.Azure.Connections[(i+1)%4].SharedKey = vpn.Secret(k)
		})
		all = append(all, Check(p, &base)...)
	}
	changed := withP(designB(), func(p *vpn.Proposal) {
		p.AWS.Tunnels[0].PSK = "New." + keyMarker + ".one"
		p.AWS.Tunnels[1].PSK = "New." + keyMarker + ".two"
	})
	all = append(all, Check(changed, &base)...)
	rules := map[string]bool{}
	for _, f := range all {
		rules[f.Rule] = true
		for _, s := range []string{f.Message, f.Fix, f.Reference} {
			if strings.Contains(s, keyMarker) || strings.Contains(s, keyMarker[:6]) {
				t.Fatalf("key material in %s finding: %q", f.Rule, s)
			}
			for _, k := range keys {
				if strings.Contains(s, k) {
					t.Fatalf("key in %s finding: %q", f.Rule, s)
				}
			}
		}
	}
	for _, want := range []string{IDPSKInvalid, IDChangeCausesOutage} {
		if !rules[want] {
			t.Errorf("test did not exercise %s; got %v", want, rules)
		}
	}
}

// --- per-rule cases ---------------------------------------------------------

// pcase is one input for one rule: fire or not, and when it fires, the
// severity and message substrings of at least one of its findings.
type pcase struct {
	name string
	p    vpn.Proposal
	cur  *vpn.Proposal
	fire bool
	sev  vpn.Severity // "" = the rule's default
	msg  []string
}

func runRule(t *testing.T, rule string, cases []pcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			all := Check(tc.p, tc.cur)
			checkWellFormed(t, all)
			var got []vpn.Finding
			for _, f := range all {
				if f.Rule == rule {
					got = append(got, f)
				}
			}
			if !tc.fire {
				if len(got) > 0 {
					t.Errorf("%s fired:\n%s", rule, dump(got))
				}
				return
			}
			sev := tc.sev
			if sev == "" {
				r, _ := Lookup(rule)
				sev = r.Severity
			}
			for _, f := range got {
				if f.Severity == sev && containsAll(f.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no %s %s finding with %q; got\n%s", sev, rule, tc.msg, dump(all))
		})
	}
}

func TestPBGPNeedsActiveActive(t *testing.T) {
	runRule(t, IDBGPNeedsActiveActive, []pcase{
		{name: "tutorial design", p: designB()},
		{name: "gateway not active-active", fire: true, msg: []string{"BGP over 4 AWS tunnels", "the Azure gateway is not active-active", "only one tunnel can peer"},
			p: withP(designB(), func(p *vpn.Proposal) { p.Azure.Gateway.ActiveActive = bptr(false) })},
		{name: "one public IP", fire: true, msg: []string{"the Azure gateway has 1 public IP"},
			p: withP(designB(), func(p *vpn.Proposal) { p.Azure.Gateway.PublicIPs = iptr(1) })},
		{name: "one APIPA address", fire: true, msg: []string{"has 1 custom APIPA address (169.254.21.2)", "only one tunnel can peer"},
			p: withP(designB(), func(p *vpn.Proposal) { p.Azure.Gateway.APIPAAddresses = []string{"169.254.21.2"} })},
		{name: "two APIPA addresses are enough for two tunnels",
			p: withP(designB(), func(p *vpn.Proposal) {
				p.AWS.Tunnels, p.Azure.LocalNetworkGateways, p.Azure.Connections = p.AWS.Tunnels[:2], p.Azure.LocalNetworkGateways[:2], p.Azure.Connections[:2]
				p.Azure.Gateway.APIPAAddresses = p.Azure.Gateway.APIPAAddresses[:2]
			})},
		{name: "static design with BGP turned on for both connections (SORACOM's failure)", fire: true,
			msg: []string{"BGP over 2 AWS tunnels", "is not active-active", "has 1 public IP", "has 0 custom APIPA addresses (none)", "no tunnel can peer"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.Routing = vpn.RoutingBGP
				p.Azure.Connections[0].EnableBGP, p.Azure.Connections[1].EnableBGP = bptr(true), bptr(true)
			})},
		{name: "Door: two BGP connections, no AWS tunnels stated", fire: true, msg: []string{"Azure connections with BGP: cn-aws-t1, cn-aws-t2"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.AWS.Tunnels = nil
				p.Azure.Connections[0].EnableBGP, p.Azure.Connections[1].EnableBGP = bptr(true), bptr(true)
				p.Routing = ""
			})},
		{name: "one tunnel, one connection", p: withP(designB(), func(p *vpn.Proposal) {
			p.AWS.Tunnels, p.Azure.Connections = p.AWS.Tunnels[:1], p.Azure.Connections[:1]
			p.Azure.Gateway.ActiveActive = bptr(false)
		})},
		{name: "static routing", p: designA()},
	})
}

func TestPSingleTunnel(t *testing.T) {
	runRule(t, IDSingleTunnel, []pcase{
		{name: "both terminated", p: designA()},
		{name: "one AWS tunnel", fire: true, sev: vpn.SeverityWarning, msg: []string{"only 1 of 1 AWS tunnels terminated"},
			p: withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels = p.AWS.Tunnels[:1] })},
		{name: "one connection", fire: true, msg: []string{"only 1 of 2 AWS tunnels terminated on Azure (198.51.100.1 by cn-aws-t1)", "not terminated: aws.tunnels[1] (198.51.100.2)"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections = p.Azure.Connections[:1] })},
		{name: "AWS side only, one tunnel", fire: true, msg: []string{"the proposal has 1 AWS tunnel"},
			p: withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels = p.AWS.Tunnels[:1]; p.Azure = vpn.ProposalAzure{} })},
		{name: "Door: one connection", fire: true, msg: []string{"only 1 Azure connection with a local network gateway (cn-aws-t1)"},
			p: withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels = nil; p.Azure.Connections = p.Azure.Connections[:1] })},
		{name: "Door: two connections", p: withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels = nil })},
		{name: "nothing stated", p: vpn.Proposal{}},
	})
}

func TestPRoutingMismatch(t *testing.T) {
	runRule(t, IDRoutingMismatch, []pcase{
		{name: "static everywhere", p: designA()},
		{name: "BGP everywhere", p: designB()},
		{name: "BGP on one connection", fire: true, msg: []string{"BGP is enabled on Azure connections cn-aws-t1 but not on cn-aws-t2"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[0].EnableBGP = bptr(true) })},
		{name: "static routing, BGP connections", fire: true, msg: []string{"AWS uses static routing but Azure connections cn-aws-t1, cn-aws-t2 have BGP enabled"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.Azure.Connections[0].EnableBGP, p.Azure.Connections[1].EnableBGP = bptr(true), bptr(true)
			})},
		{name: "BGP routing, static connections", fire: true, msg: []string{"AWS uses BGP but Azure connection cn-aws-3 has BGP disabled"},
			p: withP(designB(), func(p *vpn.Proposal) { p.Azure.Connections[2].EnableBGP = bptr(false) })},
		{name: "unstated enable_bgp is not a mismatch",
			p: withP(designB(), func(p *vpn.Proposal) { p.Azure.Connections[2].EnableBGP = nil })},
	})
}

func TestPAPIPAOutOfRange(t *testing.T) {
	apipa := func(a string) vpn.Proposal {
		return withP(designB(), func(p *vpn.Proposal) { p.Azure.Gateway.APIPAAddresses[0] = a })
	}
	runRule(t, IDAPIPAOutOfRange, []pcase{
		{name: "tutorial addresses", p: designB()},
		{name: "169.254.20.255 fires", fire: true, msg: []string{"azure.gateway.apipa_addresses[0] 169.254.20.255 is outside"}, p: apipa("169.254.20.255")},
		{name: "169.254.21.0 ok", p: apipa("169.254.21.0")},
		{name: "169.254.22.255 ok", p: apipa("169.254.22.255")},
		{name: "169.254.23.0 fires", fire: true, msg: []string{"169.254.23.0 is outside Azure's custom BGP range"}, p: apipa("169.254.23.0")},
		{name: "not an address", fire: true, msg: []string{"169.254.21 is not an IPv4 address"}, p: apipa("169.254.21")},
		{name: "LNG peer outside the range is a warning", fire: true, sev: vpn.SeverityWarning,
			msg: []string{"azure.local_network_gateways[0].bgp_peer_address 169.254.30.1 (lng-aws-1) is outside"},
			p:   withP(designB(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[0].BGPPeerAddress = "169.254.30.1" })},
		{name: "BGP tunnel inside CIDR outside the range", fire: true,
			msg: []string{"aws.tunnels[3].inside_cidr 169.254.30.4/30 (198.51.100.4) is outside", "(169.254.30.6)"},
			p:   withP(designB(), func(p *vpn.Proposal) { p.AWS.Tunnels[3].InsideCIDR = "169.254.30.4/30" })},
		{name: "static tunnels may use any inside CIDR", p: designA()},
	})
}

func TestPInsideCIDRInvalid(t *testing.T) {
	inside := func(c string) vpn.Proposal {
		return withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels[1].InsideCIDR = c })
	}
	runRule(t, IDInsideCIDRInvalid, []pcase{
		{name: "/30 in 169.254/16", p: inside("169.254.21.0/30")},
		{name: "/29 fires", fire: true, msg: []string{"aws.tunnels[1].inside_cidr 169.254.21.0/29 (198.51.100.2) is a /29, not a /30"}, p: inside("169.254.21.0/29")},
		{name: "/31 fires", fire: true, msg: []string{"is a /31"}, p: inside("169.254.21.0/31")},
		{name: "outside 169.254/16", fire: true, msg: []string{"10.0.0.0/30", "is not inside 169.254.0.0/16"}, p: inside("10.0.0.0/30")},
		{name: "reserved first", fire: true, msg: []string{"is one of AWS's reserved /30s (169.254.0.0/30)"}, p: inside("169.254.0.0/30")},
		{name: "reserved last of the run", fire: true, msg: []string{"reserved /30s (169.254.5.0/30)"}, p: inside("169.254.5.0/30")},
		{name: "after the reserved run", p: inside("169.254.6.0/30")},
		{name: "reserved metadata /30", fire: true, msg: []string{"reserved /30s (169.254.169.252/30)"}, p: inside("169.254.169.252/30")},
		{name: "host bits set", fire: true, msg: []string{"169.254.21.1/30", "is not a network address (the /30 is 169.254.21.0/30)"}, p: inside("169.254.21.1/30")},
		{name: "malformed", fire: true, msg: []string{"aws.tunnels[1].inside_cidr 169.254.21.0-30 (198.51.100.2) is not a CIDR"}, p: inside("169.254.21.0-30")},
		{name: "IPv6", fire: true, msg: []string{"is not inside 169.254.0.0/16", "/126"}, p: inside("fd00::/126")},
		{name: "unset: AWS picks", p: inside("")},
	})
}

func TestPInsideCIDRDuplicate(t *testing.T) {
	runRule(t, IDInsideCIDRDuplicate, []pcase{
		{name: "distinct", p: designB()},
		{name: "two tunnels share one", fire: true,
			msg: []string{"aws.tunnels[0] (198.51.100.1), aws.tunnels[2] (198.51.100.3) all use inside CIDR 169.254.21.0/30"},
			p:   withP(designB(), func(p *vpn.Proposal) { p.AWS.Tunnels[2].InsideCIDR = " 169.254.21.0/30" })},
	})
}

func TestPBGPAddressMismatch(t *testing.T) {
	runRule(t, IDBGPAddressMismatch, []pcase{
		{name: "tutorial addresses", p: designB()},
		{name: "APIPA not a .2", fire: true,
			msg: []string{"azure.gateway.apipa_addresses[0] 169.254.21.3 is not the .2 of any AWS tunnel inside CIDR (169.254.21.0/30, 169.254.22.0/30, 169.254.21.4/30, 169.254.22.4/30)"},
			p:   withP(designB(), func(p *vpn.Proposal) { p.Azure.Gateway.APIPAAddresses[0] = "169.254.21.3" })},
		{name: "tunnel whose .2 is not on the gateway", fire: true,
			msg: []string{"aws.tunnels[3].inside_cidr 169.254.22.8/30 (198.51.100.4): its .2 (169.254.22.10) is not among azure.gateway.apipa_addresses"},
			p: withP(designB(), func(p *vpn.Proposal) {
				p.AWS.Tunnels[3].InsideCIDR = "169.254.22.8/30"
				p.Azure.LocalNetworkGateways[3].BGPPeerAddress = "169.254.22.9"
			})},
		{name: "LNG peer is the .2", fire: true,
			msg: []string{"azure.local_network_gateways[1].bgp_peer_address 169.254.22.2 (lng-aws-2) is not the .1 of aws.tunnels[1].inside_cidr 169.254.22.0/30 (198.51.100.2)", "(want 169.254.22.1)"},
			p:   withP(designB(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[1].BGPPeerAddress = "169.254.22.2" })},
		{name: "LNG peers swapped between tunnels", fire: true, msg: []string{"azure.local_network_gateways[0].bgp_peer_address 169.254.21.5 (lng-aws-1)", "want 169.254.21.1"},
			p: withP(designB(), func(p *vpn.Proposal) {
				l := p.Azure.LocalNetworkGateways
				l[0].BGPPeerAddress, l[2].BGPPeerAddress = l[2].BGPPeerAddress, l[0].BGPPeerAddress
			})},
		{name: "BGP connection to an LNG without BGP peer", fire: true, msg: []string{"azure.local_network_gateways[2] (lng-aws-3) has no bgp_peer_address"},
			p: withP(designB(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[2].BGPPeerAddress = "" })},
		{name: "unknown inside CIDR: APIPA ownership not judged",
			p: withP(designB(), func(p *vpn.Proposal) {
				p.AWS.Tunnels[3].InsideCIDR = ""
				p.Azure.Gateway.APIPAAddresses[3] = "169.254.22.10"
			})},
		{name: "static routing", p: withP(designA(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[0].BGPPeerAddress = "169.254.99.9" })},
	})
}

func TestPPeerIPMismatch(t *testing.T) {
	runRule(t, IDPeerIPMismatch, []pcase{
		{name: "paired", p: designA()},
		{name: "LNG at no tunnel", fire: true,
			msg: []string{"azure.local_network_gateways[1].gateway_ip 203.0.113.9 (lng-aws-t2) is not the outside IP of any AWS tunnel (198.51.100.1, 198.51.100.2)"},
			p:   withP(designA(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[1].GatewayIP = ip9 })},
		{name: "unterminated tunnel is named", fire: true, msg: []string{"aws.tunnels[1] (198.51.100.2) has no local network gateway"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[1].GatewayIP = ip9 })},
		{name: "two LNGs on one tunnel", fire: true, msg: []string{"local network gateways azure.local_network_gateways[0] (lng-aws-t1), azure.local_network_gateways[1] (lng-aws-t2) all have gateway_ip 198.51.100.1"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[1].GatewayIP = " " + ip1 })},
		{name: "connection to an unknown LNG", fire: true, msg: []string{"azure.connections[1].local_network_gateway lng-nope (cn-aws-t2) is not among azure.local_network_gateways"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[1].LocalNetworkGateway = "lng-nope" })},
		{name: "connection without LNG", fire: true, msg: []string{"names no local_network_gateway"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[1].LocalNetworkGateway = "" })},
		{name: "two connections on one LNG", fire: true, msg: []string{"connections azure.connections[0] (cn-aws-t1), azure.connections[1] (cn-aws-t2) all use azure.local_network_gateways[0] (lng-aws-t1)"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[1].LocalNetworkGateway = "lng-aws-t1" })},
		{name: "LNG nobody connects to", fire: true, msg: []string{"aws.tunnels[1] (198.51.100.2) has azure.local_network_gateways[1] (lng-aws-t2) but no connection uses it"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections = p.Azure.Connections[:1] })},
		{name: "LNG without IP", fire: true, msg: []string{"azure.local_network_gateways[0] (lng-aws-t1) has no gateway_ip"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[0].GatewayIP = "" })},
		{name: "Door: AWS IPs unknown", p: withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels = nil })},
	})
}

func TestPStaticRouteMissing(t *testing.T) {
	runRule(t, IDStaticRouteMissing, []pcase{
		{name: "covered", p: designA()},
		{name: "VNet not routed by AWS", fire: true, msg: []string{"azure.vnet_prefixes 10.1.0.0/16 not covered by aws.static_routes (10.2.0.0/16)"},
			p: withP(designA(), func(p *vpn.Proposal) { p.AWS.StaticRoutes = []string{"10.2.0.0/16"} })},
		{name: "no static routes at all", fire: true, msg: []string{"not covered by aws.static_routes (none)"},
			p: withP(designA(), func(p *vpn.Proposal) { p.AWS.StaticRoutes = []string{} })},
		{name: "covered by a supernet", p: withP(designA(), func(p *vpn.Proposal) { p.AWS.StaticRoutes = []string{"10.0.0.0/8"} })},
		{name: "covered by two halves", p: withP(designA(), func(p *vpn.Proposal) { p.AWS.StaticRoutes = []string{"10.1.128.0/17", "10.1.0.0/17"} })},
		{name: "one half missing", fire: true, msg: []string{"10.1.0.0/16 not covered"},
			p: withP(designA(), func(p *vpn.Proposal) { p.AWS.StaticRoutes = []string{"10.1.0.0/17", "10.1.128.0/18"} })},
		{name: "second LNG lacks the VPG range", fire: true,
			msg: []string{"azure.local_network_gateways[1].address_prefixes [172.31.0.0/16] (lng-aws-t2) lack 100.64.17.0/28 (soracom.vpg_subnet)"},
			p:   withP(designA(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[1].AddressPrefixes = []string{"172.31.0.0/16"} })},
		{name: "LNG lacks the AWS side", fire: true, msg: []string{"lack 172.31.0.0/16 (aws.local_prefixes)"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[0].AddressPrefixes = []string{"100.64.17.0/28"} })},
		{name: "LNG prefix supernet covers", p: withP(designA(), func(p *vpn.Proposal) {
			p.Azure.LocalNetworkGateways[0].AddressPrefixes = []string{"172.16.0.0/12", "100.64.0.0/10"}
		})},
		{name: "malformed static route", fire: true, msg: []string{"aws.static_routes 10.1.0.0/33 is not a CIDR"},
			p: withP(designA(), func(p *vpn.Proposal) { p.AWS.StaticRoutes = append(p.AWS.StaticRoutes, "10.1.0.0/33") })},
		{name: "BGP learns routes", p: designB()},
		{name: "routing unstated but every connection static", fire: true, msg: []string{"not covered"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Routing = ""; p.AWS.StaticRoutes = []string{} })},
	})
}

func TestPPrefixOverlap(t *testing.T) {
	runRule(t, IDPrefixOverlap, []pcase{
		{name: "disjoint", p: designA()},
		{name: "VNet in the SORACOM device subnet", fire: true, msg: []string{"azure.vnet_prefixes 10.200.0.0/16 overlaps soracom.device_subnet 10.128.0.0/9"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.Azure.VNetPrefixes, p.AWS.StaticRoutes, p.Azure.Gateway.GatewaySubnet = []string{"10.200.0.0/16"}, []string{"10.200.0.0/16"}, "10.200.255.0/27"
			})},
		{name: "SORACOM default device subnet when only the VPG range is given", fire: true,
			msg: []string{"overlaps soracom.device_subnet (SORACOM default) 10.128.0.0/9"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.Soracom.DeviceSubnet = ""
				p.Azure.VNetPrefixes, p.AWS.StaticRoutes, p.Azure.Gateway.GatewaySubnet = []string{"10.200.0.0/16"}, []string{"10.200.0.0/16"}, "10.200.255.0/27"
			})},
		{name: "no SORACOM section: no device subnet assumed", p: withP(designB(), func(p *vpn.Proposal) {
			p.Azure.VNetPrefixes, p.Azure.Gateway.GatewaySubnet = []string{"10.200.0.0/16"}, "10.200.1.0/24"
		})},
		{name: "VNet overlaps the VPG range", fire: true, msg: []string{"overlaps soracom.vpg_subnet 100.64.17.0/28"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.VNetPrefixes = append(p.Azure.VNetPrefixes, "100.64.0.0/10") })},
		{name: "VNet overlaps the AWS side", fire: true, msg: []string{"azure.vnet_prefixes 10.1.0.0/16 overlaps aws.local_prefixes 10.0.0.0/8"},
			p: withP(designB(), func(p *vpn.Proposal) { p.AWS.LocalPrefixes = []string{"10.0.0.0/8"} })},
		{name: "LNG prefix overlaps the VNet", fire: true, msg: []string{"overlaps azure.local_network_gateways[0].address_prefixes 10.1.5.0/24"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.Azure.LocalNetworkGateways[0].AddressPrefixes = append(p.Azure.LocalNetworkGateways[0].AddressPrefixes, "10.1.5.0/24")
			})},
		{name: "GatewaySubnet outside the VNet", fire: true, sev: vpn.SeverityWarning, msg: []string{"azure.gateway.gateway_subnet 10.9.255.0/27 is not inside azure.vnet_prefixes (10.1.0.0/16)"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Gateway.GatewaySubnet = "10.9.255.0/27" })},
		{name: "malformed VNet prefix", fire: true, msg: []string{"azure.vnet_prefixes 10.1.0.0 is not a CIDR"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.VNetPrefixes = append(p.Azure.VNetPrefixes, "10.1.0.0") })},
	})
}

func TestPPolicyBasedSelectors(t *testing.T) {
	runRule(t, IDPolicyBasedSelectors, []pcase{
		{name: "RouteBased", p: designA()},
		{name: "PolicyBased with two tunnels", fire: true, msg: []string{"azure.gateway.vpn_type PolicyBased cannot carry what the design asks (2 tunnels)"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Gateway.VPNType = "policybased" })},
		{name: "PolicyBased with BGP", fire: true, msg: []string{"(4 tunnels and BGP)"},
			p: withP(designB(), func(p *vpn.Proposal) { p.Azure.Gateway.VPNType = "PolicyBased" })},
		{name: "PolicyBased with one static tunnel is a warning", fire: true, sev: vpn.SeverityWarning, msg: []string{"allows one tunnel"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.Azure.Gateway.VPNType = "PolicyBased"
				p.AWS.Tunnels, p.Azure.Connections = p.AWS.Tunnels[:1], p.Azure.Connections[:1]
			})},
		{name: "policy-based traffic selectors", fire: true, sev: vpn.SeverityWarning,
			msg: []string{"azure.connections[1].use_policy_based_traffic_selectors true (cn-aws-t2): Azure then negotiates"},
			p:   withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[1].UsePolicyBasedTrafficSelectors = bptr(true) })},
		{name: "unknown VPN type", fire: true, msg: []string{"azure.gateway.vpn_type RouteBasedX is not RouteBased or PolicyBased"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Gateway.VPNType = "RouteBasedX" })},
	})
}

func TestPSKUUnsupported(t *testing.T) {
	sku := func(base vpn.Proposal, s string) vpn.Proposal {
		return withP(base, func(p *vpn.Proposal) { p.Azure.Gateway.SKU = s })
	}
	runRule(t, IDSKUUnsupported, []pcase{
		{name: "VpnGw1AZ", p: designA()},
		// Microsoft's SKU consolidation: non-AZ SKUs cannot be created since
		// 2025-01-01; an existing one is migrated by Microsoft.
		{name: "new gateway on non-AZ VpnGw1", fire: true, msg: []string{"azure.gateway.sku VpnGw1 cannot be created", "since 2025-01-01"},
			p: sku(designA(), "VpnGw1")},
		{name: "new gateway on non-AZ VpnGw3", fire: true, msg: []string{"azure.gateway.sku VpnGw3 cannot be created"}, p: sku(designA(), "VpnGw3")},
		{name: "existing non-AZ gateway gets a note", fire: true, sev: vpn.SeverityInfo, msg: []string{"VpnGw1 is a non-AZ SKU that Microsoft migrates to VpnGw1AZ"},
			p: sku(designA(), "VpnGw1"), cur: ptrTo(sku(designA(), "VpnGw1"))},
		{name: "VpnGw2AZ", p: designB()},
		{name: "lower case is the same SKU", p: sku(designB(), "vpngw2az")},
		{name: "Basic with BGP", fire: true, msg: []string{"azure.gateway.sku Basic does not support BGP"}, p: sku(designB(), "Basic")},
		{name: "Basic active-active", fire: true, msg: []string{"Basic does not support active-active"}, p: sku(designB(), "Basic")},
		{name: "Basic with custom IPsec policy", fire: true, msg: []string{"does not support a custom IPsec/IKE policy (azure.connections[0] (cn-aws-t1), azure.connections[1] (cn-aws-t2))"},
			p: sku(designA(), "Basic")},
		{name: "RouteBased Basic with IKEv1", fire: true, msg: []string{"Basic RouteBased supports IKEv2 only, but IKEv1 is asked on azure.connections[0] (cn-aws-t1)"},
			p: withP(sku(designA(), "Basic"), func(p *vpn.Proposal) { p.Azure.Connections[0].Protocol = "IKEv1" })},
		{name: "PolicyBased Basic with IKEv2", fire: true, msg: []string{"PolicyBased supports IKEv1 only"},
			p: withP(sku(designA(), "Basic"), func(p *vpn.Proposal) { p.Azure.Gateway.VPNType = "PolicyBased" })},
		{name: "legacy Standard is deprecated", fire: true, sev: vpn.SeverityWarning, msg: []string{"azure.gateway.sku Standard is a legacy SKU, deprecated on 2025-09-30"},
			p: sku(designA(), "Standard")},
		{name: "legacy HighPerformance with IKEv1", fire: true, msg: []string{"HighPerformance does not support IKEv1"},
			p: withP(sku(designA(), "HighPerformance"), func(p *vpn.Proposal) { p.Azure.Connections[1].Protocol = "IKEv1" })},
		{name: "PolicyBased needs Basic", fire: true, msg: []string{"azure.gateway.vpn_type PolicyBased with azure.gateway.sku VpnGw1AZ: PolicyBased gateways exist only as Basic"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Gateway.VPNType = "PolicyBased" })},
		{name: "ExpressRoute SKU", fire: true, msg: []string{"ErGw1AZ is an ExpressRoute SKU"}, p: sku(designA(), "ErGw1AZ")},
		{name: "unknown SKU", fire: true, msg: []string{"VpnGw9 is not a VPN gateway SKU"}, p: sku(designA(), "VpnGw9")},
	})
}

func TestPPSKInvalid(t *testing.T) {
	key := func(k string) vpn.Proposal {
		return withP(designA(), func(p *vpn.Proposal) {
			p.AWS.Tunnels[0].PSK, p.Azure.Connections[0].SharedKey = vpn.Secret(k), vpn.Secret(k)
		})
	}
	runRule(t, IDPSKInvalid, []pcase{
		{name: "valid keys", p: designA()},
		{name: "64 characters ok", p: key(strings.Repeat("a", 64))},
		{name: "65 characters fire", fire: true, msg: []string{"aws.tunnels[0].psk (198.51.100.1) is longer than 64 characters"}, p: key(strings.Repeat("a", 65))},
		{name: "8 characters ok", p: key("abcdefgh")},
		{name: "7 characters fire", fire: true, msg: []string{"is shorter than 8 characters"}, p: key("abcdefg")},
		{name: "leading 0 fires", fire: true, msg: []string{"starts with 0"}, p: key("0abcdefgh")},
		{name: "a 0 elsewhere is fine", p: key("a0bcdefgh")},
		{name: "dash is not AWS's", fire: true, msg: []string{"aws.tunnels[0].psk", "contains a character other than letters, digits, '.' and '_'"}, p: key("abc-defgh")},
		{name: "dash is not Azure's either", fire: true, msg: []string{"azure.connections[0].shared_key (cn-aws-t1) contains '-' or '~'"}, p: key("abc-defgh")},
		{name: "space", fire: true, msg: []string{"azure.connections[0].shared_key", "contains a space"}, p: key("abc defgh")},
		{name: "Azure 129 characters", fire: true, msg: []string{"shared_key", "longer than 128"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[1].SharedKey = vpn.Secret(strings.Repeat("b", 129)) })},
		{name: "Azure accepts printable ASCII AWS would not, alone", p: withP(vpn.Proposal{}, func(p *vpn.Proposal) {
			p.Azure.Connections = []vpn.ProposedConnection{{Name: "c", SharedKey: "a!b#c$d%"}}
		})},
		{name: "keys differ across the tunnel", fire: true,
			msg: []string{"azure.connections[1].shared_key (cn-aws-t2) differs from aws.tunnels[1].psk (198.51.100.2)"},
			p:   withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[1].SharedKey = pskA1 })},
		{name: "unknown AWS key is not a mismatch", p: withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels[1].PSK = "" })},
	})
}

func TestPIKEParamsIncompatible(t *testing.T) {
	tun := func(f func(*vpn.ProposedTunnel)) vpn.Proposal {
		return withP(designA(), func(p *vpn.Proposal) { f(&p.AWS.Tunnels[0]) })
	}
	pol := func(f func(*vpn.IPsecPolicy)) vpn.Proposal {
		return withP(designA(), func(p *vpn.Proposal) { f(p.Azure.Connections[0].IPsecPolicy) })
	}
	runRule(t, IDIKEParamsIncompatible, []pcase{
		{name: "matching design", p: designA()},
		{name: "phase 2 lifetime 3600 ok", p: tun(func(t *vpn.ProposedTunnel) { t.Phase2.LifetimeSeconds = iptr(3600) })},
		{name: "phase 2 lifetime 3601 fires", fire: true, msg: []string{"aws.tunnels[0] (198.51.100.1): phase2.lifetime_seconds 3601 is outside 900-3600"},
			p: tun(func(t *vpn.ProposedTunnel) { t.Phase2.LifetimeSeconds = iptr(3601) })},
		{name: "phase 2 lifetime 899 fires", fire: true, msg: []string{"phase2.lifetime_seconds 899 is outside"},
			p: tun(func(t *vpn.ProposedTunnel) { t.Phase2.LifetimeSeconds = iptr(899) })},
		{name: "phase 1 lifetime 28801 fires", fire: true, msg: []string{"phase1.lifetime_seconds 28801 is outside 900-28800"},
			p: tun(func(t *vpn.ProposedTunnel) { t.Phase1.LifetimeSeconds = iptr(28801) })},
		{name: "phase 2 not shorter than phase 1", fire: true, msg: []string{"the phase 2 lifetime (1800 s) is not shorter than the phase 1 lifetime (1800 s)"},
			p: tun(func(t *vpn.ProposedTunnel) {
				t.Phase1.LifetimeSeconds, t.Phase2.LifetimeSeconds = iptr(1800), iptr(1800)
			})},
		{name: "phase 1 short against the default phase 2", fire: true, msg: []string{"(3600 s) is not shorter than the phase 1 lifetime (900 s)"},
			p: tun(func(t *vpn.ProposedTunnel) { t.Phase1.LifetimeSeconds = iptr(900); t.Phase2 = nil })},
		{name: "unknown encryption", fire: true, msg: []string{"aws.tunnels[0] (198.51.100.1): phase1.encryption 3DES is not an AWS algorithm"},
			p: tun(func(t *vpn.ProposedTunnel) { t.Phase1.Encryption = []string{"AES256", "3DES"} })},
		{name: "unknown integrity", fire: true, msg: []string{"phase2.integrity MD5 is not an AWS algorithm"},
			p: tun(func(t *vpn.ProposedTunnel) { t.Phase2.Integrity = []string{"MD5"} })},
		{name: "DH 5 in phase 1 fires", fire: true, msg: []string{"phase1.dh_groups 5 is not a DH group AWS allows in phase1"},
			p: tun(func(t *vpn.ProposedTunnel) { t.Phase1.DHGroups = []int{14, 5} })},
		{name: "DH 5 in phase 2 is allowed", p: tun(func(t *vpn.ProposedTunnel) { t.Phase2.DHGroups = []int{14, 5} })},
		{name: "IKE version", fire: true, msg: []string{"ike_versions ikev3 is not ikev1 or ikev2"},
			p: tun(func(t *vpn.ProposedTunnel) { t.IKEVersions = []string{"ikev3", "ikev2"} })},
		{name: "startup start needs IKEv2", fire: true, msg: []string{"startup_action start needs IKEv2 but ike_versions is ikev1"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.AWS.Tunnels[0].StartupAction, p.AWS.Tunnels[0].IKEVersions = "start", []string{"ikev1"}
				p.Azure.Connections[0].Protocol = "IKEv1"
			})},
		{name: "Azure protocol AWS does not allow", fire: true,
			msg: []string{"azure.connections[0].protocol IKEv1 (cn-aws-t1) but aws.tunnels[0] (198.51.100.1) allows only ikev2"},
			p:   withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[0].Protocol = "IKEv1" })},
		{name: "AWS default IKE versions allow IKEv1", p: withP(designA(), func(p *vpn.Proposal) {
			p.AWS.Tunnels[0].IKEVersions = nil
			p.Azure.Connections[0].Protocol = "ikev1"
		})},
		{name: "Azure protocol unknown", fire: true, msg: []string{"azure.connections[0].protocol IKEv3 (cn-aws-t1) is not IKEv1 or IKEv2"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[0].Protocol = "IKEv3" })},
		{name: "Azure value AWS lacks", fire: true,
			msg: []string{"azure.connections[0] (cn-aws-t1) ipsec_policy has no match in aws.tunnels[0] (198.51.100.1): ike_encryption AES192 (AWS phase 1: AES256)"},
			p:   pol(func(p *vpn.IPsecPolicy) { p.IKEEncryption = "AES192" })},
		{name: "value not in Azure's list", fire: true, msg: []string{"azure.connections[0] (cn-aws-t1): ipsec_policy.ike_integrity SHA512 is not one of SHA384, SHA256, SHA1, MD5"},
			p: pol(func(p *vpn.IPsecPolicy) { p.IKEIntegrity = "SHA512" })},
		{name: "PFS None: AWS always uses PFS", fire: true, msg: []string{"pfs_group None (AWS always uses PFS in phase 2: the tunnel comes up, then fails at the first child-SA rekey)"},
			p: pol(func(p *vpn.IPsecPolicy) { p.PFSGroup = "None" })},
		{name: "DH 24 against AWS 14", fire: true, msg: []string{"dh_group DHGroup24 (AWS phase 1 DH groups: 14)"},
			p: pol(func(p *vpn.IPsecPolicy) { p.DHGroup = "DHGroup24" })},
		{name: "DHGroup2048 is group 14", p: pol(func(p *vpn.IPsecPolicy) { p.DHGroup = "DHGroup2048" })},
		{name: "ECP256 is group 19", p: withP(designA(), func(p *vpn.Proposal) {
			p.AWS.Tunnels[0].Phase1.DHGroups, p.AWS.Tunnels[0].Phase2.DHGroups = []int{19}, []int{19}
			p.Azure.Connections[0].IPsecPolicy.DHGroup, p.Azure.Connections[0].IPsecPolicy.PFSGroup = "ECP256", "ECP256"
		})},
		{name: "GCM on both sides", p: withP(designA(), func(p *vpn.Proposal) {
			p.AWS.Tunnels[0].Phase2.Encryption = []string{"AES256-GCM-16"}
			p.Azure.Connections[0].IPsecPolicy.IPsecEncryption, p.Azure.Connections[0].IPsecPolicy.IPsecIntegrity = "GCMAES256", "GCMAES256"
		})},
		{name: "GCM encryption needs the same GCM integrity", fire: true, msg: []string{"ipsec_encryption GCMAES256 and ipsec_integrity SHA256 must be the same GCMAES algorithm"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.AWS.Tunnels[0].Phase2.Encryption = []string{"AES256-GCM-16"}
				p.Azure.Connections[0].IPsecPolicy.IPsecEncryption = "GCMAES256"
			})},
		{name: "AWS defaults allow every AWS value", p: withP(designA(), func(p *vpn.Proposal) {
			p.AWS.Tunnels[0].Phase1, p.AWS.Tunnels[0].Phase2 = nil, nil
			p.Azure.Connections[0].IPsecPolicy = &vpn.IPsecPolicy{IKEEncryption: "GCMAES128", IKEIntegrity: "SHA384", DHGroup: "ECP384",
				IPsecEncryption: "GCMAES128", IPsecIntegrity: "GCMAES128", PFSGroup: "PFS24", SALifetimeSeconds: iptr(3600)}
		})},
		{name: "missing policy field", fire: true, msg: []string{"azure.connections[0] (cn-aws-t1): ipsec_policy.pfs_group is required"},
			p: pol(func(p *vpn.IPsecPolicy) { p.PFSGroup = "" })},
		{name: "SA lifetime 299", fire: true, msg: []string{"sa_lifetime_seconds 299 is below Azure's minimum of 300"},
			p: pol(func(p *vpn.IPsecPolicy) { p.SALifetimeSeconds = iptr(299) })},
		{name: "SA lifetime 300 with AWS 3600", p: pol(func(p *vpn.IPsecPolicy) { p.SALifetimeSeconds = iptr(300) })},
		// SA lifetimes are local and need not match (Microsoft's IPsec/IKE
		// requirements): Azure's default 27000 s against AWS's 3600 s is fine.
		{name: "Azure SA lifetime longer than AWS phase 2 is no finding", p: pol(func(p *vpn.IPsecPolicy) { p.SALifetimeSeconds = iptr(27000) })},
		{name: "Azure SA lifetime below 300 s", fire: true, msg: []string{"sa_lifetime_seconds 299 is below Azure's minimum of 300"},
			p: pol(func(p *vpn.IPsecPolicy) { p.SALifetimeSeconds = iptr(299) })},
		// PFS14 is accepted by the API and CLI: a warning at most.
		{name: "PFS14 is a warning", fire: true, sev: vpn.SeverityWarning, msg: []string{"pfs_group PFS14 is the API's name for DH group 14"},
			p: pol(func(p *vpn.IPsecPolicy) { p.PFSGroup = "PFS14" })},
		{name: "PFS2048 is no finding", p: pol(func(p *vpn.IPsecPolicy) { p.PFSGroup = "PFS2048" })},
		{name: "no policy: Azure's defaults", p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[0].IPsecPolicy = nil })},
	})
}

func TestPDPDTimeoutRange(t *testing.T) {
	aws := func(n int) vpn.Proposal {
		return withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels[1].DPDTimeoutSeconds = iptr(n) })
	}
	az := func(n int) vpn.Proposal {
		return withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[1].DPDTimeoutSeconds = iptr(n) })
	}
	runRule(t, IDDPDTimeoutRange, []pcase{
		{name: "AWS 29 fires", fire: true, msg: []string{"aws.tunnels[1].dpd_timeout_seconds 29 (198.51.100.2) is below AWS's minimum of 30 s"}, p: aws(29)},
		{name: "AWS 30 ok", p: aws(30)},
		{name: "AWS 3600 ok (no maximum)", p: aws(3600)},
		{name: "Azure 8 fires", fire: true, msg: []string{"azure.connections[1].dpd_timeout_seconds 8 (cn-aws-t2) is outside Azure's 9-3600 s"}, p: az(8)},
		{name: "Azure 9 ok", p: az(9)},
		{name: "Azure 3600 ok", p: az(3600)},
		{name: "Azure 3601 fires", fire: true, msg: []string{"3601"}, p: az(3601)},
	})
}

func TestPASNInvalid(t *testing.T) {
	b := func(f func(p *vpn.Proposal)) vpn.Proposal { return withP(designB(), f) }
	runRule(t, IDASNInvalid, []pcase{
		{name: "tutorial ASNs", p: designB()},
		{name: "customer ASN 7224 fires", fire: true, msg: []string{"aws.customer_asn 7224 is reserved by AWS in every Region"},
			p: b(func(p *vpn.Proposal) { p.AWS.CustomerASN, p.Azure.Gateway.ASN = i64(7224), i64(7224) })},
		{name: "customer ASN 10124 is a regional warning", fire: true, sev: vpn.SeverityWarning, msg: []string{"aws.customer_asn 10124 is reserved by AWS in ap-northeast-1"},
			p: b(func(p *vpn.Proposal) { p.AWS.CustomerASN, p.Azure.Gateway.ASN = i64(10124), i64(10124) })},
		{name: "customer ASN 0", fire: true, msg: []string{"aws.customer_asn 0 is not an ASN"},
			p: b(func(p *vpn.Proposal) { p.AWS.CustomerASN = i64(0) })},
		{name: "Amazon side 65515 fires (Azure's)", fire: true, msg: []string{"aws.asn 65515 is reserved by Azure"},
			p: b(func(p *vpn.Proposal) { p.AWS.ASN = i64(65515); setLNGASN(p, 65515) })},
		{name: "Amazon side 65517 fires", fire: true, msg: []string{"aws.asn 65517 is reserved by Azure"},
			p: b(func(p *vpn.Proposal) { p.AWS.ASN = i64(65517); setLNGASN(p, 65517) })},
		{name: "Amazon side 64511 fires", fire: true, msg: []string{"aws.asn 64511 is outside the Amazon-side ranges"},
			p: b(func(p *vpn.Proposal) { p.AWS.ASN = i64(64511); setLNGASN(p, 64511) })},
		// Legacy Amazon-side defaults of VGWs created before 2018-06-30.
		{name: "Amazon side 7224 (legacy default) is a note", fire: true, sev: vpn.SeverityInfo,
			msg: []string{"aws.asn 7224 is the Amazon-side ASN AWS gave virtual private gateways created before 2018-06-30 in every other Region"},
			p:   b(func(p *vpn.Proposal) { p.AWS.ASN = i64(7224); setLNGASN(p, 7224) })},
		{name: "Amazon side 17493 (legacy Singapore) is a note", fire: true, sev: vpn.SeverityInfo, msg: []string{"aws.asn 17493", "ap-southeast-1 (Singapore)"},
			p: b(func(p *vpn.Proposal) { p.AWS.ASN = i64(17493); setLNGASN(p, 17493) })},
		{name: "Amazon side 7225 is an error", fire: true, msg: []string{"aws.asn 7225 is outside the Amazon-side ranges"},
			p: b(func(p *vpn.Proposal) { p.AWS.ASN = i64(7225); setLNGASN(p, 7225) })},
		// The Azure gateway's ASN is AWS's customer gateway ASN.
		{name: "Azure gateway 7224 is AWS-reserved", fire: true, msg: []string{"azure.gateway.asn 7224 is reserved by AWS for customer gateways in every Region"},
			p: b(func(p *vpn.Proposal) { p.Azure.Gateway.ASN, p.AWS.CustomerASN = i64(7224), nil })},
		{name: "Azure gateway 10124 is a regional warning", fire: true, sev: vpn.SeverityWarning, msg: []string{"azure.gateway.asn 10124 is reserved by AWS for customer gateways in ap-northeast-1"},
			p: b(func(p *vpn.Proposal) { p.Azure.Gateway.ASN, p.AWS.CustomerASN = i64(10124), nil })},
		{name: "Azure gateway 65000 is fine", p: b(func(p *vpn.Proposal) { p.AWS.CustomerASN = nil })},
		{name: "Amazon side 65534 ok", p: b(func(p *vpn.Proposal) { p.AWS.ASN = i64(65534); setLNGASN(p, 65534) })},
		{name: "Amazon side 4200000000 ok", p: b(func(p *vpn.Proposal) { p.AWS.ASN = i64(4200000000); setLNGASN(p, 4200000000) })},
		{name: "Amazon side 4294967295 fires", fire: true, msg: []string{"aws.asn 4294967295 is outside"},
			p: b(func(p *vpn.Proposal) { p.AWS.ASN = i64(4294967295) })},
		{name: "Azure gateway on its default 65515 ok", p: b(func(p *vpn.Proposal) { p.Azure.Gateway.ASN, p.AWS.CustomerASN = i64(65515), i64(65515) })},
		{name: "Azure gateway 8075 fires", fire: true, msg: []string{"azure.gateway.asn 8075 is reserved by Azure"},
			p: b(func(p *vpn.Proposal) { p.Azure.Gateway.ASN, p.AWS.CustomerASN = i64(8075), i64(8075) })},
		{name: "Azure gateway 65520 fires", fire: true, msg: []string{"azure.gateway.asn 65520 is reserved by Azure"},
			p: b(func(p *vpn.Proposal) { p.Azure.Gateway.ASN, p.AWS.CustomerASN = i64(65520), i64(65520) })},
		{name: "Azure gateway 23456 fires", fire: true, msg: []string{"azure.gateway.asn 23456 is reserved by IANA"},
			p: b(func(p *vpn.Proposal) { p.Azure.Gateway.ASN, p.AWS.CustomerASN = i64(23456), i64(23456) })},
		{name: "Azure gateway 64500 fires", fire: true, msg: []string{"azure.gateway.asn 64500 is reserved by IANA"},
			p: b(func(p *vpn.Proposal) { p.Azure.Gateway.ASN, p.AWS.CustomerASN = i64(64500), i64(64500) })},
		{name: "customer ASN is Azure's when the gateway ASN is not stated", fire: true, msg: []string{"aws.customer_asn 65518 is reserved by Azure, and it is the Azure gateway's ASN"},
			p: b(func(p *vpn.Proposal) { p.Azure.Gateway.ASN, p.AWS.CustomerASN = nil, i64(65518) })},
		{name: "same ASN both sides", fire: true, msg: []string{"aws.asn 65000 equals azure.gateway.asn 65000"},
			p: b(func(p *vpn.Proposal) { p.AWS.ASN = i64(65000); setLNGASN(p, 65000) })},
		{name: "customer ASN equals Amazon side", fire: true, msg: []string{"aws.customer_asn 64512 equals aws.asn 64512", "AsnConflict"},
			p: b(func(p *vpn.Proposal) { p.AWS.CustomerASN = i64(64512) })},
		{name: "customer ASN differs from the Azure gateway", fire: true, msg: []string{"aws.customer_asn 65001 differs from azure.gateway.asn 65000"},
			p: b(func(p *vpn.Proposal) { p.AWS.CustomerASN = i64(65001) })},
		// The session can never establish: an error, not a warning.
		{name: "LNG ASN is not AWS's", fire: true,
			msg: []string{"azure.local_network_gateways[2].asn 64513 (lng-aws-3) differs from aws.asn 64512", "can never establish"},
			p:   b(func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[2].ASN = i64(64513) })},
		{name: "LNG ASN is the gateway's", fire: true, msg: []string{"azure.local_network_gateways[0].asn 65000 (lng-aws-1) equals azure.gateway.asn 65000"},
			p: b(func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[0].ASN = i64(65000) })},
		{name: "LNG ASN 65515 fires", fire: true, msg: []string{"azure.local_network_gateways[1].asn 65515", "reserved by Azure and cannot be a peer's ASN"},
			p: b(func(p *vpn.Proposal) { p.Azure.LocalNetworkGateways[1].ASN = i64(65515) })},
		{name: "static: equal ASNs do not meet", p: withP(designA(), func(p *vpn.Proposal) { p.AWS.ASN = i64(65000); p.Azure.Gateway.ASN = i64(65000) })},
	})
}

func setLNGASN(p *vpn.Proposal, a int64) {
	for i := range p.Azure.LocalNetworkGateways {
		p.Azure.LocalNetworkGateways[i].ASN = i64(a)
	}
}

func TestPGatewaySubnet(t *testing.T) {
	gs := func(s string) vpn.Proposal {
		return withP(designA(), func(p *vpn.Proposal) { p.Azure.Gateway.GatewaySubnet = s })
	}
	runRule(t, IDGatewaySubnet, []pcase{
		{name: "/27 ok", p: gs("10.1.255.0/27")},
		{name: "/24 ok", p: gs("10.1.255.0/24")},
		{name: "/28 warns", fire: true, sev: vpn.SeverityWarning, msg: []string{"azure.gateway.gateway_subnet 10.1.255.0/28 is a /28, smaller than the recommended /27"}, p: gs("10.1.255.0/28")},
		{name: "/29 warns", fire: true, sev: vpn.SeverityWarning, msg: []string{"is a /29"}, p: gs("10.1.255.0/29")},
		{name: "/30 fires", fire: true, msg: []string{"10.1.255.0/30 is a /30, smaller than Azure's minimum /29"}, p: gs("10.1.255.0/30")},
		{name: "malformed", fire: true, msg: []string{"is not a CIDR"}, p: gs("GatewaySubnet")},
	})
}

func TestPResponderOnly(t *testing.T) {
	ro := func(startup string) vpn.Proposal {
		return withP(designA(), func(p *vpn.Proposal) {
			p.Azure.Connections[1].ConnectionMode = "ResponderOnly"
			p.AWS.Tunnels[1].StartupAction = startup
		})
	}
	runRule(t, IDResponderOnly, []pcase{
		{name: "Default", p: designA()},
		{name: "ResponderOnly and add", fire: true,
			msg: []string{"azure.connections[1] (cn-aws-t2) has connection_mode ResponderOnly while aws.tunnels[1] (198.51.100.2) has startup_action add: nobody initiates IKE"},
			p:   ro("add")},
		{name: "ResponderOnly and AWS default", fire: true, msg: []string{"has no startup_action (AWS default add)"}, p: ro("")},
		{name: "ResponderOnly and start", p: ro("start")},
		{name: "ResponderOnly on Door (AWS side unknown)", fire: true, msg: []string{"the AWS side waits for Azure unless its startup action is start"},
			p: withP(ro("add"), func(p *vpn.Proposal) { p.AWS.Tunnels = nil })},
		{name: "InitiatorOnly", p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[0].ConnectionMode = "InitiatorOnly" })},
		{name: "unknown connection mode", fire: true, msg: []string{"azure.connections[0].connection_mode Passive"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[0].ConnectionMode = "Passive" })},
		{name: "unknown startup action", fire: true, msg: []string{"aws.tunnels[0].startup_action auto (198.51.100.1) is not add or start"},
			p: withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels[0].StartupAction = "auto" })},
	})
}

func TestPChangeCausesOutage(t *testing.T) {
	a, b := designA(), designB()
	runRule(t, IDChangeCausesOutage, []pcase{
		{name: "no current state", p: withP(designA(), func(p *vpn.Proposal) { p.Routing = vpn.RoutingBGP })},
		{name: "no change", p: designA(), cur: &a},
		// The Amazon-side ASN is fixed per VGW and a VPC takes one VGW at a
		// time: the fix names the real options, not "build beside".
		{name: "Amazon-side ASN change", fire: true, cur: &b,
			msg: []string{"aws.asn changes from 64512 to 64513", "a VPC takes one virtual private gateway at a time"},
			p:   withP(designB(), func(p *vpn.Proposal) { p.AWS.ASN = i64(64513); setLNGASN(p, 64513) })},
		{name: "Amazon-side ASN unchanged", cur: &b, p: designB()},
		// Azure: a policy added or changed restarts IKE; on both connections
		// at once that is an outage, on one it is not.
		{name: "IPsec policy changed on both connections", fire: true, cur: &a,
			msg: []string{"2 Azure connections are restarted in one change", "azure.connections[0] (cn-aws-t1): ipsec_policy changes (IKE restarts)"},
			p: withP(designA(), func(p *vpn.Proposal) {
				for i := range p.Azure.Connections {
					p.Azure.Connections[i].IPsecPolicy = &vpn.IPsecPolicy{IKEEncryption: "GCMAES256", IKEIntegrity: "SHA384", DHGroup: "ECP384",
						IPsecEncryption: "GCMAES256", IPsecIntegrity: "GCMAES256", PFSGroup: "ECP384", SALifetimeSeconds: iptr(3600)}
				}
			})},
		{name: "IPsec policy changed on one connection", cur: &a,
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Connections[0].IPsecPolicy.DHGroup = "ECP256" })},
		{name: "protocol changed on both connections", fire: true, cur: &a, msg: []string{"protocol IKEv2 -> IKEv1 (delete and recreate)"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.Azure.Connections[0].Protocol, p.Azure.Connections[1].Protocol = "IKEv1", "IKEv1"
			})},
		{name: "static to BGP in place", fire: true, cur: &a,
			msg: []string{"routing changes from static to bgp: AWS fixes the routing type when a VPN connection is created",
				"the proposal still lists the current outside IPs (198.51.100.1, 198.51.100.2)"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Routing = vpn.RoutingBGP })},
		{name: "BGP to static with new tunnels (the migration)", fire: true, cur: &b,
			msg: []string{"routing changes from bgp to static", "every current AWS tunnel (198.51.100.1, 198.51.100.2, 198.51.100.3, 198.51.100.4) is replaced (203.0.113.21, 203.0.113.22)"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.AWS.Tunnels[0].OutsideIP, p.AWS.Tunnels[1].OutsideIP = "203.0.113.21", "203.0.113.22"
				p.Azure.LocalNetworkGateways[0].GatewayIP, p.Azure.LocalNetworkGateways[1].GatewayIP = "203.0.113.21", "203.0.113.22"
			})},
		{name: "Amazon-side ASN", fire: true, cur: &b, msg: []string{"aws.asn changes from 64512 to 64513"},
			p: withP(designB(), func(p *vpn.Proposal) { p.AWS.ASN = i64(64513); setLNGASN(p, 64513) })},
		{name: "customer gateway ASN", fire: true, cur: &b, msg: []string{"aws.customer_asn changes from 65000 to 65010", "new customer gateway"},
			p: withP(designB(), func(p *vpn.Proposal) { p.AWS.CustomerASN, p.Azure.Gateway.ASN = i64(65010), i64(65010) })},
		{name: "options on both tunnels at once", fire: true, cur: &a,
			msg: []string{"tunnel options change on 2 tunnels in one proposal", "aws.tunnels[0] (198.51.100.1): phase2.lifetime_seconds 3600 -> 1800",
				"aws.tunnels[1] (198.51.100.2): dpd_timeout_seconds, startup_action add -> start"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.AWS.Tunnels[0].Phase2.LifetimeSeconds = iptr(1800)
				p.AWS.Tunnels[1].DPDTimeoutSeconds, p.AWS.Tunnels[1].StartupAction = iptr(45), "start"
			})},
		{name: "options on one tunnel", cur: &a, p: withP(designA(), func(p *vpn.Proposal) { p.AWS.Tunnels[0].Phase2.LifetimeSeconds = iptr(1800) })},
		{name: "keys rotated on both tunnels", fire: true, cur: &a, msg: []string{"aws.tunnels[0] (198.51.100.1): psk", "aws.tunnels[1] (198.51.100.2): psk"},
			p: withP(designA(), func(p *vpn.Proposal) {
				p.AWS.Tunnels[0].PSK, p.AWS.Tunnels[1].PSK = "Rotated.1.abcdef", "Rotated.2.abcdef"
			})},
		{name: "restricting AWS defaults is a change", fire: true, cur: &b, msg: []string{"phase1.encryption", "on 2 tunnels"},
			p: withP(designB(), func(p *vpn.Proposal) {
				p.AWS.Tunnels[0].Phase1 = &vpn.PhaseParams{Encryption: []string{"AES256"}}
				p.AWS.Tunnels[1].Phase1 = &vpn.PhaseParams{Encryption: []string{"AES256"}}
			})},
		{name: "stating AWS defaults is not a change", cur: withPP(designB(), func(p *vpn.Proposal) {
			for i := range p.AWS.Tunnels {
				p.AWS.Tunnels[i].IKEVersions = nil
			}
		}), p: withP(designB(), func(p *vpn.Proposal) {
			for i := range p.AWS.Tunnels {
				p.AWS.Tunnels[i].Phase1 = &vpn.PhaseParams{LifetimeSeconds: iptr(28800), DHGroups: []int{24, 2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}}
				p.AWS.Tunnels[i].IKEVersions = []string{"IKEv2", "ikev1"}
			}
		})},
		{name: "Azure VPN type", fire: true, cur: &a, msg: []string{"azure.gateway.vpn_type changes from RouteBased to PolicyBased: the VPN type is immutable", "new public IP"},
			p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Gateway.VPNType = "PolicyBased" })},
		{name: "off Basic", fire: true, cur: withPP(designA(), func(p *vpn.Proposal) { p.Azure.Gateway.SKU = "Basic" }),
			msg: []string{"azure.gateway.sku changes from Basic to VpnGw1"}, p: designA()},
		{name: "resizing within VpnGw is in place", cur: &a, p: withP(designA(), func(p *vpn.Proposal) { p.Azure.Gateway.SKU = "VpnGw2" })},
	})
	// The whole-connection rebuild gives the make-before-break order.
	fs := Check(withP(designA(), func(p *vpn.Proposal) { p.Routing = vpn.RoutingBGP }), &a)
	i := slices.IndexFunc(fs, func(f vpn.Finding) bool { return f.Rule == IDChangeCausesOutage })
	if i < 0 || !containsAll(fs[i].Fix, []string{"beside the old one", "UP on AWS and Connected on Azure", "then delete the old AWS VPN connection"}) {
		t.Errorf("rebuild fix lacks the safer order: %+v", fs)
	}
}

func withPP(p vpn.Proposal, f func(*vpn.Proposal)) *vpn.Proposal {
	f(&p)
	return &p
}

func TestCovered(t *testing.T) {
	pfx := func(ss ...string) []netip.Prefix {
		out, _ := prefixes(ss)
		return out
	}
	tests := []struct {
		p      string
		routes []string
		want   bool
	}{
		{"10.1.0.0/16", []string{"10.1.0.0/16"}, true},
		{"10.1.0.0/16", []string{"10.0.0.0/8"}, true},
		{"10.1.0.0/16", []string{"10.1.0.0/17", "10.1.128.0/17"}, true},
		{"10.1.0.0/16", []string{"10.1.0.0/17", "10.1.128.0/18", "10.1.192.0/18"}, true},
		{"10.1.0.0/16", []string{"10.1.0.0/17", "10.1.192.0/18"}, false},
		{"10.1.0.0/16", []string{"10.1.0.0/24"}, false},
		{"10.1.0.0/16", nil, false},
		{"10.1.0.0/16", []string{"0.0.0.0/0"}, true},
		{"10.1.2.3/32", []string{"10.1.2.0/24"}, true},
		{"fd00::/64", []string{"fd00::/65", "fd00:0:0:0:8000::/65"}, true},
		{"10.1.0.0/16", []string{"::/0"}, false},
	}
	for _, tt := range tests {
		pf, _ := parseCIDR(tt.p)
		if got := covered(pf, pfx(tt.routes...)); got != tt.want {
			t.Errorf("covered(%s, %v) = %v, want %v", tt.p, tt.routes, got, tt.want)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
