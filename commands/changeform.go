package commands

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/rules"
)

// The change form's structured fields: the common changes (routing, DPD,
// the IKE/IPsec policy, prefixes) as inputs prefilled from the live state,
// beside the YAML, which stays the route for everything else.
//
// Which wins: a structured field applies only when it was changed (its
// submitted value differs from the one the form showed). A field changed
// there is applied on top of the YAML's end state. When the YAML changes
// the same setting to something else, the form refuses with an error
// under the structured field: say it in one place.

// Identifiers of the structured fields (interface: docs/slack.md). A DPD
// field's block ID carries what it is for: "dpd_aws:" and a tunnel's outside
// IP, "dpd_azure:" and an Azure connection's name.
const (
	RoutingBlockID        = "routing"
	IKEVersionBlockID     = "ike_version"
	EncryptionBlockID     = "encryption"
	IntegrityBlockID      = "integrity"
	DHGroupBlockID        = "dh_group"
	IKELifetimeBlockID    = "ike_lifetime"
	IPsecLifetimeBlockID  = "ipsec_lifetime"
	VNetPrefixesBlockID   = "vnet_prefixes"
	OnPremPrefixesBlockID = "onprem_prefixes"
	DPDAWSBlockPrefix     = "dpd_aws:"
	DPDAzureBlockPrefix   = "dpd_azure:"
	SelectActionID        = "select"
	SecondsActionID       = "seconds"
	CIDRsActionID         = "cidrs"
	// KeepValue is a policy select's "as now" choice, shown when the live
	// policy is not one value the form offers (it differs between tunnels,
	// or lists several algorithms).
	KeepValue = "keep"
)

// policyBlocks are the IKE/IPsec policy's fields, in form order. A policy
// change sets all of them, on every AWS tunnel and Azure connection: an
// Azure custom policy has no partial form.
var policyBlocks = []string{IKEVersionBlockID, EncryptionBlockID, IntegrityBlockID, DHGroupBlockID, IKELifetimeBlockID, IPsecLifetimeBlockID}

// Bounds of the values a structured field accepts.
const (
	awsDPDMin, azureDPDMin, dpdMax = 30, 9, 3600
	maxPrefixes                    = 100
	maxStructuredConnections       = 16
	// maxBlockID is Slack's limit for a block_id.
	maxBlockID = 255
	differs    = "(differs)"
)

// field is one structured input, named by its block ID: how it reads a
// proposal, checks a submitted value and changes an end state.
type field struct {
	id, action string
	label      string
	policy     bool
	// of reads the field from a proposal as the input shows it; stated is
	// false when the proposal says nothing of it. A setting that differs
	// between tunnels reads as differs.
	of func(p vpn.Proposal) (v string, stated bool)
	// parse checks a submitted value and returns it normalised; "" means
	// empty (left as it is).
	parse func(v string) (string, error)
	// apply writes a normalised value onto an end state (policy fields
	// are applied together by applyPolicy).
	apply func(p *vpn.Proposal, v string)
	// gone reports that the proposal drops what the field is for.
	gone func(p vpn.Proposal) bool
}

