// Package rules is doorbot's rule catalog (docs/rules.md): every rule has a
// stable ID, a default severity, a one-line title and an official reference,
// and the checks are pure functions of what was observed or proposed.
//
// The same IDs are used by `status` (live-state rules, see Live) and by
// `validate` (proposal rules), so a finding means the same thing wherever it
// appears and people can alert or search on the ID.
package rules

import "github.com/doorbot/doorbot/vpn"

// Rule is one catalog entry.
type Rule struct {
	ID       string
	Severity vpn.Severity
	// Title says what the rule checks, in one line.
	Title string
	// Reference is the official page that backs the rule.
	Reference string
}

// Rule IDs. They are interface (docs/rules.md): never rename one.
const (
	IDBGPNeedsActiveActive     = "bgp-needs-active-active"
	IDSingleTunnel             = "single-tunnel"
	IDTunnelDown               = "tunnel-down"
	IDRoutingMismatch          = "routing-mismatch"
	IDAPIPAOutOfRange          = "apipa-out-of-range"
	IDInsideCIDRInvalid        = "inside-cidr-invalid"
	IDInsideCIDRDuplicate      = "inside-cidr-duplicate"
	IDBGPAddressMismatch       = "bgp-address-mismatch"
	IDPeerIPMismatch           = "peer-ip-mismatch"
	IDStaticRouteMissing       = "static-route-missing"
	IDPrefixOverlap            = "prefix-overlap"
	IDPolicyBasedSelectors     = "policy-based-selectors"
	IDSKUUnsupported           = "sku-unsupported"
	IDPSKInvalid               = "psk-invalid"
	IDIKEParamsIncompatible    = "ike-params-incompatible"
	IDDPDTimeoutRange          = "dpd-timeout-range"
	IDASNInvalid               = "asn-invalid"
	IDGatewaySubnet            = "gateway-subnet"
	IDResponderOnly            = "responder-only"
	IDChangeCausesOutage       = "change-causes-outage"
	IDBGPPeerStatusUnavailable = "bgp-peer-status-unavailable"

	// The SORACOM side of a Door connection (design.md section 12).
	IDRoutingFilterDenies   = "routing-filter-denies"
	IDVPGNotRunning         = "vpg-not-running"
	IDDoorConnectionMissing = "door-connection-missing"

	// Causes found in the clouds' own evidence by `why` (docs/why.md).
	IDPSKMismatch      = "psk-mismatch"
	IDProposalMismatch = "proposal-mismatch"
	IDDPDTimeout       = "dpd-timeout"
	IDPeerUnreachable  = "peer-unreachable"
	IDBGPSessionDown   = "bgp-session-down"
	IDBGPPrefixLimit   = "bgp-prefix-limit"
	IDMaintenance      = "maintenance"
	IDGatewayChange    = "gateway-change"
)

// Reference pages, named once so that rules sharing a source stay in step.
const (
	refAWSTunnels      = "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html"
	refAWSEndpointRepl = "https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html"
	refAWSRoutingTypes = "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html"
	refAWSStaticRoutes = "https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-edit-static-routes.html"
	refAWSCGWOptions   = "https://docs.aws.amazon.com/vpn/latest/s2svpn/cgw-options.html"
	refAWSInitiate     = "https://docs.aws.amazon.com/vpn/latest/s2svpn/initiate-vpn-tunnels.html"
	refMSAWSBGP        = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-howto-aws-bgp"
	refMSCannotConnect = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-troubleshoot-site-to-site-cannot-connect"
	refMSSettingsLNG   = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#lng"
	refMSSettingsGWSub = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub"
	refMSFAQ           = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq"
	refMSPolicyBased   = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-connect-multiple-policybased-rm-ps"
	refMSSKUs          = "https://learn.microsoft.com/azure/vpn-gateway/about-gateway-skus"
	refMSRBACNetwork   = "https://learn.microsoft.com/azure/role-based-access-control/permissions/networking"
	refAWSTunnelLogs   = "https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html"
	refMSDiagnostics   = "https://learn.microsoft.com/azure/vpn-gateway/troubleshoot-vpn-with-azure-diagnostics"

	// Sources of the corrections of issue 10, cited by the findings they
	// back (a finding's reference may be narrower than its rule's).
	refMSSKUConsolidation = "https://learn.microsoft.com/azure/vpn-gateway/gateway-sku-consolidation"
	refMSIPsecPolicy      = "https://learn.microsoft.com/azure/vpn-gateway/ipsec-ike-policy-howto"
	refAWSHowItWorks      = "https://docs.aws.amazon.com/vpn/latest/s2svpn/how_it_works.html"

	// refSoracomStatic explains why SORACOM recommends static routing for
	// Door to an Azure gateway with one public IP.
	refSoracomStatic = "https://blog.soracom.com/ja-jp/2021/12/16/soracom-door-azure-vpn-static-route/"
	// refSoracomRedundant is SORACOM's BGP pattern: an active-active Azure
	// gateway and a Door connection per Azure public IP.
	refSoracomRedundant = "https://blog.soracom.com/ja-jp/2022/08/02/door-redundant-network-with-azure-vpn"
	refSoracomFilter    = "https://users.soracom.io/ja-jp/docs/vpg/configure-outbound-routing-filter/"
	refSoracomVPGOps    = "https://users.soracom.io/ja-jp/docs/vpg/operation"
	refSoracomAddresses = "https://developers.soracom.io/en/docs/vpg/ip-address-assignment"
)

