package handlers

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// PhoneWidth is the widest preformatted line a status reply's compact
// layout holds: a 360 px phone shows about 60 monospace characters
// before it wraps a command into nonsense.
const PhoneWidth = 60

// StatusReply renders a report for people twice: for a terminal (Blocks:
// per connection a verdict line, both clouds side by side per tunnel in one
// wide table, findings with fixes) and for a phone (Compact: the verdict
// in a header, one section of fields per tunnel, findings as numbered
// checks with their commands in code blocks of their own).
func StatusReply(r vpn.Report) Reply { return statusReply(r, nil) }

// statusReply is StatusReply with, when buttons is set, a row of buttons
// under each connection.
func statusReply(r vpn.Report, buttons func(vpn.ConnectionStatus) Block) Reply {
	var rep Reply
	if len(r.Connections) == 0 {
		rep.Blocks = append(rep.Blocks, paragraph(ToneMuted, "No connections are configured."))
		rep.Text = "no connections configured"
		return rep
	}
	var fallback []string
	if len(r.Connections) > 1 {
		roll := rollUp(r.Connections)
		rep.Blocks = append(rep.Blocks, roll...)
		rep.Compact = append(rep.Compact, roll...)
		fallback = append(fallback, roll[0].Lines[0])
	}
	for i, c := range r.Connections {
		if i > 0 || len(r.Connections) > 1 {
			rep.Blocks = append(rep.Blocks, Block{Kind: Divider})
		}
		rep.Blocks = append(rep.Blocks, connectionBlocks(c)...)
		if buttons != nil {
			rep.Blocks = append(rep.Blocks, buttons(c))
		}
		fallback = append(fallback, fmt.Sprintf("%s %s%s: %s", c.Name, c.Health, notRead(c, " — "), c.Summary))
	}
	// On a phone the worst connection comes first, as in the roll-up. A
	// fleet's healthy connections stay in the roll-up's names: forty
	// healthy sections would bury the one that is down under a dozen
	// messages, in the channel everyone is reading during the incident.
	collapse := len(r.Connections) > CompactDetailLimit
	hidden := 0
	for _, c := range bySeverity(r.Connections) {
		if collapse && c.Health == vpn.Healthy {
			hidden++
			continue
		}
		if len(rep.Compact) > 0 {
			rep.Compact = append(rep.Compact, Block{Kind: Divider})
		}
		rep.Compact = append(rep.Compact, compactConnection(c)...)
		if buttons != nil {
			rep.Compact = append(rep.Compact, buttons(c))
		}
	}
	if hidden > 0 {
		noun := "connections are"
		if hidden == 1 {
			noun = "connection is"
		}
		rep.Compact = append(rep.Compact, notes(fmt.Sprintf("%d healthy %s not shown in detail: /door status NAME shows one.", hidden, noun)))
	}
	generated := "generated " + r.GeneratedAt
	if ago := readAgo(r); ago != "" {
		generated += " · " + ago
	}
	rep.Blocks = append(rep.Blocks, notes(generated))
	rep.Compact = append(rep.Compact, Block{Kind: Notes, Fields: reportTime("generated", r)})
	rep.Text = strings.Join(fallback, "\n")
	return rep
}

// CompactDetailLimit is how many connections a phone reply shows in
// detail whatever their verdict; beyond it only those that are not healthy
// get their sections.
const CompactDetailLimit = 5

// rollUpNames bounds the names listed per verdict, so that a fleet's
// roll-up stays one readable section.
const rollUpNames = 40

// severityOrder ranks verdicts worst first, for the roll-up.
var severityOrder = []vpn.Health{vpn.Down, vpn.Degraded, vpn.Unknown, vpn.Healthy}

func healthRank(h vpn.Health) int {
	if i := slices.Index(severityOrder, h); i >= 0 {
		return i
	}
	return len(severityOrder)
}

// bySeverity is the connections worst verdict first, config order within.
func bySeverity(conns []vpn.ConnectionStatus) []vpn.ConnectionStatus {
	out := slices.Clone(conns)
	slices.SortStableFunc(out, func(a, b vpn.ConnectionStatus) int { return cmp.Compare(healthRank(a.Health), healthRank(b.Health)) })
	return out
}

