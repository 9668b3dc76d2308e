package rules

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// live is one connection's observed state, indexed once so that each rule
// stays a short pure function.
type live struct {
	obs           vpn.Observation
	rows          []vpn.TunnelStatus
	awsObserved   bool
	azureObserved bool
	awsVPN        map[string]vpn.AWSVPNConnection // by VPN connection ID
	awsTunnel     map[string]vpn.AWSTunnel        // by normalised outside IP
	awsIPs        []string                        // outside IPs in AWS order
	azConn        map[string]vpn.AzureConnection  // by connection name
}

func newLive(obs vpn.Observation, rows []vpn.TunnelStatus) *live {
	s := &live{
		obs:           obs,
		rows:          rows,
		awsObserved:   obs.AWS != nil,
		azureObserved: obs.Azure != nil,
		awsVPN:        map[string]vpn.AWSVPNConnection{},
		awsTunnel:     map[string]vpn.AWSTunnel{},
		azConn:        map[string]vpn.AzureConnection{},
	}
	if obs.AWS != nil {
		for _, v := range obs.AWS.VPNConnections {
			s.awsVPN[v.ID] = v
			for _, t := range v.Tunnels {
				s.awsTunnel[normIP(t.OutsideIP)] = t
				s.awsIPs = append(s.awsIPs, t.OutsideIP)
			}
		}
	}
	if obs.Azure != nil {
		for _, c := range obs.Azure.Connections {
			s.azConn[c.Name] = c
		}
	}
	return s
}

func (s *live) door() bool { return s.obs.Connection.Kind == vpn.KindSoracomDoor }

// foundAzure returns the Azure connections ARM returned (not 404), in
// configured order.
func (s *live) foundAzure() []vpn.AzureConnection { return s.obs.Azure.Found() }

// notFoundAzure names configured Azure connections that ARM says do not exist.
func (s *live) notFoundAzure() []string {
	if s.obs.Azure == nil {
		return nil
	}
	var out []string
	for _, c := range s.obs.Azure.Connections {
		if !c.Found {
			out = append(out, c.Name)
		}
	}
	return out
}

// liveRules run in this order; Live sorts the result, so the order only
// matters for reading.
var liveRules = []func(*live) []vpn.Finding{
	tunnelDown,
	singleTunnel,
	bgpNeedsActiveActive,
	routingMismatch,
	peerIPMismatch,
	observationNotes,
}

// Live runs the live-state rules on one observed connection and its paired
// tunnels (from vpn.Pair) and returns findings in a stable order: errors,
// then warnings, then info; within a severity by rule ID, then message.
//
// Each problem is reported by one rule: a tunnel row whose counterpart is
// "missing" (an AWS tunnel no Azure connection terminates, or an Azure
// connection whose local network gateway matches no AWS tunnel) is a
// peer-ip-mismatch, not also a tunnel-down, because "down" there only
// restates that the pairing is wrong and would send on-call to check keys
// and proposals on a tunnel that cannot work whatever they are. A configured
// Azure connection that does not exist (404) is a tunnel-down: it is a
// configured tunnel that is down, and there is no IP to mismatch.
//
// Live also runs the proposal rules that judge values the clouds report
// (inside CIDRs, APIPA and BGP addresses, ASNs, SKU, VPN type, IKE and DPD
// settings, connection mode) on vpn.ProposalFromObservation(obs), so that a
// running connection is held to the same rules as a proposed one. It leaves
// out the proposal versions of the rules above (they would report the same
// problem twice) and reports responder-only only for tunnels that are up:
// for a down one tunnel-down's fix already names it.
func Live(obs vpn.Observation, tunnels []vpn.TunnelStatus) []vpn.Finding {
	s := newLive(obs, tunnels)
	out := []vpn.Finding{}
	for _, rule := range liveRules {
		out = append(out, rule(s)...)
	}
	out = append(out, liveProposalFindings(obs, tunnels)...)
	sortFindings(out)
	return out
}

func severityRank(s vpn.Severity) int {
	switch s {
	case vpn.SeverityError:
		return 0
	case vpn.SeverityWarning:
		return 1
	case vpn.SeverityInfo:
		return 2
	}
	return 3
}

