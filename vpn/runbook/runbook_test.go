package runbook

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/vpntest"
)

type shape = vpntest.Shape

const sub = vpntest.Subscription

var (
	healthy   = vpntest.Healthy
	tunnel2   = vpntest.Tunnel2
	bgpSingle = vpntest.BGPSingle
	door      = vpntest.Door
	throttled = vpntest.Throttled
)

func input(s shape) Input {
	obs := s.Observation()
	return Input{Connection: obs.Connection, Observation: obs}
}

var phRE = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)

// texts returns every string of a runbook an engineer pastes or reads as a
// step.
func texts(rb Runbook) (cmds, all []string) {
	for _, ph := range rb.Phases {
		for _, st := range ph.Steps {
			cmds = append(cmds, st.Commands...)
			if st.Check != "" {
				cmds = append(cmds, st.Check)
			}
			all = append(all, st.Title, st.Impact, st.Expect, st.Check, st.Rollback)
			all = append(all, st.Commands...)
		}
	}
	return cmds, append(all, rb.Summary...)
}

// checkPlaceholders asserts that Placeholders is exactly the set of {x}
// left anywhere in the runbook, each described.
func checkPlaceholders(t *testing.T, rb Runbook) map[string]bool {
	t.Helper()
	_, all := texts(rb)
	// A placeholder's description may name another (how to find the VNet
	// prefixes needs the VNet's name): that one must be listed too.
	for _, p := range rb.Placeholders {
		all = append(all, p.Description)
	}
	used := map[string]bool{}
	for _, s := range all {
		for _, m := range phRE.FindAllStringSubmatch(s, -1) {
			used[m[1]] = true
		}
	}
	listed := map[string]bool{}
	for _, p := range rb.Placeholders {
		if listed[p.Name] {
			t.Errorf("placeholder %s listed twice", p.Name)
		}
		listed[p.Name] = true
		if !used[p.Name] {
			t.Errorf("placeholder %s listed but not used", p.Name)
		}
		if p.Description == "" || p.Description == "value to fill in" {
			t.Errorf("placeholder %s has no real description", p.Name)
		}
	}
	for name := range used {
		if !listed[name] {
			t.Errorf("{%s} used but not listed in Placeholders", name)
		}
	}
	return listed
}

func contains(xs []string, sub string) bool {
	return slices.ContainsFunc(xs, func(s string) bool { return strings.Contains(s, sub) })
}

func TestGenerateStatic(t *testing.T) {
	tests := []struct {
		name       string
		s          shape
		want       []string // must appear in some command
		placeholds []string // exactly these placeholders
	}{
		{"healthy-static", healthy,
			[]string{"198.51.100.11", "203.0.113.11", "vpn-0f3c9a1b2d4e5f601", "--region ap-northeast-1", "-g rg-healthy-static", "vgw-aws", "cn-aws-tunnel1", "lng-aws-tunnel2", "az account set --subscription " + sub},
			// Everything that exists is shown, not created: no location or
			// keys are needed.
			[]string{"azure_vnet_name", "azure_vnet_prefixes", "azure_vm_nic", "aws_vpc_id", "aws_vgw_id", "aws_route_table_id", "aws_sns_topic_arn", "azure_action_group_id"}},
		{"tunnel2-down", tunnel2,
			[]string{"198.51.100.21", "203.0.113.21", "vpn-0f3c9a1b2d4e5f602", "-g rg-tunnel2-down"},
			nil},
		{"bgp-single-ip", bgpSingle,
			[]string{"-g rg-bgp-single-ip", "--ip-address 192.0.2.31", "ap-northeast-1"},
			// A BGP connection cannot become static: the static VPN, its
			// tunnels and new Azure names are all unknown.
			[]string{"aws_cgw_id", "aws_vpn_connection_id", "aws_tunnel1_outside_ip", "aws_tunnel2_outside_ip", "azure_lng1_name", "azure_conn1_name", "onprem_prefixes", "azure_location", "aws_tunnel1_psk", "aws_tunnel2_psk"}},
		{"soracom-door", door,
			[]string{"100.64.17.0/28", "198.51.100.41", "203.0.113.41", "lng-door-tunnel1", "-g rg-soracom-door", "soracom vpg get --vpg-id {soracom_vpg_id}"},
			[]string{"azure_vnet_name", "azure_vnet_prefixes", "azure_vm_nic", "soracom_vpg_id", "azure_action_group_id"}},
		{"aws-throttled", throttled,
			[]string{"198.51.100.51", "203.0.113.51", "vpn-0f3c9a1b2d4e5f605", "--region ap-southeast-2", "-g rg-aws-throttled"},
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rb, err := Generate(KindStatic, input(tc.s))
			if err != nil {
				t.Fatal(err)
			}
			listed := checkPlaceholders(t, rb)
			cmds, all := texts(rb)
			for _, w := range tc.want {
				if !contains(cmds, w) {
					t.Errorf("no command contains %q", w)
				}
			}
			if tc.name == "healthy-static" {
				var got []string
				for _, p := range rb.Placeholders {
					got = append(got, p.Name)
				}
				if !slices.Equal(got, tc.placeholds) {
					t.Errorf("placeholders = %v, want %v", got, tc.placeholds)
				}
			} else {
				for _, p := range tc.placeholds {
					if !listed[p] {
						t.Errorf("placeholder %s not listed", p)
					}
				}
			}
			// Values live state knows are never left as placeholders.
			for _, known := range []string{"azure_resource_group", "azure_gateway_name", "azure_gateway_public_ip", "azure_subscription_id"} {
				if listed[known] {
					t.Errorf("%s is known but listed as a placeholder", known)
				}
			}
			if tc.s.Door {
				if contains(cmds, "aws ") || contains(all, "aws ec2") {
					t.Error("Door runbook contains an aws command")
				}
				if !slices.ContainsFunc(rb.Phases, func(p Phase) bool {
					return slices.ContainsFunc(p.Steps, func(s Step) bool {
						return s.Side == SideSoracom && strings.Contains(s.Title, "SORACOM console")
					})
				}) {
					t.Error("Door runbook lacks the SORACOM console step")
				}
			} else {
				for _, w := range []string{"create-vpn-connection-route", "VgwTelemetry", "TunnelState", "connectionStatus"} {
					if !contains(cmds, w) {
						t.Errorf("no command contains %q", w)
					}
				}
			}
			checkNoKeys(t, rb)
		})
	}
}