// rollUp is the verdict over several connections: a heading with the
// worst verdict and the counts, then the names per verdict, worst first,
// so that a reader on a phone sees what is broken before scrolling.
func rollUp(conns []vpn.ConnectionStatus) []Block {
	by := map[vpn.Health][]string{}
	for _, c := range conns {
		by[c.Health] = append(by[c.Health], c.Name)
	}
	worst := vpn.Healthy
	var counts, lines []string
	for _, h := range severityOrder {
		if len(by[h]) == 0 {
			continue
		}
		if len(counts) == 0 {
			worst = h
		}
		counts = append(counts, fmt.Sprintf("%d %s", len(by[h]), h))
		names := by[h]
		more := ""
		if len(names) > rollUpNames {
			names, more = names[:rollUpNames], fmt.Sprintf(" and %d more", len(names)-rollUpNames)
		}
		lines = append(lines, fmt.Sprintf("%s: %s%s", h, strings.Join(names, ", "), more))
	}
	head := heading(healthTone(worst), fmt.Sprintf("%d connections: %s", len(conns), strings.Join(counts, ", ")))
	head.Icon = healthIcon(worst)
	return []Block{head, paragraph(ToneNone, lines...)}
}

// connectionBlocks is one connection for a terminal.
func connectionBlocks(c vpn.ConnectionStatus) []Block {
	blocks, sideErrs := connectionHead(c, notRead(c, " · "))
	if len(c.Tunnels) > 0 {
		blocks = append(blocks, tunnelTable(c))
	}
	for _, f := range c.Findings {
		blocks = append(blocks, findingBlock(f))
	}
	blocks = append(blocks, sideErrs...)
	if c.Health == vpn.Degraded || c.Health == vpn.Down {
		blocks = append(blocks, notes(fmt.Sprintf("Why, from the clouds' own logs and maintenance records: /door why %s (CLI: doorbot why %s)", c.Name, c.Name)))
	}
	if len(c.LikelyCauses) > 0 {
		blocks = append(blocks, heading(ToneNone, "Likely causes, most likely first"))
		for i, lc := range c.LikelyCauses {
			blocks = append(blocks, detail(ToneNone, fmt.Sprintf("%d. %s", i+1, lc.Title), "seen: "+lc.Evidence, "check next: "+lc.Check, "fix: "+lc.Fix))
		}
	}
	return blocks
}

// connectionHead is how every layout opens a connection: the verdict
// (qualified by which side was not read), any configuration error, the
// summary and the small print. The other errors come back to follow the
// findings.
func connectionHead(c vpn.ConnectionStatus, qualifier string) (blocks, sideErrs []Block) {
	head := heading(healthTone(c.Health), fmt.Sprintf("%s — %s%s", c.Name, strings.ToUpper(string(c.Health)), qualifier))
	head.Icon = healthIcon(c.Health)
	configErrs, sideErrs := splitErrors(c.Errors)
	blocks = append([]Block{head}, configErrs...)
	blocks = append(blocks, paragraph(ToneNone, c.Summary))
	return append(blocks, contextNotes(c)...), sideErrs
}

// splitErrors puts configuration errors (a configured resource that does
// not exist) first, as blocks that lead the connection, and the other
// errors of a side that could not be read after the findings.
func splitErrors(errs []vpn.SideError) (config, side []Block) {
	for _, e := range errs {
		if e.Config {
			b := paragraph(ToneBad, fmt.Sprintf("configuration error: %s: %s", e.Cloud, e.Message))
			b.Icon = IconBad
			config = append(config, b)
			continue
		}
		b := paragraph(ToneWarning, fmt.Sprintf("%s: %s", e.Cloud, e.Message))
		b.Icon = IconSide
		side = append(side, b)
	}
	return config, side
}

// contextNotes are the connection's kind and routing, the SORACOM side and
// Azure's BGP peers: small print under the summary.
func contextNotes(c vpn.ConnectionStatus) []Block {
	kind := "user-owned AWS VPN"
	if c.Kind == vpn.KindSoracomDoor {
		kind = "SORACOM Door (AWS side owned by SORACOM, read from Azure)"
	}
	out := []Block{notes(fmt.Sprintf("%s · routing: AWS %s, Azure %s", kind, c.Routing.AWS, c.Routing.Azure))}
	if c.Soracom != nil {
		out = append(out, notes(soracomLine(c.Soracom)))
	}
	if len(c.BGPPeers) > 0 {
		peers := make([]string, len(c.BGPPeers))
		for i, p := range c.BGPPeers {
			peers[i] = fmt.Sprintf("%s AS%d %s (%d routes)", p.Neighbor, p.ASN, p.State, p.RoutesReceived)
		}
		out = append(out, notes("Azure BGP peers: "+strings.Join(peers, " · ")))
	}
	return out
}