func sortFindings(fs []vpn.Finding) {
	slices.SortStableFunc(fs, func(a, b vpn.Finding) int {
		return cmp.Or(
			cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)),
			strings.Compare(a.Rule, b.Rule),
			strings.Compare(a.Message, b.Message),
		)
	})
}

// --- tunnel-down -----------------------------------------------------------

func tunnelDown(s *live) []vpn.Finding {
	var out []vpn.Finding
	for _, t := range s.rows {
		if s.azureObserved && t.AzureConnection != "" && t.AzureStatus == vpn.StatusMissing {
			if c, ok := s.azConn[t.AzureConnection]; ok && !c.Found {
				out = append(out, newFinding(IDTunnelDown,
					fmt.Sprintf("tunnel %d: Azure connection %s is configured but does not exist in resource group %s",
						t.Index, t.AzureConnection, orDash(s.obs.Connection.Azure.ResourceGroup)),
					fmt.Sprintf("Compare the name with `az network vpn-connection list -g %s -o table` and fix doorbot's config, "+
						"or recreate the connection if it was deleted.", orDash(s.obs.Connection.Azure.ResourceGroup))))
			}
			continue
		}
		if (s.awsObserved && t.AWSStatus == vpn.StatusMissing) || (s.azureObserved && t.AzureStatus == vpn.StatusMissing) {
			continue // peer-ip-mismatch reports it
		}
		awsDown := s.awsObserved && !t.AWSUp()
		azDown := s.azureObserved && !t.AzureUp()
		if !awsDown && !azDown {
			continue
		}
		// Say "down" only when a cloud actually reported a non-up state;
		// absent telemetry is not evidence of an outage.
		verb := "is not reported up"
		if (awsDown && !strings.EqualFold(t.AWSStatus, vpn.StatusUnknown)) ||
			(azDown && !strings.EqualFold(t.AzureStatus, vpn.StatusUnknown)) {
			verb = "is down"
		}
		var sides []string
		if s.awsObserved {
			side := "AWS " + t.AWSStatus
			if t.AWSMessage != "" {
				side += fmt.Sprintf(" %q", t.AWSMessage)
			}
			sides = append(sides, side)
		}
		if s.azureObserved {
			sides = append(sides, fmt.Sprintf("Azure %s %s", t.AzureConnection, t.AzureStatus))
		}
		out = append(out, newFinding(IDTunnelDown,
			fmt.Sprintf("tunnel %d (%s) %s: %s", t.Index, orDash(t.AWSOutsideIP), verb, strings.Join(sides, ", ")),
			s.tunnelDownFix(t, awsDown)))
	}
	return out
}

func (s *live) tunnelDownFix(t vpn.TunnelStatus, awsDown bool) string {
	var b strings.Builder
	conn, haveConn := s.azConn[t.AzureConnection]

	// AWS counts a BGP tunnel as UP only once BGP is established, so
	// "DOWN" with "IPSEC IS UP" is a BGP problem, not an IKE one; sending
	// on-call to re-check keys would waste the incident.
	bgp := false
	if v, ok := s.awsVPN[t.AWSVPNConnectionID]; ok {
		bgp = v.Routing() == vpn.RoutingBGP
	} else if haveConn {
		bgp = conn.EnableBGP
	}
	if awsDown && bgp && strings.Contains(strings.ToUpper(t.AWSMessage), "IPSEC IS UP") {
		// Keys and proposals evidently work, so the IKE checklist below
		// would only distract.
		gw := s.obs.Connection.Azure.Gateway
		if gw == "" && s.obs.Azure != nil && s.obs.Azure.Gateway != nil {
			gw = s.obs.Azure.Gateway.Name
		}
		return fmt.Sprintf("IPsec is up but AWS reports a BGP tunnel as DOWN until its BGP session is established. "+
			"Check this tunnel's BGP peering: Azure's custom APIPA address must be the .2 and the local network gateway's "+
			"BGP peer the .1 of the AWS inside /30, and the ASNs must differ "+
			"(`az network vnet-gateway list-bgp-peer-status -g %s -n %s`). Check also whether the Azure gateway can peer "+
			"on a second tunnel at all: a gateway that is not active-active accepts one custom APIPA address (see %s).",
			orDash(s.obs.Connection.Azure.ResourceGroup), orDash(gw), IDBGPNeedsActiveActive)
	}

	// ResponderOnly waits for AWS, and AWS waits for the customer side
	// unless its startup action is "start": nobody initiates.
	if haveConn && strings.EqualFold(conn.ConnectionMode, "ResponderOnly") {
		at, ok := s.awsTunnel[normIP(t.AWSOutsideIP)]
		if !ok || !strings.EqualFold(at.Options.StartupAction, "start") {
			fmt.Fprintf(&b, "Azure connection %s is ResponderOnly, so nobody initiates IKE: set its connection mode to Default. ", conn.Name)
		}
	}

	key := "the AWS tunnel's key"
	maint := "AWS tunnel endpoint maintenance (AWS Health, GetVpnTunnelReplacementStatus)"
	if s.door() {
		key = "the key SORACOM supplied for this tunnel"
		maint = "SORACOM maintenance (https://soracom.statuspage.io/); the AWS side is SORACOM's and not observable"
	}
	fmt.Fprintf(&b, "Check in order: the pre-shared key is identical on both sides "+
		"(`az network vpn-connection shared-key show` on %s vs %s); "+
		"the IKE version, phase 1/2 proposals, PFS and lifetimes overlap "+
		"(`az network vpn-connection list-ike-sas`, Azure IKEDiagnosticLog); "+
		"the Azure connection mode is Default, not ResponderOnly; "+
		"UDP 500/4500 and ESP reach the tunnel IPs and no UDR/NSG is attached to GatewaySubnet; "+
		"if only this tunnel dropped, %s.", orDash(t.AzureConnection), key, maint)
	return b.String()
}