func TestStaticAlreadyDone(t *testing.T) {
	rb, _ := Generate(KindStatic, input(healthy))
	var done int
	for _, ph := range rb.Phases {
		for _, st := range ph.Steps {
			if strings.Contains(st.Title, "already done") {
				done++
				if contains(st.Commands, " create ") {
					t.Errorf("already-done step %q still creates: %v", st.Title, st.Commands)
				}
			}
		}
	}
	// subnet, public IP, gateway, AWS VPN, 2 LNGs, 2 connections
	if done != 8 {
		t.Errorf("%d already-done steps, want 8", done)
	}
}

func TestStaticWithProposal(t *testing.T) {
	in := input(healthy)
	in.Proposal = &vpn.Proposal{
		AWS:   vpn.ProposalAWS{LocalPrefixes: []string{"172.31.0.0/16"}},
		Azure: vpn.ProposalAzure{VNetPrefixes: []string{"10.1.0.0/16", "10.2.0.0/16"}},
	}
	rb, _ := Generate(KindStatic, in)
	listed := checkPlaceholders(t, rb)
	if listed["azure_vnet_prefixes"] {
		t.Error("VNet prefixes stated by the proposal are still a placeholder")
	}
	cmds, _ := texts(rb)
	if !contains(cmds, "--destination-cidr-block 10.2.0.0/16") || contains(cmds, "--destination-cidr-block 10.1.0.0/16") {
		t.Errorf("route commands should add only the missing 10.2.0.0/16: %v", cmds)
	}
}

// checkNoKeys: keys appear in commands only as {aws_tunnelN_psk}.
func checkNoKeys(t *testing.T, rb Runbook) {
	t.Helper()
	_, all := texts(rb)
	re := regexp.MustCompile(`--(shared-key|value)\s+(\S+)`)
	for _, s := range all {
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			if m[2] != "{aws_tunnel1_psk}" && m[2] != "{aws_tunnel2_psk}" && m[2] != "<that" {
				t.Errorf("key argument %q in %q", m[2], s)
			}
		}
	}
	b, _ := json.Marshal(rb)
	if strings.Contains(string(b), "Sim.PSK.") {
		t.Error("a pre-shared key leaked")
	}
}

