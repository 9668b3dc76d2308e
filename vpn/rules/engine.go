package rules

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// One engine judges proposals and live state. A rule is written once,
// against the proposal model (vpn.Proposal); live state reaches it as
// vpn.ProposalFromObservation(obs), plus the facts only an observation
// has (which sides were read, tunnel status, which AWS VPN connection a
// tunnel belongs to, configured connections that do not exist), kept in
// observed. A rule reads those facts only to say more, never to decide
// differently for the same design.

// Check runs every rule of docs/rules.md that a proposal can be judged on
// (all but tunnel-down, which is about live status) and returns findings
// in a stable order: errors, warnings, info; then rule ID, then message.
// It never returns nil.
//
// p is the intended end state, normally vpn.Merge(proposal, live) so that
// what the proposal omits is checked as it is today. current is the state
// before the change (vpn.ProposalFromObservation of the live connection),
// or nil when unknown; only change-causes-outage needs it.
//
// Values p does not state are not checked. Messages name the offending
// value by its docs/rules.md path ("aws.tunnels[1].inside_cidr
// 169.254.5.0/30"), marked "(from live state)" when p mixes proposed and
// live values and this one was not proposed, so that an engineer can tell
// their mistake from an existing one. Pre-shared keys are compared and
// checked but never written: findings name the key by its path only.
//
// The SORACOM device subnet is checked for overlap only in a SORACOM
// design: when p states it, or states the VPG range (then the default
// 10.128.0.0/9 is assumed), or the live Door connection supplied the
// default. A plain AWS VPN has no device subnet, and assuming one would
// flag every VNet in 10.128.0.0/9.
func Check(p vpn.Proposal, current *vpn.Proposal) []vpn.Finding {
	return evaluate(newPCheck(p, current), onProposal)
}

// Live runs the rules on one observed connection and its paired tunnels
// (from vpn.Pair), in the same order as Check.
//
// Each problem is reported by one rule: a tunnel whose counterpart is
// "missing" (an AWS tunnel no Azure connection terminates, or an Azure
// connection whose local network gateway matches no AWS tunnel) is a
// peer-ip-mismatch, not also a tunnel-down, because "down" there only
// restates that the pairing is wrong. A configured Azure connection that
// does not exist (404) is a tunnel-down. responder-only is reported only
// for tunnels that are up: for a down one tunnel-down's fix names it.
func Live(obs vpn.Observation, tunnels []vpn.TunnelStatus) []vpn.Finding {
	c := newPCheck(vpn.ProposalFromObservation(obs), nil)
	c.obs = newObserved(obs, tunnels)
	return evaluate(c, onLive)
}

// WithLive adds to a change's findings the live findings that matter for
// it: a tunnel that is down now (changing the surviving tunnel is then an
// outage). They are warnings, not errors: the change may be the fix.
func WithLive(fs []vpn.Finding, obs vpn.Observation) []vpn.Finding {
	out := slices.Clone(fs)
	c := newPCheck(vpn.ProposalFromObservation(obs), nil)
	c.obs = newObserved(obs, vpn.Pair(obs))
	for _, f := range tunnelDown(c) {
		f.Severity = vpn.SeverityWarning
		f.Message = "live now: " + f.Message + "; while it is down the other tunnel carries everything, so a change that touches it is an outage"
		f.Fix = "Restore this tunnel before changing the other one, or change only this one. " + f.Fix
		out = append(out, f)
	}
	sortFindings(out)
	return out
}

// where says which inputs a rule judges.
type where uint8

const (
	onProposal where = 1 << iota
	onLive
	onBoth = onProposal | onLive
)

// rule is one rule as the engine runs it.
type rule struct {
	id string
	// on: onLive alone for rules about status (and the VPG's own state);
	// onProposal alone for rules whose inputs no cloud reports (VNet
	// prefixes, keys, GatewaySubnet, a previous state).
	on    where
	check func(*pcheck) []vpn.Finding
}

