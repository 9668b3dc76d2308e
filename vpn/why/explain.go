package why

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/rules"
)

// maxEvidence is how many lines back one cause; the count of all of them
// is in the message.
const maxEvidence = 3

// failoverGap is how soon a reconnect must follow a disconnect to be the
// same event (Azure fails over between instances within seconds).
const failoverGap = 2 * time.Minute

// Explain judges what was read for one connection.
func Explain(in Input) Answer {
	e := newExplainer(in)
	e.logs()
	e.failovers()
	e.bgp()
	e.maintenance()
	e.baseline()
	return Answer{
		Connection:  in.Observation.Connection.Name,
		GeneratedAt: in.Now.UTC().Format(time.RFC3339),
		Health:      in.Health,
		Tunnel:      in.Tunnel,
		Causes:      e.sorted(),
		NotRead:     in.NotRead,
		Read:        in.Read,
	}
}

type causeKey struct {
	rule   string
	tunnel int
}

// hit is one piece of evidence before it is cut to maxEvidence.
type hit struct {
	at  time.Time
	ev  Evidence
	log bool // from a log rather than an API field
}

type explainer struct {
	in      Input
	byIP    map[vpn.IPKey]vpn.TunnelStatus
	order   []causeKey
	hits    map[causeKey][]hit
	custom  map[causeKey]vpn.Finding // causes whose message is built here
	routing bool                     // BGP on either side
}

func newExplainer(in Input) *explainer {
	e := &explainer{in: in, byIP: map[vpn.IPKey]vpn.TunnelStatus{}, hits: map[causeKey][]hit{}, custom: map[causeKey]vpn.Finding{}}
	for _, t := range in.Tunnels {
		if k := vpn.KeyIP(t.AWSOutsideIP); !k.Empty() {
			e.byIP[k] = t
		}
	}
	o := in.Observation
	e.routing = (o.AWS != nil && o.AWS.Routing() == vpn.RoutingBGP) || (o.Azure != nil && o.Azure.Routing() == vpn.RoutingBGP)
	return e
}

// inScope says whether a tunnel index is asked about.
func (e *explainer) inScope(idx int) bool { return e.in.Tunnel == 0 || idx == e.in.Tunnel }

func (e *explainer) add(k causeKey, h hit) {
	if _, ok := e.hits[k]; !ok {
		e.order = append(e.order, k)
	}
	e.hits[k] = append(e.hits[k], h)
}

// ipInText finds the remote address in Azure IKE lines ("Remote 198.51.100.1:500: …")
// and AWS BGP resource IDs ("vpn-0123_198.51.100.1").
var ipInText = regexp.MustCompile(`(?:\bRemote |_)(\d{1,3}(?:\.\d{1,3}){3})\b`)

// tunnelOf maps a record to a tunnel: ok is false for a record about
// another connection on the same gateway, which is no evidence here.
func (e *explainer) tunnelOf(r Record) (idx int, ok bool) {
	ip := vpn.KeyIP(r.Tunnel)
	if !ip.IsAddr() {
		if m := ipInText.FindStringSubmatch(r.Text); m != nil {
			ip = vpn.KeyIP(m[1])
		}
	}
	if !ip.IsAddr() {
		return 0, true // gateway-wide
	}
	t, found := e.byIP[ip]
	return t.Index, found
}

func (e *explainer) logs() {
	for _, r := range e.in.Records {
		rule := Match(r)
		if rule == "" {
			continue
		}
		idx, ok := e.tunnelOf(r)
		if !ok || (idx != 0 && !e.inScope(idx)) {
			continue
		}
		// A gateway-wide record can only be a gateway-wide cause, and
		// explains nothing while every tunnel asked about is up.
		if idx == 0 && ((rule != rules.IDMaintenance && rule != rules.IDGatewayChange) || !e.anyDown()) {
			continue
		}
		e.add(causeKey{rule, idx}, hit{at: r.Time, log: true, ev: Evidence{Source: r.Source, Time: stamp(r.Time), Text: Clean(display(r))}})
	}
}

