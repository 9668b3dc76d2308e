// Package runbook turns a configured connection, its live state and an
// optional proposal into the steps an on-call engineer follows: static setup,
// the BGP → static migration, post-change verification and triage. It is
// pure: no I/O, no clock.
//
// Every value in a command comes from the config, the observation or the
// proposal. What none of them knows stays a named placeholder ({azure_vnet_prefixes})
// listed in Runbook.Placeholders with how to find it, because a plausible
// guess pasted into a terminal during an incident is worse than a visible gap.
// Pre-shared keys are never known here (the vpn types carry none): commands
// use {aws_tunnelN_psk} and the placeholder says where the key is kept.
package runbook

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// Kind is a runbook kind as users type it.
type Kind string

const (
	KindStatic  Kind = "static"
	KindMigrate Kind = "migrate"
	KindVerify  Kind = "verify"
)

// Sides a step runs on.
const (
	SideAzure   = "azure"
	SideAWS     = "aws"
	SideSoracom = "soracom"
	SideBoth    = "both"
)

// Input is everything a runbook is built from.
type Input struct {
	Connection  vpn.Connection
	Observation vpn.Observation
	Proposal    *vpn.Proposal
}

// Runbook is a generated runbook.
type Runbook struct {
	Kind         Kind          `json:"kind"`
	Connection   string        `json:"connection"`
	Title        string        `json:"title"`
	Summary      []string      `json:"summary"`
	Placeholders []Placeholder `json:"placeholders"`
	Phases       []Phase       `json:"phases"`
}

// Placeholder is a value a command needs that doorbot could not fill.
type Placeholder struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Phase groups steps.
type Phase struct {
	Title string `json:"title"`
	Steps []Step `json:"steps"`
}

// Step is one thing to do and how to know it worked.
type Step struct {
	Title    string   `json:"title"`
	Side     string   `json:"side"`
	Commands []string `json:"commands"`
	// Impact is what the step does to traffic while it runs (change
	// runbooks): which tunnel goes down, for how long, what carries the
	// traffic meanwhile.
	Impact          string `json:"impact,omitempty"`
	Expect          string `json:"expect"`
	Check           string `json:"check"`
	PointOfNoReturn bool   `json:"point_of_no_return"`
	Rollback        string `json:"rollback"`
}

// Generate builds the runbook of kind for in. KindVerify gives the manual
// verification and monitoring steps (Verify gives the automatic checks).
func Generate(kind Kind, in Input) (Runbook, error) {
	f := newFacts(in)
	var rb Runbook
	switch kind {
	case KindStatic:
		rb = f.static()
	case KindMigrate:
		rb = f.migrate()
	case KindVerify:
		rb = f.verifyRunbook()
	default:
		return Runbook{}, fmt.Errorf("unknown runbook kind %q: use static, migrate or verify", kind)
	}
	rb.Kind = kind
	rb.Connection = f.conn.Name
	f.finish(&rb)
	return rb, nil
}

// facts are the values known for one connection, keyed by placeholder name.
type facts struct {
	in   Input
	conn vpn.Connection
	obs  vpn.Observation
	door bool
	gw   *vpn.AzureGateway
	// vpg is the Door connection's VPG as the SORACOM API returned it; nil
	// when not read (no vpg_id, or SORACOM failed).
	vpg  *vpn.SoracomVPG
	vals map[string]string
	// hints are appended to a placeholder's description: live values that
	// help find it without being it (e.g. AWS routes today for the VNet).
	hints map[string]string
}

