// Package triage names the likely causes of a degraded or down connection
// from what was observed: the failure-mode table on-call works through
// (both tunnels or one, who initiates, keys and proposals, pairing,
// maintenance), each with its evidence, the check to run next and the fix.
// It is not a runbook (a plan for a change) and not a rule (a judgement on a
// design): it answers "what is most likely wrong right now". Pure, like vpn.
package triage

import (
	"fmt"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// Cause is a likely cause of a degraded or down connection.
type Cause = vpn.LikelyCause

// Diagnose returns the causes the observed state supports, most likely
// first, for the paired tunnels of obs (vpn.Pair). A healthy connection
// gets none. One connection carrying all the bytes and the other none is
// never a cause: that is how static routing works.
//
// Checks and fixes use the real names; a key is never shown, only where it
// is kept, and values doorbot cannot know are written <like this> because a
// cause has no placeholder list.
func Diagnose(obs vpn.Observation, tunnels []vpn.TunnelStatus) []Cause {
	d := newDiag(obs, tunnels)
	var down []vpn.TunnelStatus
	for _, t := range tunnels {
		if !t.Up {
			down = append(down, t)
		}
	}
	if len(down) == 0 || (obs.AWS == nil && obs.Azure == nil) {
		return []Cause{}
	}
	var out []Cause
	for _, c := range []func([]vpn.TunnelStatus) []Cause{
		d.bgpSingleIP, d.responderOnly, d.unpaired, d.policyBased, d.azureMaintenance, d.keyOrProposal, d.awsMaintenance,
	} {
		out = append(out, c(down)...)
	}
	if out == nil {
		out = []Cause{}
	}
	return out
}

type diag struct {
	obs  vpn.Observation
	rows []vpn.TunnelStatus
	door bool
	gw   *vpn.AzureGateway // nil when not read

	rgName, gwName, regionName, gwIP string
}

func newDiag(obs vpn.Observation, rows []vpn.TunnelStatus) diag {
	c := obs.Connection
	d := diag{obs: obs, rows: rows, door: c.Kind == vpn.KindSoracomDoor,
		rgName: c.Azure.ResourceGroup, gwName: c.Azure.Gateway}
	if obs.Azure != nil && obs.Azure.Gateway != nil {
		d.gw = obs.Azure.Gateway
		d.gwName = orText(d.gw.Name, d.gwName)
		if len(d.gw.TunnelIPs) > 0 {
			d.gwIP = d.gw.TunnelIPs[0]
		}
	}
	if !d.door {
		d.regionName = c.AWS.Region
		if obs.AWS != nil {
			d.regionName = orText(obs.AWS.Region, d.regionName)
		}
	}
	return d
}

// vpnID is the first AWS VPN connection, for checks that need one.
func (d diag) vpnID() string {
	if d.obs.AWS != nil && len(d.obs.AWS.VPNConnections) > 0 {
		return d.obs.AWS.VPNConnections[0].ID
	}
	if ids := d.obs.Connection.AWS.VPNConnectionIDs; len(ids) > 0 {
		return ids[0]
	}
	return ""
}

func (d diag) rg() string      { return orText(d.rgName, "<resource group>") }
func (d diag) gateway() string { return orText(d.gwName, "<gateway>") }
func (d diag) region() string  { return orText(d.regionName, "<region>") }

func (d diag) conn(name string) *vpn.AzureConnection {
	if d.obs.Azure == nil {
		return nil
	}
	for i, c := range d.obs.Azure.Connections {
		if c.Name == name {
			return &d.obs.Azure.Connections[i]
		}
	}
	return nil
}

func (d diag) awsTunnel(ip string) *vpn.AWSTunnel {
	if d.obs.AWS == nil {
		return nil
	}
	for _, v := range d.obs.AWS.VPNConnections {
		for i, t := range v.Tunnels {
			if vpn.SameIP(t.OutsideIP, ip) {
				return &v.Tunnels[i]
			}
		}
	}
	return nil
}

func (d diag) bgp() bool {
	if d.obs.AWS.Routing() == vpn.RoutingBGP || d.obs.Azure.Routing() == vpn.RoutingBGP {
		return true
	}
	return d.gw != nil && d.gw.EnableBGP &&
		slices.ContainsFunc(d.obs.Azure.Found(), func(c vpn.AzureConnection) bool { return c.EnableBGP })
}

func describe(t vpn.TunnelStatus, awsObs, azObs bool) string {
	var parts []string
	if awsObs {
		s := "AWS " + t.AWSStatus
		if t.AWSMessage != "" {
			s += " (" + t.AWSMessage + ")"
		}
		if t.AWSSince != "" {
			s += " since " + t.AWSSince
		}
		parts = append(parts, s)
	}
	if azObs {
		parts = append(parts, "Azure "+orDash(t.AzureConnection)+" "+t.AzureStatus)
	}
	return fmt.Sprintf("tunnel %d (%s): %s", t.Index, orDash(t.AWSOutsideIP), strings.Join(parts, ", "))
}

func (d diag) describeAll(ts []vpn.TunnelStatus) string {
	var out []string
	for _, t := range ts {
		out = append(out, describe(t, d.obs.AWS != nil, d.obs.Azure != nil))
	}
	return strings.Join(out, "; ")
}

// Row 1: BGP over both tunnels to a gateway with one public IP / one APIPA.
func (d diag) bgpSingleIP(down []vpn.TunnelStatus) []Cause {
	g := d.gw
	if !d.bgp() || (g != nil && g.ActiveActive) || len(down) == len(d.rows) {
		return nil
	}
	ev := "BGP is on"
	if g != nil {
		ev += fmt.Sprintf("; gateway %s active-active %t, %d public IP(s), custom APIPA %s", g.Name, g.ActiveActive, max(g.PublicIPCount, len(g.TunnelIPs)), orNone(g.CustomAPIPA))
	}
	ev += "; " + d.describeAll(down)
	if slices.ContainsFunc(down, vpn.TunnelStatus.AWSIPsecUp) {
		ev += " — IPsec is up but the tunnel counts as DOWN because BGP cannot establish"
	}
	if d.obs.Azure != nil {
		for _, p := range d.obs.Azure.BGPPeers {
			if !p.Established() {
				ev += fmt.Sprintf("; BGP peer %s %s", p.Neighbor, p.State)
			}
		}
	}
	return []Cause{{
		Title:    "BGP over both AWS tunnels to a gateway with one public IP: only one tunnel can peer",
		Evidence: ev,
		Check: "az network vnet-gateway show -g " + d.rg() + " -n " + d.gateway() + " --query \"{activeActive:activeActive, bgp:bgpSettings}\" -o json; " +
			"az network vnet-gateway list-bgp-peer-status -g " + d.rg() + " -n " + d.gateway() + " -o table",
		Fix: "Move to static routing with both tunnels (`doorbot runbook migrate " + d.obs.Connection.Name + "`), or make the gateway active-active with two public IPs and use two AWS VPN connections with one APIPA per tunnel.",
	}}
}

// Row 5: Azure only responds while AWS waits for the customer to start IKE.
func (d diag) responderOnly(down []vpn.TunnelStatus) []Cause {
	if len(down) != len(d.rows) || len(d.rows) == 0 {
		return nil
	}
	var names []string
	for _, t := range down {
		c := d.conn(t.AzureConnection)
		var startup string
		if at := d.awsTunnel(t.AWSOutsideIP); at != nil {
			startup = at.Options.StartupAction
		}
		if c == nil || !vpn.NobodyInitiates(c.ConnectionMode, startup) {
			continue
		}
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return nil
	}
	var checks, fixes []string
	for _, n := range names {
		checks = append(checks, "az network vpn-connection show -g "+d.rg()+" -n "+n+" --query connectionMode -o tsv")
		fixes = append(fixes, "az network vpn-connection update -g "+d.rg()+" -n "+n+" --set connectionMode=Default")
	}
	return []Cause{{
		Title:    "Nobody starts IKE: Azure is ResponderOnly and AWS waits for the customer side",
		Evidence: "connection mode ResponderOnly on " + strings.Join(names, ", ") + "; every tunnel down: " + d.describeAll(down),
		Check:    strings.Join(checks, "; "),
		Fix:      strings.Join(fixes, "; ") + " (or, on a user-owned AWS VPN, set the tunnel startup action to start).",
	}}
}

// An AWS tunnel no Azure connection terminates (or the reverse) cannot come
// up whatever the keys are.
func (d diag) unpaired(down []vpn.TunnelStatus) []Cause {
	if d.obs.AWS == nil || d.obs.Azure == nil {
		return nil
	}
	var out []Cause
	for _, t := range down {
		switch {
		case t.AzureStatus == vpn.StatusMissing:
			out = append(out, Cause{
				Title:    fmt.Sprintf("No Azure connection terminates AWS tunnel %s", t.AWSOutsideIP),
				Evidence: describe(t, true, true) + "; no local network gateway has gatewayIpAddress " + t.AWSOutsideIP,
				Check:    "az network local-gateway list -g " + d.rg() + " --query \"[].{name:name, ip:gatewayIpAddress}\" -o table",
				Fix:      "Point a local network gateway at " + t.AWSOutsideIP + " (az network local-gateway update -g " + d.rg() + " -n <lng> --gateway-ip-address " + t.AWSOutsideIP + ") and give it a connection.",
			})
		case t.AWSStatus == vpn.StatusMissing:
			out = append(out, Cause{
				Title:    fmt.Sprintf("Azure connection %s points at %s, which is no AWS tunnel", t.AzureConnection, orDash(t.AWSOutsideIP)),
				Evidence: describe(t, true, true),
				Check: "aws ec2 describe-vpn-connections --vpn-connection-ids " + orText(d.vpnID(), "<vpn id>") + " --region " + d.region() +
					" --query 'VpnConnections[0].Options.TunnelOptions[*].OutsideIpAddress' --output text",
				Fix: "Set the local network gateway's IP to the AWS tunnel outside IP it should terminate.",
			})
		}
	}
	return out
}

// Row 4: policy-based selectors or gateway.
func (d diag) policyBased(down []vpn.TunnelStatus) []Cause {
	var hits, checks []string
	if g := d.gw; g != nil && strings.EqualFold(g.VPNType, "PolicyBased") {
		hits = append(hits, "gateway "+g.Name+" is PolicyBased")
	}
	for _, t := range down {
		if c := d.conn(t.AzureConnection); c != nil && c.UsePolicyBasedTrafficSelectors {
			hits = append(hits, c.Name+" uses policy-based traffic selectors")
			checks = append(checks, "az network vpn-connection show -g "+d.rg()+" -n "+c.Name+" --query usePolicyBasedTrafficSelectors -o tsv")
		}
	}
	if len(hits) == 0 {
		return nil
	}
	if !d.door {
		checks = append(checks, "aws ec2 describe-vpn-connections --vpn-connection-ids "+orText(d.vpnID(), "<vpn id>")+" --region "+d.region()+
			" --query 'VpnConnections[0].Options.[LocalIpv4NetworkCidr,RemoteIpv4NetworkCidr]' --output text")
	}
	return []Cause{{
		Title:    "Traffic-selector mismatch: policy-based selectors against AWS's 0.0.0.0/0",
		Evidence: strings.Join(hits, "; ") + "; " + d.describeAll(down),
		Check:    strings.Join(checks, "; ") + "; Azure metric TunnelIngressPacketDropTSMismatch > 0 confirms it",
		Fix:      "Use route-based selectors (az network vpn-connection update -g " + d.rg() + " -n <connection> --use-policy-based-traffic-selectors false) with AWS CIDRs at 0.0.0.0/0; a PolicyBased gateway must be replaced by a RouteBased one.",
	}}
}

// Rows 2–3: a tunnel whose IPsec does not come up. It runs after the
// gateway-wide causes: two wrong keys at once are less likely than one
// gateway event.
func (d diag) keyOrProposal(down []vpn.TunnelStatus) []Cause {
	var out []Cause
	for _, t := range down {
		if t.AWSStatus == vpn.StatusMissing || t.AzureStatus == vpn.StatusMissing || t.AWSIPsecUp() {
			continue // unpaired, or IPsec is up: a key/proposal mismatch is not it
		}
		if d.obs.AWS != nil && t.AWSUp() {
			continue // AWS has IPsec up: the keys and proposals agree
		}
		awsDown := d.obs.AWS != nil && !t.AWSUp()
		azDown := d.obs.Azure != nil && (strings.EqualFold(t.AzureStatus, "NotConnected") || strings.EqualFold(t.AzureStatus, "Connecting"))
		if !awsDown && !azDown {
			continue
		}
		ev := describe(t, d.obs.AWS != nil, d.obs.Azure != nil)
		if at := d.awsTunnel(t.AWSOutsideIP); at != nil {
			if o := at.Options; len(o.IKEVersions)+len(o.Phase1Encryption)+len(o.Phase2Encryption) > 0 {
				ev += fmt.Sprintf("; AWS tunnel restricted to IKE %s, phase 1 %s, phase 2 %s", orNone(o.IKEVersions), orNone(o.Phase1Encryption), orNone(o.Phase2Encryption))
			}
		}
		if c := d.conn(t.AzureConnection); c != nil && c.Protocol != "" {
			ev += "; Azure protocol " + c.Protocol
		}
		name := orText(t.AzureConnection, "<connection>")
		keyAt := "the configuration SORACOM supplied for this Door tunnel"
		if !d.door {
			keyAt = "on the AWS owner's terminal only: aws ec2 describe-vpn-connections --vpn-connection-ids " + orText(t.AWSVPNConnectionID, orText(d.vpnID(), "<vpn id>")) +
				" --region " + d.region() + " --query 'VpnConnections[0].Options.TunnelOptions[?OutsideIpAddress==`" + t.AWSOutsideIP + "`].PreSharedKey' --output text"
		}
		out = append(out, Cause{
			Title:    fmt.Sprintf("Tunnel %d: pre-shared key or IKE/IPsec proposal mismatch", t.Index),
			Evidence: ev,
			Check: "az network vpn-connection list-ike-sas -g " + d.rg() + " -n " + name + "; compare the key of az network vpn-connection shared-key show --connection-name " + name + " -g " + d.rg() +
				" (prints the key: your terminal only, never Slack) with " + keyAt,
			Fix: "Set the same key on both sides: az network vpn-connection shared-key update --connection-name " + name + " -g " + d.rg() +
				" --value <the tunnel's key>; if the keys match, align the proposals (a custom --ipsec-policies on the Azure connection, or wider AWS tunnel options) and check PFS and lifetimes.",
		})
	}
	return out
}

// Row 9: both Azure connections renegotiating together points at the gateway.
func (d diag) azureMaintenance(down []vpn.TunnelStatus) []Cause {
	if d.obs.Azure == nil || len(d.rows) < 2 {
		return nil
	}
	for _, t := range d.rows {
		if !strings.EqualFold(t.AzureStatus, "Connecting") {
			return nil
		}
	}
	ip := orText(d.gwIP, "<gateway public IP>")
	return []Cause{{
		Title:    "Azure gateway maintenance or instance failover",
		Evidence: "every Azure connection is Connecting: " + d.describeAll(d.rows),
		Check: "in a minute, re-read: " + strings.Join(d.statusReads(), "; ") + "; GatewayDiagnosticLog of " + d.gateway() +
			" (maintenance and primary-instance changes); curl -sk https://" + ip + ":8081/healthprobe",
		Fix: "Wait: planned failover takes 10–15 s, unplanned up to about 3 minutes. If it persists: az network vnet-gateway reset -g " + d.rg() + " -n " + d.gateway() + " (last resort). Schedule with customer-controlled maintenance.",
	}}
}

// Row 8: AWS (or SORACOM) replacing one tunnel endpoint.
func (d diag) awsMaintenance(down []vpn.TunnelStatus) []Cause {
	if len(down) != 1 || len(d.rows) < 2 || down[0].AWSIPsecUp() {
		return nil
	}
	t := down[0]
	if d.door {
		return []Cause{{
			Title:    "SORACOM maintenance on one Door tunnel",
			Evidence: describe(t, false, true) + "; the other tunnel is up",
			Check:    "SORACOM maintenance notices and https://soracom.statuspage.io/",
			Fix:      "None if it is maintenance: the other tunnel carries the traffic; it returns on its own.",
		}}
	}
	if d.obs.AWS == nil || t.AWSSince == "" || t.AWSUp() {
		return nil
	}
	return []Cause{{
		Title:    "AWS tunnel endpoint replacement (maintenance) on one tunnel",
		Evidence: describe(t, true, d.obs.Azure != nil) + "; the other tunnel is up; judge how recent the last status change is",
		Check: "aws ec2 get-vpn-tunnel-replacement-status --vpn-connection-id " + orText(t.AWSVPNConnectionID, "<vpn id>") +
			" --vpn-tunnel-outside-ip-address " + t.AWSOutsideIP + " --region " + d.region() + "; AWS Health events for VPN",
		Fix: "None if it is maintenance: the other tunnel carries the traffic. Do not enable tunnel endpoint lifecycle control now, and never on the surviving tunnel: turning it on replaces the tunnel at once unless --skip-tunnel-replacement is given (AWS, Tunnel endpoint lifecycle control: https://docs.aws.amazon.com/vpn/latest/s2svpn/tunnel-endpoint-lifecycle.html). Later, with both tunnels UP, it can be enabled one tunnel at a time (aws ec2 modify-vpn-tunnel-options --vpn-connection-id " + orText(t.AWSVPNConnectionID, "<vpn id>") + " --vpn-tunnel-outside-ip-address <that tunnel> --tunnel-options EnableTunnelLifecycleControl=true --skip-tunnel-replacement --region " + d.region() + ") so that you choose when pending maintenance is applied.",
	}}
}

func (d diag) statusReads() []string {
	var out []string
	for _, t := range d.rows {
		if t.AzureConnection != "" {
			out = append(out, "az network vpn-connection show -g "+d.rg()+" -n "+t.AzureConnection+" --query connectionStatus -o tsv")
		}
	}
	return out
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orDash(s string) string { return orText(s, "-") }

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
