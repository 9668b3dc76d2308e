package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// Rules about how tunnels, local network gateways and connections fit
// together, and about routing and addressing across the two clouds.

// --- bgp-needs-active-active ----------------------------------------------

// bgpNeedsActiveActiveFix is the advice wherever a design asks BGP of more
// tunnels than the gateway can peer.
const bgpNeedsActiveActiveFix = "Recommended: static routing with both tunnels, two local network gateways and two connections with BGP off " +
	"(SORACOM pattern 1, why: " + refSoracomStatic + "; `doorbot runbook migrate NAME`). " +
	"To keep BGP instead: make the gateway active-active with two public IPs, give it a custom APIPA address per " +
	"tunnel in 169.254.21.0-169.254.22.255, and use two AWS VPN connections, one per Azure public IP " +
	"(Microsoft's AWS BGP tutorial)."

func pBGPNeedsActiveActive(c *pcheck) []vpn.Finding {
	gw := c.p.Azure.Gateway
	if gw == nil {
		return nil
	}
	var bgpConns []string
	for _, pc := range c.p.Azure.Connections {
		if isTrue(pc.EnableBGP) {
			bgpConns = append(bgpConns, orDash(pc.Name))
		}
	}
	// AWS tunnels that will try BGP, per AWS VPN connection ("" for a
	// proposal's AWS side).
	var vpns []string
	perVPN := map[string]int{}
	awsBGP := 0
	for i := range c.p.AWS.Tunnels {
		if c.awsRouting(i) != vpn.RoutingBGP {
			continue
		}
		id := c.vpnOf(i)
		if perVPN[id] == 0 {
			vpns = append(vpns, id)
		}
		perVPN[id]++
		awsBGP++
	}
	doorTunnels, doorOver := c.doorBGP()
	if awsBGP < 2 && doorTunnels < 2 && len(bgpConns) < 2 {
		return nil
	}
	// Unstated active_active or public_ips are not held against the
	// design; an unstated APIPA list is, because without custom APIPA
	// addresses Azure peers from a GatewaySubnet address AWS cannot reach.
	var why []string
	if gw.ActiveActive != nil && !*gw.ActiveActive {
		why = append(why, "is not active-active"+c.from(gpath(vpn.FieldActiveActive)))
	}
	if gw.PublicIPs != nil && *gw.PublicIPs < 2 {
		why = append(why, "has "+count(*gw.PublicIPs, "public IP")+c.from(gpath(vpn.FieldPublicIPs)))
	}
	if len(gw.APIPAAddresses) <= 1 {
		why = append(why, fmt.Sprintf("has %s (%s)%s", count(len(gw.APIPAAddresses), "custom APIPA address"),
			listOrNone(gw.APIPAAddresses), c.from(gpath(vpn.FieldAPIPAAddresses))))
	}
	if len(why) == 0 {
		return nil
	}
	over := "Azure connections with BGP: " + strings.Join(bgpConns, ", ")
	if awsBGP >= 2 {
		over = fmt.Sprintf("%d AWS tunnels", awsBGP)
		if c.live() {
			parts := make([]string, len(vpns))
			for k, id := range vpns {
				parts[k] = fmt.Sprintf("%s (%s)", id, count(perVPN[id], "tunnel"))
			}
			over = "AWS BGP VPN connections: " + strings.Join(parts, ", ")
		}
	}
	fix := bgpNeedsActiveActiveFix
	if doorTunnels >= 2 {
		// Seen from SORACOM's end: Azure may show one BGP connection only,
		// because the second cannot get an APIPA address.
		over = doorOver
		if len(bgpConns) > 0 {
			over += " to Azure " + connections(bgpConns)
		}
		fix = bgpNeedsActiveActiveDoorFix
	}
	// Without any custom APIPA address Azure peers from a GatewaySubnet
	// address, which AWS (169.254.0.0/16 inside addresses only) cannot reach.
	outcome := "only one tunnel can peer, the others stay down"
	if len(gw.APIPAAddresses) == 0 {
		outcome = "no tunnel can peer: without a custom APIPA address Azure offers BGP from a GatewaySubnet address AWS cannot reach"
	}
	return []vpn.Finding{newFinding(IDBGPNeedsActiveActive,
		fmt.Sprintf("BGP over %s but %s %s: %s", over, c.gatewayName(), joinAnd(why), outcome),
		fix)}
}

// bgpNeedsActiveActiveDoorFix is the same advice for SORACOM Door, where
// SORACOM creates the AWS side on request.
const bgpNeedsActiveActiveDoorFix = "Recommended: static routing with both tunnels, two local network gateways and two connections " +
	"with BGP off (SORACOM pattern 1, why: " + refSoracomStatic + "): request a new static Door connection from SORACOM, then " +
	"follow `doorbot runbook migrate NAME`. To keep BGP instead: make the gateway active-active with two public IPs, give it " +
	"a custom APIPA address per tunnel in 169.254.21.0-169.254.22.255, and have a Door connection per Azure public IP " +
	"(SORACOM pattern 2: " + refSoracomRedundant + ")."

// gatewayName is how findings name the Azure gateway.
func (c *pcheck) gatewayName() string {
	if c.obs != nil && c.obs.gatewayName != "" {
		return "Azure gateway " + c.obs.gatewayName
	}
	return "the Azure gateway"
}

// --- single-tunnel ---------------------------------------------------------

func singleTunnelFix(door bool) string {
	ips := "AWS tunnel outside IP"
	if door {
		ips = "tunnel outside IP SORACOM supplied"
	}
	return "AWS replaces tunnel endpoints one tunnel at a time, so with one tunnel a routine maintenance is an outage. " +
		"Terminate both tunnels: one local network gateway per " + ips + " and one connection to each, with static " +
		"routing unless the Azure gateway is active-active (SORACOM pattern 1; `doorbot runbook static NAME`)."
}

func pSingleTunnel(c *pcheck) []vpn.Finding {
	if !c.azureRead() {
		return nil // without Azure nobody can tell which AWS tunnels are terminated
	}
	tunnels, conns := c.p.AWS.Tunnels, c.p.Azure.Connections
	switch {
	case tunnels != nil && conns != nil:
		var terminated, open []string
		for i := range tunnels {
			if k := c.terminatingConn(i); k >= 0 {
				terminated = append(terminated, fmt.Sprintf("%s by %s", orDash(tunnels[i].OutsideIP), orDash(conns[k].Name)))
			} else {
				open = append(open, c.tunnelName(i))
			}
		}
		if len(terminated) >= 2 {
			return nil
		}
		msg := fmt.Sprintf("only %d of %d AWS tunnels terminated on Azure (%s)", len(terminated), len(tunnels), listOrNone(terminated))
		if len(open) > 0 {
			msg += "; not terminated: " + strings.Join(open, ", ")
		}
		return []vpn.Finding{newFinding(IDSingleTunnel, msg, singleTunnelFix(false))}
	case tunnels != nil:
		if len(tunnels) >= 2 {
			return nil
		}
		return []vpn.Finding{newFinding(IDSingleTunnel,
			fmt.Sprintf("the proposal has %s", count(len(tunnels), "AWS tunnel")), singleTunnelFix(false))}
	case conns != nil:
		// Without AWS tunnels (SORACOM Door, or AWS not read), count
		// connections that reach a tunnel endpoint through a local network
		// gateway: each terminates at most one tunnel.
		var pairs []string
		for i, pc := range conns {
			ok := pc.LocalNetworkGateway != ""
			if c.p.Azure.LocalNetworkGateways != nil {
				j := c.connLNG[i]
				ok = j >= 0 && strings.TrimSpace(c.p.Azure.LocalNetworkGateways[j].GatewayIP) != ""
			}
			if ok {
				pairs = append(pairs, orDash(pc.Name))
			}
		}
		if len(pairs) >= 2 {
			return nil
		}
		return []vpn.Finding{newFinding(IDSingleTunnel,
			fmt.Sprintf("only %s with a local network gateway (%s)%s", count(len(pairs), "Azure connection"), listOrNone(pairs),
				c.notFoundSuffix("; not found: ")),
			singleTunnelFix(c.door()))}
	}
	return nil
}

// terminatingConn returns the first connection that terminates tunnel i,
// or -1.
func (c *pcheck) terminatingConn(i int) int {
	for k := range c.p.Azure.Connections {
		if c.connTun[k] == i {
			return k
		}
	}
	return -1
}

// --- routing-mismatch ------------------------------------------------------

const someBGPFix = "Use one routing mode for every tunnel of one AWS VPN connection: turn BGP off on all its Azure connections " +
	"for static routing (recommended with one Azure public IP), or on all of them for BGP."

// mismatchSide is what a routing-mismatch fix says about the side whose
// routing is fixed: a user-owned AWS VPN connection, or SORACOM Door.
type mismatchSide struct{ prefixes, fixed, move string }

var (
	awsMismatch = mismatchSide{"the AWS-side prefixes", "AWS's routing type is fixed when the VPN connection is created",
		"move to a new static AWS VPN connection (`doorbot runbook migrate NAME`, recommended with one Azure public IP)"}
	doorMismatch = mismatchSide{"the VPG IP range (vpgSubnetCidrRange)", "the Door connection's routing is fixed when SORACOM creates it",
		"request a new static Door connection and follow `doorbot runbook migrate NAME` (recommended with one Azure public IP)"}
)

func (m mismatchSide) fix(mode vpn.Routing) string {
	if mode == vpn.RoutingStatic {
		return "Turn BGP off on those Azure connections and list " + m.prefixes + " in their local network gateways; " +
			m.fixed + ", so Azure has to follow it."
	}
	return strings.ToUpper(m.fixed[:1]) + m.fixed[1:] + ": either " + m.move + ", or enable BGP on those " +
		"Azure connections, which over both tunnels needs an active-active gateway (see " + IDBGPNeedsActiveActive + ")."
}

// pRoutingMismatch compares routing per AWS VPN connection: a connection's
// tunnels and the Azure connections terminating them must agree, but BGP
// and static connections side by side are allowed by Azure and are what a
// make-before-break migration runs on purpose.
func pRoutingMismatch(c *pcheck) []vpn.Finding {
	type group struct {
		vpnIDs  string
		aws     vpn.Routing // "" or unknown: not compared
		on, off []string
		claimed bool   // its connections terminate tunnels of one AWS VPN connection
		door    string // the SORACOM Door side that decided aws, for the message
	}
	var groups []*group
	byVPN := map[string]*group{}
	loose := &group{aws: c.p.Routing} // connections no stated tunnel claims
	if c.live() {
		loose.aws = vpn.RoutingUnknown
		if c.obs.aws {
			loose.aws = c.obs.obs.AWS.Routing()
			var ids []string
			for _, v := range c.obs.obs.AWS.VPNConnections {
				ids = append(ids, v.ID)
			}
			loose.vpnIDs = strings.Join(ids, ", ")
		} else if v := c.vpg(); v != nil {
			// SORACOM Door: the VPG's Door connections are the AWS side.
			loose.aws = v.Routing()
			var ids []string
			for _, d := range v.DoorConnections {
				ids = append(ids, orDash(d.ID))
			}
			loose.door = fmt.Sprintf("SORACOM Door %s of VPG %s", connections(ids), v.ID)
		}
	} else if c.doorOwnsAWS() {
		loose.door = "SORACOM Door" + c.from(vpn.FieldRouting)
	}
	for k, pc := range c.p.Azure.Connections {
		if pc.EnableBGP == nil {
			continue
		}
		g := loose
		if i := c.connTun[k]; i >= 0 {
			id := c.vpnOf(i)
			if g = byVPN[id]; g == nil {
				g = &group{vpnIDs: id, aws: c.awsRouting(i), claimed: true}
				byVPN[id] = g
				groups = append(groups, g)
			}
		}
		if *pc.EnableBGP {
			g.on = append(g.on, orDash(pc.Name))
		} else {
			g.off = append(g.off, orDash(pc.Name))
		}
	}
	groups = append(groups, loose)

	var out []vpn.Finding
	for _, g := range groups {
		if len(g.on) > 0 && len(g.off) > 0 {
			f := newFinding(IDRoutingMismatch,
				fmt.Sprintf("BGP is enabled on Azure connections %s but not on %s", strings.Join(g.on, ", "), strings.Join(g.off, ", ")),
				someBGPFix)
			switch {
			case g.claimed && g.vpnIDs != "":
				f.Message += ", all terminating AWS VPN connection " + g.vpnIDs
			case !g.claimed && c.live():
				// Nothing ties them to one AWS VPN connection (SORACOM
				// Door, or tunnels not paired): a migration looks the same.
				f.Message += "; unless a migration runs both on purpose, they terminate one VPN connection and must agree"
				f.Severity = vpn.SeverityWarning
			}
			out = append(out, f)
		}
		subject, side := "AWS"+c.from(vpn.FieldRouting), awsMismatch
		switch {
		case g.vpnIDs != "":
			subject = "AWS VPN connection " + g.vpnIDs
		case g.door != "":
			subject, side = g.door, doorMismatch
		}
		switch {
		case g.aws == vpn.RoutingStatic && len(g.on) > 0:
			out = append(out, newFinding(IDRoutingMismatch,
				fmt.Sprintf("%s uses static routing but Azure %s BGP enabled", subject, connsHave(g.on)), side.fix(vpn.RoutingStatic)))
		case g.aws == vpn.RoutingBGP && len(g.off) > 0:
			out = append(out, newFinding(IDRoutingMismatch,
				fmt.Sprintf("%s uses BGP but Azure %s BGP disabled (static)", subject, connsHave(g.off)), side.fix(vpn.RoutingBGP)))
		}
	}
	return out
}

