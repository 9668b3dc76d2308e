// Package vpn is doorbot's domain: configured connections, what each cloud
// reports about them, tunnels paired across clouds, and the health verdict.
// It is pure: no I/O, no SDK types, no clock reads.
package vpn

import (
	"strings"
	"time"
)

// Kind says which sides of a connection doorbot can observe.
type Kind string

const (
	// KindAWSVPN is a user-owned AWS Site-to-Site VPN: both sides observable.
	KindAWSVPN Kind = "aws-vpn"
	// KindSoracomDoor is SORACOM Door: SORACOM owns the AWS side, so only
	// Azure is observed and the verdict comes from Azure.
	KindSoracomDoor Kind = "soracom-door"
)

// Routing is a side's routing mode.
type Routing string

const (
	RoutingStatic  Routing = "static"
	RoutingBGP     Routing = "bgp"
	RoutingUnknown Routing = "unknown"
)

// Health is the verdict of docs/output.md.
type Health string

const (
	Healthy  Health = "healthy"
	Degraded Health = "degraded"
	Down     Health = "down"
	Unknown  Health = "unknown"
)

// Cloud names a side in errors and findings.
type Cloud string

const (
	CloudAWS     Cloud = "aws"
	CloudAzure   Cloud = "azure"
	CloudSoracom Cloud = "soracom"
)

// Connection is one configured connection: the names doorbot needs to find
// it in each cloud.
type Connection struct {
	Name    string
	Kind    Kind
	AWS     AWSRef
	Azure   AzureRef
	Soracom SoracomRef // soracom-door only; empty VPGID: SORACOM not read
}

// AWSRef locates the AWS side.
type AWSRef struct {
	VPNConnectionIDs []string
	Region           string
}

// AzureRef locates the Azure side.
type AzureRef struct {
	SubscriptionID string
	ResourceGroup  string
	Gateway        string
	Connections    []string
}

// ObservesAWS reports whether doorbot reads the AWS side of c.
func (c Connection) ObservesAWS() bool { return c.Kind != KindSoracomDoor }

// ObservesSoracom reports whether doorbot reads c's VPG from the SORACOM
// API: a Door connection with a VPG ID.
func (c Connection) ObservesSoracom() bool {
	return c.Kind == KindSoracomDoor && c.Soracom.VPGID != ""
}

// AWSVPNConnection is what EC2 reports about one VPN connection, with the
// pre-shared keys already removed.
type AWSVPNConnection struct {
	ID                string
	State             string // pending|available|deleting|deleted
	CustomerGatewayID string
	StaticRoutesOnly  bool
	StaticRoutes      []string
	Tunnels           []AWSTunnel
}

// Routing is the AWS side's routing mode.
func (v AWSVPNConnection) Routing() Routing {
	if v.StaticRoutesOnly {
		return RoutingStatic
	}
	return RoutingBGP
}

// AWSTunnel is one tunnel of an AWS VPN connection: VgwTelemetry joined to
// the tunnel options on the outside IP.
type AWSTunnel struct {
	OutsideIP        string
	Status           string // UP|DOWN as AWS reports it, "" when absent
	LastStatusChange time.Time
	StatusMessage    string
	AcceptedRoutes   int
	Options          TunnelOptions
}

// Up reports whether AWS says the tunnel is up.
func (t AWSTunnel) Up() bool { return strings.EqualFold(t.Status, "UP") }

// TunnelOptions are the AWS tunnel options doorbot checks. An empty field
// means AWS did not return it, which means "AWS default", never a violation.
type TunnelOptions struct {
	InsideCIDR        string
	IKEVersions       []string
	Phase1Encryption  []string
	Phase1Integrity   []string
	Phase1DHGroups    []int
	Phase1Lifetime    int // seconds, 0 = default
	Phase2Encryption  []string
	Phase2Integrity   []string
	Phase2DHGroups    []int
	Phase2Lifetime    int
	DPDTimeoutSeconds int
	DPDTimeoutAction  string
	StartupAction     string
	// Logs says where AWS publishes the tunnel's logs; zero when off.
	Logs TunnelLogs
}

// TunnelLogs is a tunnel's LogOptions.CloudWatchLogOptions: whether AWS
// publishes its IKE/IPsec activity (and BGP) to CloudWatch Logs, and where.
type TunnelLogs struct {
	Enabled     bool
	GroupARN    string
	Format      string // json (AWS default) | text
	BGPEnabled  bool
	BGPGroupARN string
	BGPFormat   string
}

// AzureGateway is what ARM reports about a virtual network gateway.
type AzureGateway struct {
	Name          string
	SKU           string
	VPNType       string // RouteBased|PolicyBased
	ActiveActive  bool
	EnableBGP     bool
	ASN           int64
	PublicIPCount int
	// CustomAPIPA lists every custom BGP (APIPA) address across the
	// gateway's instances.
	CustomAPIPA []string
	// TunnelIPs are the gateway instances' public IPs, when ARM returns them.
	TunnelIPs []string
}

