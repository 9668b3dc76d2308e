package runbook

import (
	"fmt"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// tunnelPlan is one AWS tunnel of the static design and what already
// terminates it in Azure.
type tunnelPlan struct {
	n    int // 1 or 2
	ip   string
	conn *vpn.AzureConnection // existing static connection for this tunnel
}

// ph numbers a template: every %d becomes the tunnel number.
func (t tunnelPlan) ph(s string) string { return strings.ReplaceAll(s, "%d", fmt.Sprint(t.n)) }

// staticVPN is the observed StaticRoutesOnly AWS VPN connection. A BGP one
// is not it: AWS cannot switch a connection to static, so its IDs and IPs
// would be wrong in every static command.
func (f *facts) staticVPN() *vpn.AWSVPNConnection {
	if f.obs.AWS == nil {
		return nil
	}
	for i, v := range f.obs.AWS.VPNConnections {
		if v.StaticRoutesOnly {
			return &f.obs.AWS.VPNConnections[i]
		}
	}
	return nil
}

func (f *facts) staticAzure() []vpn.AzureConnection {
	var out []vpn.AzureConnection
	for _, c := range f.foundAzure() {
		if !c.EnableBGP && c.LocalNetworkGateway != nil {
			out = append(out, c)
		}
	}
	return out
}

func (f *facts) bgpAzure() []vpn.AzureConnection {
	var out []vpn.AzureConnection
	for _, c := range f.foundAzure() {
		if c.EnableBGP {
			out = append(out, c)
		}
	}
	return out
}

// awsUnverified: a user-owned AWS side that could not be read, so the
// configured VPN ID is used but its routing mode is not confirmed.
func (f *facts) awsUnverified() bool { return !f.door && f.obs.AWS == nil }

// planStatic fills the names and IPs of the static design from live state.
func (f *facts) planStatic() []tunnelPlan {
	plans := []tunnelPlan{{n: 1}, {n: 2}}
	static := f.staticAzure()
	if sv := f.staticVPN(); sv != nil {
		f.set("aws_vpn_connection_id", sv.ID)
		f.set("aws_cgw_id", sv.CustomerGatewayID)
		for i := 0; i < 2 && i < len(sv.Tunnels); i++ {
			plans[i].ip = sv.Tunnels[i].OutsideIP
		}
	} else if f.door || f.awsUnverified() {
		// The LNGs are Azure's record of the tunnel endpoints: for Door and
		// for an unreadable AWS side they are the only live source.
		if f.awsUnverified() && len(f.conn.AWS.VPNConnectionIDs) > 0 {
			f.set("aws_vpn_connection_id", f.conn.AWS.VPNConnectionIDs[0])
		}
		for i := 0; i < 2 && i < len(static); i++ {
			plans[i].ip = static[i].LocalNetworkGateway.GatewayIP
		}
	}
	taken := map[string]bool{}
	for i := range plans {
		p := &plans[i]
		for k := range static {
			c := static[k]
			if !taken[c.Name] && p.ip != "" && vpn.SameIP(c.LocalNetworkGateway.GatewayIP, p.ip) {
				p.conn, taken[c.Name] = &static[k], true
				break
			}
		}
		f.set(p.ph("aws_tunnel%d_outside_ip"), p.ip)
		if p.conn != nil {
			f.set(p.ph("azure_conn%d_name"), p.conn.Name)
			f.set(p.ph("azure_lng%d_name"), p.conn.LocalNetworkGateway.Name)
			continue
		}
		f.set(p.ph("azure_conn%d_name"), f.proposedConnName(i, p.ip))
		f.set(p.ph("azure_lng%d_name"), f.proposedLNGName(i, p.ip))
		if !f.known(p.ph("azure_conn%d_name")) && i < len(f.conn.Azure.Connections) {
			// The configured name is the one doorbot will watch, unless it is
			// an existing BGP connection that the static one must sit beside.
			name := f.conn.Azure.Connections[i]
			if !slices.ContainsFunc(f.foundAzure(), func(c vpn.AzureConnection) bool { return c.Name == name }) {
				f.set(p.ph("azure_conn%d_name"), name)
			}
		}
	}
	if !f.known("onprem_prefixes") && len(static) > 0 && len(static[0].LocalNetworkGateway.AddressPrefixes) > 0 {
		f.set("onprem_prefixes", strings.Join(static[0].LocalNetworkGateway.AddressPrefixes, " "))
	}
	return plans
}

// proposedConnName and proposedLNGName take new names from the proposal,
// skipping names that exist today (those are the old connections).
func (f *facts) proposedConnName(i int, ip string) string {
	p := f.in.Proposal
	if p == nil {
		return ""
	}
	lng := f.proposedLNGName(i, ip)
	var fresh []vpn.ProposedConnection
	for _, c := range p.Azure.Connections {
		if c.Name != "" && !f.existsAzureConn(c.Name) {
			if lng != "" && c.LocalNetworkGateway == lng {
				return c.Name
			}
			fresh = append(fresh, c)
		}
	}
	if i < len(fresh) {
		return fresh[i].Name
	}
	return ""
}

func (f *facts) proposedLNGName(i int, ip string) string {
	p := f.in.Proposal
	if p == nil {
		return ""
	}
	var fresh []vpn.ProposedLNG
	for _, l := range p.Azure.LocalNetworkGateways {
		if l.Name == "" || f.existsLNG(l.Name) {
			continue
		}
		if ip != "" && vpn.SameIP(l.GatewayIP, ip) {
			return l.Name
		}
		fresh = append(fresh, l)
	}
	if i < len(fresh) {
		return fresh[i].Name
	}
	return ""
}

func (f *facts) existsAzureConn(name string) bool {
	return slices.ContainsFunc(f.foundAzure(), func(c vpn.AzureConnection) bool { return c.Name == name })
}

func (f *facts) existsLNG(name string) bool {
	return slices.ContainsFunc(f.foundAzure(), func(c vpn.AzureConnection) bool {
		return c.LocalNetworkGateway != nil && c.LocalNetworkGateway.Name == name
	})
}

func (f *facts) static() Runbook {
	plans := f.planStatic()
	rb := Runbook{Title: "Static routing, two active tunnels: " + f.conn.Name}
	if f.door {
		rb.Summary = append(rb.Summary, "Sets up SORACOM Door ↔ Azure VPN gateway {azure_gateway_name} with static routing: one RouteBased gateway with BGP off, one local network gateway and one connection per Door tunnel, so both tunnels are up and SORACOM maintenance on one tunnel is not an outage.")
	} else {
		rb.Summary = append(rb.Summary, "Sets up AWS Site-to-Site VPN ↔ Azure VPN gateway {azure_gateway_name} with static routing: one StaticRoutesOnly VPN connection, one local network gateway and one connection per AWS tunnel, so both tunnels are up and AWS maintenance on one tunnel is not an outage.")
	}
	rb.Summary = append(rb.Summary, f.stateLines()...)
	if f.obs.AWS.Routing() == vpn.RoutingBGP || f.obs.Azure.Routing() == vpn.RoutingBGP {
		rb.Summary = append(rb.Summary, "This connection uses BGP today: the steps below build the static design beside it. Follow `doorbot runbook migrate "+f.conn.Name+"` for the order that keeps traffic flowing.")
	}
	rb.Summary = append(rb.Summary, "Steps marked \"already done\" show what the live state already has; run their check instead of the build.")

	rb.Phases = append(rb.Phases, f.preflight())
	rb.Phases = append(rb.Phases, f.azureGatewayPhase())
	if f.door {
		rb.Phases = append(rb.Phases, f.doorRequestPhase(plans))
	} else {
		rb.Phases = append(rb.Phases, f.awsStaticPhase(plans))
	}
	rb.Phases = append(rb.Phases, f.azureTunnelsPhase(plans))
	rb.Phases = append(rb.Phases, f.verifyPhase(plans), f.monitorPhase(plans))
	return rb
}

func (f *facts) preflight() Phase {
	ph := Phase{Title: "Preflight"}
	ph.Steps = append(ph.Steps, Step{
		Title:    "Work in the gateway's Azure subscription",
		Side:     SideAzure,
		Commands: []string{"az account set --subscription {azure_subscription_id}"},
		Expect:   "No output.",
		Check:    "az account show --query id -o tsv   # prints {azure_subscription_id}",
	})
	overlap := Step{
		Title: "Check that the Azure VNet prefixes do not overlap the other side",
		Side:  SideBoth,
		Commands: []string{
			"az network vnet show -g {azure_resource_group} -n {azure_vnet_name} --query addressSpace.addressPrefixes -o tsv",
		},
		Expect: "{azure_vnet_prefixes} share no address with {onprem_prefixes}.",
		Check:  "Compare the two lists by hand; an overlap must be re-addressed before any tunnel work (the VPC local route wins on AWS).",
	}
	if f.door {
		dev, from := f.deviceSubnet()
		overlap.Expect = "{azure_vnet_prefixes} share no address with the VPG IP range ({onprem_prefixes}) nor with the device subnet (deviceSubnetCidrRange " + dev + ", " + from + ")."
	} else {
		overlap.Commands = append(overlap.Commands,
			"aws ec2 describe-vpcs --vpc-ids {aws_vpc_id} --region {aws_region} --query 'Vpcs[0].CidrBlockAssociationSet[*].CidrBlock' --output text")
	}
	vnet, onprem := f.vnetPrefixes(), f.proposedOnprem()
	if f.door && len(vnet) > 0 {
		if len(onprem) == 0 {
			onprem = f.vpgPrefixes()
		}
		dev, _ := f.deviceSubnet()
		onprem = append(slices.Clone(onprem), dev)
	}
	if len(vnet) > 0 && len(onprem) > 0 {
		if o := overlaps(vnet, onprem); len(o) > 0 {
			overlap.Title += " (OVERLAP in the proposal: " + strings.Join(o, "; ") + ")"
		} else {
			overlap.Title += " (the proposal's prefixes do not overlap)"
		}
	}
	ph.Steps = append(ph.Steps, overlap)
	if f.door {
		st := Step{
			Title:    "Read the SORACOM VPG facts",
			Side:     SideSoracom,
			Commands: []string{"soracom vpg get --vpg-id {soracom_vpg_id}"},
			Expect:   `"status":"running". Record type (a Door-capable type such as Type-F), vpgSubnetCidrRange (the prefixes Azure must route to SORACOM), deviceSubnetCidrRange, routingFilterEntries (must not deny the VNet) and vpnConnections.`,
			Check:    "vpgSubnetCidrRange and deviceSubnetCidrRange do not overlap {azure_vnet_prefixes}.",
		}
		if f.vpg != nil {
			st.Title += " (read by doorbot: " + f.vpgLine() + ")"
			st.Expect = `"status":"running" (doorbot read ` + orDash(f.vpg.Status) + "). The values above are what SORACOM reports now; routingFilterEntries must not deny the VNet."
		}
		ph.Steps = append(ph.Steps, st)
	}
	return ph
}

func (f *facts) azureGatewayPhase() Phase {
	ph := Phase{Title: "Azure VPN gateway (RouteBased, active-standby, BGP off)"}
	gw := f.gw
	subnet := Step{
		Title: "GatewaySubnet in the VNet",
		Side:  SideAzure,
		Commands: []string{"az network vnet subnet create -g {azure_resource_group} --vnet-name {azure_vnet_name} \\\n" +
			"  --name GatewaySubnet --address-prefix {azure_gateway_subnet_prefix}"},
		Expect: "A subnet named exactly GatewaySubnet, /27 or larger, with no other resources, no NSG and no route table (both break the gateway's tunnels).",
		Check:  "az network vnet subnet show -g {azure_resource_group} --vnet-name {azure_vnet_name} -n GatewaySubnet --query \"{prefix:addressPrefix, nsg:networkSecurityGroup.id, routeTable:routeTable.id}\" -o json",
	}
	pip := Step{
		Title:    "Public IP for the gateway",
		Side:     SideAzure,
		Commands: []string{"az network public-ip create -g {azure_resource_group} -n {azure_gateway_pip_name} --allocation-method Static --sku Standard"},
		Expect:   "A Standard static public IP.",
		Check:    "az network public-ip show -g {azure_resource_group} -n {azure_gateway_pip_name} --query ipAddress -o tsv",
	}
	create := Step{
		Title: "Create the VPN gateway {azure_gateway_name}: RouteBased, BGP off",
		Side:  SideAzure,
		Commands: []string{
			"az network vnet-gateway create -g {azure_resource_group} -n {azure_gateway_name} \\\n" +
				"  --public-ip-address {azure_gateway_pip_name} --vnet {azure_vnet_name} \\\n" +
				"  --gateway-type Vpn --vpn-type RouteBased --sku VpnGw1AZ --no-wait",
			"az network public-ip show -g {azure_resource_group} -n {azure_gateway_pip_name} --query ipAddress -o tsv",
		},
		Expect: "Creation takes 45 minutes or more. The second command prints the gateway public IP ({azure_gateway_public_ip}). RouteBased is required and cannot be changed later. VpnGw1AZ, not VpnGw1: non-AZ SKUs can no longer be created since 2025-01-01 (Microsoft, VPN Gateway SKU consolidation and migration: https://learn.microsoft.com/azure/vpn-gateway/gateway-sku-consolidation).",
		Check:  "az network vnet-gateway show -g {azure_resource_group} -n {azure_gateway_name} --query \"{state:provisioningState, vpnType:vpnType, sku:sku.name, activeActive:activeActive, enableBgp:enableBgp}\" -o json   # state Succeeded, vpnType RouteBased",
	}
	if gw == nil {
		ph.Steps = append(ph.Steps, subnet, pip, create)
		return ph
	}
	show := "az network vnet-gateway show -g {azure_resource_group} -n {azure_gateway_name} --query \"{vpnType:vpnType, sku:sku.name, activeActive:activeActive, enableBgp:enableBgp, publicIps:ipConfigurations[].publicIpAddress.id}\" -o json"
	subnet.Title += " (already done: gateway {azure_gateway_name} exists, so its GatewaySubnet does)"
	subnet.Commands = []string{subnet.Check}
	subnet.Check = "prefix is /27 or larger; nsg and routeTable are null."
	ph.Steps = append(ph.Steps, subnet)

	pip.Title += fmt.Sprintf(" (already done: the gateway has %s)", orNone(gw.TunnelIPs))
	pip.Commands = []string{"az network vnet-gateway show -g {azure_resource_group} -n {azure_gateway_name} --query \"ipConfigurations[].publicIpAddress.id\" -o tsv"}
	pip.Expect = "One public IP resource ID (active-standby)."
	pip.Check = "AWS/SORACOM must know the gateway by {azure_gateway_public_ip}."
	ph.Steps = append(ph.Steps, pip)

	desc := fmt.Sprintf("%s, %s, active-active %t, BGP %s", orDash(gw.VPNType), orDash(gw.SKU), gw.ActiveActive, onOff(gw.EnableBGP))
	switch {
	case strings.EqualFold(gw.VPNType, "PolicyBased"):
		create.Title = "Replace the VPN gateway {azure_gateway_name}: it is PolicyBased (" + desc + "), which gives IKEv1 with one tunnel, and the VPN type cannot be changed"
		create.Commands = append([]string{"az network vnet-gateway show -g {azure_resource_group} -n {azure_gateway_name} -o json   # keep for the record"}, create.Commands...)
		create.Expect = "Plan an outage: the PolicyBased gateway must be deleted before a RouteBased one can use the GatewaySubnet. " + create.Expect
	default:
		create.Title = "VPN gateway {azure_gateway_name} (already done: " + desc + ")"
		create.Commands = []string{show}
		create.Expect = "vpnType RouteBased. "
		if gw.EnableBGP {
			create.Expect += "BGP is on at gateway level: harmless, because the static connections below set BGP off; turning it off is optional and belongs in a separate window."
		} else {
			create.Expect += "enableBgp false."
		}
		create.Check = ""
	}
	ph.Steps = append(ph.Steps, create)
	return ph
}

func (f *facts) awsStaticPhase(plans []tunnelPlan) Phase {
	ph := Phase{Title: "AWS: static VPN connection and routes"}
	sv := f.staticVPN()
	describe := "aws ec2 describe-vpn-connections --vpn-connection-ids {aws_vpn_connection_id} --region {aws_region} \\\n" +
		"  --query 'VpnConnections[0].{State:State,StaticRoutesOnly:Options.StaticRoutesOnly,OutsideIps:Options.TunnelOptions[*].OutsideIpAddress,Routes:Routes}' --output json"
	switch {
	case sv != nil:
		ph.Steps = append(ph.Steps, Step{
			Title:    fmt.Sprintf("AWS static VPN connection (already done: %s is StaticRoutesOnly, state %s, tunnels %s)", sv.ID, orDash(sv.State), orNone(tunnelIPs(sv.Tunnels))),
			Side:     SideAWS,
			Commands: []string{describe},
			Expect:   "State available, StaticRoutesOnly true, two outside IPs.",
		})
	case f.awsUnverified() && f.known("aws_vpn_connection_id"):
		ph.Steps = append(ph.Steps, Step{
			Title:    "AWS static VPN connection {aws_vpn_connection_id} (configured; AWS could not be read, so confirm it before going on)",
			Side:     SideAWS,
			Commands: []string{describe},
			Expect:   "State available, StaticRoutesOnly true, and the two outside IPs are {aws_tunnel1_outside_ip} and {aws_tunnel2_outside_ip}. If StaticRoutesOnly is false, use `doorbot runbook migrate " + f.conn.Name + "` instead.",
		})
	default:
		ph.Steps = append(ph.Steps, Step{
			Title: "Create the customer gateway, virtual private gateway and a StaticRoutesOnly VPN connection",
			Side:  SideAWS,
			Commands: []string{
				"aws ec2 create-customer-gateway --type ipsec.1 --ip-address {azure_gateway_public_ip} --bgp-asn 65000 --region {aws_region}",
				"aws ec2 create-vpn-gateway --type ipsec.1 --region {aws_region}",
				"aws ec2 attach-vpn-gateway --vpn-gateway-id {aws_vgw_id} --vpc-id {aws_vpc_id} --region {aws_region}",
				"aws ec2 create-vpn-connection --type ipsec.1 --customer-gateway-id {aws_cgw_id} --vpn-gateway-id {aws_vgw_id} \\\n" +
					"  --options '{\"StaticRoutesOnly\":true}' --region {aws_region}",
			},
			Expect: "Skip create-vpn-gateway and attach-vpn-gateway when the VPC already has a virtual private gateway. The BGP ASN of a static customer gateway is unused (65000 is AWS's default). Leave LocalIpv4NetworkCidr/RemoteIpv4NetworkCidr at 0.0.0.0/0: narrower selectors fail phase 2 against a RouteBased Azure gateway. The VPN connection is pending for a few minutes, then available.",
			Check:  describe,
		})
	}
	routes := Step{
		Title: "AWS static routes toward the Azure VNet",
		Side:  SideAWS,
		Expect: "Every Azure VNet prefix is listed in Routes with State available; the VGW forwards only prefixes it has a route for. AWS routes today: " +
			orNone(f.awsStaticRoutes()) + ".",
		Check: "aws ec2 describe-vpn-connections --vpn-connection-ids {aws_vpn_connection_id} --region {aws_region} --query 'VpnConnections[0].Routes' --output table",
	}
	if vnet := f.vnetPrefixes(); len(vnet) > 0 {
		missing := covered(vnet, f.awsStaticRoutes())
		if sv != nil && len(missing) == 0 {
			routes.Title += " (already done: the routes cover " + strings.Join(vnet, ", ") + ")"
		}
		for _, p := range vnet {
			if sv != nil && !slices.Contains(missing, p) {
				continue
			}
			routes.Commands = append(routes.Commands, "aws ec2 create-vpn-connection-route --vpn-connection-id {aws_vpn_connection_id} --destination-cidr-block "+p+" --region {aws_region}")
		}
	} else {
		routes.Commands = []string{"for cidr in {azure_vnet_prefixes}; do aws ec2 create-vpn-connection-route --vpn-connection-id {aws_vpn_connection_id} --destination-cidr-block \"$cidr\" --region {aws_region}; done"}
		routes.Expect += " Skip prefixes already listed."
	}
	ph.Steps = append(ph.Steps, routes, Step{
		Title:    "Propagate the VPN routes into the VPC route table",
		Side:     SideAWS,
		Commands: []string{"aws ec2 enable-vgw-route-propagation --route-table-id {aws_route_table_id} --gateway-id {aws_vgw_id} --region {aws_region}"},
		Expect:   "Repeat for every route table whose subnets talk to Azure. Security groups must also allow {azure_vnet_prefixes}.",
		Check:    "aws ec2 describe-route-tables --route-table-ids {aws_route_table_id} --region {aws_region} --query 'RouteTables[0].PropagatingVgws' --output text   # prints {aws_vgw_id}",
	})
	return ph
}

func (f *facts) doorRequestPhase(plans []tunnelPlan) Phase {
	ph := Phase{Title: "SORACOM: static Door VPN connection"}
	st := Step{
		Title:  "Request the static Door VPN connection in the SORACOM console",
		Side:   SideSoracom,
		Expect: "Give SORACOM: customer gateway IP {azure_gateway_public_ip}; routing static; static prefixes {azure_vnet_prefixes}. SORACOM returns two tunnel outside IPs ({aws_tunnel1_outside_ip}, {aws_tunnel2_outside_ip}) and two pre-shared keys: keep the keys in your secret store, never in Slack or a ticket.",
		Check:  "soracom vpg get --vpg-id {soracom_vpg_id}   # a vpnConnections entry with useDynamicRouting false",
	}
	if f.vpg != nil {
		st.Check = "soracom vpg get --vpg-id {soracom_vpg_id}   # a vpnConnections entry with useDynamicRouting false; today: " + f.doorConns()
	}
	switch {
	case plans[0].conn != nil && plans[1].conn != nil:
		st.Title += " (already done: Door tunnels {aws_tunnel1_outside_ip} and {aws_tunnel2_outside_ip} are terminated by {azure_lng1_name} and {azure_lng2_name})"
	case f.vpg.Routing() == vpn.RoutingStatic:
		st.Title += " (SORACOM reports a static Door connection: " + f.doorConns() + ")"
	}
	ph.Steps = append(ph.Steps, st)
	return ph
}

func (f *facts) azureTunnelsPhase(plans []tunnelPlan) Phase {
	ph := Phase{Title: "Azure: one local network gateway and one connection per tunnel"}
	for _, t := range plans {
		lng := newLNGStep(t, "Local network gateway {azure_lng%d_name} for tunnel %d ({aws_tunnel%d_outside_ip})",
			"The local network gateway holds the tunnel's outside IP and the prefixes on the other side; no BGP settings.")
		conn := newConnStep(t, "Connection {azure_conn%d_name} for tunnel %d, BGP off",
			"BGP and policy-based traffic selectors default to off. Keep connection mode Default (not ResponderOnly): AWS waits for the customer side to start IKE. Type the key in your terminal only.")
		if c := t.conn; c != nil {
			l := c.LocalNetworkGateway
			lng.Title += fmt.Sprintf(" (already done: points at %s, prefixes %s)", l.GatewayIP, orNone(l.AddressPrefixes))
			lng.Commands = []string{lng.Check + "   # ip " + l.GatewayIP + ", prefixes " + strings.Join(l.AddressPrefixes, " ")}
			lng.Check = ""
			if want := f.proposedOnprem(); len(want) > 0 {
				if miss := covered(want, l.AddressPrefixes); len(miss) > 0 {
					lng.Title = t.ph("Local network gateway {azure_lng%d_name}: add ") + strings.Join(miss, ", ") + " to its prefixes"
					lng.Commands = append(lng.Commands, t.ph("az network local-gateway update -g {azure_resource_group} -n {azure_lng%d_name} --local-address-prefixes ")+strings.Join(unique(append(slices.Clone(l.AddressPrefixes), want...)), " "))
				}
			}
			conn.Title += fmt.Sprintf(" (already done: status %s, mode %s)", orDash(c.Status), orDash(c.ConnectionMode))
			conn.Commands = []string{conn.Check}
			conn.Check = ""
			if strings.EqualFold(c.ConnectionMode, "ResponderOnly") {
				conn.Commands = append(conn.Commands, t.ph("az network vpn-connection update -g {azure_resource_group} -n {azure_conn%d_name} --set connectionMode=Default"))
				conn.Expect = "The connection is ResponderOnly: set it to Default so that Azure starts IKE."
			}
		}
		ph.Steps = append(ph.Steps, lng, conn)
	}
	return ph
}

// newLNGStep creates the local network gateway for one AWS tunnel: its
// outside IP and the static prefixes behind it, no BGP. Setup and
// migration build it the same way.
func newLNGStep(t tunnelPlan, title, expect string) Step {
	return Step{
		Title: t.ph(title),
		Side:  SideAzure,
		Commands: []string{t.ph("az network local-gateway create -g {azure_resource_group} -n {azure_lng%d_name} \\\n") +
			t.ph("  --gateway-ip-address {aws_tunnel%d_outside_ip} --local-address-prefixes {onprem_prefixes}")},
		Expect: expect,
		Check:  t.ph("az network local-gateway show -g {azure_resource_group} -n {azure_lng%d_name} --query \"{ip:gatewayIpAddress, prefixes:localNetworkAddressSpace.addressPrefixes}\" -o json"),
	}
}

// newConnStep creates the BGP-off connection for one AWS tunnel.
func newConnStep(t tunnelPlan, title, expect string) Step {
	return Step{
		Title: t.ph(title),
		Side:  SideAzure,
		Commands: []string{t.ph("az network vpn-connection create -g {azure_resource_group} -n {azure_conn%d_name} -l {azure_location} \\\n") +
			t.ph("  --vnet-gateway1 {azure_gateway_name} --local-gateway2 {azure_lng%d_name} --shared-key {aws_tunnel%d_psk}")},
		Expect: expect,
		Check:  t.ph("az network vpn-connection show -g {azure_resource_group} -n {azure_conn%d_name} --query \"{status:connectionStatus, bgp:enableBgp, mode:connectionMode}\" -o json   # Connected, false, Default"),
	}
}

func (f *facts) verifyPhase(plans []tunnelPlan) Phase {
	ph := Phase{Title: "Verify"}
	st := Step{
		Title:  "Both Azure connections are Connected",
		Side:   SideAzure,
		Expect: "\"status\": \"Connected\" for both (Connecting while negotiating, Unknown briefly after creation: re-query). Bytes may flow through one connection only: without BGP Azure has been observed to send over one connection at a time (observed in Microsoft's AWS static tutorial, https://learn.microsoft.com/azure/vpn-gateway/create-vpn-azure-aws-managed-solutions, not a documented promise), which is normal: never alert on bytes.",
		Check:  "az network vpn-connection list-ike-sas -g {azure_resource_group} -n {azure_conn1_name}   # negotiated IKE/IPsec SAs",
	}
	for _, t := range plans {
		st.Commands = append(st.Commands, t.ph("az network vpn-connection show -g {azure_resource_group} -n {azure_conn%d_name} \\\n")+
			"  --query \"{status:connectionStatus, in:ingressBytesTransferred, out:egressBytesTransferred}\" -o json")
	}
	ph.Steps = append(ph.Steps, st)
	if f.door {
		ph.Steps = append(ph.Steps, Step{
			Title:  "SORACOM side",
			Side:   SideSoracom,
			Expect: "SORACOM exposes no tunnel status: Door health is the two Azure connection states above plus the SORACOM console.",
			Check:  "soracom vpg get --vpg-id {soracom_vpg_id}   # status running, the Door connection listed with useDynamicRouting false",
		})
		if f.vpg != nil {
			last := &ph.Steps[len(ph.Steps)-1]
			last.Expect += " SORACOM reports today: " + f.vpgLine() + "."
		}
	} else {
		ph.Steps = append(ph.Steps, Step{
			Title: "Both AWS tunnels are UP and the routes are available",
			Side:  SideAWS,
			Commands: []string{
				"aws ec2 describe-vpn-connections --vpn-connection-ids {aws_vpn_connection_id} --region {aws_region} \\\n" +
					"  --query 'VpnConnections[0].VgwTelemetry[*].[OutsideIpAddress,Status,StatusMessage,LastStatusChange]' --output table",
				"aws ec2 describe-vpn-connections --vpn-connection-ids {aws_vpn_connection_id} --region {aws_region} \\\n" +
					"  --query 'VpnConnections[0].[Options.StaticRoutesOnly,Routes]' --output json",
			},
			Expect: "Two rows, {aws_tunnel1_outside_ip} and {aws_tunnel2_outside_ip}, both UP (StatusMessage IPSEC IS UP or empty); StaticRoutesOnly true and every route State available.",
		})
	}
	data := Step{
		Title:    "Routes and data path from an Azure VM",
		Side:     SideBoth,
		Commands: []string{"az network nic show-effective-route-table -g {azure_resource_group} -n {azure_vm_nic} -o table"},
		Expect:   "{onprem_prefixes} with next hop type VirtualNetworkGateway (one route per connection).",
		Check:    "Ping an EC2 private IP from the Azure VM and back.",
	}
	if f.door {
		data.Check = "From a SIM device, reach the Azure VM's private IP; traffic arrives from the VPG IP range, so the NSG must allow it."
	}
	ph.Steps = append(ph.Steps, data)
	return ph
}

func (f *facts) monitorPhase(plans []tunnelPlan) Phase {
	ph := Phase{Title: "Monitoring"}
	if !f.door {
		ph.Steps = append(ph.Steps, Step{
			Title: "CloudWatch alarm when any AWS tunnel is down",
			Side:  SideAWS,
			Commands: []string{"aws cloudwatch put-metric-alarm --alarm-name " + f.conn.Name + "-vpn-tunnel-down --region {aws_region} \\\n" +
				"  --namespace AWS/VPN --metric-name TunnelState --dimensions Name=VpnId,Value={aws_vpn_connection_id} \\\n" +
				"  --statistic Minimum --period 300 --evaluation-periods 1 --threshold 1 --comparison-operator LessThanThreshold \\\n" +
				"  --treat-missing-data breaching --alarm-actions {aws_sns_topic_arn}"},
			Expect: "Minimum fires when any tunnel is down (Maximum only when all are). Alarm on tunnel state, never on bytes: an idle tunnel is normal with static routing.",
			Check:  "aws cloudwatch describe-alarms --alarm-names " + f.conn.Name + "-vpn-tunnel-down --region {aws_region} --query 'MetricAlarms[0].StateValue' --output text   # OK",
		})
	}
	gwID := "/subscriptions/{azure_subscription_id}/resourceGroups/{azure_resource_group}/providers/Microsoft.Network/virtualNetworkGateways/{azure_gateway_name}"
	st := Step{
		Title:  "Azure Monitor alert when a connection loses its IKE SA",
		Side:   SideAzure,
		Expect: "MmsaCount (Tunnel MMSA Count) drops to 0 when a tunnel's IKE main mode SA is gone. Bytes are not liveness. For reasons, send TunnelDiagnosticLog and GatewayDiagnosticLog to a Log Analytics workspace.",
		Check:  "az monitor metrics alert list -g {azure_resource_group} -o table",
	}
	for _, t := range plans {
		st.Commands = append(st.Commands, t.ph("az monitor metrics alert create -g {azure_resource_group} -n "+f.conn.Name+"-tunnel%d-down \\\n")+
			"  --scopes "+gwID+" \\\n"+
			t.ph("  --condition \"max MmsaCount < 1 where ConnectionName includes {azure_conn%d_name}\" \\\n")+
			"  --window-size 5m --evaluation-frequency 1m --action {azure_action_group_id}")
	}
	ph.Steps = append(ph.Steps, st)
	return ph
}

// verifyRunbook is the manual half of `runbook verify`: the checks of the
// static runbook's verification and monitoring, filled from live state.
func (f *facts) verifyRunbook() Runbook {
	plans := f.planStatic()
	rb := Runbook{Title: "Verify: " + f.conn.Name}
	rb.Summary = append([]string{"Checks to run by hand after a change; `doorbot runbook verify " + f.conn.Name + "` runs the automatic ones on the live state."}, f.stateLines()...)
	rb.Phases = []Phase{f.verifyPhase(plans), f.monitorPhase(plans)}
	return rb
}

func tunnelIPs(ts []vpn.AWSTunnel) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.OutsideIP)
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func unique(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