// fieldFor returns the structured field with that block ID.
func fieldFor(id string) (field, bool) {
	switch {
	case id == RoutingBlockID:
		return field{id: id, action: SelectActionID, label: "routing",
			of:    func(p vpn.Proposal) (string, bool) { return string(p.Routing), p.Routing != "" },
			parse: oneOf("static", "bgp"),
			apply: func(p *vpn.Proposal, v string) {
				p.Routing = vpn.Routing(v)
				mark(p, vpn.FieldRouting)
			}}, true
	case strings.HasPrefix(id, DPDAWSBlockPrefix):
		key := vpn.KeyIP(strings.TrimPrefix(id, DPDAWSBlockPrefix))
		return dpdField(id, "AWS tunnel "+strings.TrimPrefix(id, DPDAWSBlockPrefix), "AWS", awsDPDMin, vpn.Path(vpn.FieldAWS, vpn.FieldTunnels),
			func(p vpn.Proposal) bool { return p.AWS.Tunnels != nil },
			func(p vpn.Proposal) int {
				return slices.IndexFunc(p.AWS.Tunnels, func(t vpn.ProposedTunnel) bool { return vpn.KeyIP(t.OutsideIP) == key })
			},
			func(p *vpn.Proposal, i int) **int { return &p.AWS.Tunnels[i].DPDTimeoutSeconds }), true
	case strings.HasPrefix(id, DPDAzureBlockPrefix):
		name := strings.TrimPrefix(id, DPDAzureBlockPrefix)
		return dpdField(id, "Azure connection "+name, "Azure", azureDPDMin, vpn.Path(vpn.FieldAzure, vpn.FieldConnections),
			func(p vpn.Proposal) bool { return p.Azure.Connections != nil },
			func(p vpn.Proposal) int {
				return slices.IndexFunc(p.Azure.Connections, func(c vpn.ProposedConnection) bool { return c.Name == name })
			},
			func(p *vpn.Proposal, k int) **int { return &p.Azure.Connections[k].DPDTimeoutSeconds }), true
	case id == VNetPrefixesBlockID:
		return field{id: id, action: CIDRsActionID, label: "the VNet prefixes (AWS static routes)",
			of: func(p vpn.Proposal) (string, bool) {
				_, stated := p.Origins[vpn.Path(vpn.FieldAWS, vpn.FieldStaticRoutes)]
				return normCIDRs(p.AWS.StaticRoutes), p.AWS.StaticRoutes != nil || stated
			},
			parse: parseCIDRs,
			apply: func(p *vpn.Proposal, v string) {
				p.AWS.StaticRoutes = strings.Split(v, "\n")
				mark(p, vpn.Path(vpn.FieldAWS, vpn.FieldStaticRoutes))
			}}, true
	case id == OnPremPrefixesBlockID:
		return field{id: id, action: CIDRsActionID, label: "the on-prem prefixes (Azure local network gateways)",
			of:    lngPrefixes,
			parse: parseCIDRs,
			apply: func(p *vpn.Proposal, v string) {
				for i := range p.Azure.LocalNetworkGateways {
					p.Azure.LocalNetworkGateways[i].AddressPrefixes = strings.Split(v, "\n")
					mark(p, vpn.Index(vpn.Path(vpn.FieldAzure, vpn.FieldLocalNetworkGateways), i)+"."+vpn.FieldAddressPrefixes)
				}
			}}, true
	case slices.Contains(policyBlocks, id):
		opts := policyOptions(id)
		values := make([]string, 0, len(opts)+1)
		for _, o := range opts {
			values = append(values, o.Value)
		}
		return field{id: id, action: SelectActionID, label: policyLabels[id], policy: true,
			of:    func(p vpn.Proposal) (string, bool) { return policyOf(id, p) },
			parse: oneOf(append(values, KeepValue)...),
		}, true
	}
	return field{}, false
}

// dpdField is the DPD timeout of one tunnel or connection (what): at is
// its index in list ("aws.tunnels"), -1 when the proposal lacks it; listed
// says whether the proposal states the list at all; dpd is the field.
func dpdField(id, what, side string, lo int, list string, listed func(vpn.Proposal) bool, at func(vpn.Proposal) int, dpd func(*vpn.Proposal, int) **int) field {
	return field{id: id, action: SecondsActionID, label: "the DPD timeout of " + what,
		of: func(p vpn.Proposal) (string, bool) {
			if i := at(p); i >= 0 && *dpd(&p, i) != nil {
				return strconv.Itoa(**dpd(&p, i)), true
			}
			return "", false
		},
		parse: seconds(side, lo),
		apply: func(p *vpn.Proposal, v string) {
			if i := at(*p); i >= 0 {
				n, _ := strconv.Atoi(v)
				*dpd(p, i) = &n
				mark(p, vpn.Index(list, i)+"."+vpn.FieldDPDTimeoutSeconds)
			}
		},
		gone: func(p vpn.Proposal) bool { return listed(p) && at(p) < 0 },
	}
}

var policyLabels = map[string]string{
	IKEVersionBlockID:    "IKE version",
	EncryptionBlockID:    "Encryption (phase 1 and 2)",
	IntegrityBlockID:     "Integrity (phase 1 and 2)",
	DHGroupBlockID:       "DH group (phase 1) and PFS group (phase 2)",
	IKELifetimeBlockID:   "Phase 1 (IKE SA) lifetime",
	IPsecLifetimeBlockID: "Phase 2 (IPsec SA) lifetime",
}