var ruleTable = []rule{
	{IDBGPNeedsActiveActive, onBoth, pBGPNeedsActiveActive},
	{IDSingleTunnel, onBoth, pSingleTunnel},
	{IDTunnelDown, onLive, tunnelDown},
	{IDRoutingMismatch, onBoth, pRoutingMismatch},
	{IDAPIPAOutOfRange, onBoth, pAPIPAOutOfRange},
	{IDInsideCIDRInvalid, onBoth, pInsideCIDRInvalid},
	{IDInsideCIDRDuplicate, onBoth, pInsideCIDRDuplicate},
	{IDBGPAddressMismatch, onBoth, pBGPAddressMismatch},
	{IDPeerIPMismatch, onBoth, pPeerIPMismatch},
	{IDStaticRouteMissing, onBoth, pStaticRouteMissing},
	{IDPrefixOverlap, onProposal, pPrefixOverlap},
	{IDPolicyBasedSelectors, onBoth, pPolicyBasedSelectors},
	{IDSKUUnsupported, onBoth, pSKUUnsupported},
	{IDPSKInvalid, onProposal, pPSKInvalid},
	{IDIKEParamsIncompatible, onBoth, pIKEParamsIncompatible},
	{IDDPDTimeoutRange, onBoth, pDPDTimeoutRange},
	{IDASNInvalid, onBoth, pASNInvalid},
	{IDGatewaySubnet, onProposal, pGatewaySubnet},
	{IDResponderOnly, onBoth, pResponderOnly},
	{IDChangeCausesOutage, onProposal, pChangeCausesOutage},
	{IDRoutingFilterDenies, onBoth, pRoutingFilterDenies},
	{IDVPGNotRunning, onLive, vpgNotRunning},
	{IDDoorConnectionMissing, onLive, doorConnectionMissing},
	{"", onLive, observationNotes}, // each note carries its own rule ID
}

func evaluate(c *pcheck, on where) []vpn.Finding {
	out := []vpn.Finding{}
	for _, r := range ruleTable {
		if r.on&on != 0 {
			out = append(out, r.check(c)...)
		}
	}
	sortFindings(out)
	return out
}

func sortFindings(fs []vpn.Finding) {
	slices.SortStableFunc(fs, func(a, b vpn.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Severity.Rank(), b.Severity.Rank()),
			strings.Compare(a.Rule, b.Rule),
			strings.Compare(a.Message, b.Message),
		)
	})
}

// observed is what Live knows beyond the proposal model. Its per-tunnel
// slices are indexed like the proposal's aws.tunnels, which
// ProposalFromObservation lists in observation order.
type observed struct {
	obs          vpn.Observation
	rows         []vpn.TunnelStatus
	aws, azure   bool          // side read
	vpnID        []string      // per tunnel: its AWS VPN connection
	vpnRouting   []vpn.Routing // per tunnel: that connection's routing
	notFound     []string      // configured Azure connections ARM says do not exist
	upConns      map[string]bool
	azConn       map[string]vpn.AzureConnection // by name
	awsTunnel    map[vpn.IPKey]vpn.AWSTunnel
	gatewayName  string
	resourceGrp  string
	soracomOwned bool
}

func newObserved(obs vpn.Observation, rows []vpn.TunnelStatus) *observed {
	o := &observed{obs: obs, rows: rows, aws: obs.AWS != nil, azure: obs.Azure != nil,
		upConns: map[string]bool{}, azConn: map[string]vpn.AzureConnection{}, awsTunnel: map[vpn.IPKey]vpn.AWSTunnel{},
		resourceGrp: orDash(obs.Connection.Azure.ResourceGroup), soracomOwned: obs.Connection.Kind == vpn.KindSoracomDoor,
		gatewayName: obs.Connection.Azure.Gateway}
	if obs.AWS != nil {
		for _, v := range obs.AWS.VPNConnections {
			for _, t := range v.Tunnels {
				o.vpnID = append(o.vpnID, v.ID)
				o.vpnRouting = append(o.vpnRouting, v.Routing())
				o.awsTunnel[vpn.KeyIP(t.OutsideIP)] = t
			}
		}
	}
	if obs.Azure != nil {
		if g := obs.Azure.Gateway; g != nil && g.Name != "" {
			o.gatewayName = g.Name
		}
		for _, c := range obs.Azure.Connections {
			o.azConn[c.Name] = c
			if !c.Found {
				o.notFound = append(o.notFound, c.Name)
			}
		}
	}
	for _, t := range rows {
		if t.AzureConnection == "" || !t.Up {
			continue
		}
		o.upConns[t.AzureConnection] = true
	}
	return o
}

