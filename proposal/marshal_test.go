package proposal

import (
	"maps"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/doorbot/doorbot/vpn"
)

// withoutSecrets is what a round trip through Marshal must give back: the
// proposal with its keys dropped and without origins.
func withoutSecrets(p vpn.Proposal) vpn.Proposal {
	p.Origins = nil
	p.AWS.Tunnels = slicesClone(p.AWS.Tunnels)
	for i := range p.AWS.Tunnels {
		p.AWS.Tunnels[i].PSK = ""
	}
	p.Azure.Connections = slicesClone(p.Azure.Connections)
	for i := range p.Azure.Connections {
		p.Azure.Connections[i].SharedKey = ""
	}
	return p
}

// slicesClone keeps nil as nil, unlike append([]T{}, s...).
func slicesClone[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// checkRoundTrip asserts Parse(Marshal(p)) == p minus keys and origins,
// and that the origins are p's minus the keys' paths.
func checkRoundTrip(t testing.TB, p vpn.Proposal) []byte {
	t.Helper()
	out := Marshal(p)
	q, err := Parse(out, "marshalled")
	if err != nil {
		t.Fatalf("Marshal output does not parse: %v\n%s", err, out)
	}
	wantOrigins := maps.Clone(p.Origins)
	maps.DeleteFunc(wantOrigins, func(path string, _ vpn.Origin) bool {
		return strings.HasSuffix(path, ".psk") || strings.HasSuffix(path, ".shared_key")
	})
	gotOrigins := q.Origins
	if got, want := withoutSecrets(q), withoutSecrets(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the proposal\ngot  %+v\nwant %+v\nyaml:\n%s", got, want, out)
	}
	if p.Origins != nil && !maps.Equal(gotOrigins, wantOrigins) {
		t.Fatalf("round trip changed the origins\ngot  %v\nwant %v\nyaml:\n%s", gotOrigins, wantOrigins, out)
	}
	return out
}

func TestMarshalExample(t *testing.T) {
	p, err := Parse(readExample(t), src)
	if err != nil {
		t.Fatal(err)
	}
	p.AWS.Tunnels[0].PSK = "Door.Psk_4f9Q2z"
	p.Azure.Connections[0].SharedKey = "Azure.Key_8x"
	out := string(checkRoundTrip(t, p))
	want := `connection: azure-prod
routing: static
aws:
  asn: 64512
  customer_asn: 65000
  static_routes: [10.1.0.0/16]
  local_prefixes: [172.31.0.0/16]
  tunnels:
    - outside_ip: 198.51.100.1
      inside_cidr: 169.254.21.0/30
      ike_versions: [ikev2]
      phase1: {encryption: [AES256], integrity: [SHA2-256], dh_groups: [14], lifetime_seconds: 28800}
      phase2: {encryption: [AES256], integrity: [SHA2-256], dh_groups: [14], lifetime_seconds: 3600}
      dpd_timeout_seconds: 30
      startup_action: add
azure:
  vnet_prefixes: [10.1.0.0/16]
  gateway: {sku: VpnGw1AZ, vpn_type: RouteBased, active_active: false, public_ips: 1, asn: 65515, apipa_addresses: [169.254.21.2], gateway_subnet: 10.1.255.0/27}
  local_network_gateways:
    - {name: lng-aws-t1, gateway_ip: 198.51.100.1, address_prefixes: [172.31.0.0/16], bgp_peer_address: 169.254.21.1, asn: 64512}
  connections:
    - {name: cn-aws-t1, local_network_gateway: lng-aws-t1, protocol: IKEv2, enable_bgp: false, use_policy_based_traffic_selectors: false, dpd_timeout_seconds: 45, connection_mode: Default, ipsec_policy: {ike_encryption: AES256, ike_integrity: SHA256, dh_group: DHGroup14, ipsec_encryption: AES256, ipsec_integrity: SHA256, pfs_group: PFS2048, sa_lifetime_seconds: 3600}}
soracom:
  device_subnet: 10.128.0.0/9
`
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	for _, leak := range []string{"psk", "shared_key", "Door.Psk_4f9Q2z", "Azure.Key_8x", "redacted"} {
		if strings.Contains(out, leak) {
			t.Errorf("Marshal writes %q", leak)
		}
	}
}

// trickyStrings look like other YAML. Names may no longer be any of them
// (checkAzureName), but Marshal also writes values that did not come
// through Parse, so it must still quote each one back as itself.
var trickyStrings = []string{
	"true", "null", "~", "a, b", "[x]", "{y: z}", "# not a comment", "- item", " padded ", "two\nlines",
	`quote " and ' and \`, "日本語", "0x10", "1e3", "*alias", "&anchor", "!tag", "%percent", "@at", "`tick", "key: value",
}

func TestMarshalQuotesStringsThatLookLikeOtherThings(t *testing.T) {
	p := vpn.Proposal{Azure: vpn.ProposalAzure{Gateway: &vpn.ProposedGateway{SKU: "1"},
		Connections: []vpn.ProposedConnection{{Name: "yes", LocalNetworkGateway: "off"}}}}
	for _, s := range trickyStrings {
		p.Azure.LocalNetworkGateways = append(p.Azure.LocalNetworkGateways, vpn.ProposedLNG{Name: s})
	}
	out := Marshal(p)
	var doc struct {
		Azure struct {
			Gateway     struct{ SKU any }
			LNGs        []struct{ Name any } `yaml:"local_network_gateways"`
			Connections []struct {
				Name any
				LNG  any `yaml:"local_network_gateway"`
			}
		}
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("Marshal output is not YAML: %v\n%s", err, out)
	}
	got := []any{doc.Azure.Gateway.SKU, doc.Azure.Connections[0].Name, doc.Azure.Connections[0].LNG}
	for _, l := range doc.Azure.LNGs {
		got = append(got, l.Name)
	}
	want := []any{"1", "yes", "off"}
	for _, s := range trickyStrings {
		want = append(want, s)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %q\nwant %q\nyaml:\n%s", got, want, out)
	}
	// The parser refuses them as names, saying so, rather than misreading
	// them.
	if _, err := Parse(out, "marshalled"); err == nil || !strings.Contains(err.Error(), "must be 1-80 letters") {
		t.Errorf("names that break Azure's rule: %v", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for name, p := range map[string]vpn.Proposal{
		"zero":       {},
		"connection": {Connection: "azure-prod"},
		"empty but set collections": {
			AWS: vpn.ProposalAWS{StaticRoutes: []string{}, Tunnels: []vpn.ProposedTunnel{{}, {Phase1: &vpn.PhaseParams{}, IKEVersions: []string{}}}},
			Azure: vpn.ProposalAzure{
				Gateway:              &vpn.ProposedGateway{},
				LocalNetworkGateways: []vpn.ProposedLNG{},
				Connections:          []vpn.ProposedConnection{{IPsecPolicy: &vpn.IPsecPolicy{}}},
			},
		},
		"empty tunnel list": {AWS: vpn.ProposalAWS{Tunnels: []vpn.ProposedTunnel{}}},
		"numbers": {
			AWS: vpn.ProposalAWS{ASN: ptr[int64](4294967295), CustomerASN: ptr[int64](-1), Tunnels: []vpn.ProposedTunnel{{
				DPDTimeoutSeconds: ptr(0),
				Phase2:            &vpn.PhaseParams{DHGroups: []int{}, LifetimeSeconds: ptr(-5)},
			}}},
			Azure: vpn.ProposalAzure{Gateway: &vpn.ProposedGateway{ActiveActive: ptr(true), PublicIPs: ptr(2)}},
		},
		"ipv6 and bgp": {
			Routing: vpn.RoutingBGP,
			AWS:     vpn.ProposalAWS{Tunnels: []vpn.ProposedTunnel{{OutsideIP: "2001:db8::1", InsideCIDR: "fd00::/126"}}},
			Soracom: vpn.ProposalSoracom{VPGSubnet: "100.64.0.0/10"},
		},
		"routing filter":       {Soracom: vpn.ProposalSoracom{RoutingFilter: []vpn.RoutingFilterEntry{{Action: "allow", IPRange: "10.1.0.0/16"}, {Action: "deny", IPRange: "0.0.0.0/0"}}}},
		"empty routing filter": {Soracom: vpn.ProposalSoracom{RoutingFilter: []vpn.RoutingFilterEntry{}}},
		"secrets only": {
			AWS:   vpn.ProposalAWS{Tunnels: []vpn.ProposedTunnel{{PSK: "Door.Psk_4f9Q2z"}}},
			Azure: vpn.ProposalAzure{Connections: []vpn.ProposedConnection{{SharedKey: "Azure.Key_8x"}}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			out := checkRoundTrip(t, p)
			if strings.Contains(string(out), "Door.Psk_4f9Q2z") || strings.Contains(string(out), "Azure.Key_8x") {
				t.Errorf("Marshal writes a key:\n%s", out)
			}
		})
	}
	if got := string(Marshal(vpn.Proposal{})); got != "{}\n" {
		t.Errorf("Marshal(zero) = %q", got)
	}
}
