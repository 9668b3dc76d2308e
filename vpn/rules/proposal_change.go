package rules

import (
	"crypto/subtle"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// --- change-causes-outage --------------------------------------------------

const rebuildOrder = "Safer order (make-before-break): build the new AWS VPN connection beside the old one (a second customer " +
	"gateway object with the same IP needs its own device name; if AWS refuses it with InvalidCustomerGateway.DuplicateIpAddress, the fallback is break-before-make in a window), add two new local network gateways and connections on Azure, " +
	"wait until both new tunnels are UP on AWS and Connected on Azure, move traffic by deleting the old Azure connections, " +
	"soak, then delete the old AWS VPN connection (`doorbot runbook migrate NAME`). For SORACOM Door, request a new Door " +
	"connection and have SORACOM remove the old one afterwards."

const asnChangeFix = "Options: (1) detach the virtual private gateway, attach a new one created with the new ASN, and recreate " +
	"the VPN connections on it: every VPN connection on the old gateway is down until then (new outside IPs and keys, so " +
	"Azure's local network gateways and connections change too) — a maintenance window; (2) move the VPC to a transit " +
	"gateway with the new ASN and build the new VPN connections on it beside the old ones, then move the routes: no " +
	"outage, but transit gateway attachment and data processing are charged. Or keep the ASN and change the Azure side to match."

const oneTunnelAtATime = "Change one tunnel at a time: modify the first, wait until it is UP on AWS and Connected on Azure " +
	"(`doorbot status NAME`), then modify the next; the untouched tunnel carries the traffic meanwhile."

func pChangeCausesOutage(c *pcheck) []vpn.Finding {
	cur := c.cur
	if cur == nil {
		return nil
	}
	var out []vpn.Finding
	if a, b := cur.AWS.ASN, c.p.AWS.ASN; a != nil && b != nil && *a != *b {
		// No make-before-break here: the ASN belongs to the virtual
		// private gateway, and a VPC has one attached at a time.
		out = append(out, citing(newFinding(IDChangeCausesOutage,
			fmt.Sprintf("%s changes from %d to %d: the Amazon-side ASN is fixed per virtual private gateway, and a VPC takes one virtual private gateway at a time, so no new VPN can be built beside the old one",
				vpn.Path(vpn.FieldAWS, vpn.FieldASN), *a, *b), asnChangeFix), refAWSHowItWorks))
	}
	if why := c.awsRebuilds(cur); len(why) > 0 {
		out = append(out, newFinding(IDChangeCausesOutage, strings.Join(why, "; "), rebuildOrder))
	}
	out = append(out, c.azureRebuilds(cur)...)
	out = append(out, c.azureRestarts(cur)...)

	var changed []string
	for i, t := range c.p.AWS.Tunnels {
		j := slices.IndexFunc(cur.AWS.Tunnels, func(ct vpn.ProposedTunnel) bool {
			return !c.tun[i].ip.Empty() && vpn.KeyIP(ct.OutsideIP) == c.tun[i].ip
		})
		if j < 0 {
			continue
		}
		if ch := tunnelChanges(t, cur.AWS.Tunnels[j]); len(ch) > 0 {
			changed = append(changed, fmt.Sprintf("%s: %s", c.tunnelName(i), strings.Join(ch, ", ")))
		}
	}
	if len(changed) >= 2 {
		out = append(out, newFinding(IDChangeCausesOutage,
			fmt.Sprintf("tunnel options change on %d tunnels in one proposal (%s): AWS takes each modified tunnel down while it re-provisions it, so applied together they are an outage",
				len(changed), strings.Join(changed, "; ")),
			oneTunnelAtATime))
	}
	return out
}

// awsRebuilds lists changes AWS can only apply by re-provisioning both
// tunnels of a VPN connection at once (or by a new connection).
func (c *pcheck) awsRebuilds(cur *vpn.Proposal) []string {
	var why []string
	routingChanged := c.p.Routing != "" && cur.Routing != "" && c.p.Routing != cur.Routing
	if routingChanged {
		why = append(why, fmt.Sprintf("routing changes from %s to %s: AWS fixes the routing type when a VPN connection is created, so this is a new VPN connection with new outside IPs and keys",
			cur.Routing, c.p.Routing))
	}
	if a, b := cur.AWS.CustomerASN, c.p.AWS.CustomerASN; a != nil && b != nil && *a != *b {
		why = append(why, fmt.Sprintf("%s changes from %d to %d: a customer gateway's ASN cannot be changed, so this is a new customer gateway, and moving the VPN connection to it re-provisions both tunnels at once",
			vpn.Path(vpn.FieldAWS, vpn.FieldCustomerASN), *a, *b))
	}

	if len(c.p.AWS.Tunnels) == 0 {
		return why
	}
	known, kept := false, false
	for _, t := range cur.AWS.Tunnels {
		if !vpn.KeyIP(t.OutsideIP).Empty() {
			known = true
			kept = kept || c.tunnelFor(t.OutsideIP) >= 0
		}
	}
	if !known || (kept && !routingChanged) {
		return why
	}
	var curIPs, newIPs []string
	for _, t := range cur.AWS.Tunnels {
		if !vpn.KeyIP(t.OutsideIP).Empty() {
			curIPs = append(curIPs, t.OutsideIP)
		}
	}
	for _, t := range c.p.AWS.Tunnels {
		newIPs = append(newIPs, orDash(t.OutsideIP))
	}
	switch {
	case !kept:
		why = append(why, fmt.Sprintf("every current AWS tunnel (%s) is replaced (%s): that is a new VPN connection",
			strings.Join(curIPs, ", "), strings.Join(newIPs, ", ")))
	default: // kept, and the routing changes
		why = append(why, fmt.Sprintf("the proposal still lists the current outside IPs (%s), which the new VPN connection will not have",
			strings.Join(curIPs, ", ")))
	}
	return why
}

// azureRebuilds reports gateway changes Azure applies by deleting and
// recreating the gateway, which gives it a new public IP that every AWS
// customer gateway (and SORACOM) must follow.
func (c *pcheck) azureRebuilds(cur *vpn.Proposal) []vpn.Finding {
	gw, cg := c.p.Azure.Gateway, cur.Azure.Gateway
	if gw == nil || cg == nil {
		return nil
	}
	const fix = "A VNet has one VPN gateway, so the new one cannot be built beside the old: schedule a maintenance window, " +
		"recreate the gateway, then point the AWS customer gateway (a new one, new IP) or the SORACOM Door connection and the " +
		"Azure connections at it, and verify with `doorbot runbook verify NAME`."
	var why []string
	if gw.VPNType != "" && cg.VPNType != "" && !strings.EqualFold(gw.VPNType, cg.VPNType) {
		why = append(why, fmt.Sprintf("%s changes from %s to %s: the VPN type is immutable", gpath(vpn.FieldVPNType), cg.VPNType, gw.VPNType))
	}
	if gw.SKU != "" && cg.SKU != "" && strings.EqualFold(gw.SKU, "Basic") != strings.EqualFold(cg.SKU, "Basic") {
		why = append(why, fmt.Sprintf("%s changes from %s to %s: a Basic gateway cannot be resized to or from other SKUs", gpath(vpn.FieldSKU), cg.SKU, gw.SKU))
	}
	if len(why) == 0 {
		return nil
	}
	return []vpn.Finding{newFinding(IDChangeCausesOutage,
		strings.Join(why, "; ")+", so the gateway is deleted and recreated with a new public IP: every tunnel goes down", fix)}
}

// tunnelChanges names the options p changes on the tunnel cur describes.
// An unset current value is AWS's default where AWS documents one, and
// unknown (not a change) where it does not, such as a key doorbot never
// sees or an inside CIDR AWS chose.
func tunnelChanges(p, cur vpn.ProposedTunnel) []string {
	var ch []string
	if p.InsideCIDR != "" && cur.InsideCIDR != "" {
		a, okA := parseCIDR(p.InsideCIDR)
		b, okB := parseCIDR(cur.InsideCIDR)
		if !okA || !okB || a.Masked() != b.Masked() {
			ch = append(ch, fmt.Sprintf("inside_cidr %s -> %s", cur.InsideCIDR, p.InsideCIDR))
		}
	}
	if p.PSK.Set() && cur.PSK.Set() && subtle.ConstantTimeCompare([]byte(p.PSK.Reveal()), []byte(cur.PSK.Reveal())) != 1 {
		ch = append(ch, vpn.FieldPSK)
	}
	if p.IKEVersions != nil && !sameFold(p.IKEVersions, cur.IKEVersions, awsIKE) {
		ch = append(ch, vpn.FieldIKEVersions)
	}
	ch = append(ch, phaseChanges(vpn.FieldPhase1, p.Phase1, cur.Phase1, awsPhase1DH, awsP1Default)...)
	ch = append(ch, phaseChanges(vpn.FieldPhase2, p.Phase2, cur.Phase2, awsPhase2DH, awsP2Default)...)
	if d := p.DPDTimeoutSeconds; d != nil {
		// AWS documents 30 and 40 as the default in different places.
		if cd := cur.DPDTimeoutSeconds; (cd != nil && *cd != *d) || (cd == nil && *d != 30 && *d != 40) {
			ch = append(ch, vpn.FieldDPDTimeoutSeconds)
		}
	}
	if p.StartupAction != "" {
		curSA := cur.StartupAction
		if curSA == "" {
			curSA = "add"
		}
		if !strings.EqualFold(p.StartupAction, curSA) {
			ch = append(ch, fmt.Sprintf("startup_action %s -> %s", curSA, p.StartupAction))
		}
	}
	return ch
}

func phaseChanges(name string, p, cur *vpn.PhaseParams, defaultDH []int, defaultLife int) []string {
	if p == nil {
		return nil
	}
	var c vpn.PhaseParams
	if cur != nil {
		c = *cur
	}
	var ch []string
	if p.Encryption != nil && !sameFold(p.Encryption, c.Encryption, awsEncryptionNames) {
		ch = append(ch, vpn.Path(name, vpn.FieldEncryption))
	}
	if p.Integrity != nil && !sameFold(p.Integrity, c.Integrity, awsIntegrityNames) {
		ch = append(ch, vpn.Path(name, vpn.FieldIntegrity))
	}
	if p.DHGroups != nil {
		cd := c.DHGroups
		if len(cd) == 0 {
			cd = defaultDH
		}
		if !sameSet(p.DHGroups, cd, func(a, b int) bool { return a == b }) {
			ch = append(ch, vpn.Path(name, vpn.FieldDHGroups))
		}
	}
	if l := p.LifetimeSeconds; l != nil {
		cl := defaultLife
		if c.LifetimeSeconds != nil {
			cl = *c.LifetimeSeconds
		}
		if *l != cl {
			ch = append(ch, fmt.Sprintf("%s.lifetime_seconds %d -> %d", name, cl, *l))
		}
	}
	return ch
}

// AWS's defaults for unset algorithm lists: every value it supports.
var (
	awsEncryptionNames = slices.Sorted(maps.Keys(awsEncryption))
	awsIntegrityNames  = slices.Sorted(maps.Keys(awsIntegrity))
)

// sameFold compares two value lists as sets, case-insensitively; an empty
// current list is AWS's default, every value in def.
func sameFold(p, cur, def []string) bool {
	if len(cur) == 0 {
		cur = def
	}
	return sameSet(p, cur, func(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) })
}