// policyOptions are a policy field's choices, in AWS's names, from the
// values both clouds accept (rules' choice tables).
func policyOptions(id string) []Option {
	var out []Option
	switch id {
	case IKEVersionBlockID:
		out = []Option{{"ikev2", "IKEv2"}, {"ikev1", "IKEv1"}}
	case EncryptionBlockID:
		for _, c := range rules.EncryptionChoices() {
			out = append(out, Option{c.AWS, fmt.Sprintf("%s (Azure %s)", c.AWS, c.Azure)})
		}
	case IntegrityBlockID:
		for _, c := range rules.IntegrityChoices() {
			out = append(out, Option{c.AWS, fmt.Sprintf("%s (Azure %s)", c.AWS, c.Azure)})
		}
	case DHGroupBlockID:
		for _, c := range rules.DHGroupChoices() {
			out = append(out, Option{c.AWS, fmt.Sprintf("group %s (Azure %s / %s)", c.AWS, c.Azure, c.AzurePFS)})
		}
	case IKELifetimeBlockID:
		for _, s := range rules.Phase1LifetimeChoices() {
			out = append(out, Option{strconv.Itoa(s), fmt.Sprintf("%d s (AWS; Azure's is fixed)", s)})
		}
	case IPsecLifetimeBlockID:
		for _, s := range rules.Phase2LifetimeChoices() {
			out = append(out, Option{strconv.Itoa(s), fmt.Sprintf("%d s", s)})
		}
	}
	return out
}

// policyOf reads one policy setting from every AWS tunnel and Azure
// connection that states it, in AWS's names.
func policyOf(id string, p vpn.Proposal) (string, bool) {
	seen := map[string]bool{}
	add := func(vs ...string) {
		if len(vs) > 1 {
			seen[differs] = true
			return
		}
		for _, v := range vs {
			if v != "" {
				seen[v] = true
			}
		}
	}
	phases := func(t vpn.ProposedTunnel, f func(*vpn.PhaseParams) []string) {
		for _, ph := range []*vpn.PhaseParams{t.Phase1, t.Phase2} {
			if ph != nil {
				add(f(ph)...)
			}
		}
	}
	for _, t := range p.AWS.Tunnels {
		switch id {
		case IKEVersionBlockID:
			add(lower(t.IKEVersions)...)
		case EncryptionBlockID:
			phases(t, func(ph *vpn.PhaseParams) []string { return awsName(rules.EncryptionChoices(), ph.Encryption) })
		case IntegrityBlockID:
			phases(t, func(ph *vpn.PhaseParams) []string { return awsName(rules.IntegrityChoices(), ph.Integrity) })
		case DHGroupBlockID:
			phases(t, func(ph *vpn.PhaseParams) []string { return itoas(ph.DHGroups) })
		case IKELifetimeBlockID:
			if t.Phase1 != nil && t.Phase1.LifetimeSeconds != nil {
				add(strconv.Itoa(*t.Phase1.LifetimeSeconds))
			}
		case IPsecLifetimeBlockID:
			if t.Phase2 != nil && t.Phase2.LifetimeSeconds != nil {
				add(strconv.Itoa(*t.Phase2.LifetimeSeconds))
			}
		}
	}
	for _, c := range p.Azure.Connections {
		if id == IKEVersionBlockID {
			add(strings.ToLower(c.Protocol))
			continue
		}
		pol := c.IPsecPolicy
		if pol == nil {
			continue
		}
		switch id {
		case EncryptionBlockID:
			add(fromAzure(rules.EncryptionChoices(), pol.IKEEncryption))
			add(fromAzure(rules.EncryptionChoices(), pol.IPsecEncryption))
		case IntegrityBlockID:
			add(fromAzure(rules.IntegrityChoices(), pol.IKEIntegrity))
			if !strings.HasPrefix(strings.ToUpper(pol.IPsecIntegrity), "GCMAES") {
				add(fromAzure(rules.IntegrityChoices(), pol.IPsecIntegrity))
			}
		case DHGroupBlockID:
			add(fromAzureGroup(pol.DHGroup, false))
			add(fromAzureGroup(pol.PFSGroup, true))
		case IPsecLifetimeBlockID:
			if pol.SALifetimeSeconds != nil {
				add(strconv.Itoa(*pol.SALifetimeSeconds))
			}
		}
	}
	delete(seen, "")
	switch len(seen) {
	case 0:
		return "", false
	case 1:
		for v := range seen {
			return v, true
		}
	}
	return differs, true
}

