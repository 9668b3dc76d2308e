package why

import (
	"regexp"
	"strings"

	"github.com/doorbot/doorbot/vpn/rules"
)

// pattern is one row of the evidence table: records of a source whose
// operation and text match say that a rule's cause is at work. Patterns are
// anchored to the clouds' own phrasing (AWS log details start with it;
// Azure's keywords are whole words), so that an address or ID that happens
// to contain a keyword matches nothing.
type pattern struct {
	rule   string
	source string         // record source, or a prefix ending in ":" for a cloud
	op     *regexp.Regexp // Azure OperationName; nil: any
	text   *regexp.Regexp // the normalized text; nil: any
}

func re(s string) *regexp.Regexp { return regexp.MustCompile(s) }

// patterns are the log messages documented by AWS (Site-to-Site VPN log
// contents) and Microsoft (VPN gateway diagnostics, Network Watcher IKE
// logs). docs/why.md lists them with their sources.
var patterns = []pattern{
	// AWS tunnel (IKE/IPsec) log details.
	{rules.IDPSKMismatch, SourceAWSTunnelLog, nil, re(`(?i)^AWS tunnel detected a pre-shared key mismatch`)},
	{rules.IDPSKMismatch, SourceAWSTunnelLog, nil, re(`(?i)^AWS tunnel payload decryption was unsuccessful due to invalid Pre-shared Key`)},
	{rules.IDPSKMismatch, SourceAWSTunnelLog, nil, re(`(?i)^AWS tunnel (?:is sending|received) AUTHENTICATION_FAILED`)},
	{rules.IDProposalMismatch, SourceAWSTunnelLog, nil, re(`(?i)^No Proposal Match Found`)},
	{rules.IDProposalMismatch, SourceAWSTunnelLog, nil, re(`(?i)^AWS tunnel Phase 2 was unable to establish while keeping Phase 1`)},
	{rules.IDProposalMismatch, SourceAWSTunnelLog, nil, re(`(?i)^AWS tunnel (?:is sending|received) NO_PROPOSAL_CHOSEN`)},
	{rules.IDPolicyBasedSelectors, SourceAWSTunnelLog, nil, re(`(?i)^AWS: Traffic Selector: TS_UNACCEPTABLE`)},
	{rules.IDDPDTimeout, SourceAWSTunnelLog, nil, re(`(?i)^AWS tunnel DPD timed out`)},
	{rules.IDDPDTimeout, SourceAWSTunnelLog, nil, re(`(?i)^Peer is not responsive - Declaring peer dead`)},
	{rules.IDPeerUnreachable, SourceAWSTunnelLog, nil, re(`(?i)^AWS tunnel Timeout: deleting un-established Phase 1 IKE_SA`)},

	// AWS BGP log (records normalized to "TYPE STATUS: details").
	{rules.IDASNInvalid, SourceAWSBGPLog, nil, re(`(?i)\bbad OPEN message\b.*\bremote AS is \d+, expected \d+`)},
	{rules.IDASNInvalid, SourceAWSBGPLog, nil, re(`(?i)^RouteStatus \w+: .*\bDENIED due to: as-path contains our own AS`)},
	{rules.IDBGPAddressMismatch, SourceAWSBGPLog, nil, re(`(?i)^RouteStatus \w+: .*\bDENIED due to: non-connected next-hop`)},
	{rules.IDBGPPrefixLimit, SourceAWSBGPLog, nil, re(`(?i)\bmaximum prefix limit\b`)},
	{rules.IDBGPSessionDown, SourceAWSBGPLog, nil, re(`(?i)^BGPStatus DOWN\b`)},
	{rules.IDBGPSessionDown, SourceAWSBGPLog, nil, re(`(?i)\bHold Timer Expired\b`)},

	// Azure IKEDiagnosticLog: keywords of the IKE log and Windows IKE errors
	// 13801 (ERROR_IPSEC_IKE_AUTH_FAIL) and 13868 (ERROR_IPSEC_IKE_POLICY_MATCH).
	{rules.IDPSKMismatch, "azure:IKEDiagnosticLog", nil, re(`(?i)\bAuthentication failed\b|\bAUTHENTICATION_FAILED\b|\berror 13801\b`)},
	{rules.IDProposalMismatch, "azure:IKEDiagnosticLog", nil, re(`(?i)\bPolicy Mismatch\b|\bNO_PROPOSAL_CHOSEN\b|\berror 13868\b|\brejected Quick Mode settings\b`)},
	{rules.IDPolicyBasedSelectors, "azure:IKEDiagnosticLog", nil, re(`(?i)\bTS_UNACCEPTABLE\b`)},

	// Azure TunnelDiagnosticLog: a disconnect whose reason names DPD.
	{rules.IDDPDTimeout, "azure:TunnelDiagnosticLog", re(`^TunnelDisconnected$`), re(`(?i)\bDPD\b|\bdead peer\b`)},

	// Azure GatewayDiagnosticLog and RouteDiagnosticLog: the operation says it.
	{rules.IDMaintenance, "azure:GatewayDiagnosticLog", re(`^(?:HostMaintenanceEvent|GatewayTenantPrimaryChanged)$`), nil},
	{rules.IDGatewayChange, "azure:GatewayDiagnosticLog", re(`^(?:SetGatewayConfiguration|SetConnectionConfiguration)$`), nil},
	{rules.IDBGPSessionDown, "azure:RouteDiagnosticLog", re(`^BgpDisconnectedEvent$`), nil},
}