// --- single-tunnel ---------------------------------------------------------

func singleTunnel(s *live) []vpn.Finding {
	if !s.azureObserved {
		// Without Azure nobody can tell which AWS tunnels are terminated.
		return nil
	}
	if !s.awsObserved {
		// Door (or AWS unreadable): Azure connections are all we know, and
		// each terminates at most one tunnel, so fewer than two found is
		// certainly fewer than two tunnels.
		found := s.foundAzure()
		if len(found) >= 2 {
			return nil
		}
		names := make([]string, len(found))
		for i, c := range found {
			names[i] = c.Name
		}
		msg := fmt.Sprintf("only %s found (%s)", count(len(found), "Azure connection"), listOrNone(names))
		if s.door() {
			msg = fmt.Sprintf("only %s found for this SORACOM Door connection (%s)", count(len(found), "Azure connection"), listOrNone(names))
		}
		if nf := s.notFoundAzure(); len(nf) > 0 {
			msg += "; not found: " + strings.Join(nf, ", ")
		}
		return []vpn.Finding{newFinding(IDSingleTunnel, msg, singleTunnelFix(s.door()))}
	}

	var terminated, open []string
	total := 0
	for _, t := range s.rows {
		if t.AWSStatus == vpn.StatusMissing {
			continue // an Azure connection without an AWS tunnel
		}
		total++
		if t.AzureStatus == vpn.StatusMissing {
			open = append(open, t.AWSOutsideIP)
			continue
		}
		terminated = append(terminated, fmt.Sprintf("%s by %s", t.AWSOutsideIP, t.AzureConnection))
	}
	if len(terminated) >= 2 {
		return nil
	}
	msg := fmt.Sprintf("only %d of %d AWS tunnels terminated on Azure (%s)", len(terminated), total, listOrNone(terminated))
	if len(open) > 0 {
		msg += "; not terminated: " + strings.Join(open, ", ")
	}
	return []vpn.Finding{newFinding(IDSingleTunnel, msg, singleTunnelFix(false))}
}

func singleTunnelFix(door bool) string {
	ips := "AWS tunnel outside IP"
	if door {
		ips = "tunnel outside IP SORACOM supplied"
	}
	return "AWS replaces tunnel endpoints one tunnel at a time, so with one tunnel a routine maintenance is an outage. " +
		"Terminate both tunnels: one local network gateway per " + ips + " and one connection to each, with static " +
		"routing unless the Azure gateway is active-active (SORACOM pattern 1; `doorbot runbook static NAME`)."
}

// --- bgp-needs-active-active ----------------------------------------------