// display is the record as quoted: Azure records lead with their operation
// and instance, AWS records with their normalized text.
func display(r Record) string {
	text := normalize(r)
	if r.Operation == "" {
		return text
	}
	s := r.Operation
	if r.Instance != "" {
		s += " on " + r.Instance
	}
	if text != "" {
		s += ": " + text
	}
	return s
}

// failovers reads Azure tunnel records in pairs: a disconnect followed
// within seconds by a connect on the other gateway instance is a failover
// (maintenance or reset); on the same instance, the peer went quiet (DPD).
func (e *explainer) failovers() {
	var recs []Record
	for _, r := range e.in.Records {
		if r.Source == "azure:TunnelDiagnosticLog" {
			recs = append(recs, r)
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time.Before(recs[j].Time) })
	for i, d := range recs {
		if d.Operation != "TunnelDisconnected" || Match(d) != "" {
			continue
		}
		idx, ok := e.tunnelOf(d)
		if !ok || idx == 0 || !e.inScope(idx) {
			continue
		}
		for _, c := range recs[i+1:] {
			if c.Time.Sub(d.Time) > failoverGap {
				break
			}
			if c.Operation != "TunnelConnected" {
				continue
			}
			if ci, ok := e.tunnelOf(c); !ok || ci != idx {
				continue
			}
			rule := rules.IDMaintenance
			if c.Instance != "" && c.Instance == d.Instance {
				rule = rules.IDDPDTimeout
			}
			k := causeKey{rule, idx}
			for _, r := range []Record{d, c} {
				e.add(k, hit{at: r.Time, log: true, ev: Evidence{Source: r.Source, Time: stamp(r.Time), Text: Clean(display(r))}})
			}
			break
		}
	}
}

// bgp raises bgp-session-down from API fields: AWS "IPSEC IS UP" on a
// DOWN tunnel, the Azure peer of the tunnel not Connected, no routes
// learned from it.
func (e *explainer) bgp() {
	if !e.routing {
		return
	}
	for _, t := range e.in.Tunnels {
		if !e.inScope(t.Index) {
			continue
		}
		k := causeKey{rules.IDBGPSessionDown, t.Index}
		var evs []hit
		if strings.EqualFold(t.AWSStatus, "DOWN") && t.AWSIPsecUp() {
			evs = append(evs, e.telemetry(t))
		}
		peer := e.peerOf(t)
		established := false
		if peer != "" && e.in.Observation.Azure != nil {
			for _, p := range e.in.Observation.Azure.BGPPeers {
				if vpn.SameIP(p.Neighbor, peer) {
					established = p.Established()
					if !established {
						evs = append(evs, hit{at: e.in.Now, ev: Evidence{Source: SourceAzureBGPPeers, Time: stamp(e.in.Now),
							Text: Clean(fmt.Sprintf("peer %s AS%d %s, %d routes received", p.Neighbor, p.ASN, p.State, p.RoutesReceived))}})
					}
				}
			}
		}
		if peer != "" && e.in.RoutesRead && len(evs) > 0 && !established {
			n := 0
			for _, r := range e.in.Routes {
				if vpn.SameIP(r.SourcePeer, peer) {
					n++
				}
			}
			if n == 0 {
				evs = append(evs, hit{at: e.in.Now, ev: Evidence{Source: SourceAzureLearnedRoutes, Time: stamp(e.in.Now),
					Text: fmt.Sprintf("no route learned from %s (%d learned in all)", peer, len(e.in.Routes))}})
			}
		}
		for _, h := range evs {
			e.add(k, h)
		}
	}
}