func lower(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(strings.TrimSpace(v))
	}
	return out
}

func itoas(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}

// awsName spells AWS algorithm names as the choices do.
func awsName(choices []rules.Choice, vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.TrimSpace(v)
		for _, c := range choices {
			if strings.EqualFold(c.AWS, out[i]) {
				out[i] = c.AWS
			}
		}
	}
	return out
}

// fromAzure is an Azure algorithm in AWS's name, or as it is when AWS has
// none.
func fromAzure(choices []rules.Choice, v string) string {
	v = strings.TrimSpace(v)
	for _, c := range choices {
		if strings.EqualFold(c.Azure, v) {
			return c.AWS
		}
	}
	return v
}

func fromAzureGroup(v string, pfs bool) string {
	v = strings.TrimSpace(v)
	for _, c := range rules.DHGroupChoices() {
		name := c.Azure
		if pfs {
			name = c.AzurePFS
		}
		if strings.EqualFold(name, v) {
			return c.AWS
		}
	}
	return v
}

// lngPrefixes reads the on-prem prefixes from the local network gateways,
// which must all agree.
func lngPrefixes(p vpn.Proposal) (string, bool) {
	v, stated := "", false
	for i, l := range p.Azure.LocalNetworkGateways {
		_, origin := p.Origins[vpn.Index(vpn.Path(vpn.FieldAzure, vpn.FieldLocalNetworkGateways), i)+"."+vpn.FieldAddressPrefixes]
		if l.AddressPrefixes == nil && !origin {
			continue
		}
		s := normCIDRs(l.AddressPrefixes)
		if stated && s != v {
			return differs, true
		}
		v, stated = s, true
	}
	return v, stated
}

// mark records that a value of the end state came from the requester.
func mark(p *vpn.Proposal, path string) {
	if p.Origins == nil {
		p.Origins = map[string]vpn.Origin{}
	}
	p.Origins[path] = vpn.OriginProposal
}

// oneOf accepts one of the values (what a select offers; a forged payload
// may send anything).
func oneOf(values ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		v = strings.TrimSpace(v)
		if v == "" || slices.Contains(values, v) {
			return v, nil
		}
		return "", fmt.Errorf("Pick one of the choices offered (%s).", strings.Join(values, ", "))
	}
}

// seconds reads a DPD timeout: whole seconds within the side's range.
func seconds(side string, lo int) func(string) (string, error) {
	return func(v string) (string, error) {
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "s"))
		if v == "" {
			return "", nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || len(v) > 6 {
			return "", fmt.Errorf("Write the DPD timeout as whole seconds (%s takes %d-%d).", side, lo, dpdMax)
		}
		if n < lo || n > dpdMax {
			return "", fmt.Errorf("%d s is outside %s's DPD timeout range of %d-%d s.", n, side, lo, dpdMax)
		}
		return strconv.Itoa(n), nil
	}
}

// parseCIDRs reads prefixes, one per line (commas and spaces separate too),
// and returns them one per line in canonical form. Each must be a network
// address: a host bit set is a typo, not a wish.
func parseCIDRs(v string) (string, error) {
	lines := strings.Split(v, "\n")
	var out []string
	for n, line := range lines {
		for _, s := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' }) {
			pf, err := netip.ParsePrefix(s)
			switch {
			case err != nil:
				return "", fmt.Errorf("Line %d: %q is not a CIDR (write 10.1.0.0/16).", n+1, clip(s))
			case pf != pf.Masked():
				return "", fmt.Errorf("Line %d: %s is not a network address; did you mean %s?", n+1, pf, pf.Masked())
			}
			if !slices.Contains(out, pf.String()) {
				out = append(out, pf.String())
			}
			if len(out) > maxPrefixes {
				return "", fmt.Errorf("At most %d prefixes; use the YAML or doorbot validate FILE for more.", maxPrefixes)
			}
		}
	}
	return strings.Join(out, "\n"), nil
}

