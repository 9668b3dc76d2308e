package vpn

import (
	"slices"
)

// DefaultSoracomDeviceSubnet is the device subnet SORACOM gives a VPG
// unless another was chosen at creation.
const DefaultSoracomDeviceSubnet = "10.128.0.0/9"

// OriginDefault marks a value doorbot did not read but assumed from a
// documented default, so that a finding about it can say so instead of
// claiming the cloud reported it.
const OriginDefault Origin = "default"

// ProposalFromObservation expresses the observed state of a connection as a
// proposal, so that the proposal rules can run on live state and a
// proposal can be completed from it (Merge). Every value set is recorded in
// Origins as OriginLive under its docs/proposal.md path.
//
// Only what a cloud returned is set: a tunnel option AWS omitted means "AWS
// default" and stays nil, and pre-shared keys are never observed. Routing
// comes from AWS when AWS was observed and agrees with itself, for SORACOM
// Door from the VPG's Door connections (SORACOM owns the AWS side), else
// from the Azure connections. For Door the VPG read from the SORACOM API
// gives the device and VPG subnets, the outbound routing filter and, with
// dynamic routing, the Door connection's BGP ASN (the AWS side's, aws.asn).
// When the VPG was not read (no vpg_id, or the API failed) the device
// subnet is SORACOM's default with OriginDefault, because an overlap with
// 10.128.0.0/9 is the common Door mistake.
func ProposalFromObservation(obs Observation) Proposal {
	b := liveBuilder{p: Proposal{Origins: map[string]Origin{}}}
	b.str(FieldConnection, &b.p.Connection, obs.Connection.Name)

	routing := obs.AWS.Routing()
	if routing == RoutingUnknown {
		routing = obs.Soracom.Routing()
	}
	if routing == RoutingUnknown {
		routing = obs.Azure.Routing()
	}
	if routing != RoutingUnknown {
		b.p.Routing = routing
		b.set(FieldRouting)
	}

	if obs.AWS != nil {
		b.aws(obs.AWS)
	}
	if obs.Azure != nil {
		b.azure(obs.Azure)
	}
	if obs.Connection.Kind == KindSoracomDoor {
		b.soracom(obs.Soracom)
	}
	return b.p
}

// soracom states the Door side from the VPG, v nil when it was not read.
func (b *liveBuilder) soracom(v *SoracomVPG) {
	if v == nil || v.DeviceSubnet == "" {
		b.p.Soracom.DeviceSubnet = DefaultSoracomDeviceSubnet
		b.p.Origins[Path(FieldSoracom, FieldDeviceSubnet)] = OriginDefault
	} else {
		b.str(Path(FieldSoracom, FieldDeviceSubnet), &b.p.Soracom.DeviceSubnet, v.DeviceSubnet)
	}
	if v == nil {
		return
	}
	b.str(Path(FieldSoracom, FieldVPGSubnet), &b.p.Soracom.VPGSubnet, v.VPGSubnet)
	// The VPG was read: no filter entry is a fact (everything allowed).
	b.p.Soracom.RoutingFilter = append([]RoutingFilterEntry{}, v.RoutingFilter...)
	b.set(Path(FieldSoracom, FieldRoutingFilter))
	for _, d := range v.DoorConnections {
		if !d.UseDynamicRouting {
			continue
		}
		if a, ok := d.ASN(); ok {
			b.p.AWS.ASN = ptr(a)
			b.set(Path(FieldAWS, FieldASN))
			return
		}
	}
}

type liveBuilder struct{ p Proposal }

func (b *liveBuilder) set(path string) { b.p.Origins[path] = OriginLive }

func (b *liveBuilder) str(path string, dst *string, v string) {
	if v != "" {
		*dst = v
		b.set(path)
	}
}

func (b *liveBuilder) list(path string, dst *[]string, v []string) {
	if len(v) > 0 {
		*dst = slices.Clone(v)
		b.set(path)
	}
}

