package runbook

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/rules"
)

// KindChange is the runbook of one change request (ForChange). Users do
// not type it: it needs the change's approved end state.
const KindChange Kind = "change"

// ForChange is the runbook that applies one change: from live, the live
// state as vpn.ProposalFromObservation expresses it, to end, the checked
// end state (what the change thread diffs). in carries the configured
// connection and the observation the two came from: the IDs, regions and
// tunnel states its commands and ordering need.
//
// Every changed field gets the command that applies it on its side, filled
// with real IDs, names and IPs. Tunnels are changed one at a time, tunnels
// that are down first, each followed by a wait until it is up again; where
// both sides must agree (IKE and IPsec algorithms), the side that can
// accept both the old and the new values is widened first, so the tunnel
// comes back after every step. Each step says what it does to traffic.
// Route and prefix additions come before the tunnels, removals after them.
//
// BGP → static is the migration runbook: a new VPN connection, not an
// in-place change. A change that changes nothing says so and has no steps.
// Keys never appear: commands use {aws_tunnelN_psk}.
func ForChange(in Input, live, end vpn.Proposal) Runbook {
	in.Proposal = &end
	if live.Routing == vpn.RoutingBGP && end.Routing == vpn.RoutingStatic {
		rb, _ := Generate(KindMigrate, in) // a known kind: no error
		return rb
	}
	f := newFacts(in)
	c := &change{f: f, live: live, end: end}
	rb := c.build()
	rb.Kind = KindChange
	rb.Connection = f.conn.Name
	f.finish(&rb)
	return rb
}

// change is the plan being built.
type change struct {
	f         *facts
	live, end vpn.Proposal
	slots     []*slot
	phases    []Phase
	steps     int      // steps so far: the next one is number steps+1
	notes     []string // for the summary: changes without a step, values not read
	gaps      int      // notes that are changes without an in-place step
	done      map[*slot]bool
}

// slot is one tunnel: the AWS (or Door) tunnel and the Azure connection and
// local network gateway that terminate it, live and in the end state.
type slot struct {
	n                 int
	ip                string
	vpnID             string
	up, known         bool
	awsLive, awsEnd   *vpn.ProposedTunnel
	connLive, connEnd *vpn.ProposedConnection
	lngLive, lngEnd   *vpn.ProposedLNG
}

func (s *slot) label() string {
	if s.ip == "" {
		return fmt.Sprintf("tunnel %d", s.n)
	}
	return fmt.Sprintf("tunnel %d (%s)", s.n, s.ip)
}

func (c *change) build() Runbook {
	name := c.f.conn.Name
	rb := Runbook{Title: "Runbook for this change: " + name}
	if c.live.Routing == vpn.RoutingStatic && c.end.Routing == vpn.RoutingBGP {
		rb.Summary = append([]string{"routing changes from static to bgp: AWS fixes the routing type when a VPN connection is created, so this is a new VPN connection (new outside IPs and keys), not an in-place change. doorbot has no runbook for it: see the change-causes-outage finding."},
			c.f.stateLines()...)
		return rb
	}
	c.done = map[*slot]bool{}
	c.buildSlots()
	c.unmatched()

	adds := Phase{Title: "Add routes and prefixes (no tunnel restarts)"}
	removes := Phase{Title: "Remove routes and prefixes"}
	c.awsRoutes(&adds, &removes)
	c.lngPrefixes(&adds, &removes)
	c.soracomFilter(&adds)
	c.push(adds)

	order := slices.Clone(c.slots)
	// A tunnel that is down carries nothing: change it first, so that the
	// one carrying traffic is touched only once the other is back.
	slices.SortStableFunc(order, func(a, b *slot) int {
		rank := func(s *slot) int {
			if s.known && !s.up {
				return 0
			}
			return 1
		}
		return rank(a) - rank(b)
	})
	changed := 0
	for _, s := range order {
		if c.tunnelPhase(s) {
			changed++
			c.done[s] = true
		}
	}
	c.push(removes)

	if c.steps == 0 {
		rb.Summary = []string{"No change: the end state is the live state. Nothing to run."}
		if c.gaps > 0 {
			rb.Summary[0] = "No step: nothing this change does can be applied in place (below)."
		}
		rb.Summary = append(rb.Summary, c.notes...)
		rb.Summary = append(rb.Summary, c.f.stateLines()...)
		return rb
	}
	c.push(Phase{Title: "Check the end state", Steps: []Step{{
		Title:    "Check that every field of the approved end state is live",
		Side:     SideBoth,
		Commands: []string{"doorbot runbook verify " + word(name)},
		Expect:   "Every check passes, \"the approved end state is live\" among them (or press Verify now in the change thread).",
		Rollback: "Nothing to undo: read-only.",
	}}})
	rb.Summary = append(rb.Summary, fmt.Sprintf("Applies this change to %s in %d steps: route and prefix additions first (no tunnel restarts), then one tunnel at a time (%d to change), each only once the one before is up again, then removals. Every step says what it does to traffic.", name, c.steps, changed))
	if w := c.upWarning(changed); w != "" {
		rb.Summary = append(rb.Summary, w)
	}
	rb.Summary = append(rb.Summary, c.notes...)
	rb.Summary = append(rb.Summary, c.f.stateLines()...)
	rb.Phases = c.phases
	return rb
}

// push appends a phase that has steps and counts them.
func (c *change) push(ph Phase) {
	if len(ph.Steps) == 0 {
		return
	}
	c.phases = append(c.phases, ph)
	c.steps += len(ph.Steps)
}