// connections writes "connection cn1" or "connections cn1, cn2".
func connections(names []string) string {
	if len(names) == 1 {
		return "connection " + names[0]
	}
	return "connections " + strings.Join(names, ", ")
}

// connsHave writes "connection cn1 has" or "connections cn1, cn2 have".
func connsHave(names []string) string {
	if len(names) == 1 {
		return connections(names) + " has"
	}
	return connections(names) + " have"
}

// --- apipa-out-of-range ----------------------------------------------------

var apipaLo, apipaHi = netip.MustParseAddr("169.254.21.0"), netip.MustParseAddr("169.254.22.255")

// inAzureAPIPA is Azure's custom BGP range, 169.254.21.0-169.254.22.255.
func inAzureAPIPA(a netip.Addr) bool {
	return a.Is4() && a.Compare(apipaLo) >= 0 && a.Compare(apipaHi) <= 0
}

const apipaFix = "Use addresses in 169.254.21.0-169.254.22.255 (Azure's only custom BGP range): with AWS pick each tunnel's " +
	"inside CIDR from 169.254.21.0/24 or 169.254.22.0/24, give Azure its .2 as the custom APIPA address and the local " +
	"network gateway its .1 as BGP peer (Microsoft's AWS BGP tutorial: 169.254.21.0/30, 169.254.22.0/30, 169.254.21.4/30, 169.254.22.4/30)."

func pAPIPAOutOfRange(c *pcheck) []vpn.Finding {
	var out []vpn.Finding
	if gw := c.p.Azure.Gateway; gw != nil {
		for k, s := range gw.APIPAAddresses {
			a, ok := parseAddr(s)
			switch {
			case !ok:
				out = append(out, newFinding(IDAPIPAOutOfRange, c.at(apipaPath(k), s)+" is not an IPv4 address", apipaFix))
			case !inAzureAPIPA(a):
				out = append(out, newFinding(IDAPIPAOutOfRange,
					c.at(apipaPath(k), s)+" is outside Azure's custom BGP range 169.254.21.0-169.254.22.255", apipaFix))
			}
		}
	}
	// A peer that is some other link-local address means the AWS inside
	// CIDR is outside the range; a private peer is another design (not
	// AWS) and not this rule's business.
	for i, l := range c.p.Azure.LocalNetworkGateways {
		if l.BGPPeerAddress == "" {
			continue
		}
		a, ok := parseAddr(l.BGPPeerAddress)
		if !ok {
			out = append(out, newFinding(IDAPIPAOutOfRange, c.lfield(i, vpn.FieldBGPPeerAddress, l.BGPPeerAddress)+" is not an IP address", apipaFix))
			continue
		}
		if linkLocal.Contains(a) && !inAzureAPIPA(a) {
			out = append(out, withSeverity(newFinding(IDAPIPAOutOfRange,
				fmt.Sprintf("%s is outside 169.254.21.0-169.254.22.255, so the AWS tunnel it peers with cannot give Azure a custom APIPA address", c.lfield(i, vpn.FieldBGPPeerAddress, l.BGPPeerAddress)), apipaFix), vpn.SeverityWarning))
		}
	}
	for i, t := range c.tun {
		if !t.cidrOK || !c.tunnelBGP(i) {
			continue
		}
		if two := host(t.cidr, 2); !inAzureAPIPA(two) {
			out = append(out, newFinding(IDAPIPAOutOfRange,
				fmt.Sprintf("%s is outside 169.254.21.0-169.254.22.255, so Azure's end of it (%s) cannot be a custom APIPA address and BGP over it cannot peer", c.tfield(i, vpn.FieldInsideCIDR, c.p.AWS.Tunnels[i].InsideCIDR), two), apipaFix))
		}
	}
	return out
}

func apipaPath(k int) string {
	return path(gpath(vpn.FieldAPIPAAddresses), k, "")
}

// --- bgp-address-mismatch --------------------------------------------------

const bgpAddressFix = "AWS takes the first host (.1) of each tunnel's inside /30 and Azure the second (.2): set one custom APIPA " +
	"address per tunnel to its .2 on the gateway (and name it in that tunnel's connection), and the local network gateway " +
	"whose gateway_ip is the tunnel's outside IP to its .1 as bgp_peer_address (e.g. 169.254.21.0/30: Azure 169.254.21.2, " +
	"LNG peer 169.254.21.1)."

