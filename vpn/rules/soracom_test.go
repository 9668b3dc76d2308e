package rules

import (
	"strings"
	"testing"

	"github.com/doorbot/doorbot/vpn"
)

// The SORACOM side of a Door connection: each rule on both sides of its
// boundary, live (the VPG as the SORACOM API returns it) and in proposals
// (the soracom section, which validate fills from the same VPG).

const vpgRange = "100.64.17.0/28"

// vpg is a running Type-F VPG with one Door connection.
func vpg(dynamic bool, asn string) *vpn.SoracomVPG {
	return &vpn.SoracomVPG{ID: "vpg-door", Status: "running", Type: 15,
		DeviceSubnet: "10.128.0.0/9", VPGSubnet: vpgRange, OnlineSessions: 12,
		DoorConnections: []vpn.DoorConnection{{ID: "door-1", UseDynamicRouting: dynamic, BGPASN: asn}}}
}

// lngCovers gives a connection's local network gateway address prefixes.
func lngCovers(c vpn.AzureConnection, prefixes ...string) vpn.AzureConnection {
	l := *c.LocalNetworkGateway
	l.AddressPrefixes = prefixes
	c.LocalNetworkGateway = &l
	return c
}

// doorStatic is SORACOM pattern 1 done right, with the VPG read.
func doorStatic() vpn.Observation {
	return with(doorObs(activePassive(),
		lngCovers(conn("cn-door1", ip1, "Connected"), vpgRange), lngCovers(conn("cn-door2", ip2, "Connected"), vpgRange)),
		func(o *vpn.Observation) { o.Soracom = vpg(false, "") })
}

func withVPG(o vpn.Observation, f func(*vpn.SoracomVPG)) vpn.Observation {
	v := *o.Soracom
	v.DoorConnections = append([]vpn.DoorConnection{}, v.DoorConnections...)
	f(&v)
	o.Soracom = &v
	return o
}

func gwASN(gw *vpn.AzureGateway, asn int64) *vpn.AzureGateway {
	gw.ASN = asn
	return gw
}

func TestDoorRoutingMismatch(t *testing.T) {
	bgpDoor := func(o vpn.Observation) vpn.Observation {
		return withVPG(o, func(v *vpn.SoracomVPG) {
			v.DoorConnections[0] = vpn.DoorConnection{ID: "door-1", UseDynamicRouting: true, BGPASN: "64512"}
		})
	}
	runCases(t, []liveCase{
		{name: "static on both ends", obs: doorStatic()},
		{
			name: "Door static, Azure BGP",
			obs: with(doorStatic(), func(o *vpn.Observation) {
				o.Azure.Gateway = activeActive()
				o.Azure.Connections[0].EnableBGP, o.Azure.Connections[1].EnableBGP = true, true
			}),
			wants: []want{{rule: IDRoutingMismatch,
				msg: []string{"SORACOM Door connection door-1 of VPG vpg-door uses static routing but Azure connections cn-door1, cn-door2 have BGP enabled"},
				fix: []string{"Turn BGP off", "VPG IP range"}}},
		},
		{
			name: "Door BGP, Azure static",
			obs:  with(bgpDoor(doorStatic()), func(o *vpn.Observation) { o.Azure.Gateway = activeActive() }),
			wants: []want{{rule: IDRoutingMismatch,
				msg: []string{"SORACOM Door connection door-1 of VPG vpg-door uses BGP but Azure connections cn-door1, cn-door2 have BGP disabled (static)"},
				fix: []string{"new static Door connection", "runbook migrate"}}},
		},
		{
			name: "Door BGP, Azure BGP, active-active",
			obs: with(bgpDoor(doorStatic()), func(o *vpn.Observation) {
				o.Azure.Gateway = activeActive()
				o.Azure.Connections[0].EnableBGP, o.Azure.Connections[1].EnableBGP = true, true
			}),
		},
		{
			// A migration runs an old BGP and a new static Door connection
			// side by side: SORACOM's side has no single mode to compare.
			// The old BGP one still cannot peer both tunnels.
			name: "Door connections disagree: not compared",
			obs: withVPG(doorStatic(), func(v *vpn.SoracomVPG) {
				v.DoorConnections = append(v.DoorConnections, vpn.DoorConnection{ID: "door-0", UseDynamicRouting: true, BGPASN: "64512"})
			}),
			wants: []want{{rule: IDBGPNeedsActiveActive, msg: []string{"SORACOM Door connection door-0 of VPG vpg-door (dynamic routing, 2 tunnels)"}}},
		},
		{
			name: "VPG not read: Azure alone decides nothing",
			obs: with(doorStatic(), func(o *vpn.Observation) {
				o.Soracom = nil
				o.Azure.Gateway = activeActive()
				o.Azure.Connections[0].EnableBGP, o.Azure.Connections[1].EnableBGP = true, true
			}),
		},
	})
}

