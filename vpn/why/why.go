// Package why answers "why is this tunnel down" from what the clouds
// recorded (docs/why.md): AWS tunnel telemetry, maintenance details and
// tunnel/BGP logs; Azure connection state, BGP peers, learned routes and
// gateway diagnostic logs. It matches that evidence against a table of
// anchored patterns and returns causes as catalog findings, each with the
// log lines or API fields that support it.
//
// It is pure: the cloud adapters read, this package only judges. It never
// sees a pre-shared key, and redacts anything in log text that looks like one.
package why

import (
	"encoding/json"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// Sources name where evidence came from (interface: evidence[].source and
// not_read[].source). Azure diagnostic records use "azure:" + their
// category, e.g. "azure:IKEDiagnosticLog".
const (
	SourceAWSTelemetry       = "aws:telemetry"
	SourceAWSMaintenance     = "aws:maintenance"
	SourceAWSTunnelLog       = "aws:tunnel-log"
	SourceAWSBGPLog          = "aws:bgp-log"
	SourceAzureConnection    = "azure:connection"
	SourceAzureBGPPeers      = "azure:bgp-peers"
	SourceAzureLearnedRoutes = "azure:learned-routes"
	SourceAzureDiagnostics   = "azure:diagnostics"
	SourceSoracom            = "soracom"

	azureCategoryPrefix = "azure:"
)

// Window is how far back the logs are read.
const Window = time.Hour

// Evidence is one log line or API field behind a cause.
type Evidence struct {
	Source string `json:"source"`
	Time   string `json:"time"` // RFC 3339, UTC
	Text   string `json:"text"`
}

// Cause is a finding (docs/output.md shape) with its evidence.
type Cause struct {
	vpn.Finding
	// Tunnel is the tunnel index of the status the cause concerns, 0 when
	// it concerns the whole gateway.
	Tunnel   int        `json:"tunnel,omitempty"`
	Evidence []Evidence `json:"evidence"`
}

// MarshalJSON keeps evidence an array.
func (c Cause) MarshalJSON() ([]byte, error) {
	ev := c.Evidence
	if ev == nil {
		ev = []Evidence{}
	}
	return json.Marshal(struct {
		vpn.Finding
		Tunnel   int        `json:"tunnel,omitempty"`
		Evidence []Evidence `json:"evidence"`
	}{c.Finding, c.Tunnel, ev})
}

// NotRead is a source that was not read: not enabled, not permitted or not
// answering, with what would make it readable. doorbot never enables one.
type NotRead struct {
	Source string `json:"source"`
	Why    string `json:"why"`
	Fix    string `json:"fix"`
}

// Answer is the output of `why` (docs/why.md, interface).
type Answer struct {
	Connection  string     `json:"connection"`
	GeneratedAt string     `json:"generated_at"`
	Health      vpn.Health `json:"health"`
	// Tunnel is the tunnel asked about, 0 for all.
	Tunnel  int       `json:"tunnel,omitempty"`
	Causes  []Cause   `json:"causes"`
	NotRead []NotRead `json:"not_read"`
	// Read lists the sources that answered, so that "no cause" can be
	// told apart from "nothing read".
	Read []string `json:"read"`
}

// MarshalJSON keeps the lists arrays even when empty.
func (a Answer) MarshalJSON() ([]byte, error) {
	type plain Answer
	p := plain(a)
	if p.Causes == nil {
		p.Causes = []Cause{}
	}
	if p.NotRead == nil {
		p.NotRead = []NotRead{}
	}
	if p.Read == nil {
		p.Read = []string{}
	}
	return json.Marshal(p)
}

// Record is one log record as an adapter read it.
type Record struct {
	Source string // SourceAWSTunnelLog, SourceAWSBGPLog or "azure:" + category
	Time   time.Time
	// Tunnel is the AWS tunnel outside IP the record concerns when the
	// adapter knows it (AWS log stream, Azure remoteIP_s); "" otherwise.
	Tunnel string
	// Operation is Azure's OperationName, "" for AWS.
	Operation string
	// Instance is the Azure gateway instance (GatewayTenantWorker_IN_0).
	Instance string
	// Text is the message: an AWS log event (JSON or text) or Azure's
	// Message, with stateChangeReason_s appended for tunnel records.
	Text string
}

// Maintenance is one tunnel's GetVpnTunnelReplacementStatus answer.
type Maintenance struct {
	Tunnel           string // outside IP
	Pending          string // PendingMaintenance, "" when none
	AutoAppliedAfter time.Time
	LastApplied      time.Time
}

// Route is one route Azure learned (getLearnedRoutes).
type Route struct {
	Network, NextHop, SourcePeer, Origin, ASPath string
}

// Input is everything read for one connection.
type Input struct {
	Now         time.Time
	Observation vpn.Observation
	// Tunnels are the observation's paired tunnels (vpn.Pair).
	Tunnels []vpn.TunnelStatus
	Health  vpn.Health
	// Tunnel restricts the answer to one tunnel index; 0 means all.
	Tunnel      int
	Maintenance []Maintenance
	Records     []Record
	// Routes are Azure's learned routes; RoutesRead says they were read.
	Routes     []Route
	RoutesRead bool
	// Read names the sources that answered; NotRead the others.
	Read    []string
	NotRead []NotRead
}