// AzureConnection is what ARM reports about one gateway connection and the
// local network gateway behind it.
type AzureConnection struct {
	Name                           string
	Found                          bool   // false: configured but ARM says 404
	Status                         string // Connected|Connecting|NotConnected|Unknown
	IngressBytes                   int64
	EgressBytes                    int64
	EnableBGP                      bool
	UsePolicyBasedTrafficSelectors bool
	Protocol                       string
	ConnectionMode                 string
	DPDTimeoutSeconds              int
	CustomBGPAddresses             []string
	// IPsecPolicy is the custom IPsec/IKE policy (Azure allows one per
	// connection), nil when the connection uses Azure's default proposals.
	IPsecPolicy         *IPsecPolicy
	LocalNetworkGateway *LocalNetworkGateway
}

// Connected reports whether Azure says the connection is up.
func (c AzureConnection) Connected() bool { return strings.EqualFold(c.Status, "Connected") }

// NobodyInitiates reports an Azure connection mode and AWS tunnel startup
// action ("" when unknown) under which neither end starts IKE: a
// ResponderOnly connection waits for AWS, and AWS waits for the customer
// side unless its startup action is start (its default is add). The
// responder-only rule, the tunnel-down fix and triage all judge by it.
func NobodyInitiates(connectionMode, startupAction string) bool {
	return strings.EqualFold(strings.TrimSpace(connectionMode), "ResponderOnly") &&
		!strings.EqualFold(strings.TrimSpace(startupAction), "start")
}

// LocalNetworkGateway is Azure's model of the remote (AWS) tunnel endpoint.
type LocalNetworkGateway struct {
	Name            string
	GatewayIP       string
	AddressPrefixes []string
	BGPPeerAddress  string
	ASN             int64
}

// BGPPeer is one row of the gateway's BGP peer status.
type BGPPeer struct {
	LocalAddress   string `json:"local_address"`
	Neighbor       string `json:"neighbor"`
	ASN            int64  `json:"asn"`
	State          string `json:"state"` // Connected|Connecting|Idle|Stopped|Unknown
	RoutesReceived int64  `json:"routes_received"`
}

// Established reports whether Azure has the session up.
func (p BGPPeer) Established() bool { return bgpEstablished(p.State) }

// bgpEstablished is the one reading of Azure's BGP peer state.
func bgpEstablished(state string) bool { return strings.EqualFold(state, "Connected") }

// AWSSide is everything observed on AWS for one configured connection.
type AWSSide struct {
	Region         string
	VPNConnections []AWSVPNConnection
}

// Tunnels returns every AWS tunnel of the side, in VPN connection order.
func (s *AWSSide) Tunnels() []AWSTunnel {
	if s == nil {
		return nil
	}
	var out []AWSTunnel
	for _, v := range s.VPNConnections {
		out = append(out, v.Tunnels...)
	}
	return out
}

// Routing is the side's routing mode; mixed connections report unknown.
func (s *AWSSide) Routing() Routing {
	if s == nil {
		return RoutingUnknown
	}
	return agreedRouting(s.VPNConnections)
}

// agreedRouting is the routing mode every one of xs has, unknown when
// there are none or they differ.
func agreedRouting[T interface{ Routing() Routing }](xs []T) Routing {
	if len(xs) == 0 {
		return RoutingUnknown
	}
	r := xs[0].Routing()
	for _, x := range xs[1:] {
		if x.Routing() != r {
			return RoutingUnknown
		}
	}
	return r
}

// AzureSide is everything observed on Azure for one configured connection.
type AzureSide struct {
	Gateway     *AzureGateway // nil when the gateway read failed
	Connections []AzureConnection
	// BGPPeers is nil when BGP is off or the peer status could not be read.
	BGPPeers []BGPPeer
}

// Found returns the connections ARM returned (not 404), in configured
// order.
func (s *AzureSide) Found() []AzureConnection {
	if s == nil {
		return nil
	}
	var out []AzureConnection
	for _, c := range s.Connections {
		if c.Found {
			out = append(out, c)
		}
	}
	return out
}

// Routing is the Azure side's routing mode, from the connections' BGP flag.
func (s *AzureSide) Routing() Routing {
	if s == nil {
		return RoutingUnknown
	}
	var bgp, static int
	for _, c := range s.Connections {
		if !c.Found {
			continue
		}
		if c.EnableBGP {
			bgp++
		} else {
			static++
		}
	}
	switch {
	case bgp > 0 && static == 0:
		return RoutingBGP
	case static > 0 && bgp == 0:
		return RoutingStatic
	}
	return RoutingUnknown
}

// SideError is a cloud that could not be (fully) observed.
type SideError struct {
	Cloud   Cloud  `json:"cloud"`
	Message string `json:"message"`
	// Config marks an error in doorbot's configuration rather than the
	// cloud's: a configured resource (gateway, resource group, connection,
	// VPN connection) does not exist. People read it first: nothing else
	// about that side means anything until it is fixed.
	Config bool `json:"config,omitempty"`
}

// Observation is one configured connection and what each cloud said.
// AWS or Azure is nil when that side was not observed at all.
type Observation struct {
	Connection Connection
	AWS        *AWSSide
	Azure      *AzureSide
	// Soracom is the Door connection's VPG; nil when not read.
	Soracom *SoracomVPG
	Errors  []SideError
	// Notes are non-fatal observation problems that become findings (for
	// example BGP peer status denied by RBAC).
	Notes []Note
}

// Note is a problem met while observing that is worth a finding but does
// not make a side unobserved.
type Note struct {
	Rule     string
	Severity Severity
	Message  string
	Fix      string
}