// The seed's failure seen from SORACOM's end: Door BGP (two AWS tunnels) to
// a gateway with one public IP, where Azure could configure only one BGP
// connection.
func TestDoorBGPNeedsActiveActive(t *testing.T) {
	seed := func() vpn.Observation {
		return with(doorObs(activePassive("169.254.21.2"), bgpConn("cn-door1", ip1, "Connected")),
			func(o *vpn.Observation) { o.Soracom = vpg(true, "64512") })
	}
	runCases(t, []liveCase{
		{
			name: "Door BGP, one Azure BGP connection, active-passive",
			obs:  seed(),
			wants: []want{
				{rule: IDBGPNeedsActiveActive,
					msg: []string{"BGP over SORACOM Door connection door-1 of VPG vpg-door (dynamic routing, 2 tunnels) to Azure connection cn-door1",
						"Azure gateway vgw-prod is not active-active, has 1 public IP and has 1 custom APIPA address (169.254.21.2)", "only one tunnel can peer"},
					fix: []string{"new static Door connection", "runbook migrate", "Door connection per Azure public IP", refSoracomRedundant}},
				{rule: IDSingleTunnel, msg: []string{"only 1 Azure connection with a local network gateway (cn-door1)"}},
			},
		},
		{
			name:  "same Azure side, VPG not read: one BGP connection is not both tunnels",
			obs:   with(seed(), func(o *vpn.Observation) { o.Soracom = nil }),
			wants: []want{{rule: IDSingleTunnel}},
		},
		{
			name: "Door static: nothing to peer",
			obs:  withVPG(seed(), func(v *vpn.SoracomVPG) { v.DoorConnections[0].UseDynamicRouting = false }),
			wants: []want{{rule: IDSingleTunnel}, {rule: IDRoutingMismatch, msg: []string{"uses static routing but Azure connection cn-door1 has BGP enabled"}},
				{rule: IDStaticRouteMissing, msg: []string{"address_prefixes [] (lng-cn-door1) lack 100.64.17.0/28"}}},
		},
		{
			name: "Door BGP to an active-active gateway with two BGP connections",
			obs: with(seed(), func(o *vpn.Observation) {
				o.Azure.Gateway = activeActive()
				o.Azure.Connections = append(o.Azure.Connections, bgpConn("cn-door2", ip2, "Connected"))
			}),
		},
		{
			name: "both ends say it: one finding",
			obs: with(seed(), func(o *vpn.Observation) {
				o.Azure.Connections = append(o.Azure.Connections, bgpConn("cn-door2", ip2, "Connecting"))
			}),
			wants: []want{
				{rule: IDBGPNeedsActiveActive, msg: []string{"SORACOM Door connection door-1", "to Azure connections cn-door1, cn-door2"}},
				{rule: IDTunnelDown, msg: []string{"cn-door2 Connecting"}},
			},
		},
	})
}