// tunnelTable is every tunnel with both clouds side by side, for a wide
// terminal. A Door connection has no AWS columns to show (SORACOM owns
// that side and reports no tunnel state): its rows show the Door side.
func tunnelTable(c vpn.ConnectionStatus) Block {
	if c.Kind == vpn.KindSoracomDoor {
		t := Block{Kind: Table, Columns: []string{"#", "Door outside IP", "Door", "Azure connection", "Azure", "in / out"}}
		for _, tu := range c.Tunnels {
			t.Rows = append(t.Rows, []string{
				fmt.Sprint(tu.Index), dash(tu.AWSOutsideIP), doorSide(c, tu), dash(tu.AzureConnection), azureText(tu),
				bytesText(tu.AzureIngressBytes) + " / " + bytesText(tu.AzureEgressBytes),
			})
		}
		return t
	}
	t := Block{Kind: Table, Columns: []string{"#", "AWS outside IP", "AWS", "AWS since", "down for", "AWS message", "routes", "Azure connection", "Azure", "in / out"}}
	for _, tu := range c.Tunnels {
		routes := fmt.Sprint(tu.AWSAcceptedRoutes)
		if c.Routing.AWS == vpn.RoutingStatic {
			// AWS counts no accepted routes on a static VPN; 0 would read
			// as "nothing is routed".
			routes = "-"
		}
		t.Rows = append(t.Rows, []string{
			fmt.Sprint(tu.Index), dash(tu.AWSOutsideIP), tu.AWSStatus, dash(tu.AWSSince), dash(downFor(tu)), dash(tu.AWSMessage),
			routes, dash(tu.AzureConnection), tu.AzureStatus,
			bytesText(tu.AzureIngressBytes) + " / " + bytesText(tu.AzureEgressBytes),
		})
	}
	return t
}

// doorSide is what SORACOM says of a Door tunnel's AWS side: its Door
// connection, routing mode and ASN (SORACOM reports no tunnel state).
func doorSide(c vpn.ConnectionStatus, tu vpn.TunnelStatus) string {
	if d := tu.Door; d != nil {
		s := string(d.Routing)
		if d.Connection != "" {
			s = d.Connection + " " + s
		}
		if d.BGPASN != "" {
			s += " AS" + d.BGPASN
		}
		return s
	}
	if c.Soracom == nil {
		return "SORACOM (not read)"
	}
	if len(c.Soracom.DoorConnections) == 0 {
		return "no Door connection"
	}
	parts := make([]string, len(c.Soracom.DoorConnections))
	for i, d := range c.Soracom.DoorConnections {
		parts[i] = d.ID + " " + string(d.Routing())
	}
	return strings.Join(parts, ", ")
}

func azureText(tu vpn.TunnelStatus) string {
	if tu.BGP != nil {
		return tu.AzureStatus + ", BGP " + tu.BGP.State
	}
	return tu.AzureStatus
}

// downFor is how long a down tunnel has been down, "" when not known.
func downFor(tu vpn.TunnelStatus) string {
	if tu.DownForSeconds <= 0 {
		return ""
	}
	return span(time.Duration(tu.DownForSeconds) * time.Second)
}

// notRead qualifies a verdict drawn from fewer than both sides, on the
// connection's first line.
func notRead(c vpn.ConnectionStatus, sep string) string {
	if n := c.NotRead(); n != "" {
		return sep + n
	}
	return ""
}

// shortNotRead is notRead without the reasons, for a header that must stay
// short; the reasons follow in the errors.
func shortNotRead(c vpn.ConnectionStatus) string {
	switch {
	case c.Kind == vpn.KindSoracomDoor && c.Observed.Azure:
		return " · Azure view only (AWS side is SORACOM's)"
	case c.Kind == vpn.KindSoracomDoor:
		return " · Azure not read"
	case !c.Observed.AWS && !c.Observed.Azure:
		return " · AWS and Azure not read"
	case !c.Observed.AWS:
		return " · Azure only: AWS not read"
	case !c.Observed.Azure:
		return " · AWS only: Azure not read"
	}
	return ""
}

// findingBlock shows one finding the same way wherever it appears: what
// fired and why, the fix, the reference.
func findingBlock(f vpn.Finding) Block {
	lines := []string{fmt.Sprintf("%s %s: %s", f.Severity, f.Rule, f.Message)}
	if f.Fix != "" {
		lines = append(lines, "fix: "+f.Fix)
	}
	if f.Reference != "" {
		lines = append(lines, "ref: "+f.Reference)
	}
	b := detail(severityTone(f.Severity), lines...)
	b.Icon = severityIcon(f.Severity)
	b.Narrow = compactFinding(f)
	return b
}