// catalog is ordered as docs/rules.md lists the rules, then doorbot's extra
// IDs, so that `doorbot rules` reads like the design.
var catalog = []Rule{
	{IDBGPNeedsActiveActive, vpn.SeverityError,
		"BGP over both AWS tunnels needs an active-active Azure gateway with two public IPs and a custom APIPA address per tunnel", refMSAWSBGP},
	{IDSingleTunnel, vpn.SeverityWarning,
		"both AWS tunnels are terminated on Azure, so AWS maintenance (one tunnel at a time) is not an outage", refAWSEndpointRepl},
	{IDTunnelDown, vpn.SeverityError,
		"every configured tunnel is up on every observed side", refMSCannotConnect},
	{IDRoutingMismatch, vpn.SeverityError,
		"AWS and Azure use the same routing (static or BGP), and BGP is on for all Azure connections or none", refAWSRoutingTypes},
	{IDAPIPAOutOfRange, vpn.SeverityError,
		"Azure custom BGP (APIPA) addresses lie in 169.254.21.0-169.254.22.255", refMSAWSBGP},
	{IDInsideCIDRInvalid, vpn.SeverityError,
		"AWS tunnel inside CIDRs are /30s in 169.254.0.0/16 and not one of AWS's reserved /30s", refAWSTunnels},
	{IDInsideCIDRDuplicate, vpn.SeverityError,
		"no two tunnels share an inside CIDR", refAWSTunnels},
	{IDBGPAddressMismatch, vpn.SeverityError,
		"Azure's APIPA address is the .2 and the local network gateway's BGP peer the .1 of the AWS inside /30", refMSAWSBGP},
	{IDPeerIPMismatch, vpn.SeverityError,
		"each local network gateway points at its own AWS tunnel outside IP, and each AWS tunnel has one", refMSSettingsLNG},
	{IDStaticRouteMissing, vpn.SeverityError,
		"with static routing, AWS static routes cover the Azure VNet and every local network gateway covers the AWS-side prefixes (and the SORACOM VPG range)", refAWSStaticRoutes},
	{IDPrefixOverlap, vpn.SeverityError,
		"Azure VNet prefixes do not overlap the AWS-side prefixes or the SORACOM device/VPG subnets", refMSFAQ},
	{IDPolicyBasedSelectors, vpn.SeverityError,
		"the Azure gateway is RouteBased and connections do not use policy-based traffic selectors (AWS tunnels are route-based)", refMSPolicyBased},
	{IDSKUUnsupported, vpn.SeverityError,
		"the Azure gateway SKU supports what is asked (Basic: no BGP, active-active, custom IPsec policy or IKEv1; PolicyBased only on Basic), can still be created (AZ SKUs since 2025-01-01) and is not a deprecated legacy SKU", refMSSKUs},
	{IDPSKInvalid, vpn.SeverityError,
		"pre-shared keys satisfy AWS (8-64 of [A-Za-z0-9._], not starting with 0) and Azure", refAWSTunnels},
	{IDIKEParamsIncompatible, vpn.SeverityError,
		"phase 1/2 algorithms, DH groups and lifetimes are allowed by AWS and overlap Azure's IPsec policy (SA lifetimes are local and need not match)", refAWSTunnels},
	{IDDPDTimeoutRange, vpn.SeverityError,
		"DPD timeouts are within each side's range (AWS at least 30 s, Azure 9-3600 s)", refAWSTunnels},
	{IDASNInvalid, vpn.SeverityError,
		"BGP ASNs are not reserved by AWS or Azure (the Azure gateway's ASN is AWS's customer gateway ASN), differ between the sides, and each local network gateway names the Amazon-side ASN", refAWSCGWOptions},
	{IDGatewaySubnet, vpn.SeverityError,
		"the GatewaySubnet is at least /29 (/27 recommended)", refMSSettingsGWSub},
	{IDResponderOnly, vpn.SeverityError,
		"someone initiates IKE: the Azure connection is not ResponderOnly while AWS's startup action is add", refAWSInitiate},
	{IDChangeCausesOutage, vpn.SeverityWarning,
		"the change does not take both tunnels down at once: AWS re-provisioning both, tunnel options changed together, or Azure IPsec policy or protocol changed on both connections", refAWSEndpointRepl},

	// Beyond the twenty required IDs: raised from observation notes.
	{IDBGPPeerStatusUnavailable, vpn.SeverityWarning,
		"doorbot may read the Azure gateway's BGP peer status (Microsoft.Network/virtualNetworkGateways/getBgpPeerStatus/action)", refMSRBACNetwork},

	// Beyond the twenty required IDs: the SORACOM side of a Door connection,
	// read from the VPG (design.md section 12).
	{IDRoutingFilterDenies, vpn.SeverityError,
		"the SORACOM VPG's outbound routing filter (first matching entry wins) lets devices reach the Azure VNet prefixes", refSoracomFilter},
	{IDVPGNotRunning, vpn.SeverityError,
		"the SORACOM VPG behind a Door connection is running", refSoracomVPGOps},
	{IDDoorConnectionMissing, vpn.SeverityError,
		"the SORACOM VPG has a Door connection (vpnConnections) for the Azure connections to terminate", refSoracomStatic},

	// Beyond the twenty required IDs: causes `why` finds in the clouds' logs and API
	// fields (docs/why.md); they fire on evidence, never on configuration.
	{IDPSKMismatch, vpn.SeverityError,
		"the pre-shared keys on both ends of a tunnel are the same (AWS or Azure logged an authentication failure)", refAWSTunnelLogs},
	{IDProposalMismatch, vpn.SeverityError,
		"the IKE/IPsec proposals of both ends overlap (AWS or Azure logged no proposal chosen or a policy mismatch)", refAWSTunnelLogs},
	{IDDPDTimeout, vpn.SeverityError,
		"the peer answers dead peer detection (AWS logged a DPD timeout, or Azure dropped the tunnel and reconnected on the same instance)", refAWSTunnelLogs},
	{IDPeerUnreachable, vpn.SeverityError,
		"the other end answers IKE at all (AWS logged phase 1 timing out un-established)", refAWSTunnelLogs},
	{IDBGPSessionDown, vpn.SeverityError,
		"with BGP, the session over an IPsec-up tunnel is established (AWS \"IPSEC IS UP\" but DOWN, an Azure peer not Connected, or a BGP log saying so)", refMSAWSBGP},
	{IDBGPPrefixLimit, vpn.SeverityError,
		"the customer side advertises no more prefixes than AWS accepts (100 to a virtual private gateway)", refAWSTunnelLogs},
	{IDMaintenance, vpn.SeverityWarning,
		"no tunnel endpoint replacement or gateway failover explains the outage (AWS maintenance details, Azure host maintenance)", refAWSEndpointRepl},
	{IDGatewayChange, vpn.SeverityWarning,
		"no configuration change on the Azure gateway or connection preceded the disconnect", refMSDiagnostics},
}