func TestDoorASNInvalid(t *testing.T) {
	bgp := func(asn string, gw int64) vpn.Observation {
		return with(doorObs(gwASN(activeActive(), gw), bgpConn("cn-door1", ip1, "Connected"), bgpConn("cn-door2", ip2, "Connected")),
			func(o *vpn.Observation) { o.Soracom = vpg(true, asn) })
	}
	runCases(t, []liveCase{
		{name: "Door 64512, Azure 65000", obs: bgp("64512", 65000)},
		{name: "Door 65001, Azure 65000", obs: bgp("65001", 65000)},
		{
			name: "Door ASN equals the Azure gateway's",
			obs:  bgp("65000", 65000),
			wants: []want{{rule: IDASNInvalid,
				msg: []string{"aws.asn 65000 (SORACOM Door connection door-1 bgpAsn) equals azure.gateway.asn 65000"},
				fix: []string{"Give the Azure gateway another private ASN", "fixed when SORACOM creates it"}}},
		},
		{
			name:  "Door ASN reserved by Azure",
			obs:   bgp("65515", 65000),
			wants: []want{{rule: IDASNInvalid, msg: []string{"aws.asn 65515 (SORACOM Door connection door-1 bgpAsn) is reserved by Azure"}}},
		},
		{
			name:  "Door ASN public, outside the Amazon-side ranges",
			obs:   bgp("64511", 65000),
			wants: []want{{rule: IDASNInvalid, msg: []string{"aws.asn 64511 (SORACOM Door connection door-1 bgpAsn) is outside the Amazon-side ranges"}}},
		},
		{
			name:  "legacy Amazon ASN is valid: info only",
			obs:   bgp("10124", 65000),
			wants: []want{{rule: IDASNInvalid, msg: []string{"aws.asn 10124 (SORACOM Door connection door-1 bgpAsn) is the Amazon-side ASN AWS gave", "valid"}}},
		},
		{
			name:  "bgpAsn that is not a number",
			obs:   bgp("AS64512", 65000),
			wants: []want{{rule: IDASNInvalid, msg: []string{`SORACOM Door connection door-1 of VPG vpg-door uses dynamic routing but its bgpAsn "AS64512" is not an ASN`}}},
		},
		{
			name: "static Door: its ASN is never compared",
			obs: with(doorStatic(), func(o *vpn.Observation) {
				o.Azure.Gateway = gwASN(activePassive(), 65000)
				o.Soracom.DoorConnections[0].BGPASN = "65000"
			}),
		},
		{
			name: "local network gateway ASN is not the Door's: the session never establishes",
			obs: with(bgp("64512", 65000), func(o *vpn.Observation) {
				for i := range o.Azure.Connections {
					l := *o.Azure.Connections[i].LocalNetworkGateway
					l.ASN = 64600
					o.Azure.Connections[i].LocalNetworkGateway = &l
				}
			}),
			wants: []want{
				{rule: IDASNInvalid, msg: []string{"azure.local_network_gateways[0].asn 64600 (lng-cn-door1) differs from aws.asn 64512 (SORACOM Door connection door-1 bgpAsn)"}},
				{rule: IDASNInvalid, msg: []string{"azure.local_network_gateways[1].asn 64600 (lng-cn-door2) differs"}},
			},
		},
	})
}

