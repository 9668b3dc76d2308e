package proposal

import (
	"bytes"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/doorbot/doorbot/vpn"
)

// Marshal renders a proposal as YAML in the layout of design.md §5, for
// editing: it prefills the Slack form from the live state. Unset values are
// left out, and so are pre-shared keys, always: the form is shown in Slack,
// and a key that is not written cannot leak. Parse(Marshal(p)) gives p back
// without its keys and origins.
func Marshal(p vpn.Proposal) []byte {
	root := &yaml.Node{Kind: yaml.MappingNode}
	put(root, "connection", str(p.Connection))
	put(root, "routing", str(string(p.Routing)))
	put(root, "aws", section(awsNode(p.AWS)))
	put(root, "azure", section(azureNode(p.Azure)))
	soracom := &yaml.Node{Kind: yaml.MappingNode}
	put(soracom, "device_subnet", str(p.Soracom.DeviceSubnet))
	put(soracom, "vpg_subnet", str(p.Soracom.VPGSubnet))
	put(root, "soracom", section(soracom))
	if len(root.Content) == 0 {
		return []byte("{}\n")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		// Only a malformed node tree fails, and this one is built here.
		return []byte("# doorbot could not render this proposal: " + strconv.Quote(err.Error()) + "\n")
	}
	_ = enc.Close()
	return buf.Bytes()
}

func awsNode(a vpn.ProposalAWS) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	put(m, "asn", int64Ptr(a.ASN))
	put(m, "customer_asn", int64Ptr(a.CustomerASN))
	put(m, "static_routes", strs(a.StaticRoutes))
	put(m, "local_prefixes", strs(a.LocalPrefixes))
	if a.Tunnels != nil {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, t := range a.Tunnels {
			tm := &yaml.Node{Kind: yaml.MappingNode}
			put(tm, "outside_ip", str(t.OutsideIP))
			put(tm, "inside_cidr", str(t.InsideCIDR))
			put(tm, "ike_versions", strs(t.IKEVersions))
			put(tm, "phase1", phaseNode(t.Phase1))
			put(tm, "phase2", phaseNode(t.Phase2))
			put(tm, "dpd_timeout_seconds", intPtr(t.DPDTimeoutSeconds))
			put(tm, "startup_action", str(t.StartupAction))
			seq.Content = append(seq.Content, keepEmpty(tm))
		}
		put(m, "tunnels", keepEmpty(seq))
	}
	return m
}

func phaseNode(ph *vpn.PhaseParams) *yaml.Node {
	if ph == nil {
		return nil
	}
	m := flow(yaml.MappingNode)
	put(m, "encryption", strs(ph.Encryption))
	put(m, "integrity", strs(ph.Integrity))
	if ph.DHGroups != nil {
		seq := flow(yaml.SequenceNode)
		for _, g := range ph.DHGroups {
			seq.Content = append(seq.Content, num(int64(g)))
		}
		put(m, "dh_groups", seq)
	}
	put(m, "lifetime_seconds", intPtr(ph.LifetimeSeconds))
	return keepEmpty(m)
}

func azureNode(z vpn.ProposalAzure) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	put(m, "vnet_prefixes", strs(z.VNetPrefixes))
	if g := z.Gateway; g != nil {
		gm := flow(yaml.MappingNode)
		put(gm, "sku", str(g.SKU))
		put(gm, "vpn_type", str(g.VPNType))
		put(gm, "active_active", boolPtr(g.ActiveActive))
		put(gm, "public_ips", intPtr(g.PublicIPs))
		put(gm, "asn", int64Ptr(g.ASN))
		put(gm, "apipa_addresses", strs(g.APIPAAddresses))
		put(gm, "gateway_subnet", str(g.GatewaySubnet))
		put(m, "gateway", keepEmpty(gm))
	}
	if z.LocalNetworkGateways != nil {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, l := range z.LocalNetworkGateways {
			lm := flow(yaml.MappingNode)
			put(lm, "name", str(l.Name))
			put(lm, "gateway_ip", str(l.GatewayIP))
			put(lm, "address_prefixes", strs(l.AddressPrefixes))
			put(lm, "bgp_peer_address", str(l.BGPPeerAddress))
			put(lm, "asn", int64Ptr(l.ASN))
			seq.Content = append(seq.Content, keepEmpty(lm))
		}
		put(m, "local_network_gateways", keepEmpty(seq))
	}
	if z.Connections != nil {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range z.Connections {
			cm := flow(yaml.MappingNode)
			put(cm, "name", str(c.Name))
			put(cm, "local_network_gateway", str(c.LocalNetworkGateway))
			put(cm, "protocol", str(c.Protocol))
			put(cm, "enable_bgp", boolPtr(c.EnableBGP))
			put(cm, "use_policy_based_traffic_selectors", boolPtr(c.UsePolicyBasedTrafficSelectors))
			put(cm, "dpd_timeout_seconds", intPtr(c.DPDTimeoutSeconds))
			put(cm, "connection_mode", str(c.ConnectionMode))
			if pol := c.IPsecPolicy; pol != nil {
				pm := flow(yaml.MappingNode)
				put(pm, "ike_encryption", str(pol.IKEEncryption))
				put(pm, "ike_integrity", str(pol.IKEIntegrity))
				put(pm, "dh_group", str(pol.DHGroup))
				put(pm, "ipsec_encryption", str(pol.IPsecEncryption))
				put(pm, "ipsec_integrity", str(pol.IPsecIntegrity))
				put(pm, "pfs_group", str(pol.PFSGroup))
				put(pm, "sa_lifetime_seconds", intPtr(pol.SALifetimeSeconds))
				put(cm, "ipsec_policy", keepEmpty(pm))
			}
			seq.Content = append(seq.Content, keepEmpty(cm))
		}
		put(m, "connections", keepEmpty(seq))
	}
	return m
}

// put adds key: v to a mapping unless v is nil (not set).
func put(m *yaml.Node, key string, v *yaml.Node) {
	if v == nil {
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// section drops a top-level section with nothing set: the Go value cannot
// tell "aws: {}" from no aws at all, and neither means anything.
func section(n *yaml.Node) *yaml.Node {
	if len(n.Content) == 0 {
		return nil
	}
	return n
}

// keepEmpty writes a collection that is set but empty as {} or [], so it
// reads back as set (a nil Phase1 and an empty one differ).
func keepEmpty(n *yaml.Node) *yaml.Node {
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

func flow(kind yaml.Kind) *yaml.Node { return &yaml.Node{Kind: kind, Style: yaml.FlowStyle} }

func str(s string) *yaml.Node {
	if s == "" {
		return nil
	}
	// The !!str tag makes the encoder quote values that would otherwise
	// read back as another type (a name "true", a SKU "1").
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func strs(xs []string) *yaml.Node {
	if xs == nil {
		return nil
	}
	seq := flow(yaml.SequenceNode)
	for _, x := range xs {
		seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x})
	}
	return seq
}

func num(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}

func intPtr(v *int) *yaml.Node {
	if v == nil {
		return nil
	}
	return num(int64(*v))
}

func int64Ptr(v *int64) *yaml.Node {
	if v == nil {
		return nil
	}
	return num(*v)
}

func boolPtr(v *bool) *yaml.Node {
	if v == nil {
		return nil
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(*v)}
}
