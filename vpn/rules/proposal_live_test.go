package rules

import (
	"testing"

	"github.com/doorbot/doorbot/vpn"
)

// Live also runs the proposal rules that make sense on observed state,
// without restating what its own rules report.
func TestLiveRunsProposalRules(t *testing.T) {
	bgpPair := func(msg2 string, status2 string) vpn.Observation {
		t1, t2 := tun(ip1, "UP", "1 BGP ROUTES"), tun(ip2, "UP", msg2)
		if status2 != "" {
			t2.Status = status2
		}
		t1.Options.InsideCIDR, t2.Options.InsideCIDR = "169.254.21.0/30", "169.254.22.0/30"
		c1, c2 := bgpConn("cn1", ip1, "Connected"), bgpConn("cn2", ip2, "Connected")
		c1.LocalNetworkGateway.BGPPeerAddress, c2.LocalNetworkGateway.BGPPeerAddress = "169.254.21.1", "169.254.22.1"
		c1.LocalNetworkGateway.ASN, c2.LocalNetworkGateway.ASN = 64512, 64512
		gw := activeActive()
		gw.ASN = 65000
		gw.CustomAPIPA = []string{"169.254.21.2", "169.254.22.2"}
		return awsVPNObs([]vpn.AWSVPNConnection{awsConn("vpn-bgp", false, t1, t2)}, gw, c1, c2)
	}
	tests := []struct {
		name  string
		obs   vpn.Observation
		wants []want
	}{
		{name: "correct BGP pair on an active-active gateway", obs: bgpPair("1 BGP ROUTES", "")},
		{
			name: "reserved inside CIDR AWS reports",
			obs:  with(static2(), func(o *vpn.Observation) { o.AWS.VPNConnections[0].Tunnels[1].Options.InsideCIDR = "169.254.5.0/30" }),
			wants: []want{{rule: IDInsideCIDRInvalid,
				msg: []string{"aws.tunnels[1].inside_cidr 169.254.5.0/30 (198.51.100.2) is one of AWS's reserved /30s"}}},
		},
		{
			name: "LNG BGP peer is not the .1",
			obs: with(bgpPair("1 BGP ROUTES", ""), func(o *vpn.Observation) {
				o.Azure.Connections[1].LocalNetworkGateway.BGPPeerAddress = "169.254.22.2"
			}),
			wants: []want{{rule: IDBGPAddressMismatch, msg: []string{"bgp_peer_address 169.254.22.2 (lng-cn2) is not the .1"}}},
		},
		{
			name: "Azure DPD below range and IKEv1 against an IKEv2-only tunnel",
			obs: with(static2(), func(o *vpn.Observation) {
				o.Azure.Connections[0].DPDTimeoutSeconds = 5
				o.Azure.Connections[1].Protocol = "IKEv1"
				o.AWS.VPNConnections[0].Tunnels[1].Options.IKEVersions = []string{"ikev2"}
			}),
			wants: []want{
				{rule: IDDPDTimeoutRange, msg: []string{"azure.connections[0].dpd_timeout_seconds 5 (cn1)"}},
				{rule: IDIKEParamsIncompatible, msg: []string{"azure.connections[1].protocol IKEv1 (cn2) but aws.tunnels[1] (198.51.100.2) allows only ikev2"}},
			},
		},
		{
			name:  "legacy SKU is a warning and keeps the verdict healthy",
			obs:   with(static2(), func(o *vpn.Observation) { o.Azure.Gateway.SKU = "HighPerformance" }),
			wants: []want{{rule: IDSKUUnsupported, msg: []string{"HighPerformance is a legacy SKU"}}},
		},
		{
			// Up now, but after the next DPD clear nobody restarts it.
			name:  "ResponderOnly on an up tunnel is latent",
			obs:   with(static2(), func(o *vpn.Observation) { o.Azure.Connections[1].ConnectionMode = "ResponderOnly" }),
			wants: []want{{rule: IDResponderOnly, msg: []string{"azure.connections[1] (cn2) has connection_mode ResponderOnly while aws.tunnels[1] (198.51.100.2) has no startup_action"}}},
		},
		{
			// The tunnel-down fix already says it; a second finding would
			// only repeat it (TestTunnelDown covers the fix text).
			name: "ResponderOnly on a down tunnel is left to tunnel-down",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[1] = tun(ip2, "DOWN", "IPSEC IS DOWN")
				o.Azure.Connections[1].Status = "NotConnected"
				o.Azure.Connections[1].ConnectionMode = "ResponderOnly"
			}),
			wants: []want{{rule: IDTunnelDown, fix: []string{"cn2 is ResponderOnly"}}},
		},
		{
			// The sim's bgp-single-ip: one APIPA on an active-passive gateway.
			// bgp-needs-active-active explains tunnel 2; bgp-address-mismatch
			// must not restate it.
			name: "BGP over an active-passive gateway is reported once",
			obs: with(bgpPair("IPSEC IS UP", "DOWN"), func(o *vpn.Observation) {
				o.Azure.Gateway = activePassive("169.254.21.2")
				o.Azure.Gateway.ASN = 65000
				o.Azure.Connections[1].Status = "Connecting"
			}),
			wants: []want{
				{rule: IDBGPNeedsActiveActive, msg: []string{"has 1 custom APIPA address (169.254.21.2)"}},
				{rule: IDTunnelDown, msg: []string{"tunnel 2"}},
			},
		},
		{
			name: "same ASN on both sides",
			obs: with(bgpPair("1 BGP ROUTES", ""), func(o *vpn.Observation) {
				o.Azure.Gateway.ASN = 64512
			}),
			wants: []want{
				{rule: IDASNInvalid, msg: []string{"azure.local_network_gateways[0].asn 64512 (lng-cn1) equals azure.gateway.asn 64512"}},
				{rule: IDASNInvalid, msg: []string{"azure.local_network_gateways[1].asn 64512 (lng-cn2) equals azure.gateway.asn 64512"}},
			},
		},
		{
			// Azure's custom policy is read, so live state compares it with
			// the AWS tunnel's options.
			name: "Azure IPsec policy with no match in the AWS tunnel",
			obs: with(static2(), func(o *vpn.Observation) {
				o.AWS.VPNConnections[0].Tunnels[0].Options.Phase1Encryption = []string{"AES128"}
				life := 3600
				o.Azure.Connections[0].IPsecPolicy = &vpn.IPsecPolicy{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup14",
					IPsecEncryption: "AES256", IPsecIntegrity: "SHA256", PFSGroup: "PFS2048", SALifetimeSeconds: &life}
			}),
			wants: []want{{rule: IDIKEParamsIncompatible,
				msg: []string{"azure.connections[0] (cn1) ipsec_policy has no match in aws.tunnels[0] (198.51.100.1)", "ike_encryption AES256 (AWS phase 1: AES128)"}}},
		},
		{
			name: "Azure IPsec policy the AWS tunnel accepts",
			obs: with(static2(), func(o *vpn.Observation) {
				life := 3600
				o.Azure.Connections[0].IPsecPolicy = &vpn.IPsecPolicy{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup14",
					IPsecEncryption: "AES256", IPsecIntegrity: "SHA256", PFSGroup: "PFS2048", SALifetimeSeconds: &life}
			}),
		},
		{
			name:  "policy-based traffic selectors on Door",
			obs:   doorObs(activePassive(), conn("cn-door1", ip1, "Connected"), withPolicySelectors(conn("cn-door2", ip2, "Connected"))),
			wants: []want{{rule: IDPolicyBasedSelectors, msg: []string{"azure.connections[1].use_policy_based_traffic_selectors true (cn-door2)"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := run(t, tt.obs, tt.wants)
			if tt.name == "legacy SKU is a warning and keeps the verdict healthy" {
				if h := vpn.Verdict(tt.obs, vpn.Pair(tt.obs), fs); h != vpn.Healthy {
					t.Errorf("verdict %s, want healthy", h)
				}
			}
		})
	}
}

func withPolicySelectors(c vpn.AzureConnection) vpn.AzureConnection {
	c.UsePolicyBasedTrafficSelectors = true
	return c
}