// compactConnection is one connection for a phone.
func compactConnection(c vpn.ConnectionStatus) []Block {
	blocks, sideErrs := connectionHead(c, shortNotRead(c))
	for _, tu := range c.Tunnels {
		blocks = append(blocks, tunnelFields(c, tu))
	}
	for _, f := range c.Findings {
		blocks = append(blocks, compactFinding(f)...)
	}
	blocks = append(blocks, sideErrs...)
	if len(c.LikelyCauses) > 0 {
		blocks = append(blocks, paragraph(ToneNone, "Likely causes, most likely first"))
		for i, lc := range c.LikelyCauses {
			blocks = append(blocks, detail(ToneNone, fmt.Sprintf("%d. %s", i+1, lc.Title), "seen: "+lc.Evidence))
			blocks = append(blocks, checkBlocks("check next", lc.Check)...)
			blocks = append(blocks, checkBlocks("fix", lc.Fix)...)
		}
	}
	if c.Health == vpn.Degraded || c.Health == vpn.Down {
		blocks = append(blocks, notes(fmt.Sprintf("Why, from the clouds' own logs: /door why %s", c.Name)))
	}
	return blocks
}

// tunnelFields is one tunnel as fields that fit a phone: where it ends,
// what each side says, since when and, when down, for how long.
func tunnelFields(c vpn.ConnectionStatus, tu vpn.TunnelStatus) Block {
	title := fmt.Sprintf("Tunnel %d", tu.Index)
	if tu.AzureConnection != "" {
		title += " · " + tu.AzureConnection
	}
	b := Block{Kind: Fields, Lines: []string{title}, Tone: ToneNone}
	add := func(label, value string) { b.Fields = append(b.Fields, Field{Label: label, Value: value}) }
	door := c.Kind == vpn.KindSoracomDoor
	if door {
		add("Door outside IP", dash(tu.AWSOutsideIP))
		add("Door", doorSide(c, tu))
	} else {
		add("Outside IP", dash(tu.AWSOutsideIP))
		aws := tu.AWSStatus
		if tu.AWSMessage != "" {
			aws += " · " + tu.AWSMessage
		}
		add("AWS", dash(aws))
	}
	add("Azure", dash(azureText(tu)))
	if d := downFor(tu); d != "" {
		add("Down for", d)
	}
	if tu.AWSSince != "" && !door {
		label := "Since"
		if tu.Up {
			label = "Up since"
		}
		b.Fields = append(b.Fields, Field{Label: label, Value: tu.AWSSince, At: tu.AWSSince})
	}
	traffic := bytesText(tu.AzureIngressBytes) + " in / " + bytesText(tu.AzureEgressBytes) + " out"
	if tu.Up && c.Routing.Azure == vpn.RoutingStatic && tu.AzureIngressBytes == 0 && tu.AzureEgressBytes == 0 {
		// A static VPN sends over one tunnel at a time; the other idles,
		// healthy (observed behaviour, never alerted on).
		traffic = "standby"
	}
	add("Traffic", traffic)
	if c.Routing.AWS == vpn.RoutingBGP && !door {
		add("Routes", fmt.Sprint(tu.AWSAcceptedRoutes))
	}
	return b
}

// compactFinding is a finding for a phone: what fired, then the checks as
// a numbered list, each command in a code block of its own, then the
// reference as a link.
func compactFinding(f vpn.Finding) []Block {
	head := paragraph(severityTone(f.Severity), fmt.Sprintf("%s %s: %s", f.Severity, f.Rule, f.Message))
	head.Icon = severityIcon(f.Severity)
	blocks := []Block{head}
	blocks = append(blocks, checkBlocks("fix", f.Fix)...)
	if f.Reference != "" {
		blocks = append(blocks, Block{Kind: Notes, Links: []Link{{Label: "reference: " + shortURL(f.Reference), URL: f.Reference}}})
	}
	return blocks
}

// checkBlocks lays out prose with commands: one check is "label: text",
// several are a numbered list; their commands follow, each in a code block
// wrapped to the phone's width.
func checkBlocks(label, text string) []Block {
	steps := splitSteps(text)
	if len(steps) == 0 {
		return nil
	}
	var lines []string
	var cmds []Block
	for i, s := range steps {
		if len(steps) == 1 {
			lines = append(lines, label+": "+s.Text)
		} else {
			lines = append(lines, fmt.Sprintf("%d. %s", i+1, s.Text))
		}
		for _, c := range s.Commands {
			cmds = append(cmds, Block{Kind: Code, Lines: []string{wrapCommand(c, PhoneWidth)}})
		}
	}
	if len(steps) > 1 {
		lines = append([]string{label + ":"}, lines...)
	}
	return append([]Block{paragraph(ToneNone, lines...)}, cmds...)
}

// shortURL is a reference's host and last path element, enough to know
// where the link goes.
func shortURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	p := strings.Trim(u.Path, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = "…/" + p[i+1:]
	}
	if p == "" {
		return u.Host
	}
	return u.Host + "/" + p
}

// span says a duration the way on-call reads it: "7 d 19 h", "3 h 5 m".
func span(d time.Duration) string {
	d = d.Truncate(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d h %d m", hours, mins)
	}
	return fmt.Sprintf("%d m", mins)
}
