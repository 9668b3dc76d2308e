package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/rules"
	"github.com/doorbot/doorbot/vpn/runbook"
	"github.com/doorbot/doorbot/vpn/triage"
)

// Service is what the handlers need: the configured connections, the
// observer that reads the clouds, and a clock.
type Service struct {
	Connections []vpn.Connection
	Observer    *cloud.Observer
	// Model, when set (serve), answers Status from the latest background
	// observation, with its age; nil reads the clouds on every request (CLI).
	Model *cloud.Model
	Clock func() time.Time // nil means time.Now
	// AzurePortal is the portal the status buttons link to
	// (AzurePortalFor(azure.cloud)); empty means the public one.
	AzurePortal string
	// OnReport, when set, sees every status report (metrics of the last
	// observed tunnel states hang here).
	OnReport func(vpn.Report)
	// Approved, when set, returns the newest approved change request of a
	// connection (its ID and approved end state), so that VerifyApproved
	// checks what was approved; RecordVerification records the outcome on
	// it. Both hang off the approval store.
	Approved           func(ctx context.Context, name string) (id string, end *vpn.Proposal, ok bool)
	RecordVerification func(ctx context.Context, id string, v runbook.Verification)
}

// Now is the service clock.
func (s *Service) Now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock()
}

// UnknownConnectionError is a name that is not configured.
type UnknownConnectionError struct {
	Name  string
	Known []string
}

func (e *UnknownConnectionError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("unknown connection %q: no connections are configured", e.Name)
	}
	return fmt.Sprintf("unknown connection %q; known: %s", e.Name, strings.Join(e.Known, ", "))
}

