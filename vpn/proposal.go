package vpn

import "strings"

// Proposal is the intended end state of one connection (docs/proposal.md).
// A nil pointer or empty value means "not stated": the rules leave it
// unchecked unless the live state fills it in (see Merge).
type Proposal struct {
	Connection string
	Routing    Routing // "" when not stated
	AWS        ProposalAWS
	Azure      ProposalAzure
	Soracom    ProposalSoracom
	// Origins says where each stated value came from, by field path
	// ("aws.tunnels[1].inside_cidr"): OriginProposal or OriginLive.
	Origins map[string]Origin
}

// Origin of a proposal value.
type Origin string

const (
	OriginProposal Origin = "proposal"
	OriginLive     Origin = "live"
)

// ProposalAWS is the AWS (or SORACOM Door) side.
type ProposalAWS struct {
	ASN           *int64 // Amazon-side ASN
	CustomerASN   *int64 // customer gateway ASN as AWS sees it
	StaticRoutes  []string
	LocalPrefixes []string // networks on the AWS/SORACOM side
	Tunnels       []ProposedTunnel
}

// ProposedTunnel is one AWS tunnel.
type ProposedTunnel struct {
	OutsideIP         string
	InsideCIDR        string
	PSK               Secret
	IKEVersions       []string
	Phase1            *PhaseParams
	Phase2            *PhaseParams
	DPDTimeoutSeconds *int
	StartupAction     string // add | start
}

// PhaseParams are one IKE phase's algorithm lists and lifetime, as AWS
// names them (AES256, SHA2-256, DH group numbers).
type PhaseParams struct {
	Encryption      []string
	Integrity       []string
	DHGroups        []int
	LifetimeSeconds *int
}

// ProposalAzure is the Azure side.
type ProposalAzure struct {
	VNetPrefixes         []string
	Gateway              *ProposedGateway
	LocalNetworkGateways []ProposedLNG
	Connections          []ProposedConnection
}

// ProposedGateway is the Azure virtual network gateway.
type ProposedGateway struct {
	SKU            string
	VPNType        string // RouteBased | PolicyBased
	ActiveActive   *bool
	PublicIPs      *int
	ASN            *int64
	APIPAAddresses []string
	GatewaySubnet  string
}

// ProposedLNG is an Azure local network gateway (one per AWS tunnel).
type ProposedLNG struct {
	Name            string
	GatewayIP       string
	AddressPrefixes []string
	BGPPeerAddress  string
	ASN             *int64
}

// ProposedConnection is an Azure gateway connection.
type ProposedConnection struct {
	Name                           string
	LocalNetworkGateway            string
	Protocol                       string // IKEv1 | IKEv2
	EnableBGP                      *bool
	UsePolicyBasedTrafficSelectors *bool
	DPDTimeoutSeconds              *int
	ConnectionMode                 string // Default | InitiatorOnly | ResponderOnly
	SharedKey                      Secret
	IPsecPolicy                    *IPsecPolicy
}

// IPsecPolicy is an Azure custom IPsec/IKE policy, in Azure's names.
type IPsecPolicy struct {
	IKEEncryption     string
	IKEIntegrity      string
	DHGroup           string
	IPsecEncryption   string
	IPsecIntegrity    string
	PFSGroup          string
	SALifetimeSeconds *int
}

// SameIPsecPolicy compares two IPsec policies as Azure applies them:
// names regardless of case, an unset SA lifetime as unset; nil is Azure's
// default proposals.
func SameIPsecPolicy(a, b *IPsecPolicy) bool {
	if a == nil || b == nil {
		return a == b
	}
	eq := strings.EqualFold
	life := func(p *IPsecPolicy) int {
		if p.SALifetimeSeconds == nil {
			return 0
		}
		return *p.SALifetimeSeconds
	}
	return eq(a.IKEEncryption, b.IKEEncryption) && eq(a.IKEIntegrity, b.IKEIntegrity) && eq(a.DHGroup, b.DHGroup) &&
		eq(a.IPsecEncryption, b.IPsecEncryption) && eq(a.IPsecIntegrity, b.IPsecIntegrity) && eq(a.PFSGroup, b.PFSGroup) &&
		life(a) == life(b)
}

// ProposalSoracom is the SORACOM VPG's side of a Door design: its
// address ranges and its outbound routing filter.
type ProposalSoracom struct {
	DeviceSubnet string // default 10.128.0.0/9
	VPGSubnet    string
	// RoutingFilter is the VPG's outbound routing filter in evaluation
	// order; nil when not stated.
	RoutingFilter []RoutingFilterEntry
}

// Stated reports whether the proposal has a SORACOM side at all, which is
// how the rules tell a Door design from a plain AWS VPN.
func (s ProposalSoracom) Stated() bool {
	return s.DeviceSubnet != "" || s.VPGSubnet != "" || s.RoutingFilter != nil
}

// Secret is a pre-shared key. It is checked, never shown: every way of
// printing it prints a placeholder.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// MarshalJSON and MarshalText keep keys out of JSON, YAML and logs.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the key for the checks that need it.
func (s Secret) Reveal() string { return string(s) }

// Set reports whether a key was given.
func (s Secret) Set() bool { return s != "" }
