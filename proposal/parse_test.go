package proposal

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// y joins lines so each test's line numbers can be counted in the source.
func y(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

const src = "proposal.yaml"

func ptr[T any](v T) *T { return &v }

func readExample(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestExampleFromDesign parses the proposal example that docs/proposal.md
// shows (TestDocsShowTheExample keeps the two the same).
// The reference must show the example the parser is tested on, verbatim,
// so the documented format cannot drift from the accepted one.
func TestDocsShowTheExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "proposal.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```yaml\n"+string(readExample(t))) {
		t.Error("docs/proposal.md does not show proposal/testdata/example.yaml verbatim in a yaml block")
	}
}

func TestExampleFromDesign(t *testing.T) {
	p, err := Parse(readExample(t), src)
	if err != nil {
		t.Fatal(err)
	}
	want := vpn.Proposal{
		Connection: "azure-prod",
		Routing:    vpn.RoutingStatic,
		AWS: vpn.ProposalAWS{
			ASN:           ptr[int64](64512),
			CustomerASN:   ptr[int64](65000),
			StaticRoutes:  []string{"10.1.0.0/16"},
			LocalPrefixes: []string{"172.31.0.0/16"},
			Tunnels: []vpn.ProposedTunnel{{
				OutsideIP:         "198.51.100.1",
				InsideCIDR:        "169.254.21.0/30",
				PSK:               "...",
				IKEVersions:       []string{"ikev2"},
				Phase1:            &vpn.PhaseParams{Encryption: []string{"AES256"}, Integrity: []string{"SHA2-256"}, DHGroups: []int{14}, LifetimeSeconds: ptr(28800)},
				Phase2:            &vpn.PhaseParams{Encryption: []string{"AES256"}, Integrity: []string{"SHA2-256"}, DHGroups: []int{14}, LifetimeSeconds: ptr(3600)},
				DPDTimeoutSeconds: ptr(30),
				StartupAction:     "add",
			}},
		},
		Azure: vpn.ProposalAzure{
			VNetPrefixes: []string{"10.1.0.0/16"},
			Gateway: &vpn.ProposedGateway{
				SKU: "VpnGw1AZ", VPNType: "RouteBased", ActiveActive: ptr(false), PublicIPs: ptr(1), ASN: ptr[int64](65515),
				APIPAAddresses: []string{"169.254.21.2"}, GatewaySubnet: "10.1.255.0/27",
			},
			LocalNetworkGateways: []vpn.ProposedLNG{{
				Name: "lng-aws-t1", GatewayIP: "198.51.100.1", AddressPrefixes: []string{"172.31.0.0/16"},
				BGPPeerAddress: "169.254.21.1", ASN: ptr[int64](64512),
			}},
			Connections: []vpn.ProposedConnection{{
				Name: "cn-aws-t1", LocalNetworkGateway: "lng-aws-t1", Protocol: "IKEv2",
				EnableBGP: ptr(false), UsePolicyBasedTrafficSelectors: ptr(false), DPDTimeoutSeconds: ptr(45),
				ConnectionMode: "Default", SharedKey: "...",
				IPsecPolicy: &vpn.IPsecPolicy{
					IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup14",
					IPsecEncryption: "AES256", IPsecIntegrity: "SHA256", PFSGroup: "PFS2048", SALifetimeSeconds: ptr(3600),
				},
			}},
		},
		Soracom: vpn.ProposalSoracom{DeviceSubnet: "10.128.0.0/9"},
	}
	origins := p.Origins
	p.Origins = nil
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}

	wantPaths := []string{
		"aws.asn", "aws.customer_asn", "aws.local_prefixes", "aws.static_routes",
		"aws.tunnels[0].dpd_timeout_seconds", "aws.tunnels[0].ike_versions", "aws.tunnels[0].inside_cidr", "aws.tunnels[0].outside_ip",
		"aws.tunnels[0].phase1.dh_groups", "aws.tunnels[0].phase1.encryption", "aws.tunnels[0].phase1.integrity", "aws.tunnels[0].phase1.lifetime_seconds",
		"aws.tunnels[0].phase2.dh_groups", "aws.tunnels[0].phase2.encryption", "aws.tunnels[0].phase2.integrity", "aws.tunnels[0].phase2.lifetime_seconds",
		"aws.tunnels[0].psk", "aws.tunnels[0].startup_action",
		"azure.connections[0].connection_mode", "azure.connections[0].dpd_timeout_seconds", "azure.connections[0].enable_bgp",
		"azure.connections[0].ipsec_policy.dh_group", "azure.connections[0].ipsec_policy.ike_encryption", "azure.connections[0].ipsec_policy.ike_integrity",
		"azure.connections[0].ipsec_policy.ipsec_encryption", "azure.connections[0].ipsec_policy.ipsec_integrity", "azure.connections[0].ipsec_policy.pfs_group",
		"azure.connections[0].ipsec_policy.sa_lifetime_seconds", "azure.connections[0].local_network_gateway", "azure.connections[0].name",
		"azure.connections[0].protocol", "azure.connections[0].shared_key", "azure.connections[0].use_policy_based_traffic_selectors",
		"azure.gateway.active_active", "azure.gateway.apipa_addresses", "azure.gateway.asn", "azure.gateway.gateway_subnet",
		"azure.gateway.public_ips", "azure.gateway.sku", "azure.gateway.vpn_type",
		"azure.local_network_gateways[0].address_prefixes", "azure.local_network_gateways[0].asn", "azure.local_network_gateways[0].bgp_peer_address",
		"azure.local_network_gateways[0].gateway_ip", "azure.local_network_gateways[0].name",
		"azure.vnet_prefixes", "connection", "routing", "soracom.device_subnet",
		// soracom.vpg_subnet is "" in the example: not stated.
	}
	if got := slices.Sorted(maps.Keys(origins)); !reflect.DeepEqual(got, wantPaths) {
		t.Errorf("origin paths\ngot  %q\nwant %q", got, wantPaths)
	}
	for path, o := range origins {
		if o != vpn.OriginProposal {
			t.Errorf("Origins[%s] = %q", path, o)
		}
	}
}

