package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// The SORACOM side of a Door connection. In live state it comes from the
// VPG the SORACOM API returned (observed.obs.Soracom); in a proposal from
// its soracom section, which vpn.ProposalFromObservation fills from the
// same VPG, so `validate` with `connection:` judges the real VPG. The Door
// connection's routing mode is the proposal's routing and its BGP ASN is
// aws.asn: SORACOM owns the AWS side, and Door is an AWS VPN connection.

// door reports whether p is a SORACOM Door design: it has a SORACOM side.
// Live Door connections always have one (the device subnet at least).
func (c *pcheck) door() bool { return c.p.Soracom.Stated() }

// doorOwnsAWS reports a Door design that states no AWS tunnels: SORACOM's
// Door connections stand for the AWS side (routing, BGP, aws.asn).
func (c *pcheck) doorOwnsAWS() bool { return c.door() && len(c.p.AWS.Tunnels) == 0 }

// vpg is the VPG read from the SORACOM API, nil in a proposal or when it
// was not read.
func (c *pcheck) vpg() *vpn.SoracomVPG {
	if c.obs == nil {
		return nil
	}
	return c.obs.obs.Soracom
}

// doorBGP counts the AWS tunnels SORACOM runs BGP over, and names them for
// a message. Every Door connection is an AWS VPN connection with two
// tunnels, both of which try BGP with dynamic routing: this is how the
// seed's failure (BGP to a gateway with one public IP) is seen from the
// SORACOM end even when Azure has only one BGP connection.
func (c *pcheck) doorBGP() (tunnels int, over string) {
	if !c.doorOwnsAWS() {
		return 0, ""
	}
	if c.live() {
		v := c.vpg()
		if v == nil {
			return 0, ""
		}
		var ids []string
		for _, d := range v.DoorConnections {
			if d.UseDynamicRouting {
				ids = append(ids, orDash(d.ID))
			}
		}
		if len(ids) == 0 {
			return 0, ""
		}
		return 2 * len(ids), fmt.Sprintf("SORACOM Door %s of VPG %s (dynamic routing, %s)",
			connections(ids), v.ID, count(2*len(ids), "tunnel"))
	}
	if c.p.Routing != vpn.RoutingBGP {
		return 0, ""
	}
	return 2, "SORACOM Door" + c.from(vpn.FieldRouting) + " (dynamic routing: one AWS VPN connection, 2 tunnels)"
}

// doorASNLabel says where aws.asn came from in a Door design: the Door
// connection's bgpAsn.
func (c *pcheck) doorASNLabel() string {
	if !c.doorOwnsAWS() {
		return ""
	}
	if v := c.vpg(); v != nil {
		for _, d := range v.DoorConnections {
			if _, ok := d.ASN(); ok && d.UseDynamicRouting {
				return " (SORACOM Door connection " + orDash(d.ID) + " bgpAsn)"
			}
		}
	}
	return " (the SORACOM Door connection's BGP ASN)"
}

// amazonASN names aws.asn and its value, and for Door the Door connection
// it belongs to.
func (c *pcheck) amazonASN(a int64) string {
	return c.at(vpn.Path(vpn.FieldAWS, vpn.FieldASN), a) + c.doorASNLabel()
}

// doorASNProblems reports Door connections whose bgpAsn is not a number:
// SORACOM sends it as a string, and one doorbot cannot parse cannot be
// compared with Azure's.
func (c *pcheck) doorASNProblems() []vpn.Finding {
	v := c.vpg()
	if v == nil {
		return nil
	}
	var out []vpn.Finding
	for _, d := range v.DoorConnections {
		if _, ok := d.ASN(); d.UseDynamicRouting && !ok {
			out = append(out, newFinding(IDASNInvalid,
				fmt.Sprintf("SORACOM Door connection %s of VPG %s uses dynamic routing but its bgpAsn %q is not an ASN (1-4294967295)", orDash(d.ID), v.ID, d.BGPASN),
				"Ask SORACOM to correct the Door connection's BGP ASN (`soracom vpg get --vpg-id "+v.ID+"` shows it); "+asnFix))
		}
	}
	return out
}

// --- routing-filter-denies -------------------------------------------------

// rfc1918 is where an Azure VNet's addresses almost always come from: a
// filter that denies all of it denies every such VNet, known or not.
var rfc1918 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
}

// filterEntry is a routing filter entry that parsed.
type filterEntry struct {
	deny  bool
	r     netip.Prefix
	label string // how a message names it
}

// filterDenial says how SORACOM's outbound routing filter treats traffic
// to pf: it evaluates the entries top-down and the first one that matches
// a destination decides; a destination no entry matches is allowed. It
// returns the first deny entry that drops some of pf, and what of pf it
// drops in words.
func filterDenial(pf netip.Prefix, entries []filterEntry) (e filterEntry, what string, found bool) {
	var allowed []netip.Prefix // parts of pf an earlier allow decided
	for _, f := range entries {
		if !f.r.Overlaps(pf) {
			continue
		}
		if f.r.Bits() <= pf.Bits() { // covers all of pf not decided yet
			switch {
			case !f.deny || covered(pf, allowed):
				return filterEntry{}, "", false
			case len(allowed) == 0:
				return f, "all of it", true
			}
			parts := make([]string, len(allowed))
			for i, a := range allowed {
				parts[i] = a.String()
			}
			return f, "all of it but " + strings.Join(parts, ", "), true
		}
		// An entry inside pf decides only its own part.
		if !f.deny {
			allowed = append(allowed, f.r)
		} else if !covered(f.r, allowed) {
			return f, "part of it (" + f.r.String() + ")", true
		}
	}
	return filterEntry{}, "", false
}