func newFacts(in Input) *facts {
	c := in.Connection
	if c.Name == "" {
		c = in.Observation.Connection
	}
	f := &facts{
		in: in, conn: c, obs: in.Observation,
		door:  c.Kind == vpn.KindSoracomDoor,
		vals:  map[string]string{},
		hints: map[string]string{},
	}
	f.set("azure_subscription_id", c.Azure.SubscriptionID)
	f.set("azure_resource_group", c.Azure.ResourceGroup)
	f.set("azure_gateway_name", c.Azure.Gateway)
	if az := f.obs.Azure; az != nil && az.Gateway != nil {
		f.gw = az.Gateway
		f.set("azure_gateway_name", f.gw.Name)
		if len(f.gw.TunnelIPs) > 0 {
			f.set("azure_gateway_public_ip", f.gw.TunnelIPs[0])
		}
	}
	if f.door {
		f.set("soracom_vpg_id", c.Soracom.VPGID)
		if v := f.obs.Soracom; v != nil {
			f.vpg = v
			f.set("soracom_vpg_id", v.ID)
		}
	}
	if !f.door {
		f.set("aws_region", c.AWS.Region)
		if f.obs.AWS != nil {
			f.set("aws_region", f.obs.AWS.Region)
		}
	}
	if p := in.Proposal; p != nil {
		f.set("azure_vnet_prefixes", strings.Join(p.Azure.VNetPrefixes, " "))
		if p.Azure.Gateway != nil {
			f.set("azure_gateway_subnet_prefix", p.Azure.Gateway.GatewaySubnet)
		}
	}
	f.set("onprem_prefixes", strings.Join(f.proposedOnprem(), " "))
	if !f.known("onprem_prefixes") {
		f.set("onprem_prefixes", strings.Join(f.vpgPrefixes(), " "))
	}
	if routes := f.awsStaticRoutes(); len(routes) > 0 {
		f.hints["azure_vnet_prefixes"] = "AWS routes toward Azure today: " + strings.Join(routes, ", ") + " (confirm against the VNet)."
	}
	return f
}

func (f *facts) set(name, v string) {
	if v != "" {
		f.vals[name] = v
	}
}

func (f *facts) known(name string) bool { _, ok := f.vals[name]; return ok }

// proposedOnprem are the AWS/SORACOM-side prefixes a proposal states: the
// only source that is a statement of intent rather than today's config.
func (f *facts) proposedOnprem() []string {
	p := f.in.Proposal
	if p == nil {
		return nil
	}
	if len(p.AWS.LocalPrefixes) > 0 {
		return p.AWS.LocalPrefixes
	}
	if f.door && p.Soracom.VPGSubnet != "" {
		return []string{p.Soracom.VPGSubnet}
	}
	return nil
}

// vpgPrefixes are what Azure must route into Door tunnels according to
// the VPG: its IP range (device traffic is NATed to it) and, for a Type-F2
// VPG, which routes device addresses both ways, the device subnet.
func (f *facts) vpgPrefixes() []string {
	v := f.vpg
	if v == nil || v.VPGSubnet == "" {
		return nil
	}
	out := []string{v.VPGSubnet}
	if v.RoutesDeviceAddresses() && v.DeviceSubnet != "" {
		out = append(out, v.DeviceSubnet)
	}
	return out
}

// deviceSubnet is the SORACOM device subnet to check overlaps against:
// the proposal's, else the VPG's, else SORACOM's default; from says which.
func (f *facts) deviceSubnet() (subnet, from string) {
	if p := f.in.Proposal; p != nil && p.Soracom.DeviceSubnet != "" {
		return p.Soracom.DeviceSubnet, "from the proposal"
	}
	if f.vpg != nil && f.vpg.DeviceSubnet != "" {
		return f.vpg.DeviceSubnet, "read from the VPG"
	}
	return vpn.DefaultSoracomDeviceSubnet, "SORACOM's default: the VPG was not read"
}

// doorConns lists the VPG's Door connections with their routing mode,
// "door-04 (static)", or "none".
func (f *facts) doorConns() string {
	if f.vpg == nil || len(f.vpg.DoorConnections) == 0 {
		return "none"
	}
	out := make([]string, len(f.vpg.DoorConnections))
	for i, d := range f.vpg.DoorConnections {
		out[i] = fmt.Sprintf("%s (%s", orDash(d.ID), d.Routing())
		if d.UseDynamicRouting && d.BGPASN != "" {
			out[i] += ", ASN " + d.BGPASN
		}
		out[i] += ")"
	}
	return strings.Join(out, ", ")
}

// vpgLine is what SORACOM reports about the VPG, for summaries and
// expectations: the values the SORACOM steps ask the reader to record.
func (f *facts) vpgLine() string {
	v := f.vpg
	if v == nil {
		return ""
	}
	filter := "none"
	if len(v.RoutingFilter) > 0 {
		parts := make([]string, len(v.RoutingFilter))
		for i, e := range v.RoutingFilter {
			parts[i] = e.Action + " " + e.IPRange
		}
		filter = strings.Join(parts, ", ")
	}
	typ := v.TypeName()
	if typ == "" {
		typ = "type not reported"
	}
	return fmt.Sprintf("status %s, %s, VPG IP range %s, device subnet %s, Door connections %s, routing filter %s",
		orDash(v.Status), typ, orDash(v.VPGSubnet), orDash(v.DeviceSubnet), f.doorConns(), filter)
}

func (f *facts) vnetPrefixes() []string {
	if p := f.in.Proposal; p != nil {
		return p.Azure.VNetPrefixes
	}
	return nil
}

func (f *facts) awsStaticRoutes() []string {
	var out []string
	if f.obs.AWS == nil {
		return nil
	}
	for _, v := range f.obs.AWS.VPNConnections {
		for _, r := range v.StaticRoutes {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// foundAzure returns the Azure connections ARM returned (not 404), in
// configured order.
func (f *facts) foundAzure() []vpn.AzureConnection { return f.obs.Azure.Found() }

func (f *facts) sideError(cloud vpn.Cloud) string {
	var msgs []string
	for _, e := range f.obs.Errors {
		if e.Cloud == cloud {
			msgs = append(msgs, e.Message)
		}
	}
	return strings.Join(msgs, "; ")
}

// stateLines describe the live state for a summary.
func (f *facts) stateLines() []string {
	var out []string
	rows := vpn.Pair(f.obs)
	up := 0
	for _, r := range rows {
		if r.Up {
			up++
		}
	}
	routing := fmt.Sprintf("routing AWS %s, Azure %s", f.obs.AWS.Routing(), f.obs.Azure.Routing())
	if f.door {
		routing = fmt.Sprintf("routing (Azure) %s", f.obs.Azure.Routing())
		if f.vpg != nil {
			routing = fmt.Sprintf("routing SORACOM Door %s, Azure %s", f.vpg.Routing(), f.obs.Azure.Routing())
		}
	}
	if f.obs.AWS == nil && f.obs.Azure == nil {
		out = append(out, "Live state: neither side could be read; every value below comes from doorbot.yaml.")
	} else {
		out = append(out, fmt.Sprintf("Live state: %d of %d tunnels up, %s.", up, len(rows), routing))
	}
	if e := f.sideError(vpn.CloudAWS); e != "" {
		out = append(out, "AWS could not be read ("+e+"): AWS values come from doorbot.yaml or Azure's local network gateways.")
	}
	if e := f.sideError(vpn.CloudAzure); e != "" {
		out = append(out, "Azure could not be read ("+e+"): Azure values come from doorbot.yaml.")
	}
	if f.vpg != nil {
		out = append(out, "SORACOM VPG "+f.vpg.ID+": "+f.vpgLine()+".")
	}
	if e := f.sideError(vpn.CloudSoracom); e != "" {
		out = append(out, "SORACOM could not be read ("+e+"): the VPG's values are placeholders or SORACOM's defaults.")
	}
	return out
}

// placeholderRE matches {name} and not JMESPath or JSON braces, which always
// hold a colon or quote.
var placeholderRE = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)

func (f *facts) expand(s string) string {
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := f.vals[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// finish fills every known value and lists what is left, in the reference
// order, so that Placeholders is exactly the set of gaps in the runbook.
func (f *facts) finish(rb *Runbook) {
	used := map[string]bool{}
	scan := func(s *string) {
		*s = f.expand(*s)
		for _, m := range placeholderRE.FindAllStringSubmatch(*s, -1) {
			used[m[1]] = true
		}
	}
	scan(&rb.Title)
	for i := range rb.Summary {
		scan(&rb.Summary[i])
	}
	for i := range rb.Phases {
		for j := range rb.Phases[i].Steps {
			st := &rb.Phases[i].Steps[j]
			scan(&st.Title)
			for k := range st.Commands {
				scan(&st.Commands[k])
			}
			scan(&st.Impact)
			scan(&st.Expect)
			scan(&st.Check)
			scan(&st.Rollback)
		}
	}
	// A description may itself need a value ("az network vnet show -n
	// {azure_vnet_name}"): keep describing until no new name appears.
	described := map[string]string{}
	for grew := true; grew; {
		grew = false
		for name := range used {
			if _, ok := described[name]; ok {
				continue
			}
			d := f.expand(f.describe(name))
			described[name] = d
			grew = true
			for _, m := range placeholderRE.FindAllStringSubmatch(d, -1) {
				used[m[1]] = true
			}
		}
	}
	rb.Placeholders = []Placeholder{}
	for _, name := range placeholderOrder {
		if used[name] {
			rb.Placeholders = append(rb.Placeholders, Placeholder{Name: name, Description: described[name]})
			delete(used, name)
		}
	}
	// A name outside the catalog is a bug in this package; listing it still
	// keeps the promise that every gap is named.
	var rest []string
	for name := range used {
		rest = append(rest, name)
	}
	slices.Sort(rest)
	for _, name := range rest {
		rb.Placeholders = append(rb.Placeholders, Placeholder{Name: name, Description: described[name]})
	}
	if rb.Summary == nil {
		rb.Summary = []string{}
	}
}

// placeholderOrder is the reference §2 list, then the few this package adds.
var placeholderOrder = []string{
	"azure_subscription_id", "azure_resource_group", "azure_location", "azure_vnet_name", "azure_vnet_prefixes",
	"azure_gateway_subnet_prefix", "azure_gateway_name", "azure_gateway_pip_name", "azure_gateway_public_ip",
	"azure_lng1_name", "azure_lng2_name", "azure_old_lng1_name", "azure_old_lng2_name", "azure_conn1_name", "azure_conn2_name", "azure_vm_nic",
	"aws_region", "aws_vpc_id", "aws_vgw_id", "aws_cgw_id", "aws_vpn_connection_id", "aws_route_table_id",
	"aws_tunnel1_outside_ip", "aws_tunnel2_outside_ip", "aws_tunnel1_psk", "aws_tunnel2_psk",
	"soracom_vpg_id", "onprem_prefixes", "aws_sns_topic_arn", "azure_action_group_id",
}

func (f *facts) describe(name string) string {
	d := f.expand(f.rawDescription(name))
	if h := f.hints[name]; h != "" {
		d += " " + h
	}
	return d
}

func (f *facts) rawDescription(name string) string {
	vpnRef := "{aws_vpn_connection_id}"
	if id := f.oldVPNID(); id != "" && !f.known("aws_vpn_connection_id") {
		// In a migration the new connection's ID is unknown, but the old one
		// locates the shared VGW.
		vpnRef = id
	}
	switch name {
	case "azure_subscription_id":
		return "Azure subscription of the gateway: azure.subscription_id in doorbot.yaml, or `az account show --query id -o tsv`."
	case "azure_resource_group":
		return "Resource group of the gateway: connections[].azure.resource_group in doorbot.yaml."
	case "azure_location":
		return "Azure region of the gateway (doorbot does not read it): `az network vnet-gateway show -g {azure_resource_group} -n {azure_gateway_name} --query location -o tsv`."
	case "azure_vnet_name":
		return "VNet that holds the gateway (doorbot does not read it): the name after /virtualNetworks/ in `az network vnet-gateway show -g {azure_resource_group} -n {azure_gateway_name} --query \"ipConfigurations[0].subnet.id\" -o tsv`; before the gateway exists, `az network vnet list -g {azure_resource_group} -o table`."
	case "azure_vnet_prefixes":
		return "Azure VNet address prefixes, space-separated (doorbot does not read the VNet; state azure.vnet_prefixes in a proposal to fill it): `az network vnet show -g {azure_resource_group} -n {azure_vnet_name} --query addressSpace.addressPrefixes -o tsv`."
	case "azure_gateway_subnet_prefix":
		return "A free /27 (or larger) inside the VNet for the subnet named GatewaySubnet (or azure.gateway.gateway_subnet in a proposal)."
	case "azure_gateway_name":
		return "Name of the Azure VPN gateway: connections[].azure.gateway in doorbot.yaml."
	case "azure_gateway_pip_name":
		return "Name you choose for the gateway's new Standard public IP resource."
	case "azure_gateway_public_ip":
		return "Public IP of the Azure gateway: `az network public-ip show -g {azure_resource_group} -n {azure_gateway_pip_name} --query ipAddress -o tsv` once it exists."
	case "azure_lng1_name", "azure_lng2_name":
		return "Name you choose for the new local network gateway of AWS tunnel " + name[9:10] + " (e.g. lng-" + f.conn.Name + "-tunnel" + name[9:10] + "); state it in a proposal to fill it."
	case "azure_old_lng1_name", "azure_old_lng2_name":
		return "Local network gateway behind old connection " + name[13:14] + " (Azure was not read): the name after /localNetworkGateways/ in `az network vpn-connection show -g {azure_resource_group} -n <that connection> --query localNetworkGateway2.id -o tsv`."
	case "azure_conn1_name", "azure_conn2_name":
		return "Name you choose for the new Azure connection of AWS tunnel " + name[10:11] + " (e.g. cn-" + f.conn.Name + "-tunnel" + name[10:11] + "); add it to connections[].azure.connections in doorbot.yaml afterwards."
	case "azure_vm_nic":
		return "NIC of a VM in the VNet, to read its effective routes: `az network nic list -g {azure_resource_group} -o table`."
	case "aws_region":
		return "AWS region of the VPN connection: connections[].aws.region or aws.region in doorbot.yaml."
	case "aws_vpc_id":
		return "VPC the virtual private gateway is attached to: `aws ec2 describe-vpn-gateways --vpn-gateway-ids {aws_vgw_id} --region {aws_region} --query 'VpnGateways[0].VpcAttachments[*].VpcId' --output text`."
	case "aws_vgw_id":
		return "Virtual private gateway of the VPN (doorbot does not read it): `aws ec2 describe-vpn-connections --vpn-connection-ids " + vpnRef + " --region {aws_region} --query 'VpnConnections[0].VpnGatewayId' --output text`; when building from scratch, the VpnGatewayId create-vpn-gateway returns."
	case "aws_cgw_id":
		return "CustomerGatewayId that `aws ec2 create-customer-gateway` returns."
	case "aws_vpn_connection_id":
		return "VpnConnectionId that `aws ec2 create-vpn-connection` returns; then set connections[].aws.vpn_connection_id in doorbot.yaml."
	case "aws_route_table_id":
		return "VPC route table(s) that must reach Azure: `aws ec2 describe-route-tables --filters Name=vpc-id,Values={aws_vpc_id} --region {aws_region} --query 'RouteTables[*].RouteTableId' --output text`."
	case "aws_tunnel1_outside_ip", "aws_tunnel2_outside_ip":
		n := name[10:11]
		if f.door {
			return "Outside IP of tunnel " + n + " in the configuration SORACOM supplied for the Door connection."
		}
		return "Outside IP of tunnel " + n + " (the " + ordinal(n) + " value of): `aws ec2 describe-vpn-connections --vpn-connection-ids {aws_vpn_connection_id} --region {aws_region} --query 'VpnConnections[0].Options.TunnelOptions[*].OutsideIpAddress' --output text`."
	case "aws_tunnel1_psk", "aws_tunnel2_psk":
		n := name[10:11]
		if f.door {
			return "Pre-shared key of tunnel " + n + ": in the configuration SORACOM supplied for the Door connection. Type it only into your terminal; never post it in Slack or a ticket."
		}
		return "Pre-shared key of tunnel " + n + ": never post it in Slack or a ticket. Read it only on the AWS owner's terminal (the " + ordinal(n) + " value of): `aws ec2 describe-vpn-connections --vpn-connection-ids {aws_vpn_connection_id} --region {aws_region} --query 'VpnConnections[0].Options.TunnelOptions[*].PreSharedKey'`, or from the downloaded VPN configuration file."
	case "soracom_vpg_id":
		return "ID of the SORACOM VPG (vpg-…): SORACOM console, or `soracom vpg list` (add --coverage-type g for Global coverage)."
	case "onprem_prefixes":
		if f.door {
			return "Prefixes on the SORACOM side, space-separated: the VPG IP range (vpgSubnetCidrRange in `soracom vpg get --vpg-id {soracom_vpg_id}`), plus the device subnet only with Gate/Type-F2 routing; state soracom.vpg_subnet in a proposal to fill it."
		}
		return "Prefixes on the AWS side (the VPC CIDRs), space-separated: `aws ec2 describe-vpcs --vpc-ids {aws_vpc_id} --region {aws_region} --query 'Vpcs[0].CidrBlockAssociationSet[*].CidrBlock' --output text`; state aws.local_prefixes in a proposal to fill it."
	case "aws_sns_topic_arn":
		return "SNS topic that pages on-call: `aws sns list-topics --region {aws_region}`."
	case "azure_action_group_id":
		return "Resource ID of the Azure Monitor action group that pages on-call: `az monitor action-group list --query \"[].id\" -o tsv`."
	}
	return "value to fill in"
}

// oldVPNID is the AWS VPN connection doorbot is configured with or observed.
func (f *facts) oldVPNID() string {
	if f.obs.AWS != nil && len(f.obs.AWS.VPNConnections) > 0 {
		return f.obs.AWS.VPNConnections[0].ID
	}
	if len(f.conn.AWS.VPNConnectionIDs) > 0 {
		return f.conn.AWS.VPNConnectionIDs[0]
	}
	return ""
}

// --- small helpers ---------------------------------------------------------

func parsePrefixes(xs []string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range xs {
		if p, err := netip.ParsePrefix(strings.TrimSpace(x)); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

// covered reports whether every prefix of want lies inside some prefix of
// have, and lists those that do not.
func covered(want, have []string) (missing []string) {
	hs := parsePrefixes(have)
	for _, w := range want {
		wp, err := netip.ParsePrefix(strings.TrimSpace(w))
		if err != nil {
			missing = append(missing, w)
			continue
		}
		ok := false
		for _, h := range hs {
			if h.Bits() <= wp.Bits() && h.Contains(wp.Addr()) {
				ok = true
				break
			}
		}
		if !ok {
			missing = append(missing, w)
		}
	}
	return missing
}

func overlaps(a, b []string) []string {
	var out []string
	for _, x := range parsePrefixes(a) {
		for _, y := range parsePrefixes(b) {
			if x.Overlaps(y) {
				out = append(out, x.String()+" overlaps "+y.String())
			}
		}
	}
	return out
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func ordinal(n string) string {
	if n == "1" {
		return "first"
	}
	return "second"
}