// sameSet compares short lists as sets without allocating.
func sameSet[T any](a, b []T, eq func(T, T) bool) bool {
	in := func(x T, ys []T) bool { return slices.ContainsFunc(ys, func(y T) bool { return eq(x, y) }) }
	for _, x := range a {
		if !in(x, b) {
			return false
		}
	}
	for _, y := range b {
		if !in(y, a) {
			return false
		}
	}
	return true
}

// azureRestarts reports Azure connection changes that take a tunnel down:
// adding or changing a custom IPsec/IKE policy restarts IKE on that
// connection, and the protocol (IKEv1/IKEv2) cannot change without
// deleting and recreating it. On one connection the other tunnel carries
// the traffic; on both at once it is an outage.
func (c *pcheck) azureRestarts(cur *vpn.Proposal) []vpn.Finding {
	var hit []string
	for k, pc := range c.p.Azure.Connections {
		j := slices.IndexFunc(cur.Azure.Connections, func(cc vpn.ProposedConnection) bool { return pc.Name != "" && cc.Name == pc.Name })
		if j < 0 {
			continue // a new connection: nothing is restarted
		}
		was := cur.Azure.Connections[j]
		var why []string
		if pc.IPsecPolicy != nil && !vpn.SameIPsecPolicy(pc.IPsecPolicy, was.IPsecPolicy) {
			verb := "changes"
			if was.IPsecPolicy == nil {
				verb = "is added"
			}
			why = append(why, vpn.FieldIPsecPolicy+" "+verb+" (IKE restarts)")
		}
		if pc.Protocol != "" && was.Protocol != "" && !strings.EqualFold(pc.Protocol, was.Protocol) {
			why = append(why, fmt.Sprintf("%s %s -> %s (delete and recreate)", vpn.FieldProtocol, was.Protocol, pc.Protocol))
		}
		if len(why) > 0 {
			hit = append(hit, fmt.Sprintf("%s: %s", c.connName(k), strings.Join(why, ", ")))
		}
	}
	if len(hit) < 2 {
		return nil
	}
	return []vpn.Finding{citing(newFinding(IDChangeCausesOutage,
		fmt.Sprintf("%d Azure connections are restarted in one change (%s): each drops its tunnel while it renegotiates, so together they are an outage",
			len(hit), strings.Join(hit, "; ")),
		"Change one connection at a time: apply it, wait until that tunnel is Connected on Azure and UP on AWS "+
			"(`doorbot status NAME`), then the next; a protocol change means creating the new connection beside the old one first."),
		refMSIPsecPolicy)}
}