// pcheck is a proposal indexed once, so that each rule stays a short pure
// function and cross-references (tunnel ↔ LNG ↔ connection) agree.
type pcheck struct {
	p   vpn.Proposal
	cur *vpn.Proposal
	obs *observed // nil: judging a proposal

	mixed bool // p has both proposed and live values

	bgp    bool // routing bgp, or BGP on any connection
	static bool // routing static, or stated and off on every connection

	tun     []ptunnel
	tunAt   map[vpn.IPKey]int // outside IP → first tunnel with it
	lngAt   map[string]int    // LNG name → first LNG with it
	lngTun  []int             // per LNG: tunnel its gateway_ip names, or -1
	connLNG []int             // per connection: its LNG, or -1
	connTun []int             // per connection: the tunnel it terminates, or -1
}

type ptunnel struct {
	ip vpn.IPKey
	// cidr is usable for address arithmetic: an IPv4 /30 network in
	// 169.254.0.0/16 (reserved or not; inside-cidr-invalid judges that).
	cidr   netip.Prefix
	cidrOK bool
}

var linkLocal = netip.MustParsePrefix("169.254.0.0/16")

func newPCheck(p vpn.Proposal, cur *vpn.Proposal) *pcheck {
	c := &pcheck{p: p, cur: cur}
	var proposed, other bool
	for _, o := range p.Origins {
		if o == vpn.OriginProposal {
			proposed = true
		} else {
			other = true
		}
	}
	c.mixed = proposed && other

	tunnels := p.AWS.Tunnels
	c.tun = make([]ptunnel, len(tunnels))
	c.tunAt = make(map[vpn.IPKey]int, len(tunnels))
	for i, t := range tunnels {
		ip := vpn.KeyIP(t.OutsideIP)
		c.tun[i].ip = ip
		if _, ok := c.tunAt[ip]; !ip.Empty() && !ok {
			c.tunAt[ip] = i
		}
		if pf, ok := parseCIDR(t.InsideCIDR); ok && pf.Addr().Is4() && pf.Bits() == 30 && linkLocal.Contains(pf.Addr()) {
			c.tun[i].cidr, c.tun[i].cidrOK = pf, true
		}
	}

	lngs := p.Azure.LocalNetworkGateways
	c.lngAt = make(map[string]int, len(lngs))
	c.lngTun = make([]int, len(lngs))
	for i, l := range lngs {
		if _, ok := c.lngAt[l.Name]; l.Name != "" && !ok {
			c.lngAt[l.Name] = i
		}
		c.lngTun[i] = c.tunnelFor(l.GatewayIP)
	}

	conns := p.Azure.Connections
	c.connLNG = make([]int, len(conns))
	c.connTun = make([]int, len(conns))
	anyOn, anyOff := false, false
	for i, pc := range conns {
		c.connLNG[i], c.connTun[i] = -1, -1
		if j, ok := c.lngAt[pc.LocalNetworkGateway]; ok && pc.LocalNetworkGateway != "" {
			c.connLNG[i], c.connTun[i] = j, c.lngTun[j]
		}
		if pc.EnableBGP != nil {
			anyOn = anyOn || *pc.EnableBGP
			anyOff = anyOff || !*pc.EnableBGP
		}
	}
	c.bgp = p.Routing == vpn.RoutingBGP || anyOn
	c.static = p.Routing == vpn.RoutingStatic || (p.Routing == "" && anyOff && !anyOn)
	return c
}

func (c *pcheck) tunnelFor(ip string) int {
	if k := vpn.KeyIP(ip); !k.Empty() {
		if i, ok := c.tunAt[k]; ok {
			return i
		}
	}
	return -1
}

// live reports whether the engine judges observed state.
func (c *pcheck) live() bool { return c.obs != nil }

