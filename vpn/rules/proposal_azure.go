package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// Rules about what the Azure gateway and its connections can do, and who
// starts IKE.

// --- policy-based-selectors ------------------------------------------------

func pPolicyBasedSelectors(c *pcheck) []vpn.Finding {
	var out []vpn.Finding
	if gw := c.p.Azure.Gateway; gw != nil && gw.VPNType != "" {
		vt, ok := fold([]string{"RouteBased", "PolicyBased"}, gw.VPNType)
		switch {
		case !ok:
			out = append(out, newFinding(IDPolicyBasedSelectors, c.at(gpath(vpn.FieldVPNType), gw.VPNType)+" is not RouteBased or PolicyBased",
				"Use RouteBased (the VPN type cannot be changed after the gateway is created)."))
		case vt == "PolicyBased":
			tunnels := max(len(c.p.AWS.Tunnels), len(c.p.Azure.Connections))
			fix := "Use a RouteBased gateway (VpnGw1AZ or larger): AWS tunnels are route-based, and a PolicyBased gateway is Basic-only, " +
				"IKEv1-only, one site-to-site tunnel and no BGP. The VPN type is immutable, so this means recreating the gateway (new public IP)."
			var why []string
			if tunnels > 1 {
				why = append(why, fmt.Sprintf("%d tunnels", tunnels))
			}
			if c.bgp {
				why = append(why, "BGP")
			}
			if len(why) > 0 {
				out = append(out, newFinding(IDPolicyBasedSelectors,
					fmt.Sprintf("%s cannot carry what the design asks (%s): a PolicyBased gateway has one tunnel and no BGP", c.at(gpath(vpn.FieldVPNType), vt), strings.Join(why, " and ")), fix))
			} else {
				out = append(out, withSeverity(newFinding(IDPolicyBasedSelectors,
					c.at(gpath(vpn.FieldVPNType), vt)+" allows one tunnel, so AWS's second tunnel can never be used", fix), vpn.SeverityWarning))
			}
		}
	}
	for k, pc := range c.p.Azure.Connections {
		if isTrue(pc.UsePolicyBasedTrafficSelectors) {
			out = append(out, withSeverity(newFinding(IDPolicyBasedSelectors,
				c.cfield(k, vpn.FieldUsePolicyBasedTrafficSelectors, true)+": Azure then negotiates one selector per prefix pair while AWS "+
					"tunnels are route-based (0.0.0.0/0), a common phase 2 failure (TS mismatch)",
				"Set it to false and keep AWS's local/remote IPv4 network CIDRs at 0.0.0.0/0; only if policy-based selectors are "+
					"required, set AWS's local and remote network CIDRs to exactly the one prefix pair Azure will propose."), vpn.SeverityWarning))
		}
	}
	return out
}

// --- sku-unsupported -------------------------------------------------------

var vpnSKUs = []string{"Basic", "VpnGw1", "VpnGw2", "VpnGw3", "VpnGw4", "VpnGw5",
	"VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ", "Standard", "HighPerformance"}

const basicFix = "Use VpnGw1AZ or larger: Basic has no BGP, no active-active and no custom IPsec/IKE policy, and RouteBased " +
	"Basic is IKEv2 only. Moving off Basic means recreating the gateway (new public IP)."