func (b *liveBuilder) aws(s *AWSSide) {
	var routes []string
	static := false
	for _, v := range s.VPNConnections {
		static = static || v.StaticRoutesOnly
		for _, r := range v.StaticRoutes {
			if !slices.Contains(routes, r) {
				routes = append(routes, r)
			}
		}
		for _, t := range v.Tunnels {
			b.p.AWS.Tunnels = append(b.p.AWS.Tunnels, b.tunnel(len(b.p.AWS.Tunnels), t))
		}
	}
	// A static VPN connection without routes is a fact worth checking
	// (nothing reaches Azure), so it is stated as an empty list rather
	// than left unknown.
	if static {
		if routes == nil {
			routes = []string{}
		}
		b.p.AWS.StaticRoutes = routes
		b.set(Path(FieldAWS, FieldStaticRoutes))
	}
}

func (b *liveBuilder) tunnel(i int, t AWSTunnel) ProposedTunnel {
	pre := Index(Path(FieldAWS, FieldTunnels), i) + "."
	o := t.Options
	var pt ProposedTunnel
	b.str(pre+FieldOutsideIP, &pt.OutsideIP, t.OutsideIP)
	b.str(pre+FieldInsideCIDR, &pt.InsideCIDR, o.InsideCIDR)
	b.list(pre+FieldIKEVersions, &pt.IKEVersions, o.IKEVersions)
	pt.Phase1 = b.phase(pre+FieldPhase1+".", o.Phase1Encryption, o.Phase1Integrity, o.Phase1DHGroups, o.Phase1Lifetime)
	pt.Phase2 = b.phase(pre+FieldPhase2+".", o.Phase2Encryption, o.Phase2Integrity, o.Phase2DHGroups, o.Phase2Lifetime)
	if o.DPDTimeoutSeconds > 0 {
		pt.DPDTimeoutSeconds = ptr(o.DPDTimeoutSeconds)
		b.set(pre + FieldDPDTimeoutSeconds)
	}
	b.str(pre+FieldStartupAction, &pt.StartupAction, o.StartupAction)
	return pt
}

func (b *liveBuilder) phase(pre string, enc, integ []string, dh []int, lifetime int) *PhaseParams {
	if len(enc) == 0 && len(integ) == 0 && len(dh) == 0 && lifetime <= 0 {
		return nil
	}
	var ph PhaseParams
	b.list(pre+FieldEncryption, &ph.Encryption, enc)
	b.list(pre+FieldIntegrity, &ph.Integrity, integ)
	if len(dh) > 0 {
		ph.DHGroups = slices.Clone(dh)
		b.set(pre + FieldDHGroups)
	}
	if lifetime > 0 {
		ph.LifetimeSeconds = ptr(lifetime)
		b.set(pre + FieldLifetimeSeconds)
	}
	return &ph
}