func (c *change) note(format string, args ...any) {
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

// gap notes a change this runbook has no in-place step for.
func (c *change) gap(format string, args ...any) {
	c.gaps++
	c.note("Not in this runbook: "+format, args...)
}

// upWarning says when the tunnels up now cannot carry the traffic while
// one of them is changed.
func (c *change) upWarning(changed int) string {
	if changed == 0 {
		return ""
	}
	up, known := 0, 0
	for _, s := range c.slots {
		if s.known {
			known++
			if s.up {
				up++
			}
		}
	}
	if known == 0 || up >= 2 {
		return ""
	}
	return fmt.Sprintf("Only %d of %d tunnels is up now: the tunnels that are down are changed first, and if none of them comes back, changing the one that is up is an outage until it is back. Bring another tunnel up first, or run this in a maintenance window.", up, len(c.slots))
}

// --- tunnels -----------------------------------------------------------------

func (c *change) buildSlots() {
	for i := range c.live.AWS.Tunnels {
		t := &c.live.AWS.Tunnels[i]
		s := &slot{n: len(c.slots) + 1, ip: t.OutsideIP, awsLive: t, vpnID: c.vpnFor(t.OutsideIP)}
		if j := tunnelAt(c.end.AWS.Tunnels, t.OutsideIP); j >= 0 {
			s.awsEnd = &c.end.AWS.Tunnels[j]
		}
		c.slots = append(c.slots, s)
	}
	for i := range c.live.Azure.Connections {
		lc := &c.live.Azure.Connections[i]
		lng := lngNamed(c.live.Azure.LocalNetworkGateways, lc.LocalNetworkGateway)
		ip := ""
		if lng != nil {
			ip = lng.GatewayIP
		}
		var s *slot
		for _, x := range c.slots {
			if x.connLive == nil && vpn.SameIP(x.ip, ip) {
				s = x
				break
			}
		}
		if s == nil {
			s = &slot{n: len(c.slots) + 1, ip: ip, vpnID: c.vpnFor(ip)}
			c.slots = append(c.slots, s)
		}
		s.connLive, s.lngLive = lc, lng
		if j := slices.IndexFunc(c.end.Azure.Connections, func(e vpn.ProposedConnection) bool { return e.Name == lc.Name }); j >= 0 {
			s.connEnd = &c.end.Azure.Connections[j]
			s.lngEnd = lngNamed(c.end.Azure.LocalNetworkGateways, s.connEnd.LocalNetworkGateway)
		}
	}
	// Tunnels doorbot does not read on AWS (SORACOM Door, or AWS
	// unreadable) are known by the Azure side's outside IPs.
	for i := range c.end.AWS.Tunnels {
		t := &c.end.AWS.Tunnels[i]
		for _, s := range c.slots {
			if s.awsLive == nil && s.awsEnd == nil && vpn.SameIP(s.ip, t.OutsideIP) {
				s.awsEnd = t
				break
			}
		}
	}
	// One VPN connection names every tunnel: placeholder descriptions
	// (where a key is kept) can then name it too.
	ids := map[string]bool{}
	for _, s := range c.slots {
		if s.vpnID != "" {
			ids[s.vpnID] = true
		}
	}
	if len(ids) == 1 {
		for id := range ids {
			c.f.set("aws_vpn_connection_id", id)
		}
	}
	for _, r := range vpn.Pair(c.f.obs) {
		for _, s := range c.slots {
			if vpn.SameIP(r.AWSOutsideIP, s.ip) {
				s.known, s.up = true, r.Up
			}
		}
	}
}

// unmatched notes the elements the end state adds or drops: creating and
// deleting tunnels, connections and gateways are not in-place changes.
func (c *change) unmatched() {
	for _, t := range c.end.AWS.Tunnels {
		if !slices.ContainsFunc(c.slots, func(s *slot) bool { return s.awsEnd != nil && vpn.SameIP(s.awsEnd.OutsideIP, t.OutsideIP) }) {
			c.gap("AWS tunnel %s is not a tunnel today. New outside IPs come only with a new VPN connection: see the findings and `doorbot runbook static %s`.", orDash(t.OutsideIP), c.f.conn.Name)
		}
	}
	for _, s := range c.slots {
		if s.awsLive != nil && s.awsEnd == nil && c.end.AWS.Tunnels != nil {
			c.gap("the end state drops AWS %s; AWS tunnels are removed only with their VPN connection.", s.label())
		}
		if s.connLive != nil && s.connEnd == nil {
			c.gap("the end state drops Azure connection %s (az network vpn-connection delete -g {azure_resource_group} -n %s removes it; do it last, once nothing depends on it).", s.connLive.Name, s.connLive.Name)
		}
		if s.connLive != nil && s.connEnd != nil && s.connLive.LocalNetworkGateway != s.connEnd.LocalNetworkGateway {
			c.gap("connection %s moves from local network gateway %s to %s; Azure cannot change that in place (delete and recreate the connection).", s.connLive.Name, orDash(s.connLive.LocalNetworkGateway), orDash(s.connEnd.LocalNetworkGateway))
		}
	}
	for _, e := range c.end.Azure.Connections {
		if !slices.ContainsFunc(c.live.Azure.Connections, func(l vpn.ProposedConnection) bool { return l.Name == e.Name }) {
			c.gap("Azure connection %s is new; create it (and its local network gateway) as in `doorbot runbook static %s`.", orDash(e.Name), c.f.conn.Name)
		}
	}
	if a, b := c.live.AWS.ASN, c.end.AWS.ASN; a != nil && b != nil && *a != *b {
		c.gap("aws.asn %d → %d belongs to the virtual private gateway (or the Door connection) and cannot change in place: see the findings.", *a, *b)
	}
	if a, b := c.live.AWS.CustomerASN, c.end.AWS.CustomerASN; a != nil && b != nil && *a != *b {
		c.gap("aws.customer_asn %d → %d is a new customer gateway: see the findings.", *a, *b)
	}
	if l, e := c.live.Azure.Gateway, c.end.Azure.Gateway; l != nil && e != nil && gatewayChanged(*l, *e) {
		c.gap("the Azure gateway itself changes (SKU, type, active-active, public IPs, ASN or APIPA addresses): see the findings; gateway updates take up to 45 minutes and are done in a window.")
	}
	if l, e := c.live.Soracom, c.end.Soracom; (l.DeviceSubnet != "" && e.DeviceSubnet != l.DeviceSubnet) || (l.VPGSubnet != "" && e.VPGSubnet != l.VPGSubnet) {
		c.gap("a VPG's device subnet and IP range are fixed when it is created; changing them means a new VPG.")
	}
	var unread []string
	if len(c.end.Azure.VNetPrefixes) > 0 && c.live.Azure.VNetPrefixes == nil {
		unread = append(unread, vpn.Path(vpn.FieldAzure, vpn.FieldVNetPrefixes))
	}
	if len(c.end.AWS.LocalPrefixes) > 0 && c.live.AWS.LocalPrefixes == nil {
		unread = append(unread, vpn.Path(vpn.FieldAWS, vpn.FieldLocalPrefixes))
	}
	if len(unread) > 0 {
		c.note("The end state states %s, which doorbot does not read: they describe the networks for the checks, and no step here changes them.", strings.Join(unread, " and "))
	}
}

func gatewayChanged(l, e vpn.ProposedGateway) bool {
	diff := func(a, b string) bool { return a != "" && b != "" && !strings.EqualFold(a, b) }
	ptrDiff := func(a, b *bool) bool { return a != nil && b != nil && *a != *b }
	intDiff := func(a, b *int) bool { return a != nil && b != nil && *a != *b }
	asnDiff := func(a, b *int64) bool { return a != nil && b != nil && *a != *b }
	return diff(l.SKU, e.SKU) || diff(l.VPNType, e.VPNType) || ptrDiff(l.ActiveActive, e.ActiveActive) ||
		intDiff(l.PublicIPs, e.PublicIPs) || asnDiff(l.ASN, e.ASN) ||
		(e.APIPAAddresses != nil && !sameFold(l.APIPAAddresses, e.APIPAAddresses))
}

// tunnelPhase adds the steps that change one tunnel, in an order that lets
// it come back after each step, then the wait before the next tunnel. It
// reports whether the tunnel changes at all.
func (c *change) tunnelPhase(s *slot) bool {
	ph := Phase{Title: "Change " + s.label()}
	var live, end vpn.ProposedTunnel
	if s.awsLive != nil {
		live = *s.awsLive
	}
	if s.awsEnd != nil {
		end = *s.awsEnd
	}
	opts := tunnelOpts(live, end)
	az := c.azureChange(s)
	// A key stated on either side is never observed, so stating it is
	// changing it on both, in steps of their own.
	rekey := end.PSK.Set() || az.shared
	lngSteps := c.lngTunnelSteps(s)
	if len(opts) == 0 && !rekey && az.empty() && len(lngSteps) == 0 {
		return false
	}
	next := func() int { return c.steps + len(ph.Steps) + 1 }

	ph.Steps = append(ph.Steps, lngSteps...)
	if c.f.door && len(opts) > 0 {
		ph.Steps = append(ph.Steps, c.soracomTunnelStep(s, opts))
		opts = nil
	}
	negotiates := az.negotiates()
	switch {
	case len(opts) == 0:
	case !negotiates:
		ph.Steps = append(ph.Steps, c.awsStep(s, opts, live, "", c.comesBack(s, opts)))
	default:
		widen, narrow := widenNarrow(opts)
		if len(widen) > 0 {
			ph.Steps = append(ph.Steps, c.awsStep(s, widen, live, "accept the old and the new values",
				"AWS accepts both Azure's current and its new settings, so the tunnel comes back before Azure changes."))
		}
		ph.Steps = append(ph.Steps, c.azureStep(s, az))
		az = azureChange{}
		if len(narrow) > 0 {
			ph.Steps = append(ph.Steps, c.awsStep(s, narrow, live, "keep only the new values",
				"Azure already uses the new settings, so the tunnel comes back with them."))
		}
	}
	if !az.empty() {
		ph.Steps = append(ph.Steps, c.azureStep(s, az))
	}
	if rekey {
		aws := c.keyStep(s, next()+1)
		ph.Steps = append(ph.Steps, aws, c.azureKeyStep(s))
	}
	ph.Steps = append(ph.Steps, c.waitStep(s))
	c.push(ph)
	return true
}

// meanwhile says what carries traffic while s is down.
func (c *change) meanwhile(s *slot) string {
	var up, maybe []string
	for _, o := range c.slots {
		switch {
		case o == s:
		case o.up || c.done[o]:
			up = append(up, o.label())
		case !o.known:
			maybe = append(maybe, o.label())
		}
	}
	switch {
	case len(up) > 0:
		return "traffic runs on " + strings.Join(up, " and ") + " meanwhile"
	case len(maybe) > 0:
		return "traffic runs on " + strings.Join(maybe, " and ") + " meanwhile, if it is up (doorbot could not read it)"
	case len(c.slots) > 1:
		return "no other tunnel is up: this is an outage until " + s.label() + " is back"
	}
	return "it is the only tunnel: this is an outage until it is back"
}

// --- AWS tunnel options -------------------------------------------------------

// awsOpt is one changed tunnel option, as ModifyVpnTunnelOptions names it.
type awsOpt struct {
	field     string // proposal path under the tunnel: phase1.encryption
	key       string // ModifyVpnTunnelOptionsSpecification member
	list, num bool
	// negotiated: both ends must share a value (algorithms, IKE versions).
	negotiated bool
	// secret: the key, written as its placeholder (keyStep alone).
	secret    bool
	live, end []string
}

// tunnelOpts are the options end changes on live, the key aside: it has
// steps of its own (tunnelPhase).
func tunnelOpts(live, end vpn.ProposedTunnel) []awsOpt {
	var out []awsOpt
	str := func(field, key, l, e string) {
		if e != "" && !strings.EqualFold(strings.TrimSpace(l), strings.TrimSpace(e)) {
			out = append(out, awsOpt{field: field, key: key, live: nonEmpty(l), end: []string{e}})
		}
	}
	num := func(field, key string, l, e *int) {
		if e != nil && (l == nil || *l != *e) {
			out = append(out, awsOpt{field: field, key: key, num: true, live: intList(l), end: []string{strconv.Itoa(*e)}})
		}
	}
	list := func(field, key string, isNum bool, l, e []string) {
		if e != nil && !sameFold(l, e) {
			out = append(out, awsOpt{field: field, key: key, list: true, num: isNum, negotiated: true, live: l, end: e})
		}
	}
	str(vpn.FieldInsideCIDR, "TunnelInsideCidr", live.InsideCIDR, end.InsideCIDR)
	list(vpn.FieldIKEVersions, "IKEVersions", false, live.IKEVersions, end.IKEVersions)
	for _, ph := range []struct {
		name, pre string
		l, e      *vpn.PhaseParams
	}{{vpn.FieldPhase1, "Phase1", live.Phase1, end.Phase1}, {vpn.FieldPhase2, "Phase2", live.Phase2, end.Phase2}} {
		var l, e vpn.PhaseParams
		if ph.l != nil {
			l = *ph.l
		}
		if ph.e != nil {
			e = *ph.e
		}
		list(vpn.Path(ph.name, vpn.FieldEncryption), ph.pre+"EncryptionAlgorithms", false, l.Encryption, e.Encryption)
		list(vpn.Path(ph.name, vpn.FieldIntegrity), ph.pre+"IntegrityAlgorithms", false, l.Integrity, e.Integrity)
		list(vpn.Path(ph.name, vpn.FieldDHGroups), ph.pre+"DHGroupNumbers", true, intsText(l.DHGroups), intsText(e.DHGroups))
		num(vpn.Path(ph.name, vpn.FieldLifetimeSeconds), ph.pre+"LifetimeSeconds", l.LifetimeSeconds, e.LifetimeSeconds)
	}
	num(vpn.FieldDPDTimeoutSeconds, "DPDTimeoutSeconds", live.DPDTimeoutSeconds, end.DPDTimeoutSeconds)
	str(vpn.FieldStartupAction, "StartupAction", live.StartupAction, end.StartupAction)
	return out
}

// comesBack is what brings s back after AWS options change while Azure's
// proposals stay: a negotiated list that only grows still accepts what the
// tunnel uses now; one that drops values (or replaces AWS's accept-all
// default) accepts Azure's proposals only if they are among the new ones,
// which doorbot cannot promise for Azure's defaults.
func (c *change) comesBack(s *slot, opts []awsOpt) string {
	narrows := slices.ContainsFunc(opts, func(o awsOpt) bool {
		return o.negotiated && (len(o.live) == 0 || !sameFold(unionFold(o.end, o.live), o.end))
	})
	if !narrows {
		return "It comes back with Azure's current settings, which the new values still accept."
	}
	var pol *vpn.IPsecPolicy
	if s.connLive != nil {
		pol = s.connLive.IPsecPolicy
	}
	return "It comes back only if " + policyLine(pol) + " (Azure's side, unchanged) are among the new values (a custom policy that is not fails validation: ike-params-incompatible); if it is still down after 10 minutes, run the rollback."
}

// widenNarrow splits tunnel options for a change both sides must agree
// on: widen accepts the old and the new values (and carries every other
// option), narrow then drops the old ones. An algorithm list AWS left at
// its default already accepts everything, so it only needs narrowing.
func widenNarrow(opts []awsOpt) (widen, narrow []awsOpt) {
	for _, o := range opts {
		if !o.negotiated {
			widen = append(widen, o)
			continue
		}
		if len(o.live) > 0 {
			w := o
			w.end = unionFold(o.live, o.end)
			if !sameFold(w.end, o.live) {
				widen = append(widen, w)
			}
			if sameFold(w.end, o.end) {
				continue
			}
		}
		narrow = append(narrow, o)
	}
	return widen, narrow
}

func (c *change) awsStep(s *slot, opts []awsOpt, live vpn.ProposedTunnel, purpose, back string) Step {
	var fields []string
	for _, o := range opts {
		fields = append(fields, fmt.Sprintf("%s %s → %s", o.field, showVals(o.live, "AWS default"), showVals(o.end, "")))
	}
	title := "AWS: " + s.label() + ": " + strings.Join(fields, "; ")
	if purpose != "" {
		title = "AWS: " + s.label() + ", " + purpose + ": " + strings.Join(fields, "; ")
	}
	st := Step{
		Title:    title,
		Side:     SideAWS,
		Commands: []string{c.modifyCmd(s, opts, false)},
		Impact:   "AWS takes " + s.label() + " down while it applies the options (typically a few minutes); " + c.meanwhile(s) + ". " + back,
		Expect:   "The command prints the tunnels' telemetry; " + s.ip + " goes DOWN while AWS applies the options, then UP again (a few minutes).",
		Check:    c.awsTelemetry(s),
	}
	if s.awsLive == nil {
		st.Rollback = "AWS was not read when the change was submitted: before this step record the options it changes (aws ec2 describe-vpn-connections --vpn-connection-ids " +
			word(c.vpnID(s)) + " --region {aws_region} --query " + shq("VpnConnections[0].Options.TunnelOptions[*]."+recordFields(opts)) + "), then set them back the same way."
		return st
	}
	var rb []awsOpt
	var defaults []string
	for _, o := range opts {
		if len(o.live) == 0 {
			// An option at its default goes back to the default's values,
			// where AWS documents one.
			if d := rules.AWSTunnelDefault(o.key); d != nil {
				o.live = d
				rb = append(rb, o)
				continue
			}
			defaults = append(defaults, o.field)
			continue
		}
		rb = append(rb, o)
	}
	were := " were AWS's defaults"
	if len(defaults) == 1 {
		were = " was AWS's default"
	}
	switch {
	case len(rb) > 0:
		st.Rollback = c.modifyCmd(s, rb, true)
		if len(defaults) > 0 {
			st.Rollback += "; " + strings.Join(defaults, ", ") + were + noDefault
		}
	default:
		st.Rollback = strings.Join(defaults, ", ") + were + noDefault + "."
	}
	return st
}

// noDefault ends the rollback of options whose default AWS does not pin
// down (in practice the DPD timeout).
const noDefault = ", which AWS documents inconsistently (DPD timeout: 40 s in the current guide, 30 s in older ones): set the value you find in the VPN's downloaded configuration or the AWS console with the same command"

// modifyCmd is modify-vpn-tunnel-options for opts, with the old values
// when undo.
func (c *change) modifyCmd(s *slot, opts []awsOpt, undo bool) string {
	var parts []string
	for _, o := range opts {
		vals := o.end
		if undo {
			vals = o.live
		}
		parts = append(parts, strconv.Quote(o.key)+":"+o.json(vals, s))
	}
	// AWS answers with every tunnel option, keys in clear text: the
	// telemetry alone is printed, which is what the engineer checks next.
	return "aws ec2 modify-vpn-tunnel-options --vpn-connection-id " + word(c.vpnID(s)) + " --region {aws_region} \\\n" +
		"  --vpn-tunnel-outside-ip-address " + word(s.ip) + " \\\n" +
		"  --tunnel-options " + shq("{"+strings.Join(parts, ",")+"}") + " \\\n" +
		"  --query 'VpnConnection.VgwTelemetry[*].[OutsideIpAddress,Status,StatusMessage]' --output table"
}

// recordFields is a JMESPath multiselect of the options opts change, as
// DescribeVpnConnections names them, and the outside IP: what a rollback
// needs, without the key that TunnelOptions holds beside them.
func recordFields(opts []awsOpt) string {
	fields := []string{"OutsideIpAddress:OutsideIpAddress"}
	for _, o := range opts {
		if o.secret {
			continue
		}
		// The described TunnelOption spells two members differently.
		name := strings.NewReplacer("DPDTimeoutSeconds", "DpdTimeoutSeconds", "IKEVersions", "IkeVersions").Replace(o.key)
		fields = append(fields, name+":"+name)
	}
	return "{" + strings.Join(fields, ",") + "}"
}

func (o awsOpt) json(vals []string, s *slot) string {
	if o.secret {
		return strconv.Quote(fmt.Sprintf("{aws_tunnel%d_psk}", s.n))
	}
	one := func(v string) string {
		if o.num {
			if _, err := strconv.Atoi(v); err == nil {
				return v
			}
		}
		return strconv.Quote(awsSpelling(o.key, v))
	}
	if !o.list {
		if len(vals) == 0 {
			return `""`
		}
		return one(vals[0])
	}
	items := make([]string, len(vals))
	for i, v := range vals {
		items[i] = `{"Value":` + one(v) + `}`
	}
	return "[" + strings.Join(items, ",") + "]"
}

// awsSpelling is v as AWS's API spells it: the checks compare values
// case-blind, so a proposal may say aes256 or IKEv2 where AWS documents
// AES256 and ikev2.
func awsSpelling(member, v string) string {
	if member == "StartupAction" {
		return strings.ToLower(strings.TrimSpace(v)) // add | start
	}
	for _, d := range rules.AWSTunnelDefault(member) {
		if strings.EqualFold(d, strings.TrimSpace(v)) {
			return d
		}
	}
	return v
}

func (c *change) vpnID(s *slot) string {
	if s.vpnID != "" {
		return s.vpnID
	}
	return "{aws_vpn_connection_id}"
}

// vpnFor is the AWS VPN connection that has the tunnel ip, as observed,
// else the configured one when there is exactly one.
func (c *change) vpnFor(ip string) string {
	if c.f.door {
		return ""
	}
	if aws := c.f.obs.AWS; aws != nil {
		for _, v := range aws.VPNConnections {
			for _, t := range v.Tunnels {
				if vpn.SameIP(t.OutsideIP, ip) {
					return v.ID
				}
			}
		}
	}
	if ids := c.f.conn.AWS.VPNConnectionIDs; len(ids) == 1 {
		return ids[0]
	}
	return ""
}

func (c *change) awsTelemetry(s *slot) string {
	return "aws ec2 describe-vpn-connections --vpn-connection-ids " + word(c.vpnID(s)) + " --region {aws_region} \\\n" +
		"  --query 'VpnConnections[0].VgwTelemetry[*].[OutsideIpAddress,Status,StatusMessage]' --output table"
}

func (c *change) keyStep(s *slot, azureStep int) Step {
	if c.f.door {
		return Step{
			Title:  "SORACOM: set the new pre-shared key of Door " + s.label(),
			Side:   SideSoracom,
			Impact: fmt.Sprintf("Both ends must hold the same key: %s is down from the moment one side has the new key until step %d sets it on the other; %s.", s.label(), azureStep, c.meanwhile(s)),
			Expect: "SORACOM owns the AWS side of Door: ask SORACOM support to set the key on this tunnel, and agree the time so that step " + strconv.Itoa(azureStep) + " follows at once.",
		}
	}
	return Step{
		Title:    "AWS: set the new pre-shared key of " + s.label(),
		Side:     SideAWS,
		Commands: []string{c.modifyCmd(s, []awsOpt{{field: vpn.FieldPSK, key: "PreSharedKey", secret: true}}, false)},
		Impact:   fmt.Sprintf("Both ends must hold the same key: expect %s down from this step until step %d sets it on Azure; %s.", s.label(), azureStep, c.meanwhile(s)),
		Expect:   "The command prints the tunnels' telemetry; " + s.ip + " goes DOWN and stays DOWN until Azure has the same key.",
		Check:    c.awsTelemetry(s),
		Rollback: "Set the previous key back the same way (it is in your secret store, never in Slack).",
	}
}

func (c *change) soracomTunnelStep(s *slot, opts []awsOpt) Step {
	var fields []string
	for _, o := range opts {
		fields = append(fields, o.field+" "+showVals(o.end, ""))
	}
	return Step{
		Title:  "SORACOM: change Door " + s.label() + ": " + strings.Join(fields, "; "),
		Side:   SideSoracom,
		Impact: "SORACOM owns the AWS side of Door, so the change is SORACOM's to apply; the tunnel goes down while it is applied; " + c.meanwhile(s) + ".",
		Expect: "Ask SORACOM support to apply it to this tunnel alone and to tell you when it is done; agree the time with the Azure steps of this tunnel.",
		Check:  "soracom vpg get --vpg-id {soracom_vpg_id}",
	}
}

// --- Azure connection ---------------------------------------------------------

// azureChange is what changes on one Azure connection.
type azureChange struct {
	sets     []string // --set items and flags of one update
	fields   []string // for the title
	undo     []string
	policy   string // "", "add", "clear", "replace"
	recreate bool   // protocol change
	shared   bool   // the key is stated: tunnelPhase's key steps, not azureStep
	missing  []string
}

func (a azureChange) empty() bool {
	return len(a.sets) == 0 && a.policy == "" && !a.recreate
}

// negotiates: the change alters what IKE must agree on.
func (a azureChange) negotiates() bool { return a.policy != "" || a.recreate }

func (c *change) azureChange(s *slot) azureChange {
	var a azureChange
	l, e := s.connLive, s.connEnd
	if l == nil || e == nil {
		return a
	}
	if e.DPDTimeoutSeconds != nil && (l.DPDTimeoutSeconds == nil || *l.DPDTimeoutSeconds != *e.DPDTimeoutSeconds) {
		a.sets = append(a.sets, "--set dpdTimeoutSeconds="+strconv.Itoa(*e.DPDTimeoutSeconds))
		a.fields = append(a.fields, fmt.Sprintf("dpd_timeout_seconds %s → %d", intOr(l.DPDTimeoutSeconds, "Azure default"), *e.DPDTimeoutSeconds))
		if l.DPDTimeoutSeconds != nil {
			a.undo = append(a.undo, "--set dpdTimeoutSeconds="+strconv.Itoa(*l.DPDTimeoutSeconds))
		}
	}
	if e.ConnectionMode != "" && !strings.EqualFold(e.ConnectionMode, l.ConnectionMode) {
		a.sets = append(a.sets, "--set connectionMode="+word(e.ConnectionMode))
		a.fields = append(a.fields, fmt.Sprintf("connection_mode %s → %s", orDash(l.ConnectionMode), e.ConnectionMode))
		if l.ConnectionMode != "" {
			a.undo = append(a.undo, "--set connectionMode="+word(l.ConnectionMode))
		}
	}
	flag := func(field, name string, l, e *bool) {
		if e != nil && (l == nil || *l != *e) {
			a.sets = append(a.sets, name+" "+strconv.FormatBool(*e))
			a.fields = append(a.fields, fmt.Sprintf("%s → %t", field, *e))
			a.undo = append(a.undo, name+" "+strconv.FormatBool(!*e))
		}
	}
	flag(vpn.FieldUsePolicyBasedTrafficSelectors, "--use-policy-based-traffic-selectors", l.UsePolicyBasedTrafficSelectors, e.UsePolicyBasedTrafficSelectors)
	flag(vpn.FieldEnableBGP, "--enable-bgp", l.EnableBGP, e.EnableBGP)
	if e.Protocol != "" && l.Protocol != "" && !strings.EqualFold(e.Protocol, l.Protocol) {
		a.recreate = true
		a.fields = append(a.fields, fmt.Sprintf("protocol %s → %s", l.Protocol, e.Protocol))
	}
	switch {
	case vpn.SameIPsecPolicy(l.IPsecPolicy, e.IPsecPolicy):
	case e.IPsecPolicy == nil:
		a.policy = "clear"
		a.fields = append(a.fields, "ipsec_policy → Azure's default proposals")
	case l.IPsecPolicy == nil:
		a.policy = "add"
		a.fields = append(a.fields, "ipsec_policy → "+policyLine(e.IPsecPolicy))
	default:
		a.policy = "replace"
		a.fields = append(a.fields, "ipsec_policy "+policyLine(l.IPsecPolicy)+" → "+policyLine(e.IPsecPolicy))
	}
	if e.IPsecPolicy != nil {
		a.missing = policyGaps(e.IPsecPolicy)
	}
	a.shared = e.SharedKey.Set()
	return a
}

func (c *change) azureStep(s *slot, a azureChange) Step {
	rg := "{azure_resource_group}"
	name := word(s.connEnd.Name)
	st := Step{
		Title: "Azure: connection " + s.connEnd.Name + ", " + s.label() + ": " + strings.Join(a.fields, "; "),
		Side:  SideAzure,
		Check: "az network vpn-connection show -g " + rg + " -n " + name + " --query connectionStatus -o tsv   # Connected",
	}
	if a.recreate {
		return c.recreateStep(s, a, st)
	}
	if len(a.sets) > 0 {
		st.Commands = append(st.Commands, "az network vpn-connection update -g "+rg+" -n "+name+" \\\n  "+strings.Join(a.sets, " "))
		if len(a.undo) > 0 {
			st.Rollback = "az network vpn-connection update -g " + rg + " -n " + name + " " + strings.Join(a.undo, " ")
		}
	}
	if a.policy == "clear" || a.policy == "replace" {
		// One custom policy per connection: the old one goes first.
		st.Commands = append(st.Commands, "az network vpn-connection ipsec-policy clear -g "+rg+" --connection-name "+name)
	}
	if a.policy == "add" || a.policy == "replace" {
		st.Commands = append(st.Commands, policyAdd(rg, name, s.connEnd.IPsecPolicy, &st))
	}
	switch {
	case a.policy != "":
		st.Impact = "IKE restarts on " + s.connEnd.Name + ": " + s.label() + " is down until it renegotiates with the new policy (about a minute); " + c.meanwhile(s) + "."
		if l := s.connLive.IPsecPolicy; l != nil {
			st.Rollback = joinSentences(st.Rollback, "az network vpn-connection ipsec-policy clear -g "+rg+" --connection-name "+name+"; "+policyAddCmd(rg, name, l))
		} else {
			st.Rollback = joinSentences(st.Rollback, "az network vpn-connection ipsec-policy clear -g "+rg+" --connection-name "+name+" (back to Azure's default proposals)")
		}
	default:
		st.Impact = "Azure updates " + s.connEnd.Name + " in place; IKE may restart on " + s.label() + " (up to a minute); " + c.meanwhile(s) + "."
	}
	st.Expect = joinSentences(st.Expect, "provisioningState Succeeded, then connectionStatus Connected.")
	return st
}

// recreateStep deletes and recreates a connection for a protocol change,
// which Azure cannot make in place.
func (c *change) recreateStep(s *slot, a azureChange, st Step) Step {
	rg := "{azure_resource_group}"
	e := s.connEnd
	name := word(e.Name)
	create := "az network vpn-connection create -g " + rg + " -n " + name + " -l {azure_location} \\\n" +
		"  --vnet-gateway1 {azure_gateway_name} --local-gateway2 " + word(e.LocalNetworkGateway) + " \\\n" +
		fmt.Sprintf("  --shared-key {aws_tunnel%d_psk} --connection-protocol %s", s.n, word(e.Protocol))
	if e.EnableBGP != nil && *e.EnableBGP {
		create += " --enable-bgp"
	}
	if e.UsePolicyBasedTrafficSelectors != nil && *e.UsePolicyBasedTrafficSelectors {
		create += " --use-policy-based-traffic-selectors"
	}
	st.Commands = []string{"az network vpn-connection delete -g " + rg + " -n " + name, create}
	var sets []string
	if e.DPDTimeoutSeconds != nil {
		sets = append(sets, "dpdTimeoutSeconds="+strconv.Itoa(*e.DPDTimeoutSeconds))
	}
	if e.ConnectionMode != "" && !strings.EqualFold(e.ConnectionMode, "Default") {
		sets = append(sets, "connectionMode="+word(e.ConnectionMode))
	}
	if len(sets) > 0 {
		st.Commands = append(st.Commands, "az network vpn-connection update -g "+rg+" -n "+name+" --set "+strings.Join(sets, " "))
	}
	if e.IPsecPolicy != nil {
		st.Commands = append(st.Commands, policyAdd(rg, name, e.IPsecPolicy, &st))
	}
	st.PointOfNoReturn = true
	st.Impact = "Azure cannot change the IKE protocol in place: the connection is deleted and recreated, so " + s.label() + " is down until the new one connects (minutes); " + c.meanwhile(s) + "."
	st.Expect = joinSentences(st.Expect, "The key is the tunnel's current one (your secret store); the new connection reaches Connected.")
	st.Rollback = "Delete it and recreate it with --connection-protocol " + word(s.connLive.Protocol) + " and the same key."
	return st
}

func (c *change) azureKeyStep(s *slot) Step {
	name := fmt.Sprintf("{azure_conn%d_name}", s.n)
	if s.connEnd != nil {
		name = word(s.connEnd.Name)
	} else if s.connLive != nil {
		name = word(s.connLive.Name)
	}
	return Step{
		Title:    "Azure: set the same pre-shared key on the connection of " + s.label(),
		Side:     SideAzure,
		Commands: []string{fmt.Sprintf("az network vpn-connection shared-key update -g {azure_resource_group} --connection-name %s \\\n  --value {aws_tunnel%d_psk}", name, s.n)},
		Impact:   "With the same key on both ends " + s.label() + " comes back (about a minute).",
		Expect:   "Type the key in your terminal only; the connection reaches Connected.",
		Check:    "az network vpn-connection show -g {azure_resource_group} -n " + name + " --query connectionStatus -o tsv   # Connected",
		Rollback: "Set the previous key back on both ends.",
	}
}

// policyAdd is ipsec-policy add for p; a field p lacks is left out and
// said in st, since every field is required and a guess would be wrong.
func policyAdd(rg, name string, p *vpn.IPsecPolicy, st *Step) string {
	cmd := policyAddCmd(rg, name, p)
	st.Expect = joinSentences(st.Expect, "--sa-max-size is Azure's default (102400000 KB): the proposal format does not state it.")
	if gaps := policyGaps(p); len(gaps) > 0 {
		st.Expect = joinSentences(st.Expect, "The end state's policy lacks "+strings.Join(gaps, ", ")+" (shown as -): validation reports it; fix the proposal before running this.")
	}
	return cmd
}

// policyAddCmd is ipsec-policy add for p, a field p lacks shown as -.
func policyAddCmd(rg, name string, p *vpn.IPsecPolicy) string {
	life := 27000
	if p.SALifetimeSeconds != nil {
		life = *p.SALifetimeSeconds
	}
	return "az network vpn-connection ipsec-policy add -g " + rg + " --connection-name " + name + " \\\n" +
		"  --ike-encryption " + word(orDash(p.IKEEncryption)) + " --ike-integrity " + word(orDash(p.IKEIntegrity)) + " --dh-group " + word(orDash(p.DHGroup)) + " \\\n" +
		"  --ipsec-encryption " + word(orDash(p.IPsecEncryption)) + " --ipsec-integrity " + word(orDash(p.IPsecIntegrity)) + " --pfs-group " + word(orDash(p.PFSGroup)) + " \\\n" +
		fmt.Sprintf("  --sa-lifetime %d --sa-max-size 102400000", life)
}

func policyGaps(p *vpn.IPsecPolicy) []string {
	var out []string
	for _, f := range []struct{ name, v string }{
		{vpn.FieldIKEEncryption, p.IKEEncryption}, {vpn.FieldIKEIntegrity, p.IKEIntegrity}, {vpn.FieldDHGroup, p.DHGroup},
		{vpn.FieldIPsecEncryption, p.IPsecEncryption}, {vpn.FieldIPsecIntegrity, p.IPsecIntegrity}, {vpn.FieldPFSGroup, p.PFSGroup},
	} {
		if strings.TrimSpace(f.v) == "" {
			out = append(out, f.name)
		}
	}
	return out
}

func policyLine(p *vpn.IPsecPolicy) string {
	if p == nil {
		return "Azure's default proposals"
	}
	life := "Azure's default SA lifetime"
	if p.SALifetimeSeconds != nil {
		life = strconv.Itoa(*p.SALifetimeSeconds) + " s"
	}
	return fmt.Sprintf("%s/%s/%s, %s/%s/%s, %s", orDash(p.IKEEncryption), orDash(p.IKEIntegrity), orDash(p.DHGroup),
		orDash(p.IPsecEncryption), orDash(p.IPsecIntegrity), orDash(p.PFSGroup), life)
}

// --- local network gateways ----------------------------------------------------

// lngTunnelSteps are the local network gateway changes that reset the
// tunnel: its outside IP and its BGP peer.
func (c *change) lngTunnelSteps(s *slot) []Step {
	l, e := s.lngLive, s.lngEnd
	if l == nil || e == nil || l.Name != e.Name {
		return nil
	}
	rg := "{azure_resource_group}"
	var out []Step
	if e.GatewayIP != "" && !vpn.SameIP(l.GatewayIP, e.GatewayIP) {
		out = append(out, Step{
			Title:    fmt.Sprintf("Azure: local network gateway %s, %s: gateway_ip %s → %s", e.Name, s.label(), orDash(l.GatewayIP), e.GatewayIP),
			Side:     SideAzure,
			Commands: []string{"az network local-gateway update -g " + rg + " -n " + word(e.Name) + " --gateway-ip-address " + word(e.GatewayIP)},
			Impact:   "The connection on it drops and reconnects to " + e.GatewayIP + "; it stays down until that address answers with the same key; " + c.meanwhile(s) + ".",
			Expect:   "provisioningState Succeeded; the connection reaches Connected once the peer at the new address is up.",
			Check:    "az network local-gateway show -g " + rg + " -n " + word(e.Name) + " --query gatewayIpAddress -o tsv",
			Rollback: "az network local-gateway update -g " + rg + " -n " + word(e.Name) + " --gateway-ip-address " + word(l.GatewayIP),
		})
	}
	asnChanged := e.ASN != nil && (l.ASN == nil || *l.ASN != *e.ASN)
	peerChanged := e.BGPPeerAddress != "" && !vpn.SameIP(l.BGPPeerAddress, e.BGPPeerAddress)
	if asnChanged || peerChanged {
		cmd := "az network local-gateway update -g " + rg + " -n " + word(e.Name)
		var fields []string
		if asnChanged {
			cmd += " --asn " + strconv.FormatInt(*e.ASN, 10)
			fields = append(fields, fmt.Sprintf("asn %s → %d", int64Or(l.ASN), *e.ASN))
		}
		if peerChanged {
			cmd += " --bgp-peering-address " + word(e.BGPPeerAddress)
			fields = append(fields, fmt.Sprintf("bgp_peer_address %s → %s", orDash(l.BGPPeerAddress), e.BGPPeerAddress))
		}
		out = append(out, Step{
			Title:    fmt.Sprintf("Azure: local network gateway %s, %s: %s", e.Name, s.label(), strings.Join(fields, "; ")),
			Side:     SideAzure,
			Commands: []string{cmd},
			Impact:   "The BGP session over " + s.label() + " resets and its routes are withdrawn until it is re-established; " + c.meanwhile(s) + ".",
			Expect:   "The BGP peer is Connected again with routes received.",
			Check:    "az network vnet-gateway list-bgp-peer-status -g " + rg + " -n {azure_gateway_name} -o table",
		})
	}
	return out
}

// lngPrefixes updates each local network gateway's prefixes: what Azure
// routes into that tunnel. Additions go first (the union), removals last.
func (c *change) lngPrefixes(adds, removes *Phase) {
	rg := "{azure_resource_group}"
	seen := map[string]bool{}
	for _, s := range c.slots {
		l, e := s.lngLive, s.lngEnd
		if l == nil || e == nil || l.Name != e.Name || seen[l.Name] || e.AddressPrefixes == nil {
			continue
		}
		seen[l.Name] = true
		added, removed := prefixDiff(l.AddressPrefixes, e.AddressPrefixes)
		if len(added) == 0 && len(removed) == 0 {
			continue
		}
		update := func(list []string) string {
			return "az network local-gateway update -g " + rg + " -n " + word(e.Name) + " \\\n  --local-address-prefixes " + words(list)
		}
		undo := "az network local-gateway update -g " + rg + " -n " + word(e.Name) + " --local-address-prefixes " + words(l.AddressPrefixes)
		check := "az network local-gateway show -g " + rg + " -n " + word(e.Name) + " --query localNetworkAddressSpace.addressPrefixes -o tsv"
		others := c.othersRouting(s)
		if len(added) > 0 {
			union := append(slices.Clone(l.AddressPrefixes), added...)
			adds.Steps = append(adds.Steps, Step{
				Title:    fmt.Sprintf("Azure: local network gateway %s, %s: add %s", e.Name, s.label(), strings.Join(added, ", ")),
				Side:     SideAzure,
				Commands: []string{update(union)},
				Impact:   "No tunnel restart: Azure starts routing " + strings.Join(added, ", ") + " into " + s.label() + " once the update succeeds (seconds to minutes).",
				Expect:   "The list holds " + strings.Join(union, " ") + ".",
				Check:    check,
				Rollback: undo,
			})
			undo = "az network local-gateway update -g " + rg + " -n " + word(e.Name) + " --local-address-prefixes " + words(union)
		}
		if len(removed) > 0 {
			removes.Steps = append(removes.Steps, Step{
				Title:    fmt.Sprintf("Azure: local network gateway %s, %s: remove %s", e.Name, s.label(), strings.Join(removed, ", ")),
				Side:     SideAzure,
				Commands: []string{update(e.AddressPrefixes)},
				Impact:   "No tunnel restart: Azure stops routing " + strings.Join(removed, ", ") + " into " + s.label() + others + ".",
				Expect:   "The list holds " + orNone(e.AddressPrefixes) + ".",
				Check:    check,
				Rollback: undo,
			})
		}
	}
}

// othersRouting notes that other tunnels still route a prefix until their
// own removal step.
func (c *change) othersRouting(s *slot) string {
	n := 0
	for _, o := range c.slots {
		if o != s && o.lngLive != nil {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return "; until the other local network gateways lose it too, that traffic leaves over the other tunnels only"
}

// --- AWS static routes and SORACOM ----------------------------------------------

func (c *change) awsRoutes(adds, removes *Phase) {
	e := c.end.AWS.StaticRoutes
	if e == nil {
		return
	}
	if c.f.door {
		if c.live.AWS.StaticRoutes == nil || !samePrefixes(c.live.AWS.StaticRoutes, e) {
			adds.Steps = append(adds.Steps, Step{
				Title:  "SORACOM: set the Door connection's static routes to " + orNone(e),
				Side:   SideSoracom,
				Impact: "SORACOM owns the AWS side of Door: ask SORACOM support to apply it; a route added starts carrying traffic at once, a route removed stops it.",
				Expect: "SORACOM confirms the routes; Azure's effective routes are unchanged (they come from the local network gateways).",
				Check:  "soracom vpg get --vpg-id {soracom_vpg_id}",
			})
		}
		return
	}
	added, removed := prefixDiff(c.live.AWS.StaticRoutes, e)
	ids := c.staticVPNIDs()
	route := func(verb, p string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, "aws ec2 "+verb+"-vpn-connection-route --vpn-connection-id "+word(id)+" --destination-cidr-block "+word(p)+" --region {aws_region}")
		}
		return out
	}
	check := "aws ec2 describe-vpn-connections --vpn-connection-ids " + words(ids) + " --region {aws_region} \\\n  --query 'VpnConnections[*].Routes' --output table"
	for _, d := range []struct {
		prefixes          []string
		ph                *Phase
		verb, undo        string
		title, impact, to string
	}{
		{added, adds, "create", "delete", "AWS: route %s toward Azure over the VPN",
			"No tunnel restart: AWS sends traffic for %s over the VPN once the route is available (seconds); the VPC route tables need it too (route propagation or a route to the virtual private gateway).",
			"%s in Routes with State available."},
		{removed, removes, "delete", "create", "AWS: stop routing %s over the VPN",
			"No tunnel restart: AWS stops sending traffic for %s over the VPN at once.",
			"%s gone from Routes (deleting, then absent)."},
	} {
		for _, p := range d.prefixes {
			d.ph.Steps = append(d.ph.Steps, Step{
				Title:    fmt.Sprintf(d.title, p),
				Side:     SideAWS,
				Commands: route(d.verb, p),
				Impact:   fmt.Sprintf(d.impact, p),
				Expect:   fmt.Sprintf(d.to, p),
				Check:    check,
				Rollback: strings.Join(route(d.undo, p), "; "),
			})
		}
	}
}

// staticVPNIDs are the VPN connections that take static routes.
func (c *change) staticVPNIDs() []string {
	var ids []string
	if aws := c.f.obs.AWS; aws != nil {
		for _, v := range aws.VPNConnections {
			if v.StaticRoutesOnly {
				ids = append(ids, v.ID)
			}
		}
	} else {
		ids = slices.Clone(c.f.conn.AWS.VPNConnectionIDs)
	}
	if len(ids) == 0 {
		ids = []string{"{aws_vpn_connection_id}"}
	}
	return ids
}

func (c *change) soracomFilter(adds *Phase) {
	e := c.end.Soracom.RoutingFilter
	if e == nil || !c.f.door || sameFilter(c.live.Soracom.RoutingFilter, e) {
		return
	}
	body := func(f []vpn.RoutingFilterEntry) string {
		parts := make([]string, len(f))
		for i, x := range f {
			parts[i] = `{"action":` + strconv.Quote(x.Action) + `,"ipRange":` + strconv.Quote(x.IPRange) + `}`
		}
		return shq("[" + strings.Join(parts, ",") + "]")
	}
	show := func(f []vpn.RoutingFilterEntry) string {
		var parts []string
		for _, x := range f {
			parts = append(parts, x.Action+" "+x.IPRange)
		}
		return orNone(parts)
	}
	st := Step{
		Title:    "SORACOM: outbound routing filter " + show(c.live.Soracom.RoutingFilter) + " → " + show(e),
		Side:     SideSoracom,
		Commands: []string{"soracom vpg set-routing-filter --vpg-id {soracom_vpg_id} \\\n  --body " + body(e)},
		Impact:   "No tunnel restart: the VPG applies the filter to device traffic at once, top-down, first match wins; a deny that matches an Azure prefix stops devices reaching it.",
		Expect:   "routingFilterEntries in soracom vpg get lists the new entries in this order.",
		Check:    "soracom vpg get --vpg-id {soracom_vpg_id}",
	}
	if c.live.Soracom.RoutingFilter != nil {
		st.Rollback = "soracom vpg set-routing-filter --vpg-id {soracom_vpg_id} --body " + body(c.live.Soracom.RoutingFilter)
	}
	adds.Steps = append(adds.Steps, st)
}

func sameFilter(a, b []vpn.RoutingFilterEntry) bool {
	return slices.EqualFunc(a, b, func(x, y vpn.RoutingFilterEntry) bool {
		return strings.EqualFold(x.Action, y.Action) && samePrefixes([]string{x.IPRange}, []string{y.IPRange})
	})
}

// --- wait ---------------------------------------------------------------------

func (c *change) waitStep(s *slot) Step {
	st := Step{
		Title:    "Wait until " + s.label() + " is up again before anything else",
		Side:     SideBoth,
		Expect:   "Up on every side. Do not touch another tunnel before; if it is still down after 10 minutes, roll back this tunnel's steps.",
		Rollback: "Nothing to undo: read-only.",
	}
	if !c.f.door && s.awsLive != nil {
		st.Commands = append(st.Commands, c.awsTelemetry(s))
		st.Expect = s.ip + " UP on AWS. " + st.Expect
	}
	if s.connEnd != nil {
		st.Commands = append(st.Commands, "az network vpn-connection show -g {azure_resource_group} -n "+word(s.connEnd.Name)+" --query connectionStatus -o tsv")
		st.Expect = s.connEnd.Name + " Connected on Azure. " + st.Expect
	}
	st.Commands = append(st.Commands, "doorbot status "+word(c.f.conn.Name))
	return st
}

// --- small helpers --------------------------------------------------------------

func tunnelAt(ts []vpn.ProposedTunnel, ip string) int {
	return slices.IndexFunc(ts, func(t vpn.ProposedTunnel) bool { return vpn.SameIP(t.OutsideIP, ip) })
}

func lngNamed(ls []vpn.ProposedLNG, name string) *vpn.ProposedLNG {
	for i := range ls {
		if name != "" && ls[i].Name == name {
			return &ls[i]
		}
	}
	return nil
}

// prefixDiff lists what end adds to live and what it removes, compared as
// networks.
func prefixDiff(live, end []string) (added, removed []string) {
	in := func(p string, xs []string) bool {
		return slices.ContainsFunc(xs, func(x string) bool { return samePrefixes([]string{p}, []string{x}) })
	}
	for _, p := range end {
		if !in(p, live) && !slices.Contains(added, p) {
			added = append(added, p)
		}
	}
	for _, p := range live {
		if !in(p, end) && !slices.Contains(removed, p) {
			removed = append(removed, p)
		}
	}
	return added, removed
}

func samePrefixes(a, b []string) bool {
	return sameBy(a, b, func(s string) string {
		if p, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
			return p.Masked().String()
		}
		return strings.ToLower(strings.TrimSpace(s))
	})
}

// sameFold compares value lists as sets, case-blind: AWS ignores their
// order.
func sameFold(a, b []string) bool {
	return sameBy(a, b, func(s string) string { return strings.ToLower(strings.TrimSpace(s)) })
}

// sameBy compares a and b as sets of their normal forms.
func sameBy(a, b []string, norm func(string) string) bool {
	set := func(xs []string) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = norm(x)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(set(a), set(b))
}

func unionFold(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.ContainsFunc(out, func(y string) bool { return strings.EqualFold(x, y) }) {
			out = append(out, x)
		}
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func intList(p *int) []string {
	if p == nil {
		return nil
	}
	return []string{strconv.Itoa(*p)}
}

func intsText(xs []int) []string {
	if xs == nil {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strconv.Itoa(x)
	}
	return out
}

func intOr(p *int, def string) string {
	if p == nil {
		return def
	}
	return strconv.Itoa(*p)
}

func int64Or(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

func showVals(vs []string, none string) string {
	switch {
	case len(vs) == 0 && none != "":
		return none
	case len(vs) == 1:
		return vs[0]
	}
	return "[" + strings.Join(vs, ", ") + "]"
}

func joinSentences(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// safeWord is what pastes into a shell as one word without quoting: no
// braces, which bash expands ({a,b}, {1..9}), except a whole {placeholder},
// which the reader replaces before running the command.
var safeWord = regexp.MustCompile(`^(?:[A-Za-z0-9._:/@+=-]+|\{[a-z][a-z0-9_]*\})$`)

// word quotes a value from the proposal or a cloud for the shell when it
// needs it, so that no value can end a command, start another or expand.
func word(s string) string {
	if safeWord.MatchString(s) {
		return s
	}
	return shq(s)
}

func words(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = word(x)
	}
	return strings.Join(out, " ")
}

// shq single-quotes s for a POSIX shell.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