func pSKUUnsupported(c *pcheck) []vpn.Finding {
	gw := c.p.Azure.Gateway
	if gw == nil || gw.SKU == "" {
		return nil
	}
	sku, ok := fold(vpnSKUs, gw.SKU)
	if !ok {
		why := "is not a VPN gateway SKU (Basic, VpnGw1-5, VpnGw1AZ-5AZ)"
		if strings.HasPrefix(strings.ToLower(gw.SKU), "ergw") {
			why = "is an ExpressRoute SKU, not a VPN gateway SKU"
		}
		return []vpn.Finding{newFinding(IDSKUUnsupported, c.at(gpath(vpn.FieldSKU), gw.SKU)+" "+why, "Use a VPN gateway SKU, VpnGw1AZ or larger.")}
	}
	policyBased := strings.EqualFold(gw.VPNType, "PolicyBased")
	// Named lazily: only a firing finding needs the connection names.
	conns := func(match func(vpn.ProposedConnection) bool) []string {
		var out []string
		for k, pc := range c.p.Azure.Connections {
			if match(pc) {
				out = append(out, c.connName(k))
			}
		}
		return out
	}
	ikev1 := func(pc vpn.ProposedConnection) bool { return strings.EqualFold(pc.Protocol, "IKEv1") }
	ikev2 := func(pc vpn.ProposedConnection) bool { return strings.EqualFold(pc.Protocol, "IKEv2") }
	custom := func(pc vpn.ProposedConnection) bool { return pc.IPsecPolicy != nil }
	anyConn := func(match func(vpn.ProposedConnection) bool) bool {
		return slices.ContainsFunc(c.p.Azure.Connections, match)
	}

	var out []vpn.Finding
	skuAt := gpath(vpn.FieldSKU) + " " + sku + c.from(gpath(vpn.FieldSKU))
	switch sku {
	case "Basic":
		if c.bgp {
			out = append(out, newFinding(IDSKUUnsupported, skuAt+" does not support BGP", basicFix))
		}
		if isTrue(gw.ActiveActive) {
			out = append(out, newFinding(IDSKUUnsupported, skuAt+" does not support active-active", basicFix))
		}
		if anyConn(custom) {
			out = append(out, newFinding(IDSKUUnsupported, skuAt+" does not support a custom IPsec/IKE policy ("+strings.Join(conns(custom), ", ")+")", basicFix))
		}
		if !policyBased && anyConn(ikev1) {
			out = append(out, newFinding(IDSKUUnsupported, skuAt+" RouteBased supports IKEv2 only, but IKEv1 is asked on "+strings.Join(conns(ikev1), ", "), basicFix))
		}
		if policyBased && anyConn(ikev2) {
			out = append(out, newFinding(IDSKUUnsupported, skuAt+" PolicyBased supports IKEv1 only, but IKEv2 is asked on "+strings.Join(conns(ikev2), ", "), basicFix))
		}
	case "VpnGw1", "VpnGw2", "VpnGw3", "VpnGw4", "VpnGw5":
		// Non-AZ SKUs cannot be created since 2025-01-01; Microsoft migrates
		// existing ones to the AZ SKU of the same name.
		if c.newGateway() {
			out = append(out, citing(newFinding(IDSKUUnsupported,
				skuAt+" cannot be created: non-AZ VPN gateway SKUs are no longer offered for new gateways since 2025-01-01",
				"Create the gateway as "+sku+"AZ (same capacity, zone-redundant; it needs a Standard static public IP)."), refMSSKUConsolidation))
		} else if !c.live() {
			out = append(out, citing(withSeverity(newFinding(IDSKUUnsupported,
				skuAt+" is a non-AZ SKU that Microsoft migrates to "+sku+"AZ (existing gateways keep working)",
				"Nothing to do for this change; Microsoft announces the migration window for existing gateways."), vpn.SeverityInfo), refMSSKUConsolidation))
		}
	case "Standard", "HighPerformance":
		out = append(out, withSeverity(newFinding(IDSKUUnsupported, skuAt+" is a legacy SKU, deprecated on 2025-09-30",
			"Migrate to a VpnGw*AZ SKU (Microsoft's legacy SKU migration); plan it as a change window."), vpn.SeverityWarning))
		if anyConn(ikev1) {
			out = append(out, newFinding(IDSKUUnsupported, skuAt+" does not support IKEv1 site-to-site, asked on "+strings.Join(conns(ikev1), ", "),
				"Use IKEv2, or a VpnGw SKU for IKEv1."))
		}
	}
	if policyBased && sku != "Basic" {
		out = append(out, newFinding(IDSKUUnsupported,
			fmt.Sprintf("%s with %s: PolicyBased gateways exist only as Basic", c.at(gpath(vpn.FieldVPNType), gw.VPNType), skuAt),
			"Use vpn_type RouteBased with this SKU."))
	}
	return out
}

// --- gateway-subnet --------------------------------------------------------