func (b *liveBuilder) azure(s *AzureSide) {
	if g := s.Gateway; g != nil {
		var pg ProposedGateway
		b.str(Path(FieldAzure, FieldGateway, FieldSKU), &pg.SKU, g.SKU)
		b.str(Path(FieldAzure, FieldGateway, FieldVPNType), &pg.VPNType, g.VPNType)
		pg.ActiveActive = ptr(g.ActiveActive)
		b.set(Path(FieldAzure, FieldGateway, FieldActiveActive))
		// The adapter reports 0 when it could not count the IP
		// configurations; the instances' tunnel IPs are the fallback.
		ips := g.PublicIPCount
		if ips == 0 {
			ips = len(g.TunnelIPs)
		}
		if ips > 0 {
			pg.PublicIPs = ptr(ips)
			b.set(Path(FieldAzure, FieldGateway, FieldPublicIPs))
		}
		if g.ASN != 0 {
			pg.ASN = ptr(g.ASN)
			b.set(Path(FieldAzure, FieldGateway, FieldASN))
		}
		b.list(Path(FieldAzure, FieldGateway, FieldAPIPAAddresses), &pg.APIPAAddresses, g.CustomAPIPA)
		b.p.Azure.Gateway = &pg
	}

	seenLNG := map[string]bool{}
	for _, c := range s.Connections {
		if !c.Found {
			continue // a 404 is not part of the state, only of the config
		}
		pre := Index(Path(FieldAzure, FieldConnections), len(b.p.Azure.Connections)) + "."
		var pc ProposedConnection
		b.str(pre+FieldName, &pc.Name, c.Name)
		if l := c.LocalNetworkGateway; l != nil {
			b.str(pre+FieldLocalNetworkGateway, &pc.LocalNetworkGateway, l.Name)
			if l.Name == "" || !seenLNG[l.Name] {
				seenLNG[l.Name] = true
				b.lng(*l)
			}
		}
		b.str(pre+FieldProtocol, &pc.Protocol, c.Protocol)
		pc.EnableBGP = ptr(c.EnableBGP)
		b.set(pre + FieldEnableBGP)
		pc.UsePolicyBasedTrafficSelectors = ptr(c.UsePolicyBasedTrafficSelectors)
		b.set(pre + FieldUsePolicyBasedTrafficSelectors)
		if c.DPDTimeoutSeconds > 0 {
			pc.DPDTimeoutSeconds = ptr(c.DPDTimeoutSeconds)
			b.set(pre + FieldDPDTimeoutSeconds)
		}
		b.str(pre+FieldConnectionMode, &pc.ConnectionMode, c.ConnectionMode)
		if pol := c.IPsecPolicy; pol != nil {
			pc.IPsecPolicy = b.ipsec(pre+FieldIPsecPolicy+".", *pol)
		}
		b.p.Azure.Connections = append(b.p.Azure.Connections, pc)
	}
	// Azure was read: no connection found is a fact (nothing terminates
	// the AWS tunnels), not an unknown.
	if b.p.Azure.Connections == nil {
		b.p.Azure.Connections = []ProposedConnection{}
	}
	if b.p.Azure.LocalNetworkGateways == nil {
		b.p.Azure.LocalNetworkGateways = []ProposedLNG{}
	}
}

func (b *liveBuilder) ipsec(pre string, pol IPsecPolicy) *IPsecPolicy {
	var out IPsecPolicy
	b.str(pre+FieldIKEEncryption, &out.IKEEncryption, pol.IKEEncryption)
	b.str(pre+FieldIKEIntegrity, &out.IKEIntegrity, pol.IKEIntegrity)
	b.str(pre+FieldDHGroup, &out.DHGroup, pol.DHGroup)
	b.str(pre+FieldIPsecEncryption, &out.IPsecEncryption, pol.IPsecEncryption)
	b.str(pre+FieldIPsecIntegrity, &out.IPsecIntegrity, pol.IPsecIntegrity)
	b.str(pre+FieldPFSGroup, &out.PFSGroup, pol.PFSGroup)
	if l := pol.SALifetimeSeconds; l != nil {
		out.SALifetimeSeconds = ptr(*l)
		b.set(pre + FieldSALifetimeSeconds)
	}
	return &out
}

func (b *liveBuilder) lng(l LocalNetworkGateway) {
	pre := Index(Path(FieldAzure, FieldLocalNetworkGateways), len(b.p.Azure.LocalNetworkGateways)) + "."
	var pl ProposedLNG
	b.str(pre+FieldName, &pl.Name, l.Name)
	b.str(pre+FieldGatewayIP, &pl.GatewayIP, l.GatewayIP)
	b.list(pre+FieldAddressPrefixes, &pl.AddressPrefixes, l.AddressPrefixes)
	b.str(pre+FieldBGPPeerAddress, &pl.BGPPeerAddress, l.BGPPeerAddress)
	if l.ASN != 0 {
		pl.ASN = ptr(l.ASN)
		b.set(pre + FieldASN)
	}
	b.p.Azure.LocalNetworkGateways = append(b.p.Azure.LocalNetworkGateways, pl)
}