func TestDoorStaticRouteMissing(t *testing.T) {
	lngs := func(p1, p2 []string) vpn.Observation {
		return with(doorStatic(), func(o *vpn.Observation) {
			o.Azure.Connections[0] = lngCovers(o.Azure.Connections[0], p1...)
			o.Azure.Connections[1] = lngCovers(o.Azure.Connections[1], p2...)
		})
	}
	runCases(t, []liveCase{
		{name: "both cover the VPG range exactly", obs: lngs([]string{vpgRange}, []string{vpgRange})},
		{name: "covered by a supernet", obs: lngs([]string{"100.64.0.0/10"}, []string{"100.64.16.0/23"})},
		{
			name: "second lacks it",
			obs:  lngs([]string{vpgRange}, []string{"100.64.17.0/29"}),
			wants: []want{{rule: IDStaticRouteMissing,
				msg: []string{"azure.local_network_gateways[1].address_prefixes [100.64.17.0/29] (lng-cn-door2) lack 100.64.17.0/28 (soracom.vpg_subnet)"},
				fix: []string{"az network local-gateway update -g rg-door -n lng-cn-door2"}}},
		},
		{
			name: "device subnet in the LNGs is not the VPG range",
			obs:  lngs([]string{"10.128.0.0/9"}, []string{"10.128.0.0/9"}),
			wants: []want{
				{rule: IDStaticRouteMissing, msg: []string{"(lng-cn-door1) lack 100.64.17.0/28"}},
				{rule: IDStaticRouteMissing, msg: []string{"(lng-cn-door2) lack 100.64.17.0/28"}},
			},
		},
		{
			name: "Type-F2 also needs the device subnet",
			obs:  withVPG(doorStatic(), func(v *vpn.SoracomVPG) { v.Type = 242 }),
			wants: []want{
				{rule: IDStaticRouteMissing, msg: []string{"(lng-cn-door1) lack 10.128.0.0/9 (soracom.device_subnet, Type-F2 routes device addresses)"}},
				{rule: IDStaticRouteMissing, msg: []string{"(lng-cn-door2) lack 10.128.0.0/9"}},
			},
		},
		{name: "Type-F2 with both ranges", obs: withVPG(lngs([]string{vpgRange, "10.128.0.0/9"}, []string{"100.64.0.0/10", "10.0.0.0/8"}), func(v *vpn.SoracomVPG) { v.Type = 242 })},
		{
			name: "the VPG's own device subnet, not the default",
			obs: withVPG(lngs([]string{vpgRange, "10.128.0.0/9"}, []string{vpgRange, "10.128.0.0/9"}), func(v *vpn.SoracomVPG) {
				v.Type, v.DeviceSubnet = 242, "10.64.0.0/16"
			}),
			wants: []want{
				{rule: IDStaticRouteMissing, msg: []string{"lack 10.64.0.0/16 (soracom.device_subnet"}},
				{rule: IDStaticRouteMissing, msg: []string{"lack 10.64.0.0/16 (soracom.device_subnet"}},
			},
		},
		{name: "VPG not read: no range to check", obs: with(lngs(nil, nil), func(o *vpn.Observation) { o.Soracom = nil })},
		{
			name: "BGP Door: routes are learned",
			obs: with(lngs(nil, nil), func(o *vpn.Observation) {
				o.Soracom.DoorConnections[0] = vpn.DoorConnection{ID: "door-1", UseDynamicRouting: true, BGPASN: "64512"}
				o.Azure.Gateway = activeActive()
				o.Azure.Connections[0].EnableBGP, o.Azure.Connections[1].EnableBGP = true, true
			}),
		},
	})
}

