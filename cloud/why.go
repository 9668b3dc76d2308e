package cloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	awsc "github.com/doorbot/doorbot/cloud/aws"
	azc "github.com/doorbot/doorbot/cloud/azure"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/why"
)

// Evidence reads everything `why` judges for one connection, within
// StatusTimeout: the observation (as status reads it), then every evidence
// source in parallel, each under its own call deadline. A source that
// fails, hangs or is not enabled becomes a not_read entry; the others'
// evidence is kept. It never enables anything.
func (o *Observer) Evidence(ctx context.Context, conn vpn.Connection) why.Input {
	return o.evidence(ctx, conn, func(ctx context.Context) vpn.Observation { return o.Observe(ctx, []vpn.Connection{conn})[0] })
}

// EvidenceOf is Evidence for an observation already read (the alert
// watcher's of this cycle): only the evidence sources are read, not the
// connection again.
func (o *Observer) EvidenceOf(ctx context.Context, obs vpn.Observation) why.Input {
	return o.evidence(ctx, obs.Connection, func(context.Context) vpn.Observation { return obs })
}

func (o *Observer) evidence(ctx context.Context, conn vpn.Connection, observe func(context.Context) vpn.Observation) why.Input {
	ctx, cancel := context.WithTimeout(ctx, o.opts.StatusTimeout)
	defer cancel()
	now := o.opts.Now().UTC()
	since := now.Add(-why.Window)
	e := &evidence{o: o, conn: conn, in: why.Input{Now: now}}

	// The diagnostic logs need only the configuration: read them while the
	// observation is under way.
	var wg sync.WaitGroup
	if o.azure != nil {
		wg.Go(func() { e.azureDiagnostics(ctx, since, now) })
	}
	obs := observe(ctx)
	e.in.Observation = obs
	e.observed()
	if obs.AWS != nil && o.aws != nil {
		for _, v := range obs.AWS.VPNConnections {
			e.awsVPN(ctx, &wg, obs.AWS.Region, v, since, now)
		}
	}
	if obs.Azure != nil && o.azure != nil && bgpOn(obs) {
		wg.Go(func() { e.learnedRoutes(ctx) })
	}
	wg.Wait()
	// Parallel reads finish in any order; the answer must not.
	slices.Sort(e.in.Read)
	slices.SortStableFunc(e.in.NotRead, func(a, b why.NotRead) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.Why, b.Why))
	})
	slices.SortStableFunc(e.in.Records, func(a, b why.Record) int { return b.Time.Compare(a.Time) })
	return e.in
}

type evidence struct {
	o    *Observer
	conn vpn.Connection
	mu   sync.Mutex
	in   why.Input
}

func (e *evidence) read(source string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !slices.Contains(e.in.Read, source) {
		e.in.Read = append(e.in.Read, source)
	}
}

func (e *evidence) notRead(n why.NotRead) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !slices.Contains(e.in.NotRead, n) {
		e.in.NotRead = append(e.in.NotRead, n)
	}
}

func (e *evidence) failed(source, action string, err error) {
	e.notRead(why.ReadFailed(source, hint(err), classify(err), action))
}

// observed turns the observation into read and not-read sources.
func (e *evidence) observed() {
	obs := e.in.Observation
	switch {
	case e.conn.Kind == vpn.KindSoracomDoor:
		var ips []string
		for _, t := range vpn.Pair(obs) {
			if t.AWSOutsideIP != "" {
				ips = append(ips, t.AWSOutsideIP)
			}
		}
		e.notRead(why.Soracom(ips))
	case obs.AWS != nil:
		e.read(why.SourceAWSTelemetry)
	}
	if obs.Azure != nil {
		e.read(why.SourceAzureConnection)
		if obs.Azure.BGPPeers != nil {
			e.read(why.SourceAzureBGPPeers)
		}
	}
	for _, se := range obs.Errors {
		source := why.SourceAzureConnection
		if se.Cloud == vpn.CloudAWS {
			source = why.SourceAWSTelemetry
		}
		e.notRead(why.NotRead{Source: source, Why: se.Message, Fix: "Fix what the message names; evidence from the other sources is still shown."})
	}
	for _, n := range obs.Notes {
		e.notRead(why.NotRead{Source: why.SourceAzureBGPPeers, Why: n.Message, Fix: n.Fix})
	}
}