func (p pattern) matches(r Record, text string) bool {
	if r.Source != p.source && !(strings.HasSuffix(p.source, ":") && strings.HasPrefix(r.Source, p.source)) {
		return false
	}
	if p.op != nil && !p.op.MatchString(r.Operation) {
		return false
	}
	return p.text == nil || p.text.MatchString(text)
}

// Match returns the rule a record is evidence for, "" when none.
func Match(r Record) string {
	text := normalize(r)
	for _, p := range patterns {
		if p.matches(r, text) {
			return p.rule
		}
	}
	return ""
}

// ruleText says what each evidence rule's cause means and what to do.
var ruleText = map[string]struct{ says, fix string }{
	rules.IDPSKMismatch: {"the pre-shared keys of the two ends differ",
		"Set the same key on both ends: compare the AWS tunnel's key (VPN connection → Modify VPN tunnel options, or the downloaded configuration) " +
			"with the Azure connection's shared key (`az network vpn-connection shared-key show`), and change the wrong one. doorbot never reads either key."},
	rules.IDProposalMismatch: {"the IKE/IPsec proposals of the two ends do not overlap",
		"Make the proposals overlap: set the Azure connection's IPsec/IKE policy to one combination the AWS tunnel allows " +
			"(phase 1/2 encryption, integrity, DH group, IKE version), or widen the AWS tunnel options; check the proposal with `doorbot validate`."},
	rules.IDPolicyBasedSelectors: {"the traffic selectors of the two ends differ",
		"Use route-based selectors: disable `use_policy_based_traffic_selectors` on the Azure connection and keep AWS's local/remote network CIDRs at 0.0.0.0/0."},
	rules.IDDPDTimeout: {"the other end stopped answering dead peer detection",
		"Check what dropped the path: the Azure connection and gateway (reset, maintenance), UDP 500/4500 and ESP between the outside IPs; " +
			"keep DPD timeouts in range (AWS ≥ 30 s, Azure 9–3600 s). AWS's DPD timeout action `restart` re-initiates on its own."},
	rules.IDPeerUnreachable: {"nothing answered IKE from the other end",
		"Check that the Azure connection exists and points at this tunnel's outside IP, that someone initiates (Azure not ResponderOnly while AWS's startup action is add), " +
			"and that UDP 500/4500 reach the Azure gateway's public IP."},
	rules.IDASNInvalid: {"BGP refused the peer's AS number",
		"Make the ASNs agree: the Azure local network gateway's ASN must be the Amazon-side ASN, the AWS customer gateway's ASN the Azure gateway's, and the two must differ."},
	rules.IDBGPAddressMismatch: {"BGP refused routes whose next hop is not on the tunnel's inside /30",
		"Use the tunnel's inside /30: AWS peers on .1, the Azure custom APIPA address must be its .2 (doorbot validate checks it)."},
	rules.IDBGPPrefixLimit: {"the customer side advertised more prefixes than AWS accepts",
		"Advertise at most 100 prefixes to a virtual private gateway: summarise the Azure VNet ranges."},
	rules.IDBGPSessionDown: {"IPsec is up but the BGP session is not established, so the tunnel carries nothing",
		"Check the BGP peer addresses (AWS .1 / Azure .2 of the inside /30) and ASNs on both sides; with one Azure public IP only one tunnel can peer " +
			"(bgp-needs-active-active): use static routing or an active-active gateway."},
	rules.IDMaintenance: {"a tunnel endpoint was replaced or the gateway failed over",
		"Nothing to fix if the tunnel comes back within minutes; keep both tunnels up so that maintenance (one tunnel at a time) is never an outage."},
	rules.IDGatewayChange: {"a configuration change on the Azure gateway or connection preceded the disconnect",
		"Compare the change with the approved one (doorbot changes list) and run `doorbot runbook verify NAME`."},
}