func TestDoorRoutingFilterLive(t *testing.T) {
	filter := func(entries ...string) vpn.Observation {
		return withVPG(doorStatic(), func(v *vpn.SoracomVPG) {
			for _, e := range entries {
				action, r, _ := strings.Cut(e, " ")
				v.RoutingFilter = append(v.RoutingFilter, vpn.RoutingFilterEntry{Action: action, IPRange: r})
			}
		})
	}
	runCases(t, []liveCase{
		{name: "no filter", obs: filter()},
		{name: "VNet allowed above a deny-all", obs: filter("allow 10.1.0.0/16", "deny 0.0.0.0/0")},
		{name: "deny 10/8 leaves 172.16/12 and 192.168/16", obs: filter("deny 10.0.0.0/8")},
		{name: "allow inside one private range", obs: filter("allow 192.168.10.0/24", "deny 0.0.0.0/0")},
		{
			name: "deny-all",
			obs:  filter("deny 0.0.0.0/0"),
			wants: []want{{rule: IDRoutingFilterDenies,
				msg: []string{"soracom.routing_filter[0] (deny 0.0.0.0/0) denies every private address", "devices behind VPG vpg-door cannot reach"},
				fix: []string{"allow VNET_PREFIX", "first matching entry decides"}}},
		},
		{
			name:  "deny each private range",
			obs:   filter("deny 10.0.0.0/8", "deny 172.16.0.0/12", "deny 192.168.0.0/16"),
			wants: []want{{rule: IDRoutingFilterDenies, msg: []string{"soracom.routing_filter[0] (deny 10.0.0.0/8), soracom.routing_filter[1] (deny 172.16.0.0/12), soracom.routing_filter[2] (deny 192.168.0.0/16) denies"}}},
		},
		{name: "allow after the deny comes too late", obs: filter("deny 0.0.0.0/0", "allow 10.1.0.0/16"),
			wants: []want{{rule: IDRoutingFilterDenies, msg: []string{"(deny 0.0.0.0/0) denies every private address"}}}},
	})
}

func TestDoorVPGState(t *testing.T) {
	runCases(t, []liveCase{
		{name: "running", obs: doorStatic()},
		{name: "status not reported", obs: withVPG(doorStatic(), func(v *vpn.SoracomVPG) { v.Status = "" })},
		{name: "Running in another case", obs: withVPG(doorStatic(), func(v *vpn.SoracomVPG) { v.Status = "Running" })},
		{
			name: "not running",
			obs:  withVPG(doorStatic(), func(v *vpn.SoracomVPG) { v.Status = "terminating" }),
			wants: []want{{rule: IDVPGNotRunning, msg: []string{`SORACOM VPG vpg-door status is "terminating", not running`},
				fix: []string{"soracom vpg get --vpg-id vpg-door", "statuspage"}}},
		},
		{
			name: "no Door connection",
			obs:  withVPG(doorStatic(), func(v *vpn.SoracomVPG) { v.DoorConnections = nil }),
			wants: []want{{rule: IDDoorConnectionMissing, msg: []string{"SORACOM VPG vpg-door has no Door connection", "cn-door1, cn-door2"},
				fix: []string{"soracom.vpg_id", "soracom vpg list"}}},
		},
	})
	// Severity: a VPG that is not running is never a healthy connection.
	obs := withVPG(doorStatic(), func(v *vpn.SoracomVPG) { v.Status = "terminating" })
	rows := vpn.Pair(obs)
	if h := vpn.Verdict(obs, rows, Live(obs, rows)); h == vpn.Healthy {
		t.Errorf("verdict %s with a VPG that is not running", h)
	}
}

// The proposal side: the soracom section, as a user writes it or as
// validate fills it from the live VPG.
func doorDesign() vpn.Proposal {
	return vpn.Proposal{
		Connection: "door-prod",
		Routing:    vpn.RoutingStatic,
		Azure: vpn.ProposalAzure{
			VNetPrefixes: []string{"10.1.0.0/16"},
			Gateway:      &vpn.ProposedGateway{SKU: "VpnGw1AZ", VPNType: "RouteBased", ActiveActive: bptr(false), PublicIPs: iptr(1), ASN: i64(65000)},
			LocalNetworkGateways: []vpn.ProposedLNG{
				{Name: "lng-door1", GatewayIP: ip1, AddressPrefixes: []string{vpgRange}},
				{Name: "lng-door2", GatewayIP: ip2, AddressPrefixes: []string{vpgRange}},
			},
			Connections: []vpn.ProposedConnection{
				{Name: "cn-door1", LocalNetworkGateway: "lng-door1", EnableBGP: bptr(false)},
				{Name: "cn-door2", LocalNetworkGateway: "lng-door2", EnableBGP: bptr(false)},
			},
		},
		Soracom: vpn.ProposalSoracom{DeviceSubnet: "10.128.0.0/9", VPGSubnet: vpgRange},
	}
}