func TestGenerateMigrate(t *testing.T) {
	for _, s := range []shape{bgpSingle, {Name: "door-bgp", Seq: 6, Door: true, BGP: true}} {
		t.Run(s.Name, func(t *testing.T) {
			rb, err := Generate(KindMigrate, input(s))
			if err != nil {
				t.Fatal(err)
			}
			checkPlaceholders(t, rb)
			checkNoKeys(t, rb)
			cmds, all := texts(rb)
			var deletes int
			for _, ph := range rb.Phases {
				for _, st := range ph.Steps {
					if st.Rollback == "" {
						t.Errorf("step %q has no rollback", st.Title)
					}
					del := contains(st.Commands, " delete ") || contains(st.Commands, "delete-vpn-connection ") || contains(st.Commands, "delete-customer-gateway")
					if del {
						deletes++
						if !st.PointOfNoReturn {
							t.Errorf("delete step %q is not a point of no return", st.Title)
						}
					}
					if st.PointOfNoReturn && !del && st.Side != SideSoracom {
						t.Errorf("step %q is a point of no return but deletes nothing", st.Title)
					}
				}
			}
			if deletes < 4 {
				t.Errorf("only %d delete steps", deletes)
			}
			for _, w := range []string{"az network vpn-connection delete -g rg-" + s.Name + " -n cn-" + s.Prefix() + "-tunnel1",
				"az network local-gateway delete -g rg-" + s.Name + " -n lng-" + s.Prefix() + "-tunnel2", "--shared-key {aws_tunnel1_psk}"} {
				if !contains(cmds, w) {
					t.Errorf("no command contains %q", w)
				}
			}
			if s.Door {
				if contains(all, "aws ec2") {
					t.Error("Door migration contains an aws command")
				}
				if !contains(all, "new static Door VPN connection from SORACOM") || !contains(all, "remove the old BGP Door connection") {
					t.Error("Door migration lacks the SORACOM request/removal steps")
				}
				return
			}
			for _, w := range []string{"--options '{\"StaticRoutesOnly\":true}'", "--device-name bgp-single-ip-static",
				"aws ec2 delete-vpn-connection --vpn-connection-id vpn-0f3c9a1b2d4e5f603", "delete-customer-gateway --customer-gateway-id cgw-0e7d2c4b6a8f1e303"} {
				if !contains(cmds, w) {
					t.Errorf("no command contains %q", w)
				}
			}
			// Build before break: the new connection is created before the
			// old Azure connection is deleted.
			create, del := -1, -1
			for i, c := range cmds {
				if create < 0 && strings.Contains(c, "create-vpn-connection --type") {
					create = i
				}
				if del < 0 && strings.Contains(c, "vpn-connection delete -g") {
					del = i
				}
			}
			if create < 0 || del < 0 || create > del {
				t.Errorf("create at %d, delete at %d", create, del)
			}
		})
	}
}

func TestGenerateUnknownKind(t *testing.T) {
	if _, err := Generate("bogus", input(healthy)); err == nil {
		t.Fatal("want error")
	}
	rb, err := Generate(KindVerify, input(door))
	if err != nil {
		t.Fatal(err)
	}
	checkPlaceholders(t, rb)
}

func TestVerify(t *testing.T) {
	tests := []struct {
		s      shape
		pass   bool
		failed []string // substrings of failing item names
	}{
		{healthy, true, nil},
		{door, true, nil},
		{tunnel2, false, []string{"tunnel 2 (203.0.113.21) UP on AWS", "tunnel 2 Connected on Azure", "no error findings"}},
		{bgpSingle, false, []string{"tunnel 2 (203.0.113.31) UP on AWS", "no error findings"}},
		{throttled, false, []string{"AWS side read", "AWS static routes cover"}},
	}
	for _, tc := range tests {
		t.Run(tc.s.Name, func(t *testing.T) {
			v := Verify(input(tc.s))
			if v.Passed != tc.pass {
				t.Errorf("passed = %v, want %v: %+v", v.Passed, tc.pass, v.Items)
			}
			var failed []string
			for _, it := range v.Items {
				if !it.OK {
					failed = append(failed, it.Name+": "+it.Detail)
				}
			}
			for _, f := range tc.failed {
				if !contains(failed, f) {
					t.Errorf("no failing item %q in %v", f, failed)
				}
			}
			if tc.s.Name == "aws-throttled" && !contains(failed, "RequestLimitExceeded") {
				t.Error("the AWS error is not the detail")
			}
		})
	}
}