func bgpNeedsActiveActive(s *live) []vpn.Finding {
	if !s.azureObserved || s.obs.Azure.Gateway == nil {
		return nil
	}
	var bgpConns []string
	for _, c := range s.foundAzure() {
		if c.EnableBGP {
			bgpConns = append(bgpConns, c.Name)
		}
	}
	var awsBGP []string
	if s.obs.AWS != nil {
		for _, v := range s.obs.AWS.VPNConnections {
			if v.Routing() == vpn.RoutingBGP && len(v.Tunnels) >= 2 {
				awsBGP = append(awsBGP, fmt.Sprintf("%s (%d tunnels)", v.ID, len(v.Tunnels)))
			}
		}
	}
	if len(bgpConns) < 2 && len(awsBGP) == 0 {
		return nil
	}

	gw := *s.obs.Azure.Gateway
	// PublicIPCount 0 means the adapter could not count them; fall back to
	// the instances' tunnel IPs, and say nothing about IPs if still unknown.
	ips := gw.PublicIPCount
	if ips == 0 {
		ips = len(gw.TunnelIPs)
	}
	var why []string
	if !gw.ActiveActive {
		why = append(why, "is not active-active")
	}
	if ips > 0 && ips < 2 {
		why = append(why, "has "+count(ips, "public IP"))
	}
	if len(gw.CustomAPIPA) <= 1 {
		why = append(why, fmt.Sprintf("has %s (%s)", count(len(gw.CustomAPIPA), "custom APIPA address"), listOrNone(gw.CustomAPIPA)))
	}
	if len(why) == 0 {
		return nil
	}

	var over []string
	if len(bgpConns) > 0 {
		over = append(over, "Azure connections with BGP: "+strings.Join(bgpConns, ", "))
	}
	if len(awsBGP) > 0 {
		over = append(over, "AWS BGP VPN connections: "+strings.Join(awsBGP, ", "))
	}
	msg := fmt.Sprintf("BGP over both AWS tunnels (%s) but Azure gateway %s %s: only one tunnel can peer, the other stays down",
		strings.Join(over, "; "), orDash(gw.Name), joinAnd(why))
	return []vpn.Finding{newFinding(IDBGPNeedsActiveActive, msg, bgpNeedsActiveActiveFix)}
}

// bgpNeedsActiveActiveFix is shared with the proposal rule so that status
// and validate give the same advice.
const bgpNeedsActiveActiveFix = "Recommended: static routing with both tunnels, two local network gateways and two connections with BGP off " +
	"(SORACOM pattern 1, why: " + refSoracomStatic + "; `doorbot runbook migrate NAME`). " +
	"To keep BGP instead: make the gateway active-active with two public IPs, give it a custom APIPA address per " +
	"tunnel in 169.254.21.0-169.254.22.255, and use two AWS VPN connections, one per Azure public IP " +
	"(Microsoft's AWS BGP tutorial)."

// --- routing-mismatch ------------------------------------------------------

func routingMismatch(s *live) []vpn.Finding {
	var out []vpn.Finding

	var bgpOn, bgpOff []string
	for _, c := range s.foundAzure() {
		if c.EnableBGP {
			bgpOn = append(bgpOn, c.Name)
		} else {
			bgpOff = append(bgpOff, c.Name)
		}
	}
	if len(bgpOn) > 0 && len(bgpOff) > 0 {
		out = append(out, newFinding(IDRoutingMismatch,
			fmt.Sprintf("BGP is enabled on Azure connections %s but not on %s", strings.Join(bgpOn, ", "), strings.Join(bgpOff, ", ")),
			someBGPFix))
	}

	if !s.awsObserved || !s.azureObserved {
		return out
	}

	// Compare each AWS VPN connection with the Azure connections that
	// terminate its tunnels, so a migration that runs an old BGP pair next
	// to a new static pair is not flagged as long as each pair agrees.
	type mismatch struct {
		vpnID   string
		awsMode vpn.Routing
		azure   []string
	}
	var bad []*mismatch
	index := map[string]*mismatch{}
	paired := 0
	for _, t := range s.rows {
		v, okV := s.awsVPN[t.AWSVPNConnectionID]
		c, okC := s.azConn[t.AzureConnection]
		if t.AWSStatus == vpn.StatusMissing || !okV || !okC || !c.Found {
			continue
		}
		paired++
		azMode := vpn.RoutingStatic
		if c.EnableBGP {
			azMode = vpn.RoutingBGP
		}
		if azMode == v.Routing() {
			continue
		}
		m := index[v.ID]
		if m == nil {
			m = &mismatch{vpnID: v.ID, awsMode: v.Routing()}
			index[v.ID] = m
			bad = append(bad, m)
		}
		m.azure = append(m.azure, c.Name)
	}
	for _, m := range bad {
		out = append(out, newFinding(IDRoutingMismatch, mismatchMessage(m.vpnID, m.awsMode, m.azure), mismatchFix(m.awsMode)))
	}

	// Nothing paired (IPs wrong): fall back to comparing whole sides so a
	// mismatch is still reported next to the peer-ip-mismatch.
	if paired == 0 {
		awsMode, azMode := s.obs.AWS.Routing(), s.obs.Azure.Routing()
		if awsMode != vpn.RoutingUnknown && azMode != vpn.RoutingUnknown && awsMode != azMode {
			ids := make([]string, 0, len(s.obs.AWS.VPNConnections))
			for _, v := range s.obs.AWS.VPNConnections {
				ids = append(ids, v.ID)
			}
			var names []string
			for _, c := range s.foundAzure() {
				names = append(names, c.Name)
			}
			out = append(out, newFinding(IDRoutingMismatch,
				mismatchMessage(strings.Join(ids, ", "), awsMode, names), mismatchFix(awsMode)))
		}
	}
	return out
}