func pBGPAddressMismatch(c *pcheck) []vpn.Finding {
	if !c.bgp {
		return nil
	}
	var out []vpn.Finding
	gw := c.p.Azure.Gateway

	// Every APIPA address must belong to some tunnel. Only judged when every
	// tunnel's /30 is known: an unknown one might be the owner.
	allKnown := len(c.tun) > 0
	var cidrs []string
	for i, t := range c.tun {
		allKnown = allKnown && t.cidrOK
		cidrs = append(cidrs, c.p.AWS.Tunnels[i].InsideCIDR)
	}
	apipa := map[netip.Addr]bool{}
	if gw != nil {
		for k, s := range gw.APIPAAddresses {
			a, ok := parseAddr(s)
			if !ok || !inAzureAPIPA(a) {
				continue // apipa-out-of-range reports it
			}
			apipa[a] = true
			if !allKnown {
				continue
			}
			owned := false
			for _, t := range c.tun {
				owned = owned || host(t.cidr, 2) == a
			}
			if !owned {
				out = append(out, newFinding(IDBGPAddressMismatch,
					fmt.Sprintf("%s is not the .2 of any AWS tunnel inside CIDR (%s)",
						c.at(apipaPath(k), s), strings.Join(cidrs, ", ")), bgpAddressFix))
			}
		}
	}

	// Every BGP tunnel needs its .2 on the gateway. With one APIPA address
	// or none, bgp-needs-active-active already explains the missing ones.
	if gw != nil && len(apipa) >= 2 {
		for i, t := range c.tun {
			if !t.cidrOK || !c.tunnelBGP(i) || !inAzureAPIPA(host(t.cidr, 2)) {
				continue
			}
			if two := host(t.cidr, 2); !apipa[two] {
				out = append(out, newFinding(IDBGPAddressMismatch,
					fmt.Sprintf("%s: its .2 (%s) is not among azure.gateway.apipa_addresses (%s), so this tunnel cannot peer", c.tfield(i, vpn.FieldInsideCIDR, c.p.AWS.Tunnels[i].InsideCIDR), two, strings.Join(gw.APIPAAddresses, ", ")),
					bgpAddressFix))
			}
		}
	}

	for i, l := range c.p.Azure.LocalNetworkGateways {
		j := c.lngTun[i]
		if l.BGPPeerAddress == "" {
			// Azure refuses BGP on a connection whose local network gateway
			// has no BGP settings. Live LNGs are left alone: the observation
			// may simply not carry them.
			if !c.live() && c.lngHasBGPConn(i) {
				out = append(out, newFinding(IDBGPAddressMismatch,
					fmt.Sprintf("%s has no bgp_peer_address but a connection to it enables BGP", c.lngName(i)), bgpAddressFix))
			}
			continue
		}
		a, ok := parseAddr(l.BGPPeerAddress)
		if !ok || j < 0 || !c.tun[j].cidrOK {
			continue
		}
		if one := host(c.tun[j].cidr, 1); a != one {
			out = append(out, newFinding(IDBGPAddressMismatch,
				fmt.Sprintf("%s is not the .1 of %s, the tunnel its gateway_ip points at (want %s)", c.lfield(i, vpn.FieldBGPPeerAddress, l.BGPPeerAddress), c.tfield(j, vpn.FieldInsideCIDR, c.p.AWS.Tunnels[j].InsideCIDR), one),
				bgpAddressFix))
		}
	}
	return out
}

func (c *pcheck) lngHasBGPConn(i int) bool {
	for k, pc := range c.p.Azure.Connections {
		if c.connLNG[k] == i && isTrue(pc.EnableBGP) {
			return true
		}
	}
	return false
}

// --- peer-ip-mismatch ------------------------------------------------------