func TestPDoorRules(t *testing.T) {
	filter := func(entries ...vpn.RoutingFilterEntry) vpn.Proposal {
		return withP(doorDesign(), func(p *vpn.Proposal) { p.Soracom.RoutingFilter = entries })
	}
	allow := func(r string) vpn.RoutingFilterEntry { return vpn.RoutingFilterEntry{Action: "allow", IPRange: r} }
	deny := func(r string) vpn.RoutingFilterEntry { return vpn.RoutingFilterEntry{Action: "deny", IPRange: r} }
	bgp := func(p *vpn.Proposal) {
		p.Routing = vpn.RoutingBGP
		p.Azure.Gateway.APIPAAddresses = []string{"169.254.21.2"}
		p.Azure.Connections = p.Azure.Connections[:1]
		p.Azure.Connections[0].EnableBGP = bptr(true)
	}
	t.Run("clean", func(t *testing.T) {
		if fs := Check(doorDesign(), nil); len(fs) != 0 {
			t.Errorf("findings on a correct Door design:\n%s", dump(fs))
		}
	})
	runRule(t, IDRoutingFilterDenies, []pcase{
		{name: "no filter", p: doorDesign()},
		{name: "empty filter", p: filter()},
		{name: "VNet allowed first", p: filter(allow("10.1.0.0/16"), deny("0.0.0.0/0"))},
		{name: "deny elsewhere", p: filter(deny("10.2.0.0/16"))},
		{name: "halves allowed, then deny", p: filter(allow("10.1.0.0/17"), allow("10.1.128.0/17"), deny("10.0.0.0/8"))},
		{name: "deny covering the VNet", fire: true, p: filter(deny("10.0.0.0/8")),
			msg: []string{"soracom.routing_filter[0] (deny 10.0.0.0/8) denies all of it azure.vnet_prefixes 10.1.0.0/16"}},
		{name: "deny inside the VNet", fire: true, p: filter(deny("10.1.5.0/24")),
			msg: []string{"(deny 10.1.5.0/24) denies part of it (10.1.5.0/24) azure.vnet_prefixes 10.1.0.0/16"}},
		{name: "half allowed, then deny", fire: true, p: filter(allow("10.1.0.0/17"), deny("0.0.0.0/0")),
			msg: []string{"soracom.routing_filter[1] (deny 0.0.0.0/0) denies all of it but 10.1.0.0/17"}},
		{name: "allow after deny is too late", fire: true, p: filter(deny("0.0.0.0/0"), allow("10.1.0.0/16")),
			msg: []string{"routing_filter[0] (deny 0.0.0.0/0) denies all of it"}},
		{name: "malformed range", fire: true, p: filter(deny("10.1.0.0")), msg: []string{`soracom.routing_filter[0] ip_range "10.1.0.0" is not a CIDR`}},
		{name: "VNet unknown, deny-all", fire: true, p: withP(filter(deny("0.0.0.0/0")), func(p *vpn.Proposal) { p.Azure.VNetPrefixes = nil }),
			msg: []string{"denies every private address"}},
	})
	runRule(t, IDBGPNeedsActiveActive, []pcase{
		{name: "Door static", p: doorDesign()},
		{name: "Door BGP, one BGP connection, one public IP", fire: true, p: withP(doorDesign(), bgp),
			msg: []string{"BGP over SORACOM Door (dynamic routing: one AWS VPN connection, 2 tunnels) to Azure connection cn-door1", "is not active-active"}},
		{name: "Door BGP, active-active with two APIPA", p: withP(doorDesign(), func(p *vpn.Proposal) {
			bgp(p)
			p.Azure.Gateway.ActiveActive, p.Azure.Gateway.PublicIPs = bptr(true), iptr(2)
			p.Azure.Gateway.APIPAAddresses = []string{"169.254.21.2", "169.254.22.2"}
		})},
		{name: "no SORACOM section: a plain routing bgp with one connection", p: withP(doorDesign(), func(p *vpn.Proposal) {
			bgp(p)
			p.Soracom = vpn.ProposalSoracom{}
		})},
	})
	runRule(t, IDRoutingMismatch, []pcase{
		{name: "Door static, Azure static", p: doorDesign()},
		{name: "Door BGP, Azure static", fire: true, p: withP(doorDesign(), func(p *vpn.Proposal) { p.Routing = vpn.RoutingBGP }),
			msg: []string{"SORACOM Door uses BGP but Azure connections cn-door1, cn-door2 have BGP disabled"}},
	})
	runRule(t, IDASNInvalid, []pcase{
		{name: "Door ASN differs", p: withP(doorDesign(), func(p *vpn.Proposal) { bgp(p); p.AWS.ASN = i64(64512) })},
		{name: "Door ASN equals the gateway's", fire: true, p: withP(doorDesign(), func(p *vpn.Proposal) { bgp(p); p.AWS.ASN = i64(65000) }),
			msg: []string{"aws.asn 65000 (the SORACOM Door connection's BGP ASN) equals azure.gateway.asn 65000"}},
	})
}

