package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// Check runs every rule of design.md §5 that a proposal can be judged on
// (all but tunnel-down, which is about live status) and returns findings in
// the same stable order as Live: errors, warnings, info; then rule ID, then
// message. It never returns nil.
//
// p is the intended end state, normally vpn.Merge(proposal, live) so that
// what the proposal omits is checked as it is today. current is the state
// before the change (vpn.ProposalFromObservation of the live connection),
// or nil when unknown; only change-causes-outage needs it.
//
// Values p does not state are not checked. Messages name the offending
// value by its design.md §5 path ("aws.tunnels[1].inside_cidr
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
	c := newPCheck(p, current)
	out := []vpn.Finding{}
	for _, r := range proposalRules {
		out = append(out, r.check(c)...)
	}
	sortFindings(out)
	return out
}

// proposalRule is one rule as Check runs it.
type proposalRule struct {
	id string
	// live: Live also runs the rule on the observed state. Off for rules
	// Live already evaluates with the pairing and status it has (running
	// both would report one problem twice) and for rules whose inputs no
	// cloud reports (VNet prefixes, keys, GatewaySubnet, a previous state).
	live  bool
	check func(*pcheck) []vpn.Finding
}

var proposalRules = []proposalRule{
	{IDBGPNeedsActiveActive, false, pBGPNeedsActiveActive},
	{IDSingleTunnel, false, pSingleTunnel},
	{IDRoutingMismatch, false, pRoutingMismatch},
	{IDAPIPAOutOfRange, true, pAPIPAOutOfRange},
	{IDInsideCIDRInvalid, true, pInsideCIDRInvalid},
	{IDInsideCIDRDuplicate, true, pInsideCIDRDuplicate},
	{IDBGPAddressMismatch, true, pBGPAddressMismatch},
	{IDPeerIPMismatch, false, pPeerIPMismatch},
	{IDStaticRouteMissing, false, pStaticRouteMissing},
	{IDPrefixOverlap, false, pPrefixOverlap},
	{IDPolicyBasedSelectors, true, pPolicyBasedSelectors},
	{IDSKUUnsupported, true, pSKUUnsupported},
	{IDPSKInvalid, false, pPSKInvalid},
	{IDIKEParamsIncompatible, true, pIKEParamsIncompatible},
	{IDDPDTimeoutRange, true, pDPDTimeoutRange},
	{IDASNInvalid, true, pASNInvalid},
	{IDGatewaySubnet, false, pGatewaySubnet},
	{IDResponderOnly, true, pResponderOnly},
	{IDChangeCausesOutage, false, pChangeCausesOutage},
}

// liveProposalFindings runs the proposal rules marked live on the observed
// state expressed as a proposal. responder-only is limited to tunnels that
// are up: for a down tunnel tunnel-down already names ResponderOnly in its
// fix, and for an unpaired one peer-ip-mismatch is the finding that helps.
func liveProposalFindings(obs vpn.Observation, rows []vpn.TunnelStatus) []vpn.Finding {
	c := newPCheck(vpn.ProposalFromObservation(obs), nil)
	c.live = true
	c.upConns = map[string]bool{}
	for _, t := range rows {
		if t.AzureConnection == "" || (obs.AWS != nil && !t.AWSUp()) || (obs.Azure != nil && !t.AzureUp()) {
			continue
		}
		c.upConns[t.AzureConnection] = true
	}
	var out []vpn.Finding
	for _, r := range proposalRules {
		if r.live {
			out = append(out, r.check(c)...)
		}
	}
	return out
}

// pcheck is a proposal indexed once, so that each rule stays a short pure
// function and cross-references (tunnel ↔ LNG ↔ connection) agree.
type pcheck struct {
	p   vpn.Proposal
	cur *vpn.Proposal

	live    bool            // running inside Live on observed state
	upConns map[string]bool // live: Azure connections up on every observed side
	mixed   bool            // p has both proposed and live values

	bgp    bool // routing bgp, or BGP on any connection
	static bool // routing static, or stated and off on every connection

	tun     []ptunnel
	tunAt   map[ipKey]int  // outside IP → first tunnel with it
	lngAt   map[string]int // LNG name → first LNG with it
	lngTun  []int          // per LNG: tunnel its gateway_ip names, or -1
	connLNG []int          // per connection: its LNG, or -1
	connTun []int          // per connection: the tunnel it terminates, or -1
}

type ptunnel struct {
	ip ipKey
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
	c.tunAt = make(map[ipKey]int, len(tunnels))
	for i, t := range tunnels {
		ip := keyIP(t.OutsideIP)
		c.tun[i].ip = ip
		if _, ok := c.tunAt[ip]; !ip.empty() && !ok {
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
	if k := keyIP(ip); !k.empty() {
		if i, ok := c.tunAt[k]; ok {
			return i
		}
	}
	return -1
}

// ipKey identifies an IP however it is spelled (" 198.51.100.1", IPv6
// forms) without allocating; text that is not an IP compares as trimmed
// text, so a typo still matches itself and nothing else.
type ipKey struct {
	addr netip.Addr
	text string
}

func keyIP(s string) ipKey {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return ipKey{addr: a}
	}
	return ipKey{text: s}
}

func (k ipKey) empty() bool { return !k.addr.IsValid() && k.text == "" }

func (k ipKey) String() string {
	if k.addr.IsValid() {
		return k.addr.String()
	}
	return k.text
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
// always in Check, only tunnels that are up in Live (see
// liveProposalFindings).
func (c *pcheck) connInScope(name string) bool { return !c.live || c.upConns[name] }

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

func tpath(i int, field string) string { return path("aws.tunnels", i, field) }
func lpath(i int, field string) string { return path("azure.local_network_gateways", i, field) }
func cpath(i int, field string) string { return path("azure.connections", i, field) }

func path(list string, i int, field string) string {
	s := list + "[" + strconv.Itoa(i) + "]"
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