func pPeerIPMismatch(c *pcheck) []vpn.Finding {
	if !c.azureRead() {
		return nil
	}
	var out []vpn.Finding
	lngs, conns := c.p.Azure.LocalNetworkGateways, c.p.Azure.Connections
	haveTunnels := len(c.p.AWS.Tunnels) > 0
	var ips []string
	for _, t := range c.p.AWS.Tunnels {
		ips = append(ips, orDash(t.OutsideIP))
	}
	rg := "RG"
	if c.obs != nil {
		rg = c.obs.resourceGrp
	}

	// Connections: each names an existing LNG, and no two share one.
	users := map[int][]int{}
	for k, pc := range conns {
		switch {
		case pc.LocalNetworkGateway == "":
			out = append(out, newFinding(IDPeerIPMismatch, fmt.Sprintf("%s names no local_network_gateway", c.connName(k)),
				"Name the local network gateway of the AWS tunnel this connection terminates"+candidates(c.unterminatedIPs())+
					", and check that it exists."))
		case lngs != nil && c.connLNG[k] < 0:
			out = append(out, newFinding(IDPeerIPMismatch,
				c.cfield(k, vpn.FieldLocalNetworkGateway, pc.LocalNetworkGateway)+" is not among azure.local_network_gateways",
				"Add that local network gateway to the proposal or correct the name."))
		case c.connLNG[k] >= 0:
			users[c.connLNG[k]] = append(users[c.connLNG[k]], k)
		}
	}
	usedBy := func(is []int) string {
		var names []string
		for _, i := range is {
			for _, k := range users[i] {
				names = append(names, orDash(conns[k].Name))
			}
		}
		if len(names) == 0 {
			return ""
		}
		return " (used by Azure " + connections(names) + ")"
	}

	// Two LNGs on one tunnel endpoint: checkable from Azure alone, so it
	// also runs for SORACOM Door.
	byIP := map[vpn.IPKey][]int{}
	var order []vpn.IPKey
	for i, l := range lngs {
		k := vpn.KeyIP(l.GatewayIP)
		if k.Empty() {
			out = append(out, newFinding(IDPeerIPMismatch,
				fmt.Sprintf("%s has no gateway_ip", c.lngName(i)),
				"Set the local network gateway's gateway_ip (not only an FQDN) to the outside IP of the AWS tunnel it terminates"+candidates(ips)+"."))
			continue
		}
		if _, ok := byIP[k]; !ok {
			order = append(order, k)
		}
		byIP[k] = append(byIP[k], i)
	}
	for _, k := range order {
		if is := byIP[k]; len(is) > 1 {
			var names []string
			for _, i := range is {
				names = append(names, c.lngName(i))
			}
			out = append(out, newFinding(IDPeerIPMismatch,
				fmt.Sprintf("local network gateways %s all have gateway_ip %s%s", strings.Join(names, ", "), k, usedBy(is)),
				"Each AWS tunnel needs its own local network gateway: point the other one at the other tunnel's outside IP "+
					"(`az network local-gateway update -g "+rg+" -n LNG --gateway-ip-address IP`)."))
		}
	}

	// The clauses below need the AWS outside IPs, which SORACOM Door does
	// not expose.
	if haveTunnels {
		for i, l := range lngs {
			if !vpn.KeyIP(l.GatewayIP).Empty() && c.lngTun[i] < 0 {
				out = append(out, newFinding(IDPeerIPMismatch,
					fmt.Sprintf("%s is not the outside IP of any AWS tunnel (%s)%s", c.lfield(i, vpn.FieldGatewayIP, l.GatewayIP), strings.Join(ips, ", "), usedBy([]int{i})),
					fmt.Sprintf("Set gateway_ip to the outside IP of the AWS tunnel this local network gateway is meant for%s: "+
						"`az network local-gateway update -g %s -n %s --gateway-ip-address IP`.", candidates(c.unterminatedIPs()), rg, orDash(l.Name))))
			}
		}
	}
	for i := range lngs {
		if ks := users[i]; len(ks) > 1 {
			var names []string
			for _, k := range ks {
				names = append(names, c.connName(k))
			}
			out = append(out, newFinding(IDPeerIPMismatch,
				fmt.Sprintf("connections %s all use %s, one AWS tunnel", strings.Join(names, ", "), c.lngName(i)),
				"Give each connection the local network gateway of a different AWS tunnel."))
		}
	}

	// Tunnels that nothing on Azure terminates.
	if haveTunnels && lngs != nil {
		for i := range c.p.AWS.Tunnels {
			if c.tun[i].ip.Empty() {
				continue
			}
			lng := slices.Index(c.lngTun, i)
			switch {
			case lng < 0:
				out = append(out, newFinding(IDPeerIPMismatch,
					fmt.Sprintf("%s has no local network gateway: no gateway_ip equals %s%s", c.tunnelName(i), c.p.AWS.Tunnels[i].OutsideIP,
						c.notFoundSuffix("; configured Azure connections not found: ")),
					"Add a local network gateway with this gateway_ip and a connection to it with this tunnel's pre-shared key, "+
						"or correct the gateway_ip of the one meant for this tunnel."))
			case conns != nil && len(users[lng]) == 0:
				out = append(out, newFinding(IDPeerIPMismatch,
					fmt.Sprintf("%s has %s but no connection uses it", c.tunnelName(i), c.lngName(lng)),
					"Add a connection to that local network gateway with this tunnel's pre-shared key."))
			}
		}
	}
	return out
}