// peerOf is the AWS-side BGP address of a tunnel: its Azure connection's
// local network gateway's peer.
func (e *explainer) peerOf(t vpn.TunnelStatus) string {
	if e.in.Observation.Azure == nil || t.AzureConnection == "" {
		return ""
	}
	for _, c := range e.in.Observation.Azure.Connections {
		if c.Name == t.AzureConnection && c.LocalNetworkGateway != nil {
			return vpn.KeyIP(c.LocalNetworkGateway.BGPPeerAddress).String()
		}
	}
	return ""
}

func (e *explainer) telemetry(t vpn.TunnelStatus) hit {
	text := fmt.Sprintf("tunnel %s %s", t.AWSOutsideIP, t.AWSStatus)
	if t.AWSMessage != "" {
		text += ": " + t.AWSMessage
	}
	at, _ := time.Parse(time.RFC3339, t.AWSSince)
	if t.AWSSince != "" {
		text += " since " + t.AWSSince
	}
	if at.IsZero() {
		at = e.in.Now
	}
	return hit{at: at, ev: Evidence{Source: SourceAWSTelemetry, Time: stamp(at), Text: Clean(text)}}
}

// maintenance raises AWS endpoint replacements: one applied within the
// window explains an outage; one pending is worth knowing before it lands.
func (e *explainer) maintenance() {
	for _, m := range e.in.Maintenance {
		t, ok := e.byIP[vpn.KeyIP(m.Tunnel)]
		if !ok || !e.inScope(t.Index) {
			continue
		}
		if !m.LastApplied.IsZero() && e.in.Now.Sub(m.LastApplied) <= Window && !m.LastApplied.After(e.in.Now.Add(time.Minute)) {
			e.add(causeKey{rules.IDMaintenance, t.Index}, hit{at: m.LastApplied, ev: Evidence{Source: SourceAWSMaintenance, Time: stamp(m.LastApplied),
				Text: Clean(fmt.Sprintf("tunnel %s: last maintenance applied %s", m.Tunnel, stamp(m.LastApplied)))}})
		}
		if m.Pending == "" {
			continue
		}
		text := fmt.Sprintf("tunnel %s: pending maintenance %q", m.Tunnel, m.Pending)
		if !m.AutoAppliedAfter.IsZero() {
			text += ", auto-applied after " + stamp(m.AutoAppliedAfter)
		}
		k := causeKey{rules.IDMaintenance + "/pending", t.Index}
		f := rules.NewFinding(rules.IDMaintenance,
			fmt.Sprintf("tunnel %d (%s): AWS has maintenance pending for this tunnel endpoint%s", t.Index, t.AWSOutsideIP, after(m.AutoAppliedAfter)),
			"AWS replaces one tunnel at a time: make sure the other tunnel is up before then, or accept it early in a window of your choice "+
				"(`aws ec2 replace-vpn-tunnel --apply-pending-maintenance`, which interrupts this tunnel).")
		f.Severity = vpn.SeverityInfo
		e.custom[k] = f
		e.add(k, hit{at: e.in.Now, ev: Evidence{Source: SourceAWSMaintenance, Time: stamp(e.in.Now), Text: Clean(text)}})
	}
}

func after(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return "; AWS applies it automatically after " + stamp(t)
}

// down says whether a tunnel is down on a side that was read.
func (e *explainer) down(t vpn.TunnelStatus) (aws, azure bool) {
	o := e.in.Observation
	return o.AWS != nil && !t.AWSUp(), o.Azure != nil && !t.AzureUp()
}

// anyDown says whether a tunnel asked about is down.
func (e *explainer) anyDown() bool {
	for _, t := range e.in.Tunnels {
		if a, z := e.down(t); e.inScope(t.Index) && (a || z) {
			return true
		}
	}
	return false
}