// normCIDRs is a stated list as the prefixes field shows it.
func normCIDRs(list []string) string {
	if v, err := parseCIDRs(strings.Join(list, "\n")); err == nil {
		return v
	}
	return strings.Join(list, "\n")
}

// clip keeps an echoed value short.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// edits are the structured fields changed in a submission: block ID →
// normalised value.
type edits map[string]string

// structuredEdits reads the change form's structured fields. It returns
// the fields that were changed, to apply onto the end state, and a field
// error (by block ID, one line) for a value that is not valid or that
// conflicts with what the YAML p states. yamlOK is false when the YAML did
// not parse (then nothing is compared with it).
func structuredEdits(req Request, p vpn.Proposal, yamlOK bool) (edits, map[string]string) {
	out, errs := edits{}, map[string]string{}
	ids := make([]string, 0, len(req.Values))
	for id := range req.Values {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	yamlPolicy := ""
	for _, id := range ids {
		f, ok := fieldFor(id)
		if !ok {
			continue
		}
		v, err := f.parse(req.Value(id, f.action))
		if err != nil {
			errs[id] = err.Error()
			continue
		}
		initial := normalise(f, req.Initial[id][f.action])
		var yv, said string
		var stated bool
		// Without the form's initial values (a payload that does not carry
		// the view) nobody can tell who changed what: a value is taken as
		// changed, and structured fields override.
		if yamlOK && req.Initial != nil {
			yv, stated = f.of(p)
			said = oneLine(yv)
			if yv == differs {
				said = "differs between tunnels or connections"
			}
			yv = shown(f, yv)
		}
		if f.policy && stated && yv != initial && yv != v && yamlPolicy == "" {
			yamlPolicy = fmt.Sprintf("%s: %s", strings.ToLower(f.label), said)
		}
		edited := v != "" && v != initial
		if req.Initial == nil {
			edited = v != "" && v != KeepValue
		}
		if !edited {
			continue
		}
		switch {
		case f.gone != nil && yamlOK && f.gone(p):
			// Whoever changed what, a field for a tunnel or connection the
			// YAML drops cannot apply.
			errs[id] = "The YAML drops what this field is for; change it in the YAML or keep it there."
			continue
		case !f.policy && stated && yv != initial && yv != v:
			errs[id] = fmt.Sprintf("You changed %s here (%s) and in the YAML (%s); change it in one place.", f.label, oneLine(v), said)
			continue
		}
		out[id] = v
	}
	policyEdited := ""
	for _, id := range policyBlocks {
		if _, ok := out[id]; ok && policyEdited == "" {
			policyEdited = id
		}
	}
	if policyEdited == "" {
		for _, id := range policyBlocks {
			delete(out, id)
		}
		return out, errs
	}
	if yamlPolicy != "" {
		errs[policyEdited] = fmt.Sprintf("The YAML changes the IKE/IPsec policy too (%s); change the policy in one place.", yamlPolicy)
	}
	// A policy change sets the whole policy: every part needs a value.
	for _, id := range policyBlocks {
		f, _ := fieldFor(id)
		v, err := f.parse(req.Value(id, f.action))
		if err != nil {
			continue // already said
		}
		if v == "" || v == KeepValue {
			errs[id] = "Pick a value: a policy change sets every part of the policy, on every AWS tunnel and Azure connection."
			continue
		}
		out[id] = v
	}
	return out, errs
}

// normalise is a value as parse would return it, or as it is.
func normalise(f field, v string) string {
	if n, err := f.parse(v); err == nil {
		return n
	}
	return v
}

// shown is a proposal's value as the input would show it: a policy value
// the form does not offer shows as KeepValue.
func shown(f field, v string) string {
	if !f.policy {
		return v
	}
	if slices.ContainsFunc(policyOptions(f.id), func(o Option) bool { return o.Value == v }) {
		return v
	}
	return KeepValue
}

func oneLine(v string) string {
	if v == "" {
		return "empty"
	}
	return clip(strings.ReplaceAll(v, "\n", ", "))
}

// apply writes the edits onto an end state (the proposal merged with the
// live state, so every tunnel and connection is listed).
func (e edits) apply(p *vpn.Proposal) {
	for id, v := range e {
		if f, ok := fieldFor(id); ok && f.apply != nil {
			f.apply(p, v)
		}
	}
	if _, ok := e[EncryptionBlockID]; ok {
		applyPolicy(p, e)
	}
}

// applyPolicy sets the whole IKE/IPsec policy on every AWS tunnel and
// Azure connection, each in its cloud's names.
func applyPolicy(p *vpn.Proposal, e edits) {
	pick := func(cs []rules.Choice, v string) rules.Choice {
		for _, c := range cs {
			if c.AWS == v {
				return c
			}
		}
		return rules.Choice{}
	}
	enc := pick(rules.EncryptionChoices(), e[EncryptionBlockID])
	integ := pick(rules.IntegrityChoices(), e[IntegrityBlockID])
	dh := pick(rules.DHGroupChoices(), e[DHGroupBlockID])
	p1, _ := strconv.Atoi(e[IKELifetimeBlockID])
	p2, _ := strconv.Atoi(e[IPsecLifetimeBlockID])
	version := e[IKEVersionBlockID]
	tunnels := vpn.Path(vpn.FieldAWS, vpn.FieldTunnels)
	for i := range p.AWS.Tunnels {
		t := &p.AWS.Tunnels[i]
		t.IKEVersions = []string{version}
		t.Phase1 = &vpn.PhaseParams{Encryption: []string{enc.AWS}, Integrity: []string{integ.AWS}, DHGroups: []int{dh.Group}, LifetimeSeconds: &p1}
		t.Phase2 = &vpn.PhaseParams{Encryption: []string{enc.AWS}, Integrity: []string{integ.AWS}, DHGroups: []int{dh.Group}, LifetimeSeconds: &p2}
		at := vpn.Index(tunnels, i) + "."
		mark(p, at+vpn.FieldIKEVersions)
		for _, ph := range []string{vpn.FieldPhase1, vpn.FieldPhase2} {
			for _, k := range []string{vpn.FieldEncryption, vpn.FieldIntegrity, vpn.FieldDHGroups, vpn.FieldLifetimeSeconds} {
				mark(p, at+vpn.Path(ph, k))
			}
		}
	}
	ipsecIntegrity := integ.Azure
	if strings.HasPrefix(enc.Azure, "GCMAES") {
		// GCM is an AEAD: Azure names the same GCMAES as integrity.
		ipsecIntegrity = enc.Azure
	}
	protocol := "IKEv2"
	if version == "ikev1" {
		protocol = "IKEv1"
	}
	conns := vpn.Path(vpn.FieldAzure, vpn.FieldConnections)
	for k := range p.Azure.Connections {
		c := &p.Azure.Connections[k]
		c.Protocol = protocol
		c.IPsecPolicy = &vpn.IPsecPolicy{IKEEncryption: enc.Azure, IKEIntegrity: integ.Azure, DHGroup: dh.Azure,
			IPsecEncryption: enc.Azure, IPsecIntegrity: ipsecIntegrity, PFSGroup: dh.AzurePFS, SALifetimeSeconds: &p2}
		at := vpn.Index(conns, k) + "."
		mark(p, at+vpn.FieldProtocol)
		for _, key := range []string{vpn.FieldIKEEncryption, vpn.FieldIKEIntegrity, vpn.FieldDHGroup, vpn.FieldIPsecEncryption, vpn.FieldIPsecIntegrity, vpn.FieldPFSGroup, vpn.FieldSALifetimeSeconds} {
			mark(p, at+vpn.Path(vpn.FieldIPsecPolicy, key))
		}
	}
}

// structuredInputs are the structured fields for a live state, prefilled
// from it, in form order, and the tunnels and connections left without a
// DPD field: beyond the first maxStructuredConnections of a side, or
// whose block ID would be longer than Slack takes or not unique (a name
// used twice), which Slack would refuse with the whole form.
func structuredInputs(live vpn.Proposal) ([]Input, []string) {
	var out []Input
	var left []string
	add := func(id, label, hint string, in Input) {
		f, _ := fieldFor(id)
		in.BlockID, in.ActionID, in.Label, in.Hint, in.Optional = id, f.action, label, hint, true
		if v, ok := f.of(live); ok && v != differs {
			in.Initial = v
		}
		out = append(out, in)
	}
	add(RoutingBlockID, "Routing", "static: routes you list; bgp: routes learned over BGP.",
		Input{Kind: InputSelect, Options: []Option{{"static", "static"}, {"bgp", "bgp"}}})
	uses := map[string]int{}
	for _, t := range live.AWS.Tunnels {
		uses[DPDAWSBlockPrefix+t.OutsideIP]++
	}
	for _, c := range live.Azure.Connections {
		uses[DPDAzureBlockPrefix+c.Name]++
	}
	// dpd adds the DPD field of the i-th tunnel or connection of a side
	// (what names it, key is its outside IP or name), or notes it left out.
	dpd := func(prefix, what string, i int, key, hint, placeholder string) {
		id := prefix + key
		switch {
		case key == "":
		case i >= maxStructuredConnections || len(id) > maxBlockID || uses[id] != 1:
			left = append(left, "the DPD timeout of "+what+clip(key))
		default:
			add(id, "DPD timeout (s), "+what+key, hint, Input{Placeholder: placeholder, MaxLength: 6})
		}
	}
	hint := fmt.Sprintf("AWS takes %d-%d s; empty keeps AWS's default (40 s).", awsDPDMin, dpdMax)
	for i, t := range live.AWS.Tunnels {
		dpd(DPDAWSBlockPrefix, "AWS tunnel ", i, t.OutsideIP, hint, "40")
	}
	hint = fmt.Sprintf("Azure takes %d-%d s (45 s is its default).", azureDPDMin, dpdMax)
	for k, c := range live.Azure.Connections {
		dpd(DPDAzureBlockPrefix, "Azure ", k, c.Name, hint, "45")
	}
	if len(live.AWS.Tunnels) > 0 || len(live.Azure.Connections) > 0 {
		for i, id := range policyBlocks {
			f, _ := fieldFor(id)
			opts := policyOptions(id)
			v, ok := f.of(live)
			if !ok || shown(f, v) == KeepValue {
				opts = append([]Option{{KeepValue, "as now (not one value)"}}, opts...)
				v = KeepValue
			}
			hint := ""
			if i == 0 {
				hint = "Changing any part of the policy sets all of it, on every AWS tunnel and Azure connection."
			}
			out = append(out, Input{BlockID: id, ActionID: SelectActionID, Label: policyLabels[id], Hint: hint, Kind: InputSelect,
				Options: opts, Initial: v, Optional: true})
		}
	}
	if len(live.AWS.Tunnels) > 0 {
		if fitsPrefixes(normCIDRs(live.AWS.StaticRoutes)) {
			add(VNetPrefixesBlockID, "VNet prefixes (AWS static routes)", "One CIDR per line: what AWS routes into the tunnels (static routing).",
				Input{Multiline: true, Placeholder: "10.1.0.0/16", MaxLength: prefixesLength})
		} else {
			left = append(left, "the VNet prefixes (more than the field holds)")
		}
	}
	if v, ok := lngPrefixes(live); len(live.Azure.LocalNetworkGateways) > 0 {
		switch {
		case ok && v == differs:
			left = append(left, "the on-prem prefixes (they differ between local network gateways)")
		case !fitsPrefixes(v):
			left = append(left, "the on-prem prefixes (more than the field holds)")
		default:
			add(OnPremPrefixesBlockID, "On-prem prefixes (Azure local network gateways)", "One CIDR per line, set on every local network gateway (static routing).",
				Input{Multiline: true, Placeholder: "172.31.0.0/16", MaxLength: prefixesLength})
		}
	}
	return out, left
}

// prefixesLength bounds a prefixes field.
const prefixesLength = 2000

// fitsPrefixes reports whether a live list of prefixes can be shown whole
// in its field: shown cut or empty, the field would read as "no
// prefixes", and a line typed into it would replace them all.
func fitsPrefixes(v string) bool {
	_, err := parseCIDRs(v)
	return err == nil && len(v) <= prefixesLength
}

// leftOutNote tells the requester which settings have no field, so that
// the YAML is where they change.
func leftOutNote(left []string) string {
	const shown = 5
	names := strings.Join(left[:min(len(left), shown)], "; ")
	if len(left) > shown {
		names += fmt.Sprintf("; and %d more", len(left)-shown)
	}
	return fmt.Sprintf("No field below for %s (at most %d tunnels or connections a side; a name used twice or too long for a Slack field has none): change these in the YAML.",
		names, maxStructuredConnections)
}