func (c *pcheck) unterminatedIPs() []string {
	var out []string
	for i, t := range c.p.AWS.Tunnels {
		used := false
		for _, j := range c.lngTun {
			used = used || j == i
		}
		if !used && t.OutsideIP != "" {
			out = append(out, t.OutsideIP)
		}
	}
	return out
}

func candidates(ips []string) string {
	if len(ips) == 0 {
		return ""
	}
	return " (" + strings.Join(ips, ", ") + ")"
}

// --- static-route-missing --------------------------------------------------

func pStaticRouteMissing(c *pcheck) []vpn.Finding {
	if !c.static {
		return nil
	}
	var out []vpn.Finding
	door := c.door()

	if routesStated := c.p.AWS.StaticRoutes != nil; routesStated && len(c.p.Azure.VNetPrefixes) > 0 {
		routes, bad := prefixes(c.p.AWS.StaticRoutes)
		for _, b := range bad {
			out = append(out, newFinding(IDStaticRouteMissing, c.at(vpn.Path(vpn.FieldAWS, vpn.FieldStaticRoutes), b)+" is not a CIDR", "Write each static route as a CIDR (10.1.0.0/16)."))
		}
		var missing []string
		for _, s := range c.p.Azure.VNetPrefixes {
			if pf, ok := parseCIDR(s); ok && !covered(pf.Masked(), routes) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			fix := "Add a static route for each on the AWS side: `aws ec2 create-vpn-connection-route --vpn-connection-id VPN --destination-cidr-block " + missing[0] + "`"
			if door {
				fix = "Add them to the Door connection's static prefixes in the SORACOM console (SORACOM owns the AWS side)"
			}
			out = append(out, newFinding(IDStaticRouteMissing,
				fmt.Sprintf("azure.vnet_prefixes %s not covered by aws.static_routes (%s)%s: AWS has no route back to them",
					strings.Join(missing, ", "), listOrNone(c.p.AWS.StaticRoutes), c.from(vpn.Path(vpn.FieldAWS, vpn.FieldStaticRoutes))),
				fix+"; with static routing AWS forwards only prefixes it has a route for."))
		}
	}

	// What Azure must route into the tunnels: the AWS-side networks and,
	// for Door, the VPG range devices' traffic arrives from.
	type need struct{ s, src string }
	var needs []need
	for _, s := range c.p.AWS.LocalPrefixes {
		needs = append(needs, need{s, vpn.Path(vpn.FieldAWS, vpn.FieldLocalPrefixes)})
	}
	if c.p.Soracom.VPGSubnet != "" {
		vp := vpn.Path(vpn.FieldSoracom, vpn.FieldVPGSubnet)
		needs = append(needs, need{c.p.Soracom.VPGSubnet, vp + c.from(vp)})
	}
	if c.vpg().RoutesDeviceAddresses() && c.p.Soracom.DeviceSubnet != "" {
		needs = append(needs, need{c.p.Soracom.DeviceSubnet, vpn.Path(vpn.FieldSoracom, vpn.FieldDeviceSubnet) + ", Type-F2 routes device addresses"})
	}
	if len(needs) == 0 {
		return out
	}
	rg := "RG"
	if c.obs != nil {
		rg = c.obs.resourceGrp
	}
	for i, l := range c.p.Azure.LocalNetworkGateways {
		have, bad := prefixes(l.AddressPrefixes)
		for _, b := range bad {
			out = append(out, newFinding(IDStaticRouteMissing, fmt.Sprintf("%s %q is not a CIDR", lpath(i, vpn.FieldAddressPrefixes), b),
				"Write each address prefix as a CIDR (172.31.0.0/16)."))
		}
		var missing []string
		for _, n := range needs {
			if pf, ok := parseCIDR(n.s); ok && !covered(pf.Masked(), have) {
				missing = append(missing, fmt.Sprintf("%s (%s)", n.s, n.src))
			}
		}
		if len(missing) == 0 {
			continue
		}
		out = append(out, newFinding(IDStaticRouteMissing,
			fmt.Sprintf("%s lack %s", c.lfield(i, vpn.FieldAddressPrefixes, "["+strings.Join(l.AddressPrefixes, ", ")+"]"), strings.Join(missing, ", ")),
			fmt.Sprintf("Add them: `az network local-gateway update -g %s -n %s --local-address-prefixes ...`. With static routing Azure "+
				"has been observed to send over one connection at a time (observed behaviour in Microsoft's AWS static tutorial, "+
				"not a documented promise), so every local network gateway must carry every AWS-side prefix or a failover "+
				"to this tunnel loses those routes.", rg, orDash(l.Name))))
	}
	return out
}