func pRoutingFilterDenies(c *pcheck) []vpn.Finding {
	filter := c.p.Soracom.RoutingFilter
	if len(filter) == 0 {
		return nil
	}
	fpath := vpn.Path(vpn.FieldSoracom, vpn.FieldRoutingFilter)
	var entries []filterEntry
	var out []vpn.Finding
	for i, e := range filter {
		r, ok := parseCIDR(e.IPRange)
		if !ok {
			out = append(out, newFinding(IDRoutingFilterDenies,
				fmt.Sprintf("%s ip_range %q is not a CIDR", vpn.Index(fpath, i), e.IPRange), "Write each routing filter range as a CIDR (10.1.0.0/16)."))
			continue
		}
		entries = append(entries, filterEntry{deny: strings.EqualFold(e.Action, "deny"), r: r.Masked(),
			label: fmt.Sprintf("%s (%s %s)%s", vpn.Index(fpath, i), e.Action, e.IPRange, c.from(fpath))})
	}
	vpg := "the VPG"
	if v := c.vpg(); v != nil {
		vpg = "VPG " + v.ID
	}
	fix := func(allow string) string {
		return fmt.Sprintf("SORACOM evaluates the outbound routing filter top-down and the first matching entry decides: add "+
			"`allow %s` above the deny entry (SORACOM console: %s, Advanced settings, Outbound routing filter). doorbot only reads the filter.", allow, vpg)
	}

	vnet, _ := prefixes(c.p.Azure.VNetPrefixes)
	if len(vnet) > 0 {
		for k, v := range vnet {
			e, how, found := filterDenial(v, entries)
			if !found {
				continue
			}
			out = append(out, newFinding(IDRoutingFilterDenies,
				fmt.Sprintf("%s denies %s %s: devices behind %s cannot reach it over Door even with both tunnels Connected",
					e.label, how, c.at(vpn.Path(vpn.FieldAzure, vpn.FieldVNetPrefixes), c.p.Azure.VNetPrefixes[k]), vpg),
				fix(c.p.Azure.VNetPrefixes[k])))
		}
		return out
	}
	// The VNet prefixes are unknown (live state: no cloud reports them):
	// judge only what denies every private address, which denies any VNet.
	var deniedBy []string
	for _, pf := range rfc1918 {
		e, how, found := filterDenial(pf, entries)
		if !found || how != "all of it" {
			return out
		}
		if len(deniedBy) == 0 || deniedBy[len(deniedBy)-1] != e.label {
			deniedBy = append(deniedBy, e.label)
		}
	}
	out = append(out, newFinding(IDRoutingFilterDenies,
		fmt.Sprintf("%s denies every private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) and allows none of them: devices behind %s cannot reach an Azure VNet in private address space over Door",
			strings.Join(deniedBy, ", "), vpg),
		fix("VNET_PREFIX")))
	return out
}

// --- vpg-not-running, door-connection-missing ------------------------------

func vpgNotRunning(c *pcheck) []vpn.Finding {
	v := c.vpg()
	if v == nil || v.Status == "" || v.Running() {
		return nil
	}
	return []vpn.Finding{newFinding(IDVPGNotRunning,
		fmt.Sprintf("SORACOM VPG %s status is %q, not running: no device traffic leaves it over Door, whatever Azure reports", v.ID, v.Status),
		fmt.Sprintf("Check the VPG in the SORACOM console or with `soracom vpg get --vpg-id %s` and SORACOM's status page "+
			"(https://soracom.statuspage.io/); if it is being created or replaced, wait for running. A VPG cannot be restarted "+
			"from doorbot, which only reads.", v.ID))}
}

func doorConnectionMissing(c *pcheck) []vpn.Finding {
	v := c.vpg()
	if v == nil || len(v.DoorConnections) > 0 {
		return nil
	}
	return []vpn.Finding{newFinding(IDDoorConnectionMissing,
		fmt.Sprintf("SORACOM VPG %s has no Door connection (vpnConnections is empty): nothing on the SORACOM side terminates Azure connections %s",
			v.ID, listOrNone(c.azureConnNames())),
		fmt.Sprintf("Check connections[].soracom.vpg_id in doorbot's config against `soracom vpg list` (another VPG may own the Door "+
			"connection); if %s is the right VPG, apply for SORACOM Door on it with the Azure gateway's public IP.", v.ID))}
}

// azureConnNames names the configured Azure connections, else the ones
// Azure returned.
func (c *pcheck) azureConnNames() []string {
	if names := c.obs.obs.Connection.Azure.Connections; len(names) > 0 {
		return names
	}
	var out []string
	for _, pc := range c.p.Azure.Connections {
		out = append(out, orDash(pc.Name))
	}
	return out
}