// awsVPN starts the maintenance and log reads of one VPN connection: one
// GetVpnTunnelReplacementStatus per tunnel, one FilterLogEvents per log
// group the tunnels publish to.
func (e *evidence) awsVPN(ctx context.Context, wg *sync.WaitGroup, region string, v vpn.AWSVPNConnection, since, until time.Time) {
	type group struct {
		arn    string
		source string
		ips    []string
	}
	var groups []*group
	addGroup := func(arn, source, ip string) {
		for _, g := range groups {
			if g.arn == arn && g.source == source {
				g.ips = append(g.ips, ip)
				return
			}
		}
		groups = append(groups, &group{arn, source, []string{ip}})
	}
	bgp := !v.StaticRoutesOnly
	var logsOff, bgpLogsOff []string
	for _, t := range v.Tunnels {
		wg.Go(func() {
			m, err := readAs(ctx, e.o, call{cloud: "aws", op: "GetVpnTunnelReplacementStatus", key: "aws-maint/" + region + "/" + v.ID + "/" + t.OutsideIP},
				func(ctx context.Context) (why.Maintenance, error) {
					return e.o.aws.Maintenance(ctx, region, v.ID, t.OutsideIP)
				})
			if err != nil {
				e.failed(why.SourceAWSMaintenance, "ec2:GetVpnTunnelReplacementStatus", err)
				return
			}
			e.read(why.SourceAWSMaintenance)
			e.mu.Lock()
			e.in.Maintenance = append(e.in.Maintenance, m)
			e.mu.Unlock()
		})
		l := t.Options.Logs
		if l.Enabled && l.GroupARN != "" {
			addGroup(l.GroupARN, why.SourceAWSTunnelLog, t.OutsideIP)
		} else {
			logsOff = append(logsOff, t.OutsideIP)
		}
		if bgp {
			if l.BGPEnabled && l.BGPGroupARN != "" {
				addGroup(l.BGPGroupARN, why.SourceAWSBGPLog, t.OutsideIP)
			} else {
				bgpLogsOff = append(bgpLogsOff, t.OutsideIP)
			}
		}
	}
	if len(logsOff) > 0 {
		e.notRead(why.AWSLogsOff(v.ID, region, logsOff, false))
	}
	if len(bgpLogsOff) > 0 {
		e.notRead(why.AWSLogsOff(v.ID, region, bgpLogsOff, true))
	}
	for _, g := range groups {
		wg.Go(func() {
			key := fmt.Sprintf("aws-logs/%s/%s/%d", g.arn, v.ID, since.Unix()/60)
			events, err := readAs(ctx, e.o, call{cloud: "aws", op: "FilterLogEvents", key: key}, func(ctx context.Context) ([]awsc.LogEvent, error) {
				return e.o.aws.LogEvents(ctx, g.arn, v.ID, since, until)
			})
			if err != nil {
				e.failed(g.source, "logs:FilterLogEvents on "+g.arn, err)
				return
			}
			e.read(g.source)
			var recs []why.Record
			for _, ev := range events {
				r := why.Record{Source: g.source, Time: ev.Time, Text: ev.Message}
				// AWS names a tunnel's stream after its outside IP; a record
				// of another stream is mapped from its text (BGP resource_id).
				for _, ip := range g.ips {
					if strings.Contains(ev.Stream, ip) {
						r.Tunnel = ip
					}
				}
				recs = append(recs, r)
			}
			e.mu.Lock()
			e.in.Records = append(e.in.Records, recs...)
			e.mu.Unlock()
		})
	}
}

func (e *evidence) azureDiagnostics(ctx context.Context, since, until time.Time) {
	a := e.conn.Azure
	key := fmt.Sprintf("az-diag/%s/%d", strings.ToLower(azc.GatewayID(a.SubscriptionID, a.ResourceGroup, a.Gateway)), since.Unix()/60)
	recs, err := readAs(ctx, e.o, call{cloud: "azure", op: "QueryDiagnosticLogs", key: key}, func(ctx context.Context) ([]why.Record, error) {
		return e.o.azure.DiagnosticRecords(ctx, a.SubscriptionID, a.ResourceGroup, a.Gateway, since, until)
	})
	id := azc.GatewayID(a.SubscriptionID, a.ResourceGroup, a.Gateway)
	switch {
	case errors.Is(err, azc.ErrNoDiagnostics):
		e.notRead(why.DiagnosticsOff(id, false))
		return
	case err != nil:
		e.failed(why.SourceAzureDiagnostics, azc.ActionDiagnostics+" on "+id, err)
		return
	case len(recs) == 0:
		e.notRead(why.DiagnosticsOff(id, true))
		return
	}
	e.read(why.SourceAzureDiagnostics)
	e.mu.Lock()
	e.in.Records = append(e.in.Records, recs...)
	e.mu.Unlock()
}

func (e *evidence) learnedRoutes(ctx context.Context) {
	a := e.conn.Azure
	routes, err := readAs(ctx, e.o, call{cloud: "azure", op: "GetLearnedRoutes", key: strings.ToLower("routes/" + a.SubscriptionID + "/" + a.ResourceGroup + "/" + a.Gateway), sub: a.SubscriptionID, cost: 2},
		func(ctx context.Context) ([]why.Route, error) {
			return e.o.azure.LearnedRoutes(ctx, a.SubscriptionID, a.ResourceGroup, a.Gateway)
		})
	if err != nil {
		e.failed(why.SourceAzureLearnedRoutes, azc.ActionLearnedRoutes, err)
		return
	}
	e.read(why.SourceAzureLearnedRoutes)
	e.mu.Lock()
	e.in.Routes, e.in.RoutesRead = routes, true
	e.mu.Unlock()
}

func bgpOn(obs vpn.Observation) bool {
	return (obs.AWS != nil && obs.AWS.Routing() == vpn.RoutingBGP) ||
		(obs.Azure != nil && (obs.Azure.Routing() == vpn.RoutingBGP || (obs.Azure.Gateway != nil && obs.Azure.Gateway.EnableBGP)))
}
