package runbook

import (
	"fmt"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// oldPath is the BGP design being replaced, as observed or configured.
type oldPath struct {
	vpnID, cgwID string
	ips          []string
	conns        []oldConn
}

type oldConn struct {
	name, lng, lngIP string
	apipa            []string
}

func (f *facts) planMigrate() (oldPath, []tunnelPlan) {
	var old oldPath
	if f.obs.AWS != nil {
		for _, v := range f.obs.AWS.VPNConnections {
			if !v.StaticRoutesOnly {
				old.vpnID, old.cgwID, old.ips = v.ID, v.CustomerGatewayID, tunnelIPs(v.Tunnels)
				break
			}
		}
	}
	if old.vpnID == "" && !f.door {
		old.vpnID = f.oldVPNID()
	}
	conns := f.bgpAzure()
	if len(conns) == 0 {
		conns = f.foundAzure()
	}
	for i, c := range conns {
		oc := oldConn{name: c.Name, apipa: c.CustomBGPAddresses}
		if l := c.LocalNetworkGateway; l != nil {
			oc.lng, oc.lngIP = l.Name, l.GatewayIP
			if f.door {
				old.ips = append(old.ips, l.GatewayIP)
			}
		}
		if oc.lng == "" {
			oc.lng = fmt.Sprintf("{azure_old_lng%d_name}", i+1)
		}
		old.conns = append(old.conns, oc)
	}
	if len(old.conns) == 0 {
		// Azure unreadable: the configured names are the old connections.
		for i, name := range f.conn.Azure.Connections {
			old.conns = append(old.conns, oldConn{name: name, lng: fmt.Sprintf("{azure_old_lng%d_name}", i+1)})
		}
	}

	// The new connection gets new outside IPs and keys: only a proposal that
	// states IPs other than the old ones knows them.
	plans := []tunnelPlan{{n: 1}, {n: 2}}
	var fresh []string
	if p := f.in.Proposal; p != nil {
		for _, t := range p.AWS.Tunnels {
			if t.OutsideIP != "" && !slices.ContainsFunc(old.ips, func(ip string) bool { return vpn.SameIP(ip, t.OutsideIP) }) {
				fresh = append(fresh, t.OutsideIP)
			}
		}
	}
	for i := range plans {
		t := &plans[i]
		if i < len(fresh) {
			t.ip = fresh[i]
		}
		f.set(t.ph("aws_tunnel%d_outside_ip"), t.ip)
		f.set(t.ph("azure_conn%d_name"), f.proposedConnName(i, t.ip))
		f.set(t.ph("azure_lng%d_name"), f.proposedLNGName(i, t.ip))
	}
	if !f.known("onprem_prefixes") {
		for _, c := range f.foundAzure() {
			if l := c.LocalNetworkGateway; l != nil && len(l.AddressPrefixes) > 0 {
				f.set("onprem_prefixes", strings.Join(l.AddressPrefixes, " "))
				break
			}
		}
	}
	return old, plans
}

func (f *facts) migrate() Runbook {
	old, plans := f.planMigrate()
	rg := "{azure_resource_group}"
	rb := Runbook{Title: "Migrate BGP → static, two active tunnels: " + f.conn.Name}
	side := "AWS VPN connection " + orDash(old.vpnID)
	if f.door {
		side = "SORACOM Door connection"
	}
	rb.Summary = []string{
		"Moves " + f.conn.Name + " from BGP (one tunnel usable with a single-IP Azure gateway) to static routing with both tunnels up, make-before-break: a new static " + side + " replacement and new Azure connections are built beside the old ones, traffic moves, then the old path is removed.",
		"The routing type of an AWS VPN connection is fixed at creation, so the new one has new outside IPs and new pre-shared keys.",
	}
	if f.obs.AWS.Routing() == vpn.RoutingStatic || (f.obs.AWS == nil && f.obs.Azure.Routing() == vpn.RoutingStatic && f.vpg.Routing() != vpn.RoutingBGP) {
		// Nothing to migrate: a runbook that rebuilds a working static
		// connection would only invite someone to run it.
		rb.Summary = append([]string{"The observed routing is already static: nothing to migrate. Run `doorbot runbook verify " + f.conn.Name + "` to check it instead."},
			f.stateLines()...)
		return rb
	}
	rb.Summary = append(rb.Summary, f.stateLines()...)

	// 1. Record.
	rec := Step{
		Title:    "Record the current state in the change ticket",
		Side:     SideBoth,
		Expect:   "Saved output for every command.",
		Rollback: "Nothing to undo: read-only.",
	}
	for _, c := range old.conns {
		rec.Commands = append(rec.Commands, "az network vpn-connection show -g "+rg+" -n "+c.name+" -o json")
		rec.Commands = append(rec.Commands, "az network local-gateway show -g "+rg+" -n "+c.lng+" -o json")
	}
	rec.Commands = append(rec.Commands,
		"az network vnet-gateway list-bgp-peer-status -g "+rg+" -n {azure_gateway_name} -o table",
		"az network vnet-gateway list-learned-routes -g "+rg+" -n {azure_gateway_name} -o table")
	if f.door {
		rec.Commands = append(rec.Commands, "soracom vpg get --vpg-id {soracom_vpg_id}")
		rec.Expect += " The old vpnConnections entry shows useDynamicRouting true."
		if f.vpg != nil {
			rec.Expect += " doorbot read: " + f.doorConns() + "."
		}
	} else if old.vpnID != "" {
		rec.Commands = append(rec.Commands, "aws ec2 describe-vpn-connections --vpn-connection-ids "+old.vpnID+" --region {aws_region} \\\n"+
			"  --query 'VpnConnections[0].VgwTelemetry[*].[OutsideIpAddress,Status,StatusMessage,AcceptedRouteCount]' --output table")
		rec.Expect += " Typically one tunnel UP with N BGP ROUTES and the other DOWN: " + f.telemetryLine() + "."
	}
	phases := []Phase{{Title: "Record the current state", Steps: []Step{rec}}}

	// 2. New static AWS / Door side.
	if f.door {
		phases = append(phases, Phase{Title: "New static Door connection beside the old one", Steps: []Step{{
			Title:    "Request a new static Door VPN connection from SORACOM (keep the BGP one)",
			Side:     SideSoracom,
			Expect:   "Give SORACOM: customer gateway IP {azure_gateway_public_ip}; routing static; static prefixes {azure_vnet_prefixes}. SORACOM returns two new tunnel outside IPs ({aws_tunnel1_outside_ip}, {aws_tunnel2_outside_ip}) and two new pre-shared keys: keep the keys in your secret store, never in Slack or a ticket.",
			Check:    "soracom vpg get --vpg-id {soracom_vpg_id}   # a second vpnConnections entry with useDynamicRouting false",
			Rollback: "Ask SORACOM to remove the new static Door connection; the BGP path is untouched.",
		}}})
	} else {
		describe := "aws ec2 describe-vpn-connections --vpn-connection-ids {aws_vpn_connection_id} --region {aws_region} \\\n" +
			"  --query 'VpnConnections[0].{State:State,StaticRoutesOnly:Options.StaticRoutesOnly,OutsideIps:Options.TunnelOptions[*].OutsideIpAddress}' --output json"
		routeCmds := []string{"for cidr in {azure_vnet_prefixes}; do aws ec2 create-vpn-connection-route --vpn-connection-id {aws_vpn_connection_id} --destination-cidr-block \"$cidr\" --region {aws_region}; done"}
		if vnet := f.vnetPrefixes(); len(vnet) > 0 {
			routeCmds = nil
			for _, p := range vnet {
				routeCmds = append(routeCmds, "aws ec2 create-vpn-connection-route --vpn-connection-id {aws_vpn_connection_id} --destination-cidr-block "+p+" --region {aws_region}")
			}
		}
		phases = append(phases, Phase{Title: "New static AWS VPN connection beside the old one", Steps: []Step{
			{
				Title:    "Create a second customer gateway for the same Azure IP",
				Side:     SideAWS,
				Commands: []string{"aws ec2 create-customer-gateway --type ipsec.1 --ip-address {azure_gateway_public_ip} --bgp-asn 65000 \\\n  --device-name " + f.conn.Name + "-static --region {aws_region}"},
				Expect:   "A new CustomerGatewayId ({aws_cgw_id}). The unique --device-name is what makes AWS create a second gateway for the same IP instead of returning the existing " + orDash(old.cgwID) + "; one VGW takes one VPN connection per customer gateway.",
				Check:    "aws ec2 describe-customer-gateways --customer-gateway-ids {aws_cgw_id} --region {aws_region} --query 'CustomerGateways[0].State' --output text   # available",
				Rollback: "aws ec2 delete-customer-gateway --customer-gateway-id {aws_cgw_id} --region {aws_region}",
			},
			{
				Title: "Create the StaticRoutesOnly VPN connection on the same virtual private gateway",
				Side:  SideAWS,
				Commands: []string{"aws ec2 create-vpn-connection --type ipsec.1 --customer-gateway-id {aws_cgw_id} --vpn-gateway-id {aws_vgw_id} \\\n" +
					"  --options '{\"StaticRoutesOnly\":true}' --region {aws_region}"},
				Expect: "A new VpnConnectionId ({aws_vpn_connection_id}), pending then available within minutes; its tunnels stay DOWN until Azure terminates them, which pulls no traffic from the BGP tunnel. If the old tunnels had hardened IKE options, pass the same TunnelOptions here. AWS may refuse a second VPN connection from the same customer-gateway IP with InvalidCustomerGateway.DuplicateIpAddress (EC2 API error codes: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). Then the fallback is break-before-make in a window: delete the old BGP VPN connection first and accept the outage until the new static tunnels are UP.",
				Check:  describe,
				Rollback: "aws ec2 delete-vpn-connection --vpn-connection-id {aws_vpn_connection_id} --region {aws_region}   # the new one only; " +
					orDash(old.vpnID) + " is untouched",
			},
			{
				Title:    "Add the static routes toward the Azure VNet to the new connection",
				Side:     SideAWS,
				Commands: routeCmds,
				Expect:   "Each prefix in Routes, State available. Static routes win over BGP routes for the same prefix only once their tunnels are up, so this is safe now.",
				Check:    "aws ec2 describe-vpn-connections --vpn-connection-ids {aws_vpn_connection_id} --region {aws_region} --query 'VpnConnections[0].Routes' --output table",
				Rollback: "Remove each route: aws ec2 delete-vpn-connection-route --vpn-connection-id {aws_vpn_connection_id} --destination-cidr-block <prefix> --region {aws_region} (or delete the new connection).",
			},
		}})
	}

	// 3. New Azure side.
	build := Phase{Title: "New Azure local network gateways and connections (BGP off)"}
	for _, t := range plans {
		lng := newLNGStep(t, "New local network gateway {azure_lng%d_name} for new tunnel %d ({aws_tunnel%d_outside_ip})",
			"Static prefixes, no BGP settings.")
		lng.Rollback = t.ph("az network local-gateway delete -g " + rg + " -n {azure_lng%d_name}")
		conn := newConnStep(t, "New connection {azure_conn%d_name} for new tunnel %d, BGP off",
			"Connected within minutes. From here AWS→Azure traffic moves to the static connection by itself (static beats BGP on a VGW); Azure→AWS still uses the old path.")
		conn.Rollback = t.ph("az network vpn-connection delete -g " + rg + " -n {azure_conn%d_name}")
		build.Steps = append(build.Steps, lng, conn)
	}
	wait := Step{
		Title:    "Wait until both new tunnels are up on every side",
		Side:     SideBoth,
		Expect:   "Both new Azure connections Connected.",
		Rollback: "Before the cut-over, rolling back is deleting what steps 2–3 created; the BGP path was never touched.",
	}
	for _, t := range plans {
		wait.Commands = append(wait.Commands, t.ph("az network vpn-connection show -g "+rg+" -n {azure_conn%d_name} --query connectionStatus -o tsv"))
	}
	if !f.door {
		wait.Commands = append(wait.Commands, "aws ec2 describe-vpn-connections --vpn-connection-ids {aws_vpn_connection_id} --region {aws_region} \\\n"+
			"  --query 'VpnConnections[0].VgwTelemetry[*].[OutsideIpAddress,Status,StatusMessage]' --output table")
		wait.Expect += " Both new AWS tunnels UP."
	}
	build.Steps = append(build.Steps, wait)
	phases = append(phases, build)

	// 4. Cut over Azure by deleting the BGP path: Azure's preference between
	// a BGP route and an LNG prefix is not documented, so deletion is the
	// only cut-over that is certain.
	restore := f.restoreBGP(old)
	cut := Phase{Title: "Cut over: remove the old BGP connections in Azure"}
	for _, c := range old.conns {
		cut.Steps = append(cut.Steps, Step{
			Title:           "Delete the old BGP connection " + c.name,
			Side:            SideAzure,
			Commands:        []string{"az network vpn-connection delete -g " + rg + " -n " + c.name},
			Expect:          "Seconds of loss while Azure re-routes over the static connections.",
			Check:           "az network vnet-gateway list-bgp-peer-status -g " + rg + " -n {azure_gateway_name} -o table",
			PointOfNoReturn: true,
			Rollback:        restore[c.name],
		})
	}
	cut.Steps = append(cut.Steps, Step{
		Title:    "Check routes and the data path right away",
		Side:     SideBoth,
		Commands: []string{"az network nic show-effective-route-table -g " + rg + " -n {azure_vm_nic} -o table"},
		Expect:   "{onprem_prefixes} with next hop VirtualNetworkGateway; pings across succeed.",
		Rollback: "If traffic fails, recreate the BGP connections as in the rollback of the delete steps, then delete the new static connections.",
	})
	for _, c := range old.conns {
		cut.Steps = append(cut.Steps, Step{
			Title:           "Delete the old local network gateway " + c.lng,
			Side:            SideAzure,
			Commands:        []string{"az network local-gateway delete -g " + rg + " -n " + c.lng},
			Expect:          "No traffic impact: nothing uses it any more.",
			PointOfNoReturn: true,
			Rollback:        "Recreate it from the recorded `az network local-gateway show` output: az network local-gateway create -g " + rg + " -n " + c.lng + " --gateway-ip-address " + orDash(c.lngIP) + " with its recorded --asn and --bgp-peering-address.",
		})
	}
	phases = append(phases, cut)

	// 5. Soak, then remove the old AWS side.
	tail := Phase{Title: "Soak, then remove the old path"}
	tail.Steps = append(tail.Steps, Step{
		Title:    "Soak (for example 24 hours) with the old path kept as the way back",
		Side:     SideBoth,
		Commands: []string{"doorbot runbook verify " + f.conn.Name},
		Expect:   "Every check passes (after doorbot.yaml names the new connections).",
		Rollback: "Recreate the BGP connections against the old, still-existing " + side + " (see the delete steps), then delete the static connections.",
	})
	if f.door {
		tail.Steps = append(tail.Steps, Step{
			Title:           "Ask SORACOM to remove the old BGP Door connection",
			Side:            SideSoracom,
			Expect:          "soracom vpg get shows only the static vpnConnections entry.",
			Check:           "soracom vpg get --vpg-id {soracom_vpg_id}",
			PointOfNoReturn: true,
			Rollback:        "None in place: a new BGP Door connection has new outside IPs and keys; request one from SORACOM and rebuild the BGP design.",
		})
	} else {
		del := Step{
			Title:           "Delete the old BGP VPN connection " + orDash(old.vpnID),
			Side:            SideAWS,
			Commands:        []string{"aws ec2 delete-vpn-connection --vpn-connection-id " + orDash(old.vpnID) + " --region {aws_region}"},
			Expect:          "State deleting, then deleted.",
			Check:           "aws ec2 describe-vpn-connections --vpn-connection-ids " + orDash(old.vpnID) + " --region {aws_region} --query 'VpnConnections[0].State' --output text",
			PointOfNoReturn: true,
			Rollback:        "None in place: a deleted VPN connection cannot be restored; a new BGP connection gets new outside IPs and keys and the BGP design is rebuilt.",
		}
		tail.Steps = append(tail.Steps, del)
		if old.cgwID != "" {
			tail.Steps = append(tail.Steps, Step{
				Title:           "Delete the old customer gateway " + old.cgwID,
				Side:            SideAWS,
				Commands:        []string{"aws ec2 delete-customer-gateway --customer-gateway-id " + old.cgwID + " --region {aws_region}"},
				Expect:          "No VPN connection uses it any more.",
				PointOfNoReturn: true,
				Rollback:        "aws ec2 create-customer-gateway --type ipsec.1 --ip-address {azure_gateway_public_ip} --bgp-asn <recorded ASN> --region {aws_region} (a new ID).",
			})
		}
	}
	cfg := "connections[].azure.connections: [{azure_conn1_name}, {azure_conn2_name}]"
	if !f.door {
		cfg += "; connections[].aws.vpn_connection_id: {aws_vpn_connection_id}"
	}
	tail.Steps = append(tail.Steps, Step{
		Title:    "Point doorbot.yaml at the new connections",
		Side:     SideBoth,
		Expect:   cfg + ". `doorbot status " + f.conn.Name + "` shows two tunnels, static on every side.",
		Check:    "doorbot status " + f.conn.Name,
		Rollback: "Restore the previous doorbot.yaml.",
	})
	if f.gw != nil && f.gw.EnableBGP {
		tail.Steps = append(tail.Steps, Step{
			Title:    "Optional, separate window: turn BGP off on the gateway",
			Side:     SideAzure,
			Commands: []string{"az network vnet-gateway update -g " + rg + " -n {azure_gateway_name} --enable-bgp false"},
			Expect:   "Harmless to leave on. A gateway update takes a long time; do it in a window.",
			Rollback: fmt.Sprintf("az network vnet-gateway update -g %s -n {azure_gateway_name} --enable-bgp true --asn %d", rg, f.gw.ASN),
		})
	}
	tail.Steps = append(tail.Steps, Step{
		Title:           "Failover test in a window: take tunnel 1 away",
		Side:            SideAzure,
		Commands:        []string{"az network vpn-connection delete -g " + rg + " -n {azure_conn1_name}"},
		Expect:          "Traffic continues over {azure_conn2_name} (tunnel 2) after a short blip.",
		Check:           "az network vpn-connection show -g " + rg + " -n {azure_conn2_name} --query \"{status:connectionStatus, in:ingressBytesTransferred, out:egressBytesTransferred}\" -o json",
		PointOfNoReturn: true,
		Rollback: "az network vpn-connection create -g " + rg + " -n {azure_conn1_name} -l {azure_location} \\\n" +
			"  --vnet-gateway1 {azure_gateway_name} --local-gateway2 {azure_lng1_name} --shared-key {aws_tunnel1_psk}",
	})
	phases = append(phases, tail)
	rb.Phases = phases
	return rb
}

// restoreBGP is the rollback text for deleting each old connection: recreate
// it with BGP against the old AWS/Door side, whose key is still where it was.
func (f *facts) restoreBGP(old oldPath) map[string]string {
	out := map[string]string{}
	keyAt := "the configuration SORACOM supplied for the old Door connection"
	if !f.door {
		keyAt = "`aws ec2 describe-vpn-connections --vpn-connection-ids " + orDash(old.vpnID) + " --region {aws_region} --query 'VpnConnections[0].Options.TunnelOptions[*].PreSharedKey'` on the AWS owner's terminal only"
	}
	for _, c := range old.conns {
		// Without its custom BGP address the recreated connection peers from
		// the gateway's default BGP IP, which AWS cannot reach.
		apipa := ""
		if len(c.apipa) > 0 {
			var sets []string
			for _, a := range c.apipa {
				sets = append(sets, `{"ipConfigurationId":"<the gateway ipConfiguration ID recorded for it>","customBgpIpAddress":"`+a+`"}`)
			}
			apipa = "; then restore its custom BGP address: az network vpn-connection update -g {azure_resource_group} -n " + c.name +
				" --set gatewayCustomBgpIpAddresses='[" + strings.Join(sets, ",") + "]'"
		}
		out[c.name] = "Recreate it from the recorded state (key of its tunnel: " + keyAt + "): az network vpn-connection create -g {azure_resource_group} -n " + c.name +
			" -l {azure_location} --vnet-gateway1 {azure_gateway_name} --local-gateway2 " + c.lng + " --enable-bgp --shared-key <that key>" + apipa + "."
	}
	return out
}

func (f *facts) telemetryLine() string {
	if f.obs.AWS == nil {
		return "AWS not read"
	}
	var parts []string
	for _, t := range f.obs.AWS.Tunnels() {
		msg := t.StatusMessage
		if msg != "" {
			msg = " " + msg
		}
		parts = append(parts, fmt.Sprintf("%s %s%s", t.OutsideIP, orDash(t.Status), msg))
	}
	return "now " + orNone(parts)
}
