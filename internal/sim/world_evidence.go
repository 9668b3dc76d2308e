package sim

import (
	"slices"
	"strings"
	"time"
)

// LogEvent is one CloudWatch Logs event.
type LogEvent struct {
	Time    time.Time
	Message string
}

// DiagnosticRecord is one row of a gateway's AzureDiagnostics table in
// Log Analytics.
type DiagnosticRecord struct {
	Time                                         time.Time
	Category, OperationName, Instance            string
	RemoteIP, Status, StateChangeReason, Message string
}

// ARMRoute is one route a gateway learned (getLearnedRoutes).
type ARMRoute struct {
	LocalAddress, Network, NextHop, SourcePeer, Origin, ASPath string
	Weight                                                     int
}

// logStream is one stream of a log group.
type logStream struct {
	name   string
	events []LogEvent
}

// AddLogEvents appends events to a stream of a CloudWatch Logs group,
// creating both as needed. The group is addressed by its ARN
// (arn:aws:logs:REGION:ACCOUNT:log-group:NAME).
func (w *World) AddLogEvents(groupARN, stream string, events ...LogEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.logGroups == nil {
		w.logGroups = map[string][]logStream{}
	}
	key := strings.TrimSuffix(groupARN, ":*")
	streams := slices.Clone(w.logGroups[key])
	i := slices.IndexFunc(streams, func(s logStream) bool { return s.name == stream })
	if i < 0 {
		streams = append(streams, logStream{name: stream})
		i = len(streams) - 1
	}
	streams[i].events = append(slices.Clone(streams[i].events), events...)
	slices.SortStableFunc(streams[i].events, func(a, b LogEvent) int { return a.Time.Compare(b.Time) })
	w.logGroups[key] = streams
}

// logGroup finds a group by ARN or by name.
func (w *World) logGroup(identifier string) (arn string, streams []logStream, ok bool) {
	identifier = strings.TrimSuffix(identifier, ":*")
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, v := range w.logGroups {
		if k == identifier || strings.HasSuffix(k, ":log-group:"+identifier) {
			return k, v, true
		}
	}
	return "", nil, false
}

// SetDiagnostics turns a gateway's diagnostic settings on (records, possibly
// none, are in Log Analytics) or off (nil: the workspace has no
// AzureDiagnostics table for it).
func (w *World) SetDiagnostics(sub, rg, gateway string, records []DiagnosticRecord) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.diagnostics == nil {
		w.diagnostics = map[string][]DiagnosticRecord{}
	}
	if records == nil {
		delete(w.diagnostics, armKey(sub, rg, gateway))
		return
	}
	w.diagnostics[armKey(sub, rg, gateway)] = slices.Clone(records)
}

func (w *World) diagnosticRecords(sub, rg, gateway string) ([]DiagnosticRecord, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.diagnostics[armKey(sub, rg, gateway)]
	return r, ok
}

// SetLearnedRoutes replaces the routes a gateway reports as learned.
func (w *World) SetLearnedRoutes(sub, rg, gateway string, routes []ARMRoute) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.routes == nil {
		w.routes = map[string][]ARMRoute{}
	}
	w.routes[armKey(sub, rg, gateway)] = slices.Clone(routes)
}

func (w *World) learnedRoutes(sub, rg, gateway string) []ARMRoute {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.routes[armKey(sub, rg, gateway)]
}

// vpnTunnel finds one tunnel of a VPN.
func (w *World) vpnTunnel(region, vpnID, outsideIP string) (EC2VPN, EC2Tunnel, bool, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.vpns.get(ec2Key(region, vpnID))
	if !ok {
		return v, EC2Tunnel{}, false, false
	}
	for _, t := range v.Tunnels {
		if t.OutsideIP == outsideIP {
			return v, t, true, true
		}
	}
	return v, EC2Tunnel{}, true, false
}
