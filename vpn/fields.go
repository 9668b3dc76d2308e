package vpn

import (
	"strconv"
	"strings"
)

// The proposal YAML keys of docs/proposal.md, each written once: the parser,
// the marshaller, the live-state builder, Merge and the rules' messages all
// name fields through these, so a key cannot drift between them.
const (
	// Top level
	FieldConnection = "connection"
	FieldRouting    = "routing"
	FieldAWS        = "aws"
	FieldAzure      = "azure"
	FieldSoracom    = "soracom"
	// aws
	FieldASN           = "asn"
	FieldCustomerASN   = "customer_asn"
	FieldStaticRoutes  = "static_routes"
	FieldLocalPrefixes = "local_prefixes"
	FieldTunnels       = "tunnels"
	// aws.tunnels[]
	FieldOutsideIP         = "outside_ip"
	FieldInsideCIDR        = "inside_cidr"
	FieldPSK               = "psk"
	FieldIKEVersions       = "ike_versions"
	FieldPhase1            = "phase1"
	FieldPhase2            = "phase2"
	FieldDPDTimeoutSeconds = "dpd_timeout_seconds"
	FieldStartupAction     = "startup_action"
	// phase1 and phase2
	FieldEncryption      = "encryption"
	FieldIntegrity       = "integrity"
	FieldDHGroups        = "dh_groups"
	FieldLifetimeSeconds = "lifetime_seconds"
	// azure
	FieldVNetPrefixes         = "vnet_prefixes"
	FieldGateway              = "gateway"
	FieldLocalNetworkGateways = "local_network_gateways"
	FieldConnections          = "connections"
	// azure.gateway (asn as above)
	FieldSKU            = "sku"
	FieldVPNType        = "vpn_type"
	FieldActiveActive   = "active_active"
	FieldPublicIPs      = "public_ips"
	FieldAPIPAAddresses = "apipa_addresses"
	FieldGatewaySubnet  = "gateway_subnet"
	// azure.local_network_gateways[] (asn as above)
	FieldName            = "name"
	FieldGatewayIP       = "gateway_ip"
	FieldAddressPrefixes = "address_prefixes"
	FieldBGPPeerAddress  = "bgp_peer_address"
	// azure.connections[] (name and dpd_timeout_seconds as above)
	FieldLocalNetworkGateway            = "local_network_gateway"
	FieldProtocol                       = "protocol"
	FieldEnableBGP                      = "enable_bgp"
	FieldUsePolicyBasedTrafficSelectors = "use_policy_based_traffic_selectors"
	FieldConnectionMode                 = "connection_mode"
	FieldSharedKey                      = "shared_key"
	FieldIPsecPolicy                    = "ipsec_policy"
	// azure.connections[].ipsec_policy
	FieldIKEEncryption     = "ike_encryption"
	FieldIKEIntegrity      = "ike_integrity"
	FieldDHGroup           = "dh_group"
	FieldIPsecEncryption   = "ipsec_encryption"
	FieldIPsecIntegrity    = "ipsec_integrity"
	FieldPFSGroup          = "pfs_group"
	FieldSALifetimeSeconds = "sa_lifetime_seconds"
	// soracom
	FieldDeviceSubnet  = "device_subnet"
	FieldVPGSubnet     = "vpg_subnet"
	FieldRoutingFilter = "routing_filter"
	// soracom.routing_filter[]
	FieldAction  = "action"
	FieldIPRange = "ip_range"
)

// Path joins keys into a field path ("azure.gateway.sku"), the form
// Origins and findings use.
func Path(keys ...string) string { return strings.Join(keys, ".") }

// Index names a list element: Index("aws.tunnels", 0) is "aws.tunnels[0]",
// 0-based as the YAML list position.
func Index(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }
