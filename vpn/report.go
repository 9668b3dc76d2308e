package vpn

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Severity of a finding.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Rank orders severities, most severe first (error 0, warning 1, info 2).
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	case SeverityInfo:
		return 2
	}
	return 3
}

// Finding is one diagnosis: a rule that fired, what it saw and what to do.
type Finding struct {
	Rule      string   `json:"rule"`
	Severity  Severity `json:"severity"`
	Message   string   `json:"message"`
	Fix       string   `json:"fix"`
	Reference string   `json:"reference"`
}

// Status values a tunnel side can have besides what the cloud reports.
const (
	StatusMissing = "missing" // observed, but this side has no counterpart
	StatusUnknown = "unknown" // side not observed
)

// TunnelStatus is one row of the status: an AWS tunnel and the Azure
// connection that terminates it, paired by outside IP (docs/output.md).
type TunnelStatus struct {
	Index             int    `json:"index"`
	AWSOutsideIP      string `json:"aws_outside_ip"`
	AWSStatus         string `json:"aws_status"`
	AWSSince          string `json:"aws_since"`
	AWSMessage        string `json:"aws_message"`
	AWSAcceptedRoutes int    `json:"aws_accepted_routes"`
	AzureConnection   string `json:"azure_connection"`
	AzureStatus       string `json:"azure_status"`
	AzureIngressBytes int64  `json:"azure_ingress_bytes"`
	AzureEgressBytes  int64  `json:"azure_egress_bytes"`

	// BGP is the tunnel's BGP session as Azure's BGP peer status reports
	// it, when the Azure connection runs BGP and the status was read.
	BGP *TunnelBGP `json:"bgp,omitempty"`

	// Up is the verdict for this tunnel (docs/output.md): up on every
	// observed side and, with BGP, its BGP session established.
	Up bool `json:"up"`

	// AWSVPNConnectionID says which AWS VPN connection the tunnel belongs
	// to; not part of the JSON interface but useful to rules and views.
	AWSVPNConnectionID string `json:"aws_vpn_connection_id,omitempty"`

	// DownForSeconds is how long a down tunnel has been down, from AWS's
	// last status change to the report's time; 0 when the tunnel is up or
	// no side says since when (added to docs/output.md).
	DownForSeconds int64 `json:"down_for_seconds,omitempty"`

	// Door is SORACOM's side of a Door tunnel, from the VPG (not part of
	// the fixed interface): set when the SORACOM API was read.
	Door *TunnelDoor `json:"door,omitempty"`
}

// SetDownFor fills DownForSeconds of each tunnel that is down with AWS
// saying so since a known moment. A tunnel AWS has UP is down on Azure's
// side only, and AWS's "since" then dates the wrong event: left at 0.
func SetDownFor(tunnels []TunnelStatus, now time.Time) {
	for i := range tunnels {
		t := &tunnels[i]
		t.DownForSeconds = 0
		if t.Up || t.AWSSince == "" || !strings.EqualFold(t.AWSStatus, "DOWN") {
			continue
		}
		since, err := time.Parse(time.RFC3339, t.AWSSince)
		if err != nil || !now.After(since) {
			continue
		}
		t.DownForSeconds = int64(now.Sub(since) / time.Second)
	}
}

// TunnelDoor is what the VPG says about the Door connection a tunnel
// belongs to. SORACOM reports no tunnel status: whether the tunnel is up
// stays Azure's to say.
type TunnelDoor struct {
	VPGID string `json:"vpg_id"`
	// Connection is the Door connection's id, "" when the VPG has several
	// (a migration) and nothing ties this tunnel to one of them.
	Connection string  `json:"connection"`
	Routing    Routing `json:"routing"`
	// BGPASN is the Door side's ASN with dynamic routing.
	BGPASN string `json:"bgp_asn,omitempty"`
}

// doorTunnel is the Door side every tunnel of a VPG shares.
func doorTunnel(v *SoracomVPG) *TunnelDoor {
	d := &TunnelDoor{VPGID: v.ID, Routing: v.Routing()}
	if len(v.DoorConnections) == 1 {
		c := v.DoorConnections[0]
		d.Connection = c.ID
		if c.UseDynamicRouting {
			d.BGPASN = c.BGPASN
		}
	}
	return d
}

// TunnelBGP is one tunnel's BGP session, seen from Azure.
type TunnelBGP struct {
	Peer  string `json:"peer"`  // the AWS side's BGP address (the local network gateway's BGP peer)
	ASN   int64  `json:"asn"`   // the peer's ASN as the local network gateway states it
	State string `json:"state"` // Connected|Connecting|Idle|Stopped|Unknown, or "absent" when Azure lists no such peer
}

// Established reports whether the session is up.
func (b *TunnelBGP) Established() bool { return b != nil && bgpEstablished(b.State) }

// BGPAbsent is TunnelBGP.State for a peer Azure's BGP peer status does not
// list at all.
const BGPAbsent = "absent"

// AWSUp reports whether AWS says the tunnel is up. For a BGP VPN AWS says
// UP only once the BGP session is established.
func (t TunnelStatus) AWSUp() bool { return strings.EqualFold(t.AWSStatus, "UP") }

// AWSIPsecUp reports AWS's telemetry saying IPsec is up ("IPSEC IS UP"):
// on a BGP VPN, a DOWN tunnel that says so is down for BGP alone.
func (t TunnelStatus) AWSIPsecUp() bool {
	return strings.Contains(strings.ToUpper(t.AWSMessage), "IPSEC IS UP")
}

// AzureUp reports whether Azure has the tunnel up: the connection is
// Connected and, when its BGP session was read, the session is established.
// A Connected BGP tunnel whose peer is Idle carries nothing.
func (t TunnelStatus) AzureUp() bool {
	return strings.EqualFold(t.AzureStatus, "Connected") && (t.BGP == nil || t.BGP.Established())
}

// BGPDown reports a tunnel Azure has Connected (IPsec up) whose BGP
// session is not established: it carries nothing.
func (t TunnelStatus) BGPDown() bool {
	return t.BGP != nil && strings.EqualFold(t.AzureStatus, "Connected") && !t.BGP.Established()
}

// RoutingPair is each side's routing mode.
type RoutingPair struct {
	AWS   Routing `json:"aws"`
	Azure Routing `json:"azure"`
}

// ConnectionStatus is one connection in the status output.
type ConnectionStatus struct {
	Name     string         `json:"name"`
	Kind     Kind           `json:"kind"`
	Health   Health         `json:"health"`
	Summary  string         `json:"summary"`
	Routing  RoutingPair    `json:"routing"`
	Observed ObservedSides  `json:"observed"`
	Tunnels  []TunnelStatus `json:"tunnels"`
	Findings []Finding      `json:"findings"`
	Errors   []SideError    `json:"errors"`
	// BGPPeers is Azure's BGP peer status when BGP is on (not part of the
	// fixed interface; added for BGP designs).
	BGPPeers []BGPPeer `json:"bgp_peers,omitempty"`
	// Soracom is the VPG of a SORACOM Door connection as the SORACOM API
	// reports it (not part of the fixed interface).
	Soracom *SoracomStatus `json:"soracom,omitempty"`
	// LikelyCauses are the known failure modes the observed state supports
	// (filled when one degraded or down connection is asked for).
	LikelyCauses []LikelyCause `json:"likely_causes,omitempty"`
}

// ObservedSides says which clouds were read this time (docs/output.md). A
// side that could not be read is false, and so is SORACOM Door's AWS side,
// which SORACOM owns.
type ObservedSides struct {
	AWS   bool `json:"aws"`
	Azure bool `json:"azure"`
}

// SidesOf says which sides an observation read.
func SidesOf(obs Observation) ObservedSides {
	return ObservedSides{AWS: obs.AWS != nil, Azure: obs.Azure != nil}
}

// NotRead says which side was not read and why, for the first line a human
// reads, or "" when both were: a verdict drawn from one side is never a
// bare "healthy". SORACOM Door's AWS side is SORACOM's, never an error.
func (c ConnectionStatus) NotRead() string {
	why := func(cloud Cloud) string {
		for _, e := range c.Errors {
			if e.Cloud == cloud && e.Message != "" {
				m := e.Message
				if r := []rune(m); len(r) > 120 {
					m = string(r[:119]) + "…"
				}
				return " (" + m + ")"
			}
		}
		return ""
	}
	var parts []string
	switch {
	case c.Kind == KindSoracomDoor:
		// SORACOM's API gives the VPG's configuration, never tunnel state,
		// so its absence does not change whose view the verdict is.
		var sc string
		if w := why(CloudSoracom); w != "" {
			sc = "; SORACOM API not read" + w
		}
		if c.Observed.Azure {
			return "Azure view only: the AWS side is owned by SORACOM" + sc
		}
		return "Azure not read" + why(CloudAzure) + "; the AWS side is owned by SORACOM" + sc
	}
	if !c.Observed.AWS {
		parts = append(parts, "AWS not read"+why(CloudAWS))
	}
	if !c.Observed.Azure {
		parts = append(parts, "Azure not read"+why(CloudAzure))
	}
	if len(parts) == 1 {
		other := "Azure"
		if !c.Observed.Azure {
			other = "AWS"
		}
		return other + " only: " + parts[0]
	}
	return strings.Join(parts, "; ")
}

// LikelyCause is one known failure mode: what points to it, the check to
// run next and the fix.
type LikelyCause struct {
	Title    string `json:"title"`
	Evidence string `json:"evidence"`
	Check    string `json:"check"`
	Fix      string `json:"fix"`
}

// MarshalJSON keeps tunnels, findings and errors JSON arrays even when
// empty: docs/output.md shows arrays and consumers iterate them, so a Go nil
// slice must not come out as null.
func (c ConnectionStatus) MarshalJSON() ([]byte, error) {
	type plain ConnectionStatus // drops the method, avoiding recursion
	p := plain(c)
	if p.Tunnels == nil {
		p.Tunnels = []TunnelStatus{}
	}
	if p.Findings == nil {
		p.Findings = []Finding{}
	}
	if p.Errors == nil {
		p.Errors = []SideError{}
	}
	return json.Marshal(p)
}

// Report is the whole status output of docs/output.md.
type Report struct {
	GeneratedAt string `json:"generated_at"`
	// ReadAt is when the oldest observation in the report was read, set
	// only when the report was answered from the live model rather than
	// read for this request.
	ReadAt      string             `json:"read_at,omitempty"`
	Connections []ConnectionStatus `json:"connections"`
}

// NewReport stamps a report; now is passed in to keep the domain clock-free.
func NewReport(now time.Time, conns []ConnectionStatus) Report {
	if conns == nil {
		conns = []ConnectionStatus{}
	}
	return Report{GeneratedAt: now.UTC().Format(time.RFC3339), Connections: conns}
}

// Pair lines up AWS tunnels and Azure connections by IP: an AWS tunnel's
// outside IP is the gatewayIpAddress of the local network gateway behind an
// Azure connection. Every tunnel and every connection appears in exactly one
// row; a side without a counterpart is "missing" when observed and
// "unknown" when not.
func Pair(obs Observation) []TunnelStatus {
	awsObserved, azureObserved := obs.AWS != nil, obs.Azure != nil
	var azConns []AzureConnection
	if obs.Azure != nil {
		azConns = obs.Azure.Connections
	}
	used := make([]bool, len(azConns))
	var rows []TunnelStatus

	if obs.AWS != nil {
		for _, v := range obs.AWS.VPNConnections {
			for _, t := range v.Tunnels {
				row := awsRow(v.ID, t)
				row.AzureStatus = StatusUnknown
				if azureObserved {
					row.AzureStatus = StatusMissing
				}
				for i, c := range azConns {
					if used[i] || !c.Found || c.LocalNetworkGateway == nil || !SameIP(c.LocalNetworkGateway.GatewayIP, t.OutsideIP) {
						continue
					}
					used[i] = true
					fillAzure(&row, c, obs.Azure.BGPPeers)
					break
				}
				rows = append(rows, row)
			}
		}
	}
	for i, c := range azConns {
		if used[i] {
			continue
		}
		row := TunnelStatus{AWSStatus: StatusUnknown}
		if awsObserved {
			row.AWSStatus = StatusMissing
		}
		if c.LocalNetworkGateway != nil {
			row.AWSOutsideIP = c.LocalNetworkGateway.GatewayIP
		}
		fillAzure(&row, c, obs.Azure.BGPPeers)
		rows = append(rows, row)
	}
	for i := range rows {
		rows[i].Index = i + 1
		r := &rows[i]
		if obs.Soracom != nil && obs.Connection.Kind == KindSoracomDoor {
			r.Door = doorTunnel(obs.Soracom)
		}
		r.Up = (awsObserved || azureObserved) && (!awsObserved || r.AWSUp()) && (!azureObserved || r.AzureUp())
	}
	if rows == nil {
		rows = []TunnelStatus{}
	}
	return rows
}

func awsRow(vpnID string, t AWSTunnel) TunnelStatus {
	row := TunnelStatus{
		AWSOutsideIP:       t.OutsideIP,
		AWSStatus:          strings.ToUpper(t.Status),
		AWSMessage:         t.StatusMessage,
		AWSAcceptedRoutes:  t.AcceptedRoutes,
		AWSVPNConnectionID: vpnID,
	}
	if row.AWSStatus == "" {
		row.AWSStatus = StatusUnknown
	}
	if !t.LastStatusChange.IsZero() {
		row.AWSSince = t.LastStatusChange.UTC().Format(time.RFC3339)
	}
	return row
}

func fillAzure(row *TunnelStatus, c AzureConnection, peers []BGPPeer) {
	row.AzureConnection = c.Name
	row.BGP = tunnelBGP(c, peers)
	switch {
	case !c.Found:
		row.AzureStatus = StatusMissing
	case c.Status == "":
		row.AzureStatus = "Unknown"
	default:
		row.AzureStatus = c.Status
	}
	row.AzureIngressBytes = c.IngressBytes
	row.AzureEgressBytes = c.EgressBytes
}

// tunnelBGP finds a BGP connection's session in the gateway's BGP peer
// status: the peer whose neighbor is the local network gateway's BGP
// address. nil when the connection runs no BGP or the status was not read
// (then nothing is known about the session, and the note about the read
// says so).
func tunnelBGP(c AzureConnection, peers []BGPPeer) *TunnelBGP {
	l := c.LocalNetworkGateway
	if !c.Found || !c.EnableBGP || peers == nil || l == nil || l.BGPPeerAddress == "" {
		return nil
	}
	b := &TunnelBGP{Peer: l.BGPPeerAddress, ASN: l.ASN, State: BGPAbsent}
	for _, p := range peers {
		if SameIP(p.Neighbor, l.BGPPeerAddress) {
			b.State = p.State
			if b.ASN == 0 {
				b.ASN = p.ASN
			}
			if p.Established() {
				break // an instance that peers wins over one that does not
			}
		}
	}
	return b
}

// Verdict applies docs/output.md to the tunnels' up (see Pair): healthy when
// every tunnel is up and no finding is an error; down when no tunnel is
// up; unknown when no side was observed; degraded otherwise.
// Fewer than two tunnels is never healthy: that is redundancy lost.
func Verdict(obs Observation, tunnels []TunnelStatus, findings []Finding) Health {
	awsObserved, azureObserved := obs.AWS != nil, obs.Azure != nil
	if !awsObserved && !azureObserved {
		return Unknown
	}
	anyUp, allUp := false, len(tunnels) >= 2
	for _, t := range tunnels {
		anyUp = anyUp || t.Up
		allUp = allUp && t.Up
	}
	if !anyUp {
		return Down
	}
	for _, f := range findings {
		if f.Severity == SeverityError {
			return Degraded
		}
	}
	if allUp {
		return Healthy
	}
	return Degraded
}

// Summarize writes the one line a human reads first.
func Summarize(obs Observation, health Health, tunnels []TunnelStatus, findings []Finding) string {
	awsObserved, azureObserved := obs.AWS != nil, obs.Azure != nil
	if health == Unknown {
		return "no side could be observed: " + errorClouds(obs.Errors)
	}
	up := 0
	var downs []string
	for _, t := range tunnels {
		if t.Up {
			up++
			continue
		}
		downs = append(downs, fmt.Sprintf("tunnel %d (%s) %s", t.Index, orDash(t.AWSOutsideIP), sideWords(t, awsObserved, azureObserved)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d tunnels up", up, len(tunnels))
	switch {
	case awsObserved && azureObserved:
		b.WriteString(" on both clouds")
	case azureObserved && obs.Connection.Kind == KindSoracomDoor && obs.Soracom != nil:
		fmt.Fprintf(&b, " (Azure view; SORACOM Door %s, VPG %s)", obs.Soracom.Routing(), orDash(obs.Soracom.Status))
	case azureObserved && obs.Connection.Kind == KindSoracomDoor:
		b.WriteString(" (Azure view; AWS side is SORACOM's)")
	case azureObserved:
		b.WriteString(" (Azure only: AWS not observed)")
	case awsObserved:
		b.WriteString(" (AWS only: Azure not observed)")
	}
	if len(downs) > 0 {
		b.WriteString("; ")
		b.WriteString(strings.Join(downs, "; "))
	}
	for _, f := range findings {
		if f.Severity == SeverityError {
			fmt.Fprintf(&b, "; %s", f.Rule)
		}
	}
	if len(obs.Errors) > 0 {
		fmt.Fprintf(&b, "; %s", errorClouds(obs.Errors))
	}
	return b.String()
}

func sideWords(t TunnelStatus, awsObserved, azureObserved bool) string {
	var parts []string
	if awsObserved && !t.AWSUp() {
		parts = append(parts, "AWS "+t.AWSStatus)
	}
	if azureObserved && !t.AzureUp() {
		az := "Azure " + t.AzureStatus
		if t.BGPDown() {
			az += fmt.Sprintf(", BGP peer %s %s", t.BGP.Peer, t.BGP.State)
		}
		parts = append(parts, az)
	}
	return strings.Join(parts, ", ")
}

func errorClouds(errs []SideError) string {
	if len(errs) == 0 {
		return "no errors recorded"
	}
	seen := map[Cloud]bool{}
	var names []string
	for _, e := range errs {
		if !seen[e.Cloud] {
			seen[e.Cloud] = true
			names = append(names, string(e.Cloud))
		}
	}
	return "errors from " + strings.Join(names, " and ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