// Merge completes proposal p with live state: every value p states wins
// (its origin is p's, OriginProposal when p recorded none), and everything
// p leaves out is taken from live (keeping live's origin, OriginLive when
// live recorded none). The result shares no memory with either input.
//
// Lists of things with an identity — AWS tunnels (keyed by outside_ip),
// local network gateways and connections (keyed by name) — follow the rule
// an engineer writing an end state expects:
//
//   - a list p does not state (nil) is taken whole from live;
//   - a list p states is the intended set, in p's order: each element is
//     filled field by field from the live element with the same key, an
//     element with no live counterpart is new, and a live element p does not
//     list is dropped (that is how a proposal removes a connection).
//
// So to change one tunnel and keep the other, list both, the kept one by
// its key alone (`- outside_ip: 198.51.100.2`). Forgetting it is loud, not
// silent: the rules then report a single tunnel and an unterminated peer.
//
// Plain value lists (static_routes, vnet_prefixes, address_prefixes,
// apipa_addresses, algorithm lists…) are values: stated (non-nil, even
// empty, or recorded in p.Origins) replaces live's whole. Nested objects (gateway, phase1/phase2,
// ipsec_policy) merge field by field.
func Merge(p, live Proposal) Proposal {
	m := &merger{pOrig: p.Origins, lOrig: live.Origins, out: map[string]Origin{}}
	top := scope{m: m}
	out := Proposal{Origins: m.out}
	out.Connection = top.str(FieldConnection, p.Connection, live.Connection)
	out.Routing = Routing(top.str(FieldRouting, string(p.Routing), string(live.Routing)))

	out.AWS.ASN = mergePtr(top, Path(FieldAWS, FieldASN), p.AWS.ASN, live.AWS.ASN)
	out.AWS.CustomerASN = mergePtr(top, Path(FieldAWS, FieldCustomerASN), p.AWS.CustomerASN, live.AWS.CustomerASN)
	out.AWS.StaticRoutes = mergeList(top, Path(FieldAWS, FieldStaticRoutes), p.AWS.StaticRoutes, live.AWS.StaticRoutes)
	out.AWS.LocalPrefixes = mergeList(top, Path(FieldAWS, FieldLocalPrefixes), p.AWS.LocalPrefixes, live.AWS.LocalPrefixes)
	out.AWS.Tunnels = mergeKeyed(m, Path(FieldAWS, FieldTunnels), p.AWS.Tunnels, live.AWS.Tunnels,
		func(t ProposedTunnel) string { return KeyIP(t.OutsideIP).String() }, mergeTunnel)

	out.Azure.VNetPrefixes = mergeList(top, Path(FieldAzure, FieldVNetPrefixes), p.Azure.VNetPrefixes, live.Azure.VNetPrefixes)
	out.Azure.Gateway = mergeGateway(top.sub(Path(FieldAzure, FieldGateway)+"."), p.Azure.Gateway, live.Azure.Gateway)
	out.Azure.LocalNetworkGateways = mergeKeyed(m, Path(FieldAzure, FieldLocalNetworkGateways),
		p.Azure.LocalNetworkGateways, live.Azure.LocalNetworkGateways,
		func(l ProposedLNG) string { return l.Name }, mergeLNG)
	out.Azure.Connections = mergeKeyed(m, Path(FieldAzure, FieldConnections), p.Azure.Connections, live.Azure.Connections,
		func(c ProposedConnection) string { return c.Name }, mergeConnection)

	out.Soracom.DeviceSubnet = top.str(Path(FieldSoracom, FieldDeviceSubnet), p.Soracom.DeviceSubnet, live.Soracom.DeviceSubnet)
	out.Soracom.VPGSubnet = top.str(Path(FieldSoracom, FieldVPGSubnet), p.Soracom.VPGSubnet, live.Soracom.VPGSubnet)
	out.Soracom.RoutingFilter = mergeList(top, Path(FieldSoracom, FieldRoutingFilter), p.Soracom.RoutingFilter, live.Soracom.RoutingFilter)
	return out
}

type merger struct {
	pOrig, lOrig, out map[string]Origin
}

// scope is a place in the result: rp is the path prefix in the result (and
// in p, whose element order the result keeps), lp the prefix of the live
// element being merged in, which may sit at another index.
type scope struct {
	m      *merger
	rp, lp string
}

func (s scope) sub(key string) scope { return scope{m: s.m, rp: s.rp + key, lp: s.lp + key} }

func (s scope) fromP(key string) {
	o := s.m.pOrig[s.rp+key]
	if o == "" {
		o = OriginProposal
	}
	s.m.out[s.rp+key] = o
}