var byID = func() map[string]Rule {
	m := make(map[string]Rule, len(catalog))
	for _, r := range catalog {
		m[r.ID] = r
	}
	return m
}()

// Catalog returns every rule, including those not yet evaluated live. The
// slice is a copy: callers may sort or filter it.
func Catalog() []Rule {
	return append([]Rule(nil), catalog...)
}

// Lookup finds a rule by ID.
func Lookup(id string) (Rule, bool) {
	r, ok := byID[id]
	return r, ok
}

// newFinding fills severity and reference from the catalog so that a rule's
// findings can never drift from what `doorbot rules` lists.
func newFinding(id, message, fix string) vpn.Finding {
	r, ok := byID[id]
	if !ok {
		// A typo in a rule ID is a programming error that tests must catch.
		panic("rules: unknown rule ID " + id)
	}
	return vpn.Finding{Rule: id, Severity: r.Severity, Message: message, Fix: fix, Reference: r.Reference}
}

// citing points a finding at the page that backs this particular check.
func citing(f vpn.Finding, ref string) vpn.Finding {
	f.Reference = ref
	return f
}

// NewFinding builds a finding of a catalog rule, for packages that raise
// rules from other inputs than a proposal or an observation (vpn/why raises
// the evidence rules from the clouds' logs). It panics on an unknown ID,
// which tests catch.
func NewFinding(id, message, fix string) vpn.Finding { return newFinding(id, message, fix) }
