package proposal

import (
	"bytes"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/doorbot/doorbot/vpn"
)

// Marshal renders a proposal as YAML in the layout of docs/proposal.md, for
// editing: it prefills the Slack form from the live state. Unset values are
// left out, and so are pre-shared keys, always: the form is shown in Slack,
// and a key that is not written cannot leak. Parse(Marshal(p)) gives p back
// without its keys and origins.
func Marshal(p vpn.Proposal) []byte {
	root := &yaml.Node{Kind: yaml.MappingNode}
	put(root, vpn.FieldConnection, str(p.Connection))
	put(root, vpn.FieldRouting, str(string(p.Routing)))
	put(root, vpn.FieldAWS, section(awsNode(p.AWS)))
	put(root, vpn.FieldAzure, section(azureNode(p.Azure)))
	soracom := &yaml.Node{Kind: yaml.MappingNode}
	put(soracom, vpn.FieldDeviceSubnet, str(p.Soracom.DeviceSubnet))
	put(soracom, vpn.FieldVPGSubnet, str(p.Soracom.VPGSubnet))
	if p.Soracom.RoutingFilter != nil {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range p.Soracom.RoutingFilter {
			em := flow(yaml.MappingNode)
			put(em, vpn.FieldAction, str(e.Action))
			put(em, vpn.FieldIPRange, str(e.IPRange))
			seq.Content = append(seq.Content, keepEmpty(em))
		}
		put(soracom, vpn.FieldRoutingFilter, keepEmpty(seq))
	}
	put(root, vpn.FieldSoracom, section(soracom))
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
	put(m, vpn.FieldASN, int64Ptr(a.ASN))
	put(m, vpn.FieldCustomerASN, int64Ptr(a.CustomerASN))
	put(m, vpn.FieldStaticRoutes, strs(a.StaticRoutes))
	put(m, vpn.FieldLocalPrefixes, strs(a.LocalPrefixes))
	if a.Tunnels != nil {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, t := range a.Tunnels {
			tm := &yaml.Node{Kind: yaml.MappingNode}
			put(tm, vpn.FieldOutsideIP, str(t.OutsideIP))
			put(tm, vpn.FieldInsideCIDR, str(t.InsideCIDR))
			put(tm, vpn.FieldIKEVersions, strs(t.IKEVersions))
			put(tm, vpn.FieldPhase1, phaseNode(t.Phase1))
			put(tm, vpn.FieldPhase2, phaseNode(t.Phase2))
			put(tm, vpn.FieldDPDTimeoutSeconds, intPtr(t.DPDTimeoutSeconds))
			put(tm, vpn.FieldStartupAction, str(t.StartupAction))
			seq.Content = append(seq.Content, keepEmpty(tm))
		}
		put(m, vpn.FieldTunnels, keepEmpty(seq))
	}
	return m
}

func phaseNode(ph *vpn.PhaseParams) *yaml.Node {
	if ph == nil {
		return nil
	}
	m := flow(yaml.MappingNode)
	put(m, vpn.FieldEncryption, strs(ph.Encryption))
	put(m, vpn.FieldIntegrity, strs(ph.Integrity))
	if ph.DHGroups != nil {
		seq := flow(yaml.SequenceNode)
		for _, g := range ph.DHGroups {
			seq.Content = append(seq.Content, num(int64(g)))
		}
		put(m, vpn.FieldDHGroups, seq)
	}
	put(m, vpn.FieldLifetimeSeconds, intPtr(ph.LifetimeSeconds))
	return keepEmpty(m)
}

func azureNode(z vpn.ProposalAzure) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	put(m, vpn.FieldVNetPrefixes, strs(z.VNetPrefixes))
	if g := z.Gateway; g != nil {
		gm := flow(yaml.MappingNode)
		put(gm, vpn.FieldSKU, str(g.SKU))
		put(gm, vpn.FieldVPNType, str(g.VPNType))
		put(gm, vpn.FieldActiveActive, boolPtr(g.ActiveActive))
		put(gm, vpn.FieldPublicIPs, intPtr(g.PublicIPs))
		put(gm, vpn.FieldASN, int64Ptr(g.ASN))
		put(gm, vpn.FieldAPIPAAddresses, strs(g.APIPAAddresses))
		put(gm, vpn.FieldGatewaySubnet, str(g.GatewaySubnet))
		put(m, vpn.FieldGateway, keepEmpty(gm))
	}
	if z.LocalNetworkGateways != nil {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, l := range z.LocalNetworkGateways {
			lm := flow(yaml.MappingNode)
			put(lm, vpn.FieldName, str(l.Name))
			put(lm, vpn.FieldGatewayIP, str(l.GatewayIP))
			put(lm, vpn.FieldAddressPrefixes, strs(l.AddressPrefixes))
			put(lm, vpn.FieldBGPPeerAddress, str(l.BGPPeerAddress))
			put(lm, vpn.FieldASN, int64Ptr(l.ASN))
			seq.Content = append(seq.Content, keepEmpty(lm))
		}
		put(m, vpn.FieldLocalNetworkGateways, keepEmpty(seq))
	}
	if z.Connections != nil {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range z.Connections {
			cm := flow(yaml.MappingNode)
			put(cm, vpn.FieldName, str(c.Name))
			put(cm, vpn.FieldLocalNetworkGateway, str(c.LocalNetworkGateway))
			put(cm, vpn.FieldProtocol, str(c.Protocol))
			put(cm, vpn.FieldEnableBGP, boolPtr(c.EnableBGP))
			put(cm, vpn.FieldUsePolicyBasedTrafficSelectors, boolPtr(c.UsePolicyBasedTrafficSelectors))
			put(cm, vpn.FieldDPDTimeoutSeconds, intPtr(c.DPDTimeoutSeconds))
			put(cm, vpn.FieldConnectionMode, str(c.ConnectionMode))
			if pol := c.IPsecPolicy; pol != nil {
				pm := flow(yaml.MappingNode)
				put(pm, vpn.FieldIKEEncryption, str(pol.IKEEncryption))
				put(pm, vpn.FieldIKEIntegrity, str(pol.IKEIntegrity))
				put(pm, vpn.FieldDHGroup, str(pol.DHGroup))
				put(pm, vpn.FieldIPsecEncryption, str(pol.IPsecEncryption))
				put(pm, vpn.FieldIPsecIntegrity, str(pol.IPsecIntegrity))
				put(pm, vpn.FieldPFSGroup, str(pol.PFSGroup))
				put(pm, vpn.FieldSALifetimeSeconds, intPtr(pol.SALifetimeSeconds))
				put(cm, vpn.FieldIPsecPolicy, keepEmpty(pm))
			}
			seq.Content = append(seq.Content, keepEmpty(cm))
		}
		put(m, vpn.FieldConnections, keepEmpty(seq))
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