func (s scope) fromLive(key string) {
	o := s.m.lOrig[s.lp+key]
	if o == "" {
		o = OriginLive
	}
	s.m.out[s.rp+key] = o
}

func (s scope) str(key, p, l string) string {
	switch {
	case p != "":
		s.fromP(key)
		return p
	case l != "":
		s.fromLive(key)
		return l
	}
	return ""
}

func (s scope) secret(key string, p, l Secret) Secret {
	return Secret(s.str(key, string(p), string(l)))
}

func mergePtr[T any](s scope, key string, p, l *T) *T {
	switch {
	case p != nil:
		s.fromP(key)
		return ptr(*p)
	case l != nil:
		s.fromLive(key)
		return ptr(*l)
	}
	return nil
}

func mergeList[T any](s scope, key string, p, l []T) []T {
	// A parser may hand over `[]` as nil; its recorded origin still says
	// the list was stated (empty), which must not be refilled from live.
	_, stated := s.m.pOrig[s.rp+key]
	switch {
	case p != nil || stated:
		s.fromP(key)
		return append(make([]T, 0, len(p)), p...)
	case l != nil:
		s.fromLive(key)
		return append(make([]T, 0, len(l)), l...)
	}
	return nil
}

// mergeKeyed implements Merge's rule for lists of identified elements.
func mergeKeyed[T any](m *merger, list string, p, l []T, key func(T) string, merge func(scope, T, T) T) []T {
	if p == nil {
		if l == nil {
			return nil
		}
		out := make([]T, len(l))
		var zero T
		for i, e := range l {
			path := Index(list, i) + "."
			out[i] = merge(scope{m: m, rp: path, lp: path}, zero, e)
		}
		return out
	}
	liveAt := make(map[string]int, len(l))
	for i, e := range l {
		if k := key(e); k != "" {
			if _, dup := liveAt[k]; !dup {
				liveAt[k] = i
			}
		}
	}
	out := make([]T, len(p))
	for i, e := range p {
		s := scope{m: m, rp: Index(list, i) + "."}
		var le T
		if j, ok := liveAt[key(e)]; ok && key(e) != "" {
			le = l[j]
			s.lp = Index(list, j) + "."
		}
		out[i] = merge(s, e, le)
	}
	return out
}

func mergeTunnel(s scope, p, l ProposedTunnel) ProposedTunnel {
	return ProposedTunnel{
		OutsideIP:         s.str(FieldOutsideIP, p.OutsideIP, l.OutsideIP),
		InsideCIDR:        s.str(FieldInsideCIDR, p.InsideCIDR, l.InsideCIDR),
		PSK:               s.secret(FieldPSK, p.PSK, l.PSK),
		IKEVersions:       mergeList(s, FieldIKEVersions, p.IKEVersions, l.IKEVersions),
		Phase1:            mergePhase(s.sub(FieldPhase1+"."), p.Phase1, l.Phase1),
		Phase2:            mergePhase(s.sub(FieldPhase2+"."), p.Phase2, l.Phase2),
		DPDTimeoutSeconds: mergePtr(s, FieldDPDTimeoutSeconds, p.DPDTimeoutSeconds, l.DPDTimeoutSeconds),
		StartupAction:     s.str(FieldStartupAction, p.StartupAction, l.StartupAction),
	}
}

func mergePhase(s scope, p, l *PhaseParams) *PhaseParams {
	if p == nil && l == nil {
		return nil
	}
	var pp, lp PhaseParams
	if p != nil {
		pp = *p
	}
	if l != nil {
		lp = *l
	}
	return &PhaseParams{
		Encryption:      mergeList(s, FieldEncryption, pp.Encryption, lp.Encryption),
		Integrity:       mergeList(s, FieldIntegrity, pp.Integrity, lp.Integrity),
		DHGroups:        mergeList(s, FieldDHGroups, pp.DHGroups, lp.DHGroups),
		LifetimeSeconds: mergePtr(s, FieldLifetimeSeconds, pp.LifetimeSeconds, lp.LifetimeSeconds),
	}
}