// sideRead says whether the AWS (or Azure) side was read: always for a
// proposal, which states what it states.
func (c *pcheck) awsRead() bool   { return c.obs == nil || c.obs.aws }
func (c *pcheck) azureRead() bool { return c.obs == nil || c.obs.azure }

// awsRouting is tunnel i's AWS routing: its VPN connection's when
// observed, else the proposal's.
func (c *pcheck) awsRouting(i int) vpn.Routing {
	if c.obs != nil && i < len(c.obs.vpnRouting) {
		return c.obs.vpnRouting[i]
	}
	return c.p.Routing
}

// vpnOf names tunnel i's AWS VPN connection, "" in a proposal (which
// describes one connection's AWS side as a whole).
func (c *pcheck) vpnOf(i int) string {
	if c.obs != nil && i < len(c.obs.vpnID) {
		return c.obs.vpnID[i]
	}
	return ""
}

// notFoundSuffix names configured Azure connections that do not exist.
func (c *pcheck) notFoundSuffix(lead string) string {
	if c.obs == nil || len(c.obs.notFound) == 0 {
		return ""
	}
	return lead + strings.Join(c.obs.notFound, ", ")
}

// tunnelBGP says whether tunnel i is meant to run BGP: the connection that
// terminates it decides when it says, else the proposal's routing. Per
// tunnel, so that a migration's new static tunnels are not held to BGP's
// addressing rules while the old BGP pair still runs.
func (c *pcheck) tunnelBGP(i int) bool {
	for j, pc := range c.p.Azure.Connections {
		if c.connTun[j] == i && pc.EnableBGP != nil {
			return *pc.EnableBGP
		}
	}
	return c.p.Routing == vpn.RoutingBGP
}

// connInScope says whether a connection-level rule should look at conn:
// always in a proposal, only tunnels that are up in live state (for a
// down one tunnel-down's fix says it).
func (c *pcheck) connInScope(name string) bool { return c.obs == nil || c.obs.upConns[name] }

// from marks a value that the proposal did not state itself.
func (c *pcheck) from(path string) string {
	if n := c.origin(path); n != "" {
		return " (" + n + ")"
	}
	return ""
}

func (c *pcheck) origin(path string) string {
	if !c.mixed {
		return ""
	}
	switch c.p.Origins[path] {
	case vpn.OriginLive:
		return "from live state"
	case vpn.OriginDefault:
		return "default"
	}
	return ""
}

// tfield, cfield and lfield name a field of a list element with its value
// and the element's identity: "aws.tunnels[1].inside_cidr 169.254.5.0/30
// (198.51.100.2)". A nil value names the field alone, which is how keys
// are referred to.
func (c *pcheck) tfield(i int, field string, v any) string {
	return c.elem(tpath(i, field), v, c.p.AWS.Tunnels[i].OutsideIP)
}

func (c *pcheck) cfield(k int, field string, v any) string {
	return c.elem(cpath(k, field), v, c.p.Azure.Connections[k].Name)
}

func (c *pcheck) lfield(i int, field string, v any) string {
	return c.elem(lpath(i, field), v, c.p.Azure.LocalNetworkGateways[i].Name)
}

// rel names a field relative to an element the message already named.
func (c *pcheck) rel(path, name string, v any) string {
	return fmt.Sprintf("%s %v%s", name, v, c.from(path))
}