func pGatewaySubnet(c *pcheck) []vpn.Finding {
	gw := c.p.Azure.Gateway
	if gw == nil || gw.GatewaySubnet == "" {
		return nil
	}
	const fix = "Make GatewaySubnet a /27 or larger (the minimum is /29): active-active, more tunnels and ExpressRoute " +
		"coexistence need addresses, and a gateway subnet cannot be resized while the gateway uses it."
	at := func() string {
		return c.at(gpath(vpn.FieldGatewaySubnet), gw.GatewaySubnet)
	}
	pf, ok := parseCIDR(gw.GatewaySubnet)
	switch {
	case !ok:
		return []vpn.Finding{newFinding(IDGatewaySubnet, at()+" is not a CIDR", fix)}
	case !pf.Addr().Is4():
		return []vpn.Finding{newFinding(IDGatewaySubnet, at()+" is not an IPv4 prefix (a gateway subnet needs IPv4)", fix)}
	case pf.Bits() > 29:
		return []vpn.Finding{newFinding(IDGatewaySubnet, fmt.Sprintf("%s is a /%d, smaller than Azure's minimum /29", at(), pf.Bits()), fix)}
	case pf.Bits() > 27:
		return []vpn.Finding{withSeverity(newFinding(IDGatewaySubnet,
			fmt.Sprintf("%s is a /%d, smaller than the recommended /27", at(), pf.Bits()), fix), vpn.SeverityWarning)}
	}
	return nil
}

// --- responder-only --------------------------------------------------------

const responderFix = "Set the Azure connection's connection mode to Default (SORACOM's guidance for Azure), or set the AWS " +
	"tunnel's startup action to start (IKEv2 only: `aws ec2 modify-vpn-tunnel-options ... --tunnel-options StartupAction=start`)."

func pResponderOnly(c *pcheck) []vpn.Finding {
	var out []vpn.Finding
	for i, t := range c.p.AWS.Tunnels {
		if t.StartupAction != "" && !containsFold([]string{"add", "start"}, t.StartupAction) {
			out = append(out, newFinding(IDResponderOnly,
				fmt.Sprintf("%s is not add or start", c.tfield(i, vpn.FieldStartupAction, t.StartupAction)),
				"Use add (AWS waits for Azure, the default) or start (AWS initiates, IKEv2 only)."))
		}
	}
	for k, pc := range c.p.Azure.Connections {
		if pc.ConnectionMode == "" {
			continue
		}
		mode, ok := fold([]string{"Default", "InitiatorOnly", "ResponderOnly"}, pc.ConnectionMode)
		if !ok {
			out = append(out, newFinding(IDResponderOnly,
				fmt.Sprintf("%s is not Default, InitiatorOnly or ResponderOnly", c.cfield(k, vpn.FieldConnectionMode, pc.ConnectionMode)),
				"Use Default."))
			continue
		}
		if mode != "ResponderOnly" || !c.connInScope(pc.Name) {
			continue
		}
		has := fmt.Sprintf("%s has connection_mode ResponderOnly%s", c.connName(k), c.from(cpath(k, vpn.FieldConnectionMode)))
		switch i := c.connTun[k]; {
		case i >= 0:
			t := c.p.AWS.Tunnels[i]
			if !vpn.NobodyInitiates(mode, t.StartupAction) {
				continue
			}
			sa := "startup_action " + t.StartupAction + c.from(tpath(i, vpn.FieldStartupAction))
			if t.StartupAction == "" {
				sa = "no startup_action (AWS default add)"
			}
			out = append(out, newFinding(IDResponderOnly,
				fmt.Sprintf("%s while %s has %s: nobody initiates IKE", has, c.tunnelName(i), sa), responderFix))
		case len(c.p.AWS.Tunnels) == 0:
			// SORACOM Door or an AWS side not in the proposal: AWS's default
			// is to wait, and SORACOM asks for Default for this reason.
			out = append(out, newFinding(IDResponderOnly,
				has+": the AWS side waits for Azure unless its startup action is start (AWS's default is add), so nobody may initiate IKE",
				responderFix))
		}
		// A connection that matches no stated tunnel: peer-ip-mismatch.
	}
	return out
}

// newGateway says whether the proposal creates the Azure gateway: there is
// none today (or today is unknown).
func (c *pcheck) newGateway() bool {
	return !c.live() && (c.cur == nil || c.cur.Azure.Gateway == nil || c.cur.Azure.Gateway.SKU == "")
}