// --- prefix-overlap --------------------------------------------------------

func pPrefixOverlap(c *pcheck) []vpn.Finding {
	var out []vpn.Finding
	var vnet []netip.Prefix
	var vnetRaw []string
	for _, x := range c.p.Azure.VNetPrefixes {
		pf, ok := parseCIDR(x)
		if !ok {
			out = append(out, newFinding(IDPrefixOverlap, c.at(vpn.Path(vpn.FieldAzure, vpn.FieldVNetPrefixes), x)+" is not a CIDR", "Write each VNet prefix as a CIDR (10.1.0.0/16)."))
			continue
		}
		vnet, vnetRaw = append(vnet, pf.Masked()), append(vnetRaw, x)
	}
	if len(vnet) == 0 {
		return out
	}

	type other struct {
		s, where, fix string
	}
	var others []other
	for _, s := range c.p.AWS.LocalPrefixes {
		others = append(others, other{s, vpn.Path(vpn.FieldAWS, vpn.FieldLocalPrefixes), "Re-address one side: with overlapping ranges each side routes the other's addresses locally (the VPC local route always wins)."})
	}
	// The SORACOM device subnet defaults to 10.128.0.0/9, but only a
	// SORACOM design has one: a plain AWS VPN with a VNet in 10.128.0.0/16
	// must not be told it overlaps SORACOM.
	if dev := c.deviceSubnet(); dev != "" {
		where := vpn.Path(vpn.FieldSoracom, vpn.FieldDeviceSubnet)
		if c.p.Soracom.DeviceSubnet == "" {
			where += " (SORACOM default)"
		} else {
			// validate with connection: the VPG's own subnet, or the
			// default when the VPG could not be read.
			where += c.from(where)
		}
		others = append(others, other{dev, where, "The VPG's device subnet is fixed when the VPG is created: re-address the VNet, or create a VPG with another device subnet and move the SIMs."})
	}
	if s := c.p.Soracom.VPGSubnet; s != "" {
		others = append(others, other{s, vpn.Path(vpn.FieldSoracom, vpn.FieldVPGSubnet) + c.from(vpn.Path(vpn.FieldSoracom, vpn.FieldVPGSubnet)), "The VPG IP range is assigned by SORACOM and does not change: re-address the VNet."})
	}
	for i, l := range c.p.Azure.LocalNetworkGateways {
		for _, s := range l.AddressPrefixes {
			others = append(others, other{s, lpath(i, vpn.FieldAddressPrefixes), "Azure does not allow a local network gateway to overlap the VNet: remove or narrow that address prefix."})
		}
	}
	for _, o := range others {
		pf, ok := parseCIDR(o.s)
		if !ok {
			if !strings.HasPrefix(o.where, vpn.FieldAzure+".") {
				out = append(out, newFinding(IDPrefixOverlap, fmt.Sprintf("%s %s is not a CIDR", o.where, o.s), "Write it as a CIDR (172.31.0.0/16)."))
			}
			continue // LNG prefixes: static-route-missing reports them
		}
		for k, v := range vnet {
			if v.Overlaps(pf.Masked()) {
				out = append(out, newFinding(IDPrefixOverlap,
					fmt.Sprintf("%s overlaps %s %s", c.at(vpn.Path(vpn.FieldAzure, vpn.FieldVNetPrefixes), vnetRaw[k]), o.where, o.s),
					o.fix))
			}
		}
	}

	if gw := c.p.Azure.Gateway; gw != nil && gw.GatewaySubnet != "" {
		if pf, ok := parseCIDR(gw.GatewaySubnet); ok && !covered(pf.Masked(), vnet) {
			out = append(out, withSeverity(newFinding(IDPrefixOverlap,
				fmt.Sprintf("%s is not inside azure.vnet_prefixes (%s)", c.at(gpath(vpn.FieldGatewaySubnet), gw.GatewaySubnet), strings.Join(c.p.Azure.VNetPrefixes, ", ")),
				"The GatewaySubnet is a subnet of the VNet: pick it from the VNet's address space (e.g. the last /27)."), vpn.SeverityWarning))
		}
	}
	return out
}

// deviceSubnet is the SORACOM device subnet to check, "" when the proposal
// is not a SORACOM design (no soracom section).
func (c *pcheck) deviceSubnet() string {
	s := c.p.Soracom
	switch {
	case s.DeviceSubnet != "":
		return s.DeviceSubnet
	case s.VPGSubnet != "":
		return vpn.DefaultSoracomDeviceSubnet
	}
	return ""
}