func (c *pcheck) elem(path string, v any, id string) string {
	s := path
	if v != nil {
		s = fmt.Sprintf("%s %v", path, v)
	}
	notes := make([]string, 0, 2)
	if id != "" {
		notes = append(notes, id)
	}
	if n := c.origin(path); n != "" {
		notes = append(notes, n)
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// at names a value and where it is: "aws.tunnels[1].inside_cidr
// 169.254.5.0/30". Never call it with a key.
func (c *pcheck) at(path string, v any) string {
	return fmt.Sprintf("%s %v%s", path, v, c.from(path))
}

// tunnelName is how findings refer to an AWS tunnel: its path and, when
// known, its outside IP, which is what on-call sees in both consoles.
func (c *pcheck) tunnelName(i int) string {
	if ip := c.p.AWS.Tunnels[i].OutsideIP; ip != "" {
		return fmt.Sprintf("%s (%s)", tpath(i, ""), ip)
	}
	return tpath(i, "")
}

func (c *pcheck) connName(i int) string {
	if n := c.p.Azure.Connections[i].Name; n != "" {
		return fmt.Sprintf("%s (%s)", cpath(i, ""), n)
	}
	return cpath(i, "")
}

func (c *pcheck) lngName(i int) string {
	if n := c.p.Azure.LocalNetworkGateways[i].Name; n != "" {
		return fmt.Sprintf("%s (%s)", lpath(i, ""), n)
	}
	return lpath(i, "")
}

// Paths of the proposal's lists and gateway, from its field names.
var (
	tunnelsPath = vpn.Path(vpn.FieldAWS, vpn.FieldTunnels)
	lngsPath    = vpn.Path(vpn.FieldAzure, vpn.FieldLocalNetworkGateways)
	connsPath   = vpn.Path(vpn.FieldAzure, vpn.FieldConnections)
)

// gpath names a field of azure.gateway, or the gateway itself.
func gpath(field ...string) string {
	return vpn.Path(append([]string{vpn.FieldAzure, vpn.FieldGateway}, field...)...)
}

func tpath(i int, field string) string {
	return path(tunnelsPath, i, field)
}
func lpath(i int, field string) string {
	return path(lngsPath, i, field)
}
func cpath(i int, field string) string {
	return path(connsPath, i, field)
}

func path(list string, i int, field string) string {
	s := vpn.Index(list, i)
	if field != "" {
		s += "." + field
	}
	return s
}

// withSeverity lowers (or raises) one finding below its rule's default,
// for the parts of a rule that are advice rather than a broken design.
func withSeverity(f vpn.Finding, s vpn.Severity) vpn.Finding {
	f.Severity = s
	return f
}

func isTrue(b *bool) bool { return b != nil && *b }

// parseCIDR accepts what people paste ("10.1.0.0/16 ") and returns the
// prefix as written, so a caller can tell "169.254.21.1/30" from its
// network.
func parseCIDR(s string) (netip.Prefix, bool) {
	pf, err := netip.ParsePrefix(strings.TrimSpace(s))
	return pf, err == nil
}

func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	return a, err == nil
}

// host returns the n-th address of a prefix: AWS takes .1 of a tunnel's
// /30, the customer side (Azure) .2.
func host(pf netip.Prefix, n int) netip.Addr {
	a := pf.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a
}

// prefixes parses a list, returning the good ones and the bad entries.
func prefixes(xs []string) (good []netip.Prefix, bad []string) {
	for _, x := range xs {
		if pf, ok := parseCIDR(x); ok {
			good = append(good, pf.Masked())
		} else {
			bad = append(bad, x)
		}
	}
	return good, bad
}

// covered reports whether the union of routes contains every address of
// pf, so that 10.1.0.0/17 plus 10.1.128.0/17 covers 10.1.0.0/16. It splits
// pf only where some route lies strictly inside it, so the work is bounded
// by routes × prefix length.
func covered(pf netip.Prefix, routes []netip.Prefix) bool {
	partial := false
	for _, r := range routes {
		if r.Bits() <= pf.Bits() && r.Contains(pf.Addr()) {
			return true
		}
		partial = partial || r.Overlaps(pf)
	}
	if !partial || pf.Bits() >= pf.Addr().BitLen() {
		return false
	}
	lo, hi := halves(pf)
	return covered(lo, routes) && covered(hi, routes)
}

func halves(pf netip.Prefix) (netip.Prefix, netip.Prefix) {
	bits := pf.Bits() + 1
	b := pf.Masked().Addr().AsSlice()
	lo := netip.PrefixFrom(pf.Masked().Addr(), bits)
	b[pf.Bits()/8] |= 0x80 >> (pf.Bits() % 8)
	hiAddr, _ := netip.AddrFromSlice(b)
	return lo, netip.PrefixFrom(hiAddr, bits)
}
