package rules

import (
	"fmt"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// Rules only live state has inputs for: whether a tunnel is up, and the
// problems met while observing.

// --- tunnel-down -----------------------------------------------------------

func tunnelDown(c *pcheck) []vpn.Finding {
	o := c.obs
	var out []vpn.Finding
	for _, t := range o.rows {
		if o.azure && t.AzureConnection != "" && t.AzureStatus == vpn.StatusMissing {
			if ac, ok := o.azConn[t.AzureConnection]; ok && !ac.Found {
				out = append(out, newFinding(IDTunnelDown,
					fmt.Sprintf("tunnel %d: Azure connection %s is configured but does not exist in resource group %s",
						t.Index, t.AzureConnection, o.resourceGrp),
					fmt.Sprintf("Compare the name with `az network vpn-connection list -g %s -o table` and fix doorbot's config, "+
						"or recreate the connection if it was deleted.", o.resourceGrp)))
			}
			continue
		}
		if (o.aws && t.AWSStatus == vpn.StatusMissing) || (o.azure && t.AzureStatus == vpn.StatusMissing) {
			continue // peer-ip-mismatch reports it
		}
		awsDown := o.aws && !t.AWSUp()
		azDown := o.azure && !t.AzureUp()
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
		if o.aws {
			side := "AWS " + t.AWSStatus
			if t.AWSMessage != "" {
				side += fmt.Sprintf(" %q", t.AWSMessage)
			}
			sides = append(sides, side)
		}
		if o.azure {
			side := fmt.Sprintf("Azure %s %s", t.AzureConnection, t.AzureStatus)
			if t.BGP != nil {
				side += ", BGP peer " + t.BGP.State
			}
			sides = append(sides, side)
		}
		fix := o.tunnelDownFix(t)
		if peer, asn, ok := o.bgpDown(t, awsDown); ok {
			verb += fmt.Sprintf(": IPsec is up but its BGP session with %s (ASN %s) is not established, so nothing is routed over it", peer, asn)
			fix = o.bgpDownFix(t, peer)
		}
		out = append(out, newFinding(IDTunnelDown,
			fmt.Sprintf("tunnel %d (%s) %s: %s", t.Index, orDash(t.AWSOutsideIP), verb, strings.Join(sides, ", ")), fix))
	}
	return out
}

// bgpDown says whether a down tunnel is IPsec-up but BGP-down, and names
// the AWS side's BGP peer address and ASN. Azure says it with the
// connection Connected and the peer not Connected; AWS with DOWN "IPSEC IS
// UP" on a BGP VPN (AWS counts a BGP tunnel UP only once BGP is up).
func (o *observed) bgpDown(t vpn.TunnelStatus, awsDown bool) (peer, asn string, ok bool) {
	conn, haveConn := o.azConn[t.AzureConnection]
	bgp := haveConn && conn.EnableBGP
	if o.obs.AWS != nil {
		for _, v := range o.obs.AWS.VPNConnections {
			if v.ID == t.AWSVPNConnectionID {
				bgp = v.Routing() == vpn.RoutingBGP
			}
		}
	}
	awsSays := awsDown && bgp && t.AWSIPsecUp()
	if !awsSays && !t.BGPDown() {
		return "", "", false
	}
	peer, asn = "-", "unknown"
	if haveConn && conn.LocalNetworkGateway != nil {
		peer = orDash(conn.LocalNetworkGateway.BGPPeerAddress)
		if a := conn.LocalNetworkGateway.ASN; a != 0 {
			asn = fmt.Sprint(a)
		}
	}
	if at, ok := o.awsTunnel[vpn.KeyIP(t.AWSOutsideIP)]; ok && peer == "-" {
		if pf, ok := parseCIDR(at.Options.InsideCIDR); ok && pf.Addr().Is4() {
			peer = host(pf, 1).String() // AWS takes the .1 of the inside /30
		}
	}
	if t.BGP != nil {
		peer = t.BGP.Peer
		if t.BGP.ASN != 0 {
			asn = fmt.Sprint(t.BGP.ASN)
		}
	}
	return peer, asn, true
}

// bgpDownFix is the check to run next for an IPsec-up, BGP-down tunnel:
// keys and proposals evidently work, so the IKE checklist would only
// distract.
func (o *observed) bgpDownFix(t vpn.TunnelStatus, peer string) string {
	aws := "SORACOM's side of the session cannot be read: give SORACOM the peer address and ASN and ask for the Door connection's BGP state. "
	if !o.soracomOwned {
		aws = fmt.Sprintf("On AWS: `aws ec2 describe-vpn-connections --vpn-connection-ids %s --query "+
			"'VpnConnections[].VgwTelemetry[].[OutsideIpAddress,Status,StatusMessage]'` (a BGP tunnel is UP only with BGP established). ",
			orDash(t.AWSVPNConnectionID))
	}
	return fmt.Sprintf("Next: `az network vnet-gateway list-bgp-peer-status -g %s -n %s -o table` (peer %s must be Connected) and "+
		"`az network vnet-gateway list-learned-routes -g %s -n %s -o table`. %s"+
		"Then check the peering: Azure's custom APIPA address must be the .2 and the local network gateway's BGP peer the .1 "+
		"of the AWS inside /30, the local network gateway's ASN must be the Amazon-side ASN and differ from the gateway's; "+
		"a gateway that is not active-active accepts one custom APIPA address (see %s).",
		o.resourceGrp, orDash(o.gatewayName), peer, o.resourceGrp, orDash(o.gatewayName), aws, IDBGPNeedsActiveActive)
}

func (o *observed) tunnelDownFix(t vpn.TunnelStatus) string {
	var b strings.Builder
	conn, haveConn := o.azConn[t.AzureConnection]

	// ResponderOnly waits for AWS, and AWS waits for the customer side
	// unless its startup action is "start": nobody initiates.
	if haveConn && vpn.NobodyInitiates(conn.ConnectionMode, o.awsTunnel[vpn.KeyIP(t.AWSOutsideIP)].Options.StartupAction) {
		fmt.Fprintf(&b, "Azure connection %s is ResponderOnly, so nobody initiates IKE: set its connection mode to Default. ", conn.Name)
	}

	key := "the AWS tunnel's key"
	maint := "AWS tunnel endpoint maintenance (AWS Health, GetVpnTunnelReplacementStatus)"
	if o.soracomOwned {
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

// --- observation notes -----------------------------------------------------

// defaultNoteFix covers notes whose producer left the fix empty.
var defaultNoteFix = map[string]string{
	IDBGPPeerStatusUnavailable: "Grant doorbot's identity Microsoft.Network/virtualNetworkGateways/getBgpPeerStatus/action; " +
		"it is an action, so the Reader role does not include it.",
}

func observationNotes(c *pcheck) []vpn.Finding {
	notes := c.obs.obs.Notes
	out := make([]vpn.Finding, 0, len(notes))
	for _, n := range notes {
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