func TestValidVariants(t *testing.T) {
	for name, tc := range map[string]struct {
		data  []byte
		check func(vpn.Proposal) bool
	}{
		"empty mapping": {y("{}"), func(p vpn.Proposal) bool {
			return reflect.DeepEqual(p, vpn.Proposal{Origins: map[string]vpn.Origin{}})
		}},
		"null sections": {y("connection:", "aws:", "azure:", "  gateway:", "soracom: ~"), func(p vpn.Proposal) bool {
			return p.Azure.Gateway == nil && len(p.Origins) == 0
		}},
		"empty strings are unset": {y(`connection: ""`, `routing: ""`, `soracom: {vpg_subnet: "", device_subnet: ""}`), func(p vpn.Proposal) bool {
			return p.Connection == "" && p.Routing == "" && len(p.Origins) == 0
		}},
		"enums in any case": {y(
			"routing: BGP",
			"aws: {tunnels: [{ike_versions: [IKEv1, ikev2], startup_action: Start}]}",
			"azure:",
			"  gateway: {vpn_type: routebased}",
			"  connections: [{protocol: ikev2, connection_mode: responderonly}]",
		), func(p vpn.Proposal) bool {
			c := p.Azure.Connections[0]
			return p.Routing == vpn.RoutingBGP && reflect.DeepEqual(p.AWS.Tunnels[0].IKEVersions, []string{"ikev1", "ikev2"}) &&
				p.AWS.Tunnels[0].StartupAction == "start" && p.Azure.Gateway.VPNType == "RouteBased" &&
				c.Protocol == "IKEv2" && c.ConnectionMode == "ResponderOnly"
		}},
		"routing filter in order": {y("soracom:", "  routing_filter:", "    - {action: allow, ip_range: 10.1.0.0/16}", "    - {action: Deny, ip_range: 0.0.0.0/0}"), func(p vpn.Proposal) bool {
			return reflect.DeepEqual(p.Soracom.RoutingFilter, []vpn.RoutingFilterEntry{{Action: "allow", IPRange: "10.1.0.0/16"}, {Action: "deny", IPRange: "0.0.0.0/0"}}) &&
				p.Origins["soracom.routing_filter"] == vpn.OriginProposal && p.Soracom.Stated()
		}},
		"empty routing filter is stated": {y("soracom: {routing_filter: []}"), func(p vpn.Proposal) bool {
			return p.Soracom.RoutingFilter != nil && len(p.Soracom.RoutingFilter) == 0 && p.Origins["soracom.routing_filter"] == vpn.OriginProposal
		}},
		"4-byte asn": {y("aws: {asn: 4294967295, customer_asn: 4200000000}"), func(p vpn.Proposal) bool {
			return *p.AWS.ASN == 4294967295 && *p.AWS.CustomerASN == 4200000000
		}},
		"empty lists are stated": {y("aws: {static_routes: [], tunnels: []}"), func(p vpn.Proposal) bool {
			return p.AWS.StaticRoutes != nil && len(p.AWS.StaticRoutes) == 0 && p.AWS.Tunnels != nil &&
				p.Origins["aws.static_routes"] == vpn.OriginProposal
		}},
		"empty phase is stated": {y("aws: {tunnels: [{phase1: {}}]}"), func(p vpn.Proposal) bool {
			return p.AWS.Tunnels[0].Phase1 != nil && p.AWS.Tunnels[0].Phase2 == nil
		}},
		"addresses normalised, host bits kept": {y(
			"aws: {tunnels: [{outside_ip: 2001:DB8::1, inside_cidr: 169.254.21.1/30}]}",
		), func(p vpn.Proposal) bool {
			return p.AWS.Tunnels[0].OutsideIP == "2001:db8::1" && p.AWS.Tunnels[0].InsideCIDR == "169.254.21.1/30"
		}},
		"numeric psk is its text": {y("aws: {tunnels: [{psk: 12345678}]}"), func(p vpn.Proposal) bool {
			return p.AWS.Tunnels[0].PSK.Reveal() == "12345678"
		}},
		"anchors": {y(
			"aws:",
			"  tunnels:",
			"    - &t {phase1: &ph {encryption: [AES256]}, phase2: *ph}",
			"    - *t",
		), func(p vpn.Proposal) bool {
			return len(p.AWS.Tunnels) == 2 && p.AWS.Tunnels[1].Phase2.Encryption[0] == "AES256" &&
				p.Origins["aws.tunnels[1].phase2.encryption"] == vpn.OriginProposal
		}},
		"origin index": {y(
			"aws:",
			"  tunnels:",
			"    - outside_ip: 198.51.100.1",
			"    - inside_cidr: 169.254.22.0/30",
		), func(p vpn.Proposal) bool {
			return len(p.Origins) == 2 && p.Origins["aws.tunnels[0].outside_ip"] == vpn.OriginProposal &&
				p.Origins["aws.tunnels[1].inside_cidr"] == vpn.OriginProposal
		}},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := Parse(tc.data, src)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(p) {
				t.Errorf("unexpected proposal %+v", p)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string // the whole message
	}{
		// File shape.
		{"empty file", []byte(""), "proposal.yaml: empty proposal"},
		{"only comments", y("# intended end state"), "proposal.yaml: empty proposal"},
		{"only document marker", y("---"), "proposal.yaml: empty proposal"},
		{"scalar top level", y("routing static"), "proposal.yaml:1: top level must be a mapping (connection:, routing:, aws:, azure:, soracom:), not a string"},
		{"list top level", y("- routing: static"), "proposal.yaml:1: top level must be a mapping (connection:, routing:, aws:, azure:, soracom:), not a list"},
		{"two documents", y("routing: static", "---", "routing: bgp"), "proposal.yaml:2: multiple YAML documents; put the whole proposal in one"},
		{"syntax", y("aws:", "  asn: 1", " tunnels: []"), "proposal.yaml:2: invalid YAML: did not find expected key"},
		{"unclosed flow", y("aws: {asn: 1"), "proposal.yaml:1: invalid YAML: did not find expected ',' or '}'"},
		{"binary", []byte("\x00\x01\x02"), "proposal.yaml: invalid YAML: control characters are not allowed"},

		// Keys.
		{"unknown top-level key", y("routing: static", "azrue: {}"),
			"proposal.yaml:2: azrue: unknown key (known: connection, routing, aws, azure, soracom)"},
		{"unknown tunnel key", y("aws:", "  tunnels:", "    - outside_ip: 198.51.100.1", "      insde_cidr: 169.254.21.0/30"),
			"proposal.yaml:4: aws.tunnels[0].insde_cidr: unknown key (known: outside_ip, inside_cidr, psk, ike_versions, phase1, phase2, dpd_timeout_seconds, startup_action)"},
		{"unknown key in flow mapping", y("aws:", "  tunnels:", "    - phase2: {encryption: [AES256], lifetime: 3600}"),
			"proposal.yaml:3: aws.tunnels[0].phase2.lifetime: unknown key (known: encryption, integrity, dh_groups, lifetime_seconds)"},
		{"unknown ipsec policy key", y("azure:", "  connections:", "    - {name: cn, ipsec_policy: {ike_encryption: AES256,", "       sa_lifetime: 3600}}"),
			"proposal.yaml:4: azure.connections[0].ipsec_policy.sa_lifetime: unknown key (known: ike_encryption, ike_integrity, dh_group, ipsec_encryption, ipsec_integrity, pfs_group, sa_lifetime_seconds)"},
		{"duplicate key", y("routing: static", "routing: bgp"), "proposal.yaml:2: routing: duplicate key (first at line 1)"},
		{"duplicate in flow", y("azure:", "  gateway: {sku: VpnGw1, sku: VpnGw2}"), "proposal.yaml:2: azure.gateway.sku: duplicate key (first at line 2)"},
		{"merge key", y("azure:", "  gateway:", "    <<: {sku: VpnGw1}"), "proposal.yaml:3: azure.gateway.<<: merge keys are not supported; write the keys out"},

		// Types.
		{"list for mapping", y("aws: [asn]"), "proposal.yaml:1: aws: must be a mapping, not a list"},
		{"string for list", y("aws:", "  static_routes: 10.1.0.0/16"), "proposal.yaml:2: aws.static_routes: must be a list, not a string"},
		{"tunnels not a list", y("aws:", "  tunnels: {outside_ip: 198.51.100.1}"), "proposal.yaml:2: aws.tunnels: must be a list of tunnels, not a mapping"},
		{"tunnel not a mapping", y("aws:", "  tunnels:", "    - 198.51.100.1"),
			"proposal.yaml:3: aws.tunnels[0]: must be a mapping (outside_ip, inside_cidr, psk, ...), not a string"},
		{"empty tunnel", y("aws:", "  tunnels:", "    -"),
			"proposal.yaml:3: aws.tunnels[0]: must be a mapping (outside_ip, inside_cidr, psk, ...), not empty"},
		{"phase not a mapping", y("aws:", "  tunnels:", "    - phase1: [AES256]"),
			"proposal.yaml:3: aws.tunnels[0].phase1: must be a mapping (encryption, integrity, dh_groups, lifetime_seconds), not a list"},
		{"gateway not a mapping", y("azure:", "  gateway: vgw-prod"),
			"proposal.yaml:2: azure.gateway: must be a mapping (sku, vpn_type, active_active, ...), not a string"},
		{"string asn", y("aws:", "  asn: AS64512"), `proposal.yaml:2: aws.asn "AS64512": must be a whole number`},
		{"quoted asn", y("aws:", `  asn: "64512"`), `proposal.yaml:2: aws.asn "64512": must be a whole number`},
		{"asn beyond int64", y("aws:", "  asn: 99999999999999999999"), `proposal.yaml:2: aws.asn "99999999999999999999": must be a whole number`},
		{"float lifetime", y("aws:", "  tunnels:", "    - phase1: {lifetime_seconds: 1.5}"),
			`proposal.yaml:3: aws.tunnels[0].phase1.lifetime_seconds "1.5": must be a whole number`},
		{"dh group name", y("aws:", "  tunnels:", "    - phase2: {dh_groups: [14, group15]}"),
			`proposal.yaml:3: aws.tunnels[0].phase2.dh_groups[1] "group15": must be a whole number`},
		{"dpd as duration", y("azure:", "  connections:", "    - dpd_timeout_seconds: 45s"),
			`proposal.yaml:3: azure.connections[0].dpd_timeout_seconds "45s": must be a whole number`},
		{"yes for bool", y("azure:", "  gateway: {active_active: yes}"), `proposal.yaml:2: azure.gateway.active_active "yes": must be true or false`},
		{"quoted bool", y("azure:", "  connections:", `    - enable_bgp: "false"`), `proposal.yaml:3: azure.connections[0].enable_bgp "false": must be true or false`},
		{"list for bool", y("azure:", "  gateway: {active_active: [true]}"), "proposal.yaml:2: azure.gateway.active_active: must be true or false, not a list"},
		{"mapping in list", y("aws:", "  local_prefixes:", "    - {cidr: 172.31.0.0/16}"),
			"proposal.yaml:3: aws.local_prefixes[0]: must be a string, not a mapping"},

		// Addresses.
		{"bad outside ip", y("aws:", "  tunnels:", "    - outside_ip: 198.51.100"),
			`proposal.yaml:3: aws.tunnels[0].outside_ip "198.51.100": not an IP address (use e.g. 198.51.100.1)`},
		{"ip with zone", y("azure:", "  local_network_gateways:", "    - {bgp_peer_address: fe80::1%eth0}"),
			`proposal.yaml:3: azure.local_network_gateways[0].bgp_peer_address "fe80::1%eth0": must be an IP address without a %zone`},
		{"cidr for ip", y("azure:", "  gateway: {apipa_addresses: [169.254.21.2/30]}"),
			`proposal.yaml:2: azure.gateway.apipa_addresses[0] "169.254.21.2/30": not an IP address (use e.g. 198.51.100.1)`},
		{"ip for cidr", y("aws:", "  tunnels:", "    - inside_cidr: 169.254.21.0"),
			`proposal.yaml:3: aws.tunnels[0].inside_cidr "169.254.21.0": not a CIDR (add the prefix length, e.g. /32 for one address)`},
		{"bad prefix length", y("azure:", "  vnet_prefixes: [10.1.0.0/16, 10.2.0.0/33]"),
			`proposal.yaml:2: azure.vnet_prefixes[1] "10.2.0.0/33": not a CIDR (use e.g. 10.1.0.0/16)`},
		{"cidr list item on its own line", y("azure:", "  local_network_gateways:", "    - address_prefixes:", "        - 172.31.0.0/16", "        - 172.32.0.0/12x"),
			`proposal.yaml:5: azure.local_network_gateways[0].address_prefixes[1] "172.32.0.0/12x": not a CIDR (use e.g. 10.1.0.0/16)`},
		{"empty cidr in list", y("aws:", `  static_routes: [""]`), `proposal.yaml:2: aws.static_routes[0] "": not a CIDR (use e.g. 10.1.0.0/16)`},
		{"routing filter action", y("soracom:", "  routing_filter: [{action: drop, ip_range: 10.1.0.0/16}]"),
			`proposal.yaml:2: soracom.routing_filter[0].action "drop": must be allow or deny`},
		{"routing filter range", y("soracom:", "  routing_filter:", "    - {action: deny, ip_range: 10.1.0.0}"),
			`proposal.yaml:3: soracom.routing_filter[0].ip_range "10.1.0.0": not a CIDR (add the prefix length, e.g. /32 for one address)`},
		{"soracom subnet", y("soracom:", "  device_subnet: 10.128.0.0"),
			`proposal.yaml:2: soracom.device_subnet "10.128.0.0": not a CIDR (add the prefix length, e.g. /32 for one address)`},

		// Enums and names.
		{"connection name", y("connection: Azure Prod"), `proposal.yaml:1: connection "Azure Prod": must match [a-z0-9-]{1,40} (a configured connection's name)`},
		{"connection too long", y("connection: " + strings.Repeat("a", 41)),
			`proposal.yaml:1: connection "` + strings.Repeat("a", 41) + `": must match [a-z0-9-]{1,40} (a configured connection's name)`},
		{"routing", y("routing: ospf"), `proposal.yaml:1: routing "ospf": must be static or bgp`},
		{"startup action", y("aws:", "  tunnels:", "    - startup_action: initiate"), `proposal.yaml:3: aws.tunnels[0].startup_action "initiate": must be add or start`},
		{"ike version", y("aws:", "  tunnels:", "    - ike_versions: [ikev2, ikev3]"), `proposal.yaml:3: aws.tunnels[0].ike_versions[1] "ikev3": must be ikev1 or ikev2`},
		{"vpn type", y("azure:", "  gateway: {vpn_type: Route-Based}"), `proposal.yaml:2: azure.gateway.vpn_type "Route-Based": must be RouteBased or PolicyBased`},
		{"protocol", y("azure:", "  connections:", "    - protocol: IKEv3"), `proposal.yaml:3: azure.connections[0].protocol "IKEv3": must be IKEv1 or IKEv2`},
		// Names reach the approval thread: no line breaks, formatting or spaces.
		{"name with a forged state line", y("azure:", "  connections:", `    - name: "cn\n*APPROVED* :white_check_mark:"`),
			`proposal.yaml:3: azure.connections[0].name "cn\n*APPROVED* :white_check_mark:": must be 1-80 letters, digits, '.', '_' or '-'`},
		{"lng name with a space", y("azure:", "  local_network_gateways:", "    - name: lng one"),
			`proposal.yaml:3: azure.local_network_gateways[0].name "lng one": must be 1-80 letters, digits, '.', '_' or '-'`},
		{"aws algorithm with a line break", y("aws:", "  tunnels:", `    - phase1: {encryption: ["AES256\n*APPROVED*"]}`),
			`proposal.yaml:3: aws.tunnels[0].phase1.encryption[0] "AES256\n*APPROVED*": must be 1-80 letters, digits, '.', '_' or '-'`},
		{"ipsec value with a mention", y("azure:", "  connections:", "    - ipsec_policy: {ike_encryption: '<@U1>'}"),
			`proposal.yaml:3: azure.connections[0].ipsec_policy.ike_encryption "<@U1>": must be 1-80 letters, digits, '.', '_' or '-'`},
		{"connection mode", y("azure:", "  connections:", "    - connection_mode: Both"),
			`proposal.yaml:3: azure.connections[0].connection_mode "Both": must be Default or InitiatorOnly or ResponderOnly`},

		// Several problems: the first by line, then a count.
		{"many", y("routing: ospf", "aws: {asn: x}", "soracom: {vpg_subnet: y}"), `proposal.yaml:1: routing "ospf": must be static or bgp (and 2 more problems)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.data, src)
			if err == nil {
				t.Fatalf("no error; proposal %+v", p)
			}
			if !reflect.DeepEqual(p, vpn.Proposal{}) {
				t.Errorf("proposal returned with error: %+v", p)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("\ngot  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestErrorListsAllProblems(t *testing.T) {
	_, err := Parse(y("soracom: {vpg_subnet: y}", "routing: ospf"), src)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not *Error", err)
	}
	want := []string{
		`proposal.yaml:1: soracom.vpg_subnet "y": not a CIDR (use e.g. 10.1.0.0/16)`,
		`proposal.yaml:2: routing "ospf": must be static or bgp`,
	}
	if !reflect.DeepEqual(e.Problems, want) {
		t.Errorf("got %q", e.Problems)
	}
}

func TestSizeLimit(t *testing.T) {
	big := append([]byte("routing: static\n# "), strings.Repeat("x", MaxSize)...)
	_, err := Parse(big, src)
	if err == nil || !strings.HasPrefix(err.Error(), "proposal.yaml: proposal too large (") || !strings.Contains(err.Error(), "256 KiB") {
		t.Errorf("got %v", err)
	}
	ok := append([]byte("routing: static\n#"), strings.Repeat("x", MaxSize-len("routing: static\n#"))...)
	if _, err := Parse(ok, src); err != nil {
		t.Errorf("exactly the limit: %v", err)
	}
}

func TestDefaultSource(t *testing.T) {
	if _, err := Parse(nil, ""); err == nil || err.Error() != "proposal: empty proposal" {
		t.Errorf("got %v", err)
	}
}

// A pre-shared key must never reach a message, wherever and however it
// is written.
func TestSecretsNeverEchoed(t *testing.T) {
	const key = "Door.Psk_4f9Q2z"
	for name, data := range map[string][]byte{
		"psk as a list":          y("aws:", "  tunnels:", "    - psk: ["+key+"]"),
		"psk as a mapping":       y("aws:", "  tunnels:", "    - psk: {"+key+": 1}"),
		"psk in the wrong place": y("aws:", "  psk: "+key),
		"psk at the top level":   y("psk: "+key, "routing: ospf"),
		"psk pasted into an enum": y("aws:", "  tunnels:",
			"    - startup_action: "+key, "      psk: "+key),
		"psk pasted into a name before the key": y("connection: "+key, "aws: {tunnels: [{psk: "+key+"}]}"),
		"psk with extra text in a cidr": y("aws:", "  tunnels:",
			"    - inside_cidr: "+key+"/30", "      psk: "+key),
		"shared key pasted into an ip": y("azure:", "  local_network_gateways: [{gateway_ip: "+key+"}]",
			"  connections: [{shared_key: "+key+"}]"),
		"shared key as a number list":   y("azure:", "  connections: [{shared_key: [1, "+key+"]}]"),
		"misspelled key":                y("aws:", "  tunnels:", "    - pre_shared_key: "+key, "      startup_action: "+key),
		"secret in an unknown section":  y("vault:", "  password: "+key, "routing: "+key),
		"alias to a psk":                y("aws:", "  tunnels:", "    - psk: &k "+key, "      outside_ip: *k"),
		"psk duplicated":                y("aws:", "  tunnels:", "    - psk: "+key, "      psk: "+key),
		"psk key name as unknown value": y("aws:", "  tunnels:", "    - {psk: "+key+", "+key+": x}"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(data, src)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error echoes the key: %s", err)
			}
			var e *Error
			if errors.As(err, &e) {
				for _, pr := range e.Problems {
					if strings.Contains(pr, key) {
						t.Errorf("problem echoes the key: %s", pr)
					}
				}
			}
		})
	}

	_, err := Parse(y("aws:", "  tunnels:", "    - psk: ["+key+"]"), src)
	if want := "proposal.yaml:3: aws.tunnels[0].psk: must be a string, not a list"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	_, err = Parse(y("aws:", "  tunnels:", "    - startup_action: "+key, "      psk: "+key), src)
	if want := `proposal.yaml:3: aws.tunnels[0].startup_action "<redacted>": must be add or start`; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// The parsed keys are usable but print as placeholders.
func TestSecretsKept(t *testing.T) {
	p, err := Parse(y(
		"aws: {tunnels: [{psk: Door.Psk_4f9Q2z}]}",
		"azure: {connections: [{shared_key: 'Azure key'}]}",
	), src)
	if err != nil {
		t.Fatal(err)
	}
	if p.AWS.Tunnels[0].PSK.Reveal() != "Door.Psk_4f9Q2z" || p.Azure.Connections[0].SharedKey.Reveal() != "Azure key" {
		t.Errorf("keys not kept: %q %q", p.AWS.Tunnels[0].PSK.Reveal(), p.Azure.Connections[0].SharedKey.Reveal())
	}
}

// An alias bomb (a list of aliases to a long list) is small on the wire
// but would expand to hundreds of millions of items.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("aws:\n  tunnels:\n    - &t {phase1: {encryption: &e [")
	for i := range 10000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("AES256")
	}
	b.WriteString("]}}\n    - {phase2: {encryption: *e}}\n")
	for range 20000 {
		b.WriteString("    - *t\n")
	}
	data := []byte(b.String())
	if len(data) > MaxSize {
		t.Fatalf("test document is %d bytes, over the limit", len(data))
	}
	start := time.Now()
	_, err := Parse(data, src)
	t.Logf("%v: %v", time.Since(start), err)
	// The tunnel count stops it before any alias is walked (the step
	// bound stays for shapes the counts do not cover).
	if err == nil || !strings.HasPrefix(err.Error(), "proposal.yaml:3: aws.tunnels: 20002 tunnels; a proposal takes at most 8") {
		t.Fatalf("got %v", err)
	}

	// Sharing an anchor between a few tunnels is what anchors are for.
	_, err = Parse(y(
		"aws:",
		"  tunnels:",
		"    - {outside_ip: 198.51.100.1, phase1: &p {encryption: [AES256], integrity: [SHA2-256], dh_groups: [14]}, phase2: *p}",
		"    - {outside_ip: 198.51.100.2, phase1: *p, phase2: *p}",
	), src)
	if err != nil {
		t.Errorf("shared anchors: %v", err)
	}
}

// Every path through the parser bounds what a proposal holds: tunnels,
// connections, gateways and prefixes, and a form's 3000 characters.
func TestProposalLimits(t *testing.T) {
	many := func(n int, item string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(item, i)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	cases := []struct {
		name, doc, want string
	}{
		{"tunnels", "aws:\n  tunnels: " + many(9, "{outside_ip: 198.51.100.%d}"), "proposal.yaml:2: aws.tunnels: 9 tunnels; a proposal takes at most 8"},
		{"azure connections", "azure:\n  connections: " + many(31, "{name: cn-%d}"), "proposal.yaml:2: azure.connections: 31 connections; a proposal takes at most 30"},
		{"local gateways", "azure:\n  local_network_gateways: " + many(31, "{name: lng-%d}"), "proposal.yaml:2: azure.local_network_gateways: 31 local network gateways; a proposal takes at most 30"},
		{"static routes", "aws:\n  static_routes: " + many(101, "10.%d.0.0/16"), "proposal.yaml:2: aws.static_routes: 101 prefixes; a proposal takes at most 100"},
		{"vnet prefixes", "azure:\n  vnet_prefixes: " + many(101, "10.%d.0.0/16"), "proposal.yaml:2: azure.vnet_prefixes: 101 prefixes; a proposal takes at most 100"},
		{"lng prefixes", "azure:\n  local_network_gateways:\n    - address_prefixes: " + many(101, "10.%d.0.0/16"), "proposal.yaml:3: azure.local_network_gateways[0].address_prefixes: 101 prefixes; a proposal takes at most 100"},
		{"algorithms", "aws:\n  tunnels:\n    - phase1: {encryption: " + many(17, "AES%d") + "}", "proposal.yaml:3: aws.tunnels[0].phase1.encryption: 17 items; a proposal takes at most 16"},
		{"dh groups", "aws:\n  tunnels:\n    - phase2: {dh_groups: " + many(17, "%d") + "}", "proposal.yaml:3: aws.tunnels[0].phase2.dh_groups: 17 items; a proposal takes at most 16"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), src)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
	// At the limits, a proposal parses.
	if _, err := Parse([]byte("aws:\n  tunnels: "+many(8, "{outside_ip: 198.51.100.%d}")+"\n  static_routes: "+many(100, "10.%d.0.0/16")), src); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	// A form takes 3000 characters, counted as Slack counts them.
	atLimit := "routing: static\n#" + strings.Repeat("é", MaxInputChars-len("routing: static\n#"))
	if _, err := ParseInput(atLimit, "proposal"); err != nil {
		t.Errorf("3000 characters: %v", err)
	}
	if _, err := ParseInput(atLimit+"x", "proposal"); err == nil || err.Error() != "proposal: the proposal is 3001 characters; a form takes 3000 (use doorbot validate FILE for larger ones)" {
		t.Errorf("3001 characters: %v", err)
	}
}