// baseline states, for a down tunnel nothing else explains, what the APIs
// say: a cause without a reason is still a place to start.
func (e *explainer) baseline() {
	for _, t := range e.in.Tunnels {
		if !e.inScope(t.Index) {
			continue
		}
		awsDown, azDown := e.down(t)
		if !awsDown && !azDown {
			continue
		}
		explained := false
		for k := range e.hits {
			if k.tunnel == t.Index && !strings.HasSuffix(k.rule, "/pending") {
				explained = true
			}
		}
		if explained {
			continue
		}
		k := causeKey{rules.IDTunnelDown, t.Index}
		var sides []string
		if awsDown {
			sides = append(sides, "AWS "+t.AWSStatus)
			e.add(k, e.telemetry(t))
		}
		if azDown {
			sides = append(sides, "Azure "+t.AzureStatus)
			e.add(k, hit{at: e.in.Now, ev: Evidence{Source: SourceAzureConnection, Time: stamp(e.in.Now),
				Text: Clean(fmt.Sprintf("connection %s %s", orDash(t.AzureConnection), t.AzureStatus))}})
		}
		fix := "The logs read hold no recorded reason. Enable the sources listed under not read (their fix says how and what it interrupts), " +
			"then run why again after the next attempt; meanwhile /door status NAME lists the configuration findings."
		if len(e.in.NotRead) == 0 {
			fix = "The logs read hold no recorded reason for the last hour: the tunnel may be idle (nobody initiates) or the path blocked. " +
				"Check UDP 500/4500 and ESP between the outside IPs and who initiates; /door status NAME lists the configuration findings."
		}
		e.custom[k] = rules.NewFinding(rules.IDTunnelDown,
			fmt.Sprintf("tunnel %d (%s) is down (%s) and no recorded reason was found", t.Index, orDash(t.AWSOutsideIP), strings.Join(sides, ", ")), fix)
	}
}

// sorted turns the collected evidence into causes: errors first, log
// evidence before API fields, newest first.
func (e *explainer) sorted() []Cause {
	type ranked struct {
		c      Cause
		newest time.Time
		logs   bool
	}
	var rs []ranked
	for _, k := range e.order {
		hs := e.hits[k]
		sort.SliceStable(hs, func(i, j int) bool { return hs[i].at.After(hs[j].at) })
		f, ok := e.custom[k]
		if !ok {
			f = rules.NewFinding(k.rule, e.message(k, hs), ruleText[k.rule].fix)
		}
		c := Cause{Finding: f, Tunnel: k.tunnel}
		logs := false
		for i, h := range hs {
			logs = logs || h.log
			if i < maxEvidence && !slices.Contains(c.Evidence, h.ev) {
				c.Evidence = append(c.Evidence, h.ev)
			}
		}
		rs = append(rs, ranked{c, hs[0].at, logs})
	}
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if ra, rb := a.c.Severity.Rank(), b.c.Severity.Rank(); ra != rb {
			return ra < rb
		}
		if (a.c.Rule == rules.IDTunnelDown) != (b.c.Rule == rules.IDTunnelDown) {
			return b.c.Rule == rules.IDTunnelDown
		}
		if a.logs != b.logs {
			return a.logs
		}
		if !a.newest.Equal(b.newest) {
			return a.newest.After(b.newest)
		}
		return a.c.Tunnel < b.c.Tunnel
	})
	out := make([]Cause, len(rs))
	for i, r := range rs {
		out[i] = r.c
	}
	return out
}

func (e *explainer) message(k causeKey, hs []hit) string {
	where := "the gateway"
	if k.tunnel > 0 {
		ip := ""
		for _, t := range e.in.Tunnels {
			if t.Index == k.tunnel {
				ip = t.AWSOutsideIP
			}
		}
		where = fmt.Sprintf("tunnel %d (%s)", k.tunnel, orDash(ip))
	}
	var sources []string
	for _, h := range hs {
		if !slices.Contains(sources, h.ev.Source) {
			sources = append(sources, h.ev.Source)
		}
	}
	slices.Sort(sources)
	n := fmt.Sprintf("%d records", len(hs))
	if len(hs) == 1 {
		n = "1 record"
	}
	return fmt.Sprintf("%s: %s (%s from %s, last %s)", where, ruleText[k.rule].says, n, strings.Join(sources, ", "), stamp(hs[0].at))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
