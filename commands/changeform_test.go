package commands

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/proposal"
	"github.com/doorbot/doorbot/vpn"
)

// liveOf is a connection's live state from the simulated clouds.
func liveOf(t *testing.T, name string) vpn.Proposal {
	t.Helper()
	_, svc := simRegistry(t)
	live, err := svc.LiveProposal(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return live
}

// The structured fields are prefilled from the live state: each tunnel's
// and connection's DPD, the routing, the policy as one value where there
// is one, the prefixes.
func TestStructuredInputsPrefilled(t *testing.T) {
	in := map[string]Input{}
	for _, i := range first(structuredInputs(liveOf(t, "healthy-static"))) {
		in[i.BlockID] = i
	}
	for id, want := range map[string]string{
		"routing": "static", "dpd_aws:198.51.100.11": "30", "dpd_aws:203.0.113.11": "", "dpd_azure:cn-aws-tunnel1": "45",
		"ike_version": "ikev2", "encryption": "AES256", "dh_group": "14", "ipsec_lifetime": "3600",
		"vnet_prefixes": "10.1.0.0/16", "onprem_prefixes": "172.31.0.0/16",
	} {
		if got, ok := in[id]; !ok || got.Initial != want {
			t.Errorf("%s: initial %q (present %v), want %q", id, got.Initial, ok, want)
		}
	}
	if got := in["ike_version"].Options[0]; got.Value == KeepValue {
		t.Errorf("a policy of one value offers 'as now': %+v", in["ike_version"].Options)
	}
	// A policy that differs between tunnels shows as it is ("as now").
	mixed := liveOf(t, "healthy-static")
	mixed.AWS.Tunnels[1].Phase1 = &vpn.PhaseParams{Encryption: []string{"AES128"}}
	found := false
	for _, i := range first(structuredInputs(mixed)) {
		if i.BlockID != "encryption" {
			continue
		}
		found = true
		if i.Initial != KeepValue || i.Options[0].Value != KeepValue {
			t.Errorf("differing encryption: initial %q, options %+v", i.Initial, i.Options)
		}
	}
	if !found {
		t.Error("a policy that differs between tunnels has no encryption field")
	}
	if in["routing"].Kind != InputSelect || !in["dpd_aws:198.51.100.11"].Optional {
		t.Errorf("kinds: %+v", in["routing"])
	}
}

// structuredEdits decides what a submission changes, and refuses what it
// cannot apply, one line on the input's block.
func TestStructuredEdits(t *testing.T) {
	live := liveOf(t, "healthy-static")
	liveYAML := string(proposal.Marshal(live))
	initial := map[string]map[string]string{}
	for _, i := range first(structuredInputs(live)) {
		initial[i.BlockID] = map[string]string{i.ActionID: i.Initial}
	}
	policy := func(over map[string]string) map[string]map[string]string {
		v := map[string]map[string]string{}
		for _, id := range policyBlocks {
			v[id] = map[string]string{"select": initial[id]["select"]}
			if o, ok := over[id]; ok {
				v[id]["select"] = o
			}
		}
		return v
	}
	type tc struct {
		name    string
		yaml    string
		values  map[string]map[string]string
		noInit  bool
		edits   map[string]string
		errs    map[string]string // block → substring
		applied func(p vpn.Proposal) bool
	}
	cases := []tc{
		{name: "nothing changed", yaml: liveYAML, values: initial, edits: map[string]string{}},
		{name: "dpd changed", yaml: liveYAML, values: map[string]map[string]string{"dpd_aws:198.51.100.11": {"seconds": " 35 "}},
			edits: map[string]string{"dpd_aws:198.51.100.11": "35"},
			applied: func(p vpn.Proposal) bool {
				return *p.AWS.Tunnels[0].DPDTimeoutSeconds == 35 && p.Origins["aws.tunnels[0].dpd_timeout_seconds"] == vpn.OriginProposal
			}},
		{name: "same change in both", yaml: strings.Replace(liveYAML, "dpd_timeout_seconds: 30", "dpd_timeout_seconds: 35", 1),
			values: map[string]map[string]string{"dpd_aws:198.51.100.11": {"seconds": "35"}}, edits: map[string]string{"dpd_aws:198.51.100.11": "35"}},
		{name: "conflict", yaml: strings.Replace(liveYAML, "dpd_timeout_seconds: 30", "dpd_timeout_seconds: 50", 1),
			values: map[string]map[string]string{"dpd_aws:198.51.100.11": {"seconds": "35"}},
			errs:   map[string]string{"dpd_aws:198.51.100.11": "here (35) and in the YAML (50)"}},
		{name: "yaml alone", yaml: strings.Replace(liveYAML, "dpd_timeout_seconds: 30", "dpd_timeout_seconds: 50", 1),
			values: initial, edits: map[string]string{}},
		{name: "short yaml", yaml: "connection: healthy-static\n",
			values: map[string]map[string]string{"routing": {"select": "bgp"}, "vnet_prefixes": {"cidrs": "10.1.0.0/16, 10.2.0.0/16\n\n10.1.0.0/16"}},
			edits:  map[string]string{"routing": "bgp", "vnet_prefixes": "10.1.0.0/16\n10.2.0.0/16"},
			applied: func(p vpn.Proposal) bool {
				return p.Routing == vpn.RoutingBGP && strings.Join(p.AWS.StaticRoutes, ",") == "10.1.0.0/16,10.2.0.0/16"
			}},
		{name: "bad values", yaml: liveYAML, values: map[string]map[string]string{
			"dpd_azure:cn-aws-tunnel1": {"seconds": "4000"}, "onprem_prefixes": {"cidrs": "172.31.0.0/16\nnot-a-cidr"},
			"routing": {"select": "ospf"}, "ike_lifetime": {"select": "99"}},
			errs: map[string]string{"dpd_azure:cn-aws-tunnel1": "outside Azure's DPD timeout range of 9-3600 s",
				"onprem_prefixes": `Line 2: "not-a-cidr" is not a CIDR`, "routing": "Pick one of", "ike_lifetime": "Pick one of"}},
		{name: "tunnel dropped in yaml", yaml: "aws:\n  tunnels:\n    - outside_ip: 203.0.113.11\n",
			values: map[string]map[string]string{"dpd_aws:198.51.100.11": {"seconds": "35"}},
			errs:   map[string]string{"dpd_aws:198.51.100.11": "The YAML drops"}},
		{name: "policy needs every part", yaml: liveYAML, values: policy(map[string]string{"dh_group": "19", "ike_version": KeepValue}),
			errs: map[string]string{"ike_version": "Pick a value"}},
		{name: "policy applied whole", yaml: liveYAML, values: policy(map[string]string{"dh_group": "19", "ike_version": "ikev2", "encryption": "AES256-GCM-16"}),
			edits: map[string]string{"dh_group": "19", "ike_version": "ikev2", "encryption": "AES256-GCM-16", "integrity": "SHA2-256", "ike_lifetime": "28800", "ipsec_lifetime": "3600"},
			applied: func(p vpn.Proposal) bool {
				t2, c := p.AWS.Tunnels[1], p.Azure.Connections[1].IPsecPolicy
				return t2.Phase2 != nil && t2.Phase2.DHGroups[0] == 19 && t2.Phase1.Encryption[0] == "AES256-GCM-16" &&
					c != nil && c.DHGroup == "ECP256" && c.PFSGroup == "ECP256" && c.IPsecEncryption == "GCMAES256" && c.IPsecIntegrity == "GCMAES256" &&
					c.IKEIntegrity == "SHA256" && *c.SALifetimeSeconds == 3600
			}},
		{name: "policy in both", yaml: strings.Replace(liveYAML, "integrity: [SHA2-256], dh_groups: [14], lifetime_seconds: 28800", "integrity: [SHA1], dh_groups: [14], lifetime_seconds: 28800", 1),
			values: policy(map[string]string{"dh_group": "19", "ike_version": "ikev2"}),
			errs:   map[string]string{"dh_group": "The YAML changes the IKE/IPsec policy too (integrity (phase 1 and 2): differs between tunnels or connections)"}},
		{name: "no initial values: fields override", yaml: liveYAML, noInit: true,
			values: map[string]map[string]string{"dpd_aws:198.51.100.11": {"seconds": "30"}, "dpd_azure:cn-aws-tunnel2": {"seconds": "40"}},
			edits:  map[string]string{"dpd_aws:198.51.100.11": "30", "dpd_azure:cn-aws-tunnel2": "40"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := proposal.ParseInput(c.yaml, "proposal")
			if err != nil {
				t.Fatal(err)
			}
			req := Request{Values: c.values, Initial: initial}
			if c.noInit {
				req.Initial = nil
			}
			got, errs := structuredEdits(req, p, true)
			for block, want := range c.errs {
				if !strings.Contains(errs[block], want) {
					t.Errorf("error on %s = %q, want %q (all: %v)", block, errs[block], want, errs)
				}
			}
			if c.errs == nil && len(errs) > 0 {
				t.Errorf("unexpected errors %v", errs)
			}
			if c.edits != nil && !equalMaps(got, c.edits) {
				t.Errorf("edits %v, want %v", got, c.edits)
			}
			if c.applied != nil {
				end := vpn.Merge(p, live)
				got.apply(&end)
				if !c.applied(end) {
					t.Errorf("not applied: %s", proposal.Marshal(end))
				}
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Form values come from the client, forged or not: the parsers never panic,
// and what they accept they return in a form they accept again unchanged.
func FuzzFormValues(f *testing.F) {
	for _, s := range []string{"10.1.0.0/16", "10.1.0.0/16\n172.31.0.0/16", "10.1.0.1/16", "::/0, 2001:db8::/32", "30", " 45s ", "-1", "99999999999", "", "\x00", "10.0.0.0/8\r\n10.0.0.0/8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := parseCIDRs(s); err == nil {
			if again, err := parseCIDRs(v); err != nil || again != v {
				t.Errorf("parseCIDRs(%q) = %q, which reads back as %q, %v", s, v, again, err)
			}
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("a multi-line error: %q", err)
		}
		for _, parse := range []func(string) (string, error){seconds("AWS", awsDPDMin), seconds("Azure", azureDPDMin)} {
			if v, err := parse(s); err == nil {
				if again, err := parse(v); err != nil || again != v {
					t.Errorf("seconds(%q) = %q, which reads back as %q, %v", s, v, again, err)
				}
			}
		}
		req := Request{Values: map[string]map[string]string{"routing": {"select": s}, "dpd_aws:" + s: {"seconds": s},
			"onprem_prefixes": {"cidrs": s}, "encryption": {"select": s}}, Initial: map[string]map[string]string{}}
		_, _ = structuredEdits(req, vpn.Proposal{}, true)
	})
}

// The structured fields are read in the ack (Slack's 3 s): a whole form,
// every field submitted and the policy changed.
func BenchmarkStructuredEdits(b *testing.B) {
	_, svc := simRegistry(b)
	live, err := svc.LiveProposal(context.Background(), "healthy-static")
	if err != nil {
		b.Fatal(err)
	}
	yaml := string(proposal.Marshal(live))
	initial := map[string]map[string]string{}
	values := map[string]map[string]string{}
	for _, i := range first(structuredInputs(live)) {
		initial[i.BlockID] = map[string]string{i.ActionID: i.Initial}
		values[i.BlockID] = map[string]string{i.ActionID: i.Initial}
	}
	values["dh_group"]["select"] = "19"
	values["dpd_aws:198.51.100.11"]["seconds"] = "35"
	req := Request{Values: values, Initial: initial}
	b.ReportAllocs()
	for b.Loop() {
		p, err := proposal.ParseInput(yaml, "proposal")
		if err != nil {
			b.Fatal(err)
		}
		if got, errs := structuredEdits(req, p, true); len(errs) > 0 || len(got) != 7 {
			b.Fatalf("%v %v", got, errs)
		}
	}
}

func first[A, B any](a A, _ B) A { return a }

// A tunnel or connection whose DPD field Slack would refuse (a block ID
// over 255 characters or used twice, which fails the whole form) or one
// beyond the form's 16 per side gets no field, nor do prefixes that a
// field cannot show whole (it would read as empty, and a line typed into
// it would replace them all); the form says what to change in the YAML.
func TestStructuredInputsLeftToYAML(t *testing.T) {
	long := strings.Repeat("c", 300)
	many := make([]vpn.ProposedTunnel, 20)
	for i := range many {
		many[i].OutsideIP = fmt.Sprintf("198.51.100.%d", i+1)
	}
	var prefixes []string
	for i := range 150 {
		prefixes = append(prefixes, fmt.Sprintf("10.%d.0.0/16", i))
	}
	for _, tc := range []struct {
		name    string
		edit    func(p *vpn.Proposal)
		left    []string
		without string
	}{
		{"150 on-prem prefixes", func(p *vpn.Proposal) {
			for i := range p.Azure.LocalNetworkGateways {
				p.Azure.LocalNetworkGateways[i].AddressPrefixes = prefixes
			}
		},
			[]string{"the on-prem prefixes (more than the field holds)"}, OnPremPrefixesBlockID},
		{"150 VNet prefixes", func(p *vpn.Proposal) { p.AWS.StaticRoutes = prefixes },
			[]string{"the VNet prefixes (more than the field holds)"}, VNetPrefixesBlockID},
		{"gateways that differ", func(p *vpn.Proposal) {
			other := p.Azure.LocalNetworkGateways[0]
			other.AddressPrefixes = []string{"192.168.0.0/24"}
			p.Azure.LocalNetworkGateways = append(p.Azure.LocalNetworkGateways, other)
		}, []string{"the on-prem prefixes (they differ between local network gateways)"}, OnPremPrefixesBlockID},
		{"a long name", func(p *vpn.Proposal) { p.Azure.Connections[0].Name = long }, []string{"the DPD timeout of Azure " + clip(long)}, ""},
		{"a name used twice", func(p *vpn.Proposal) {
			p.Azure.Connections = append(p.Azure.Connections, p.Azure.Connections[0])
		}, []string{"the DPD timeout of Azure cn-aws-tunnel1", "the DPD timeout of Azure cn-aws-tunnel1"}, ""},
		{"twenty tunnels", func(p *vpn.Proposal) { p.AWS.Tunnels = many },
			[]string{"the DPD timeout of AWS tunnel 198.51.100.17", "the DPD timeout of AWS tunnel 198.51.100.18",
				"the DPD timeout of AWS tunnel 198.51.100.19", "the DPD timeout of AWS tunnel 198.51.100.20"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := liveOf(t, "healthy-static")
			tc.edit(&live)
			inputs, left := structuredInputs(live)
			seen := map[string]bool{}
			for _, in := range inputs {
				if len(in.BlockID) > 255 || seen[in.BlockID] {
					t.Errorf("block_id %.40q… (%d characters, repeated %v): Slack refuses the form", in.BlockID, len(in.BlockID), seen[in.BlockID])
				}
				seen[in.BlockID] = true
			}
			if tc.without != "" && seen[tc.without] {
				t.Errorf("%s is offered as a field", tc.without)
			}
			if strings.Join(left, "|") != strings.Join(tc.left, "|") {
				t.Errorf("left out %q, want %q", left, tc.left)
			}
			if note := leftOutNote(left); !strings.Contains(note, "in the YAML") || !strings.Contains(note, tc.left[0]) {
				t.Errorf("note %q", note)
			}
		})
	}
}