func mergeGateway(s scope, p, l *ProposedGateway) *ProposedGateway {
	if p == nil && l == nil {
		return nil
	}
	var pg, lg ProposedGateway
	if p != nil {
		pg = *p
	}
	if l != nil {
		lg = *l
	}
	return &ProposedGateway{
		SKU:            s.str(FieldSKU, pg.SKU, lg.SKU),
		VPNType:        s.str(FieldVPNType, pg.VPNType, lg.VPNType),
		ActiveActive:   mergePtr(s, FieldActiveActive, pg.ActiveActive, lg.ActiveActive),
		PublicIPs:      mergePtr(s, FieldPublicIPs, pg.PublicIPs, lg.PublicIPs),
		ASN:            mergePtr(s, FieldASN, pg.ASN, lg.ASN),
		APIPAAddresses: mergeList(s, FieldAPIPAAddresses, pg.APIPAAddresses, lg.APIPAAddresses),
		GatewaySubnet:  s.str(FieldGatewaySubnet, pg.GatewaySubnet, lg.GatewaySubnet),
	}
}

func mergeLNG(s scope, p, l ProposedLNG) ProposedLNG {
	return ProposedLNG{
		Name:            s.str(FieldName, p.Name, l.Name),
		GatewayIP:       s.str(FieldGatewayIP, p.GatewayIP, l.GatewayIP),
		AddressPrefixes: mergeList(s, FieldAddressPrefixes, p.AddressPrefixes, l.AddressPrefixes),
		BGPPeerAddress:  s.str(FieldBGPPeerAddress, p.BGPPeerAddress, l.BGPPeerAddress),
		ASN:             mergePtr(s, FieldASN, p.ASN, l.ASN),
	}
}

func mergeConnection(s scope, p, l ProposedConnection) ProposedConnection {
	return ProposedConnection{
		Name:                           s.str(FieldName, p.Name, l.Name),
		LocalNetworkGateway:            s.str(FieldLocalNetworkGateway, p.LocalNetworkGateway, l.LocalNetworkGateway),
		Protocol:                       s.str(FieldProtocol, p.Protocol, l.Protocol),
		EnableBGP:                      mergePtr(s, FieldEnableBGP, p.EnableBGP, l.EnableBGP),
		UsePolicyBasedTrafficSelectors: mergePtr(s, FieldUsePolicyBasedTrafficSelectors, p.UsePolicyBasedTrafficSelectors, l.UsePolicyBasedTrafficSelectors),
		DPDTimeoutSeconds:              mergePtr(s, FieldDPDTimeoutSeconds, p.DPDTimeoutSeconds, l.DPDTimeoutSeconds),
		ConnectionMode:                 s.str(FieldConnectionMode, p.ConnectionMode, l.ConnectionMode),
		SharedKey:                      s.secret(FieldSharedKey, p.SharedKey, l.SharedKey),
		IPsecPolicy:                    mergeIPsec(s.sub(FieldIPsecPolicy+"."), p.IPsecPolicy, l.IPsecPolicy),
	}
}

func mergeIPsec(s scope, p, l *IPsecPolicy) *IPsecPolicy {
	if p == nil && l == nil {
		return nil
	}
	var pp, lp IPsecPolicy
	if p != nil {
		pp = *p
	}
	if l != nil {
		lp = *l
	}
	return &IPsecPolicy{
		IKEEncryption:     s.str(FieldIKEEncryption, pp.IKEEncryption, lp.IKEEncryption),
		IKEIntegrity:      s.str(FieldIKEIntegrity, pp.IKEIntegrity, lp.IKEIntegrity),
		DHGroup:           s.str(FieldDHGroup, pp.DHGroup, lp.DHGroup),
		IPsecEncryption:   s.str(FieldIPsecEncryption, pp.IPsecEncryption, lp.IPsecEncryption),
		IPsecIntegrity:    s.str(FieldIPsecIntegrity, pp.IPsecIntegrity, lp.IPsecIntegrity),
		PFSGroup:          s.str(FieldPFSGroup, pp.PFSGroup, lp.PFSGroup),
		SALifetimeSeconds: mergePtr(s, FieldSALifetimeSeconds, pp.SALifetimeSeconds, lp.SALifetimeSeconds),
	}
}

func ptr[T any](v T) *T { return &v }