// Select returns the named connections in the order asked, or all of them
// in config order when names is empty.
func (s *Service) Select(names []string) ([]vpn.Connection, error) {
	if len(names) == 0 {
		return s.Connections, nil
	}
	byName := make(map[string]vpn.Connection, len(s.Connections))
	known := make([]string, 0, len(s.Connections))
	for _, c := range s.Connections {
		byName[c.Name] = c
		known = append(known, c.Name)
	}
	var out []vpn.Connection
	seen := map[string]bool{}
	for _, n := range names {
		c, ok := byName[n]
		if !ok {
			return nil, &UnknownConnectionError{Name: n, Known: known}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// CheckNames refuses, without reading any cloud, anything that is not a
// configured connection's name.
func (s *Service) CheckNames(names []string) error {
	for _, n := range names {
		if !vpn.ValidConnectionName(n) {
			return fmt.Errorf("%q is not a connection name (names are 1-40 of a-z, 0-9 and -)", n)
		}
	}
	_, err := s.Select(names)
	return err
}

// Status observes the named connections (all when none are named) and
// assesses each: tunnels paired across clouds, findings, verdict. With a
// Model it answers from the model's latest observation when that is
// recent, else it reads.
func (s *Service) Status(ctx context.Context, names []string) (vpn.Report, error) {
	return s.status(ctx, names, false)
}

// StatusRefresh is Status forced to read the clouds now (an explicit
// refresh); a Model is updated with what was read.
func (s *Service) StatusRefresh(ctx context.Context, names []string) (vpn.Report, error) {
	return s.status(ctx, names, true)
}

func (s *Service) status(ctx context.Context, names []string, force bool) (vpn.Report, error) {
	conns, err := s.Select(names)
	if err != nil {
		return vpn.Report{}, err
	}
	if len(conns) == 0 {
		return vpn.NewReport(s.Now(), nil), nil
	}
	if s.Observer == nil {
		return vpn.Report{}, errNoObserver
	}
	var obs []vpn.Observation
	var assessed []vpn.ConnectionStatus
	var age time.Duration
	fromModel := false
	switch {
	case s.Model == nil:
		obs = s.Observer.Observe(ctx, conns)
	case !force:
		obs, assessed, age, fromModel = s.Model.Fresh(ctx, conns, Assess)
		if !fromModel {
			obs = s.Model.Refresh(ctx, conns)
		}
	default:
		obs = s.Model.Refresh(ctx, conns)
	}
	out := make([]vpn.ConnectionStatus, len(obs))
	for i, o := range obs {
		if fromModel {
			out[i] = assessed[i]
		} else {
			out[i] = Assess(o)
		}
		// One connection asked for by name is a troubleshooting session:
		// add the known failure modes the observed state supports.
		if len(names) == 1 && (out[i].Health == vpn.Degraded || out[i].Health == vpn.Down) {
			out[i].LikelyCauses = triage.Diagnose(o, out[i].Tunnels)
		}
	}
	for i := range out {
		// The model's assessments are shared between requests: stamp a
		// copy of the tunnels with this report's time.
		out[i].Tunnels = slices.Clone(out[i].Tunnels)
		vpn.SetDownFor(out[i].Tunnels, s.Now())
	}
	report := vpn.NewReport(s.Now(), out)
	if fromModel {
		report.ReadAt = s.Now().Add(-age).UTC().Format(time.RFC3339)
	}
	if s.OnReport != nil {
		s.OnReport(report)
	}
	return report, nil
}

// observeOne reads one configured connection.
func (s *Service) observeOne(ctx context.Context, name string) (vpn.Connection, vpn.Observation, error) {
	conns, err := s.Select([]string{name})
	if err != nil {
		return vpn.Connection{}, vpn.Observation{}, err
	}
	if s.Observer == nil {
		return vpn.Connection{}, vpn.Observation{}, errNoObserver
	}
	return conns[0], s.Observer.Observe(ctx, conns)[0], nil
}

var errNoObserver = errors.New("no cloud observer is configured")

// routingOf is the routing each side of an observed connection runs.
func routingOf(o vpn.Observation) vpn.RoutingPair {
	routing := vpn.RoutingPair{AWS: vpn.RoutingUnknown, Azure: o.Azure.Routing()}
	if o.AWS != nil {
		routing.AWS = o.AWS.Routing()
	} else if o.Soracom != nil {
		// For Door, SORACOM's side is the AWS side.
		routing.AWS = o.Soracom.Routing()
	}
	return routing
}

// Assess turns one observation into its status entry.
func Assess(o vpn.Observation) vpn.ConnectionStatus {
	tunnels := vpn.Pair(o)
	findings := rules.Live(o, tunnels)
	health := vpn.Verdict(o, tunnels, findings)
	routing := routingOf(o)
	return vpn.ConnectionStatus{
		Name:     o.Connection.Name,
		Kind:     o.Connection.Kind,
		Health:   health,
		Summary:  vpn.Summarize(o, health, tunnels, findings),
		Routing:  routing,
		Observed: vpn.SidesOf(o),
		Tunnels:  tunnels,
		Findings: findings,
		Errors:   o.Errors,
		BGPPeers: bgpPeers(o),
		Soracom:  vpn.NewSoracomStatus(o.Soracom),
	}
}

func bgpPeers(o vpn.Observation) []vpn.BGPPeer {
	if o.Azure == nil {
		return nil
	}
	return o.Azure.BGPPeers
}

func healthTone(h vpn.Health) Tone {
	switch h {
	case vpn.Healthy:
		return ToneGood
	case vpn.Degraded:
		return ToneWarning
	case vpn.Down:
		return ToneBad
	}
	return ToneMuted
}

// healthIcon is the plain-text mark of a verdict; Slack shows its emoji
// for the verdict's tone instead.
func healthIcon(h vpn.Health) string {
	switch h {
	case vpn.Healthy:
		return IconGood
	case vpn.Degraded:
		return IconWarning
	case vpn.Down:
		return IconBad
	}
	return IconUnknown
}

func severityIcon(s vpn.Severity) string {
	switch s {
	case vpn.SeverityError:
		return IconBad
	case vpn.SeverityWarning:
		return IconWarning
	}
	return IconInfo
}

func severityTone(s vpn.Severity) Tone {
	switch s {
	case vpn.SeverityError:
		return ToneBad
	case vpn.SeverityWarning:
		return ToneWarning
	}
	return ToneMuted
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// bytesText prints byte counters the way people compare them: 0 stays 0
// because "no traffic on the standby connection" is the point.
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// readAgo says how old an answer from the live model is ("read 12 s ago").
func readAgo(r vpn.Report) string {
	if r.ReadAt == "" {
		return ""
	}
	read, err1 := time.Parse(time.RFC3339, r.ReadAt)
	gen, err2 := time.Parse(time.RFC3339, r.GeneratedAt)
	if err1 != nil || err2 != nil {
		return ""
	}
	return fmt.Sprintf("read %d s ago", int(gen.Sub(read).Seconds()))
}

// reportTime is when a report was made, as small print: the moment (label
// "generated", "as of"), shown in the reader's time zone where the medium
// can, and how old the live model's reading was.
func reportTime(label string, r vpn.Report) []Field {
	f := []Field{{Label: label, Value: r.GeneratedAt, At: r.GeneratedAt}}
	if ago := readAgo(r); ago != "" {
		f = append(f, Field{Value: ago})
	}
	return f
}