const someBGPFix = "Use one routing mode for every tunnel of the connection: turn BGP off on all Azure connections for static " +
	"routing (recommended with one Azure public IP), or on all of them for BGP."

func mismatchMessage(vpnIDs string, awsMode vpn.Routing, azure []string) string {
	noun := "connection"
	verb := "has"
	if len(azure) > 1 {
		noun, verb = "connections", "have"
	}
	if awsMode == vpn.RoutingStatic {
		return fmt.Sprintf("AWS VPN connection %s uses static routing but Azure %s %s %s BGP enabled",
			vpnIDs, noun, strings.Join(azure, ", "), verb)
	}
	return fmt.Sprintf("AWS VPN connection %s uses BGP but Azure %s %s %s BGP disabled (static)",
		vpnIDs, noun, strings.Join(azure, ", "), verb)
}

func mismatchFix(awsMode vpn.Routing) string {
	if awsMode == vpn.RoutingStatic {
		return "Turn BGP off on those Azure connections and list the AWS-side prefixes in their local network gateways; " +
			"AWS's routing type is fixed when the VPN connection is created, so Azure has to follow it."
	}
	return "AWS's routing type is fixed when the VPN connection is created: either move to a new static AWS VPN " +
		"connection (`doorbot runbook migrate NAME`, recommended with one Azure public IP), or enable BGP on those " +
		"Azure connections, which over both tunnels needs an active-active gateway (see " + IDBGPNeedsActiveActive + ")."
}

// --- peer-ip-mismatch ------------------------------------------------------