// validate with `connection:` measures the proposal against the real VPG:
// its device subnet replaces the default, so a VNet in 10.128.0.0/9 is no
// overlap when the VPG was created with another subnet, and its filter is
// judged against the proposal's VNet.
func TestPDoorLiveVPGFillsProposal(t *testing.T) {
	vnet := vpn.Proposal{Connection: "door-prod", Azure: vpn.ProposalAzure{VNetPrefixes: []string{"10.200.0.0/16"}}, Origins: map[string]vpn.Origin{"azure.vnet_prefixes": vpn.OriginProposal}}
	rulesOf := func(obs vpn.Observation) []vpn.Finding {
		var out []vpn.Finding
		for _, f := range Check(vpn.Merge(vnet, vpn.ProposalFromObservation(obs)), nil) {
			if f.Rule == IDPrefixOverlap || f.Rule == IDRoutingFilterDenies {
				out = append(out, f)
			}
		}
		return out
	}
	other := withVPG(doorStatic(), func(v *vpn.SoracomVPG) { v.DeviceSubnet = "10.64.0.0/16" })
	if fs := rulesOf(other); len(fs) != 0 {
		t.Errorf("VPG device subnet 10.64.0.0/16, VNet 10.200.0.0/16:\n%s", dump(fs))
	}
	fs := rulesOf(doorStatic())
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "azure.vnet_prefixes 10.200.0.0/16 overlaps soracom.device_subnet (from live state) 10.128.0.0/9") {
		t.Errorf("VPG device subnet 10.128.0.0/9, VNet 10.200.0.0/16: want one overlap from live state, got\n%s", dump(fs))
	}
	unread := with(doorStatic(), func(o *vpn.Observation) { o.Soracom = nil })
	fs = rulesOf(unread)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "(default)") {
		t.Errorf("VPG not read: want the default device subnet marked default, got\n%s", dump(fs))
	}
	denied := withVPG(other, func(v *vpn.SoracomVPG) {
		v.RoutingFilter = []vpn.RoutingFilterEntry{{Action: "allow", IPRange: "10.1.0.0/16"}, {Action: "deny", IPRange: "10.0.0.0/8"}}
	})
	fs = rulesOf(denied)
	if len(fs) != 1 || fs[0].Rule != IDRoutingFilterDenies || !strings.Contains(fs[0].Message, "(deny 10.0.0.0/8) (from live state) denies all of it azure.vnet_prefixes 10.200.0.0/16") {
		t.Errorf("live filter against the proposed VNet: got\n%s", dump(fs))
	}
}