func TestVerifyPrefixes(t *testing.T) {
	in := input(healthy)
	v := Verify(in)
	for _, it := range v.Items {
		if strings.Contains(it.Name, "cover the Azure VNet") && !it.Skipped {
			t.Error("VNet coverage checked without knowing the VNet")
		}
	}
	in.Proposal = &vpn.Proposal{
		AWS:   vpn.ProposalAWS{LocalPrefixes: []string{"172.31.0.0/16", "172.16.0.0/16"}},
		Azure: vpn.ProposalAzure{VNetPrefixes: []string{"10.1.2.0/24", "10.9.0.0/16"}},
	}
	v = Verify(in)
	if v.Passed {
		t.Fatal("want failures")
	}
	var failed []string
	for _, it := range v.Items {
		if !it.OK {
			failed = append(failed, it.Name+": "+it.Detail)
		}
	}
	for _, w := range []string{"missing 10.9.0.0/16", "lng-aws-tunnel1 prefixes include the AWS-side prefixes: has 172.31.0.0/16; missing 172.16.0.0/16"} {
		if !contains(failed, w) {
			t.Errorf("no failing item %q in %v", w, failed)
		}
	}
	if contains(failed, "missing 10.1.2.0/24") {
		t.Error("10.1.2.0/24 is inside the route 10.1.0.0/16")
	}
}

// Without an approved change verify checks that routing is consistent, not
// that it is static: a healthy BGP design passes, a mix inside one AWS VPN
// connection fails.
func TestVerifyRoutingConsistentNotStatic(t *testing.T) {
	in := input(shape{Name: "bgp-aa", Seq: 9, BGP: true})
	g := in.Observation.Azure.Gateway
	g.ActiveActive, g.PublicIPCount, g.TunnelIPs = true, 2, []string{"192.0.2.91", "192.0.2.92"}
	g.CustomAPIPA = []string{"169.254.21.2", "169.254.22.2"}
	in.Observation.Azure.Connections[1].CustomBGPAddresses = []string{"169.254.22.2"}
	in.Observation.AWS.VPNConnections[0].Tunnels[1].StatusMessage = "1 BGP ROUTES"
	in.Observation.Azure.BGPPeers[1].State = "Connected"
	v := Verify(in)
	if !v.Passed {
		t.Errorf("a healthy BGP active-active design fails verify: %+v", v.Items)
	}
	if !contains(itemNames(v), "routing consistent") || contains(itemNames(v), "routing is static") {
		t.Errorf("items %v", itemNames(v))
	}

	in.Observation.Azure.Connections[1].EnableBGP = false
	v = Verify(in)
	var failed []string
	for _, it := range v.Items {
		if !it.OK {
			failed = append(failed, it.Name)
		}
	}
	if v.Passed || !contains(failed, "routing consistent") {
		t.Errorf("BGP and static inside one AWS VPN connection passes: %v", failed)
	}
}

func itemNames(v Verification) []string {
	var out []string
	for _, it := range v.Items {
		out = append(out, it.Name)
	}
	return out
}

// The migration names the error AWS may return for a second VPN connection
// from the same customer-gateway IP, and its rollback of "delete the old
// BGP connection" restores the custom BGP address too.
func TestMigrateDuplicateIPAndRollbackAPIPA(t *testing.T) {
	rb, err := Generate(KindMigrate, input(bgpSingle))
	if err != nil {
		t.Fatal(err)
	}
	_, all := texts(rb)
	for _, w := range []string{"InvalidCustomerGateway.DuplicateIpAddress", "break-before-make",
		"--set gatewayCustomBgpIpAddresses='[{\"ipConfigurationId\"", "\"customBgpIpAddress\":\"169.254.21.2\""} {
		if !contains(all, w) {
			t.Errorf("migrate runbook lacks %q", w)
		}
	}
	if contains(all, "--public-ip ") {
		t.Error("create-customer-gateway --public-ip is deprecated: use --ip-address")
	}
}

// Non-AZ SKUs cannot be created since 2025-01-01: the static runbook creates
// a missing gateway as VpnGw1AZ.
func TestStaticCreatesAnAZGateway(t *testing.T) {
	in := input(healthy)
	in.Observation.Azure.Gateway = nil
	rb, err := Generate(KindStatic, in)
	if err != nil {
		t.Fatal(err)
	}
	cmds, all := texts(rb)
	if !contains(cmds, "--sku VpnGw1AZ") || contains(cmds, "--sku VpnGw1 ") {
		t.Errorf("gateway creation does not use VpnGw1AZ: %v", cmds)
	}
	if !contains(all, "gateway-sku-consolidation") {
		t.Error("the SKU choice does not cite Microsoft's SKU consolidation")
	}
}