func peerIPMismatch(s *live) []vpn.Finding {
	if !s.azureObserved {
		return nil
	}
	var out []vpn.Finding
	rg := orDash(s.obs.Connection.Azure.ResourceGroup)

	// Two connections on one AWS tunnel: checkable from Azure alone, so it
	// also runs for SORACOM Door.
	type group struct {
		ip          string
		conns, lngs []string
	}
	var groups []*group
	byIP := map[string]*group{}
	for _, c := range s.foundAzure() {
		if c.LocalNetworkGateway == nil || strings.TrimSpace(c.LocalNetworkGateway.GatewayIP) == "" {
			continue
		}
		k := normIP(c.LocalNetworkGateway.GatewayIP)
		g := byIP[k]
		if g == nil {
			g = &group{ip: k}
			byIP[k] = g
			groups = append(groups, g)
		}
		g.conns = append(g.conns, c.Name)
		g.lngs = append(g.lngs, c.LocalNetworkGateway.Name)
	}
	for _, g := range groups {
		if len(g.conns) < 2 {
			continue
		}
		out = append(out, newFinding(IDPeerIPMismatch,
			fmt.Sprintf("Azure connections %s all point at %s (local network gateways %s)",
				strings.Join(g.conns, ", "), g.ip, strings.Join(g.lngs, ", ")),
			"Each AWS tunnel needs its own local network gateway: set the other local network gateway's IP to the "+
				"other tunnel's outside IP (`az network local-gateway update -g "+rg+" -n LNG --gateway-ip-address IP`)."))
	}

	// The clauses below need the AWS outside IPs, which SORACOM Door does
	// not expose.
	if !s.awsObserved {
		return out
	}
	var unterminated []string
	for _, t := range s.rows {
		if t.AWSStatus != vpn.StatusMissing && t.AzureStatus == vpn.StatusMissing && t.AzureConnection == "" {
			unterminated = append(unterminated, t.AWSOutsideIP)
		}
	}
	candidates := ""
	if len(unterminated) > 0 {
		candidates = " (not terminated yet: " + strings.Join(unterminated, ", ") + ")"
	}

	for _, c := range s.foundAzure() {
		if c.LocalNetworkGateway == nil || strings.TrimSpace(c.LocalNetworkGateway.GatewayIP) == "" {
			out = append(out, newFinding(IDPeerIPMismatch,
				fmt.Sprintf("Azure connection %s has no local network gateway IP to pair with an AWS tunnel", c.Name),
				"Check that the connection's local network gateway exists and has a gateway IP (not only an FQDN) set to "+
					"an AWS tunnel outside IP"+candidates+"."))
			continue
		}
		ip := c.LocalNetworkGateway.GatewayIP
		if _, ok := s.awsTunnel[normIP(ip)]; ok {
			continue // paired, or a duplicate reported above
		}
		out = append(out, newFinding(IDPeerIPMismatch,
			fmt.Sprintf("Azure connection %s points at %s (local network gateway %s), which is not an outside IP of any AWS tunnel (%s)",
				c.Name, ip, orDash(c.LocalNetworkGateway.Name), listOrNone(s.awsIPs)),
			fmt.Sprintf("Set the local network gateway's IP to the AWS tunnel outside IP it is meant for%s: "+
				"`az network local-gateway update -g %s -n %s --gateway-ip-address IP`.",
				candidates, rg, orDash(c.LocalNetworkGateway.Name))))
	}

	missing := ""
	if nf := s.notFoundAzure(); len(nf) > 0 {
		missing = "; configured Azure connection " + strings.Join(nf, ", ") + " was not found"
	}
	for _, t := range s.rows {
		if t.AWSStatus == vpn.StatusMissing || t.AzureStatus != vpn.StatusMissing || t.AzureConnection != "" {
			continue
		}
		out = append(out, newFinding(IDPeerIPMismatch,
			fmt.Sprintf("AWS tunnel %s (%s) has no Azure connection: no local network gateway has gateway IP %s%s",
				orDash(t.AWSOutsideIP), orDash(t.AWSVPNConnectionID), orDash(t.AWSOutsideIP), missing),
			fmt.Sprintf("Create a local network gateway with gateway IP %s and a connection to it with this tunnel's "+
				"pre-shared key, or correct the IP of the local network gateway meant for this tunnel.", orDash(t.AWSOutsideIP))))
	}
	return out
}

// --- observation notes -----------------------------------------------------

// defaultNoteFix covers notes whose producer left the fix empty.
var defaultNoteFix = map[string]string{
	IDBGPPeerStatusUnavailable: "Grant doorbot's identity Microsoft.Network/virtualNetworkGateways/getBgpPeerStatus/action; " +
		"it is an action, so the Reader role does not include it.",
}

func observationNotes(s *live) []vpn.Finding {
	out := make([]vpn.Finding, 0, len(s.obs.Notes))
	for _, n := range s.obs.Notes {
		f := vpn.Finding{Rule: n.Rule, Severity: n.Severity, Message: n.Message, Fix: n.Fix}
		if r, ok := Lookup(n.Rule); ok {
			f.Reference = r.Reference
			if f.Severity == "" {
				f.Severity = r.Severity
			}
		}
		if f.Severity == "" {
			// An unclassified observation problem is worth a look, not a
			// degraded verdict.
			f.Severity = vpn.SeverityWarning
		}
		if f.Fix == "" {
			f.Fix = defaultNoteFix[n.Rule]
		}
		out = append(out, f)
	}
	return out
}

// --- helpers ---------------------------------------------------------------

// normIP makes "198.51.100.1" and " 198.51.100.1" (or IPv6 spellings) the
// same map key, as vpn.Pair does when pairing.
func normIP(s string) string {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return strings.ToLower(s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// count writes "1 public IP", "2 public IPs", "0 custom APIPA addresses".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
