package runbook

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/doorbot/doorbot/internal/shelltest"
	"github.com/doorbot/doorbot/vpn"
)

func ip(n int) *int { return &n }

// withDPD sets the AWS tunnels' DPD timeouts as AWS reports them.
func withDPD(a, b int) func(*vpn.Observation) {
	return func(o *vpn.Observation) {
		ts := o.AWS.VPNConnections[0].Tunnels
		ts[0].Options.DPDTimeoutSeconds, ts[1].Options.DPDTimeoutSeconds = a, b
	}
}

// forChange builds the change runbook of p against the shape's live state
// as Submit does: live from the observation, end = Merge(p, live).
func forChange(s shape, mutate func(*vpn.Observation), p vpn.Proposal) Runbook {
	obs := s.Observation()
	if mutate != nil {
		mutate(&obs)
	}
	live := vpn.ProposalFromObservation(obs)
	live.Connection = obs.Connection.Name
	p.Connection = obs.Connection.Name
	end := vpn.Merge(p, live)
	return ForChange(Input{Connection: obs.Connection, Observation: obs}, live, end)
}

// flat lists the steps in the order they are run.
func flat(rb Runbook) []Step {
	var out []Step
	for _, ph := range rb.Phases {
		out = append(out, ph.Steps...)
	}
	return out
}

// stepWith is the index of the first step with a command containing every
// want, -1 when none.
func stepWith(rb Runbook, want ...string) int {
	for i, st := range flat(rb) {
		for _, c := range st.Commands {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(c, w)
			}
			if ok {
				return i
			}
		}
	}
	return -1
}

func tunnels(ts ...vpn.ProposedTunnel) vpn.ProposalAWS { return vpn.ProposalAWS{Tunnels: ts} }

func TestForChange(t *testing.T) {
	h := healthy
	ip1, ip2 := h.IP(0), h.IP(1)
	vpnID, rg := h.VPNID(), h.RG()
	aes256 := &vpn.IPsecPolicy{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup14",
		IPsecEncryption: "AES256", IPsecIntegrity: "SHA256", PFSGroup: "PFS2048", SALifetimeSeconds: ip(3600)}
	aes128 := *aes256
	aes128.IKEEncryption, aes128.IPsecEncryption = "AES128", "AES128"

	tests := []struct {
		name   string
		s      shape
		mutate func(*vpn.Observation)
		p      vpn.Proposal
		check  func(t *testing.T, rb Runbook)
	}{
		{
			name: "dpd on one tunnel", s: h, mutate: withDPD(30, 30),
			p: vpn.Proposal{AWS: tunnels(vpn.ProposedTunnel{OutsideIP: ip1, DPDTimeoutSeconds: ip(40)}, vpn.ProposedTunnel{OutsideIP: ip2})},
			check: func(t *testing.T, rb Runbook) {
				i := stepWith(rb, "aws ec2 modify-vpn-tunnel-options --vpn-connection-id "+vpnID, "--vpn-tunnel-outside-ip-address "+ip1, `'{"DPDTimeoutSeconds":40}'`)
				if i < 0 {
					t.Fatal("no modify-vpn-tunnel-options for tunnel 1 with DPD 40")
				}
				if stepWith(rb, "modify-vpn-tunnel-options", ip2) >= 0 {
					t.Error("tunnel 2, unchanged, is modified")
				}
				st := flat(rb)[i]
				if !strings.Contains(st.Title, "dpd_timeout_seconds 30 → 40") || !strings.Contains(st.Impact, "traffic runs on tunnel 2 ("+ip2+") meanwhile") {
					t.Errorf("step %+v", st)
				}
				if !strings.Contains(st.Rollback, `'{"DPDTimeoutSeconds":30}'`) {
					t.Errorf("rollback %q does not restore 30", st.Rollback)
				}
				if w := flat(rb)[i+1]; !strings.HasPrefix(w.Title, "Wait until tunnel 1 ("+ip1+") is up again") {
					t.Errorf("after the change: %q, want the wait", w.Title)
				}
			},
		},
		{
			name: "dpd on both sides", s: h, mutate: withDPD(30, 30),
			p: vpn.Proposal{
				AWS:   tunnels(vpn.ProposedTunnel{OutsideIP: ip1, DPDTimeoutSeconds: ip(40)}, vpn.ProposedTunnel{OutsideIP: ip2, DPDTimeoutSeconds: ip(40)}),
				Azure: vpn.ProposalAzure{Connections: []vpn.ProposedConnection{{Name: "cn-aws-tunnel1", DPDTimeoutSeconds: ip(40)}, {Name: "cn-aws-tunnel2", DPDTimeoutSeconds: ip(40)}}},
			},
			check: func(t *testing.T, rb Runbook) {
				a1, z1 := stepWith(rb, "modify-vpn-tunnel-options", ip1), stepWith(rb, "az network vpn-connection update -g "+rg+" -n cn-aws-tunnel1", "--set dpdTimeoutSeconds=40")
				a2, z2 := stepWith(rb, "modify-vpn-tunnel-options", ip2), stepWith(rb, "-n cn-aws-tunnel2", "--set dpdTimeoutSeconds=40")
				wait1 := stepWith(rb, "doorbot status healthy-static")
				if a1 < 0 || z1 < 0 || a2 < 0 || z2 < 0 || !(a1 < wait1 && z1 < wait1 && wait1 < a2 && wait1 < z2) {
					t.Errorf("order aws1 %d azure1 %d wait %d aws2 %d azure2 %d: tunnel 2 must wait for tunnel 1", a1, z1, wait1, a2, z2)
				}
				if st := flat(rb)[a2]; !strings.Contains(st.Impact, "traffic runs on tunnel 1 ("+ip1+")") {
					t.Errorf("tunnel 2's impact %q", st.Impact)
				}
			},
		},
		{
			name: "ike and ipsec policy on both sides", s: h,
			mutate: func(o *vpn.Observation) {
				for i := range o.AWS.VPNConnections[0].Tunnels {
					opt := &o.AWS.VPNConnections[0].Tunnels[i].Options
					opt.Phase1Encryption, opt.Phase2Encryption = []string{"AES128"}, []string{"AES128"}
				}
				o.Azure.Connections[0].IPsecPolicy = &aes128
			},
			p: vpn.Proposal{
				AWS: tunnels(
					vpn.ProposedTunnel{OutsideIP: ip1, Phase1: &vpn.PhaseParams{Encryption: []string{"AES256"}}, Phase2: &vpn.PhaseParams{Encryption: []string{"AES256"}}},
					vpn.ProposedTunnel{OutsideIP: ip2, Phase1: &vpn.PhaseParams{Encryption: []string{"AES256"}}, Phase2: &vpn.PhaseParams{Encryption: []string{"AES256"}}}),
				Azure: vpn.ProposalAzure{Connections: []vpn.ProposedConnection{{Name: "cn-aws-tunnel1", IPsecPolicy: aes256}, {Name: "cn-aws-tunnel2", IPsecPolicy: aes256}}},
			},
			check: func(t *testing.T, rb Runbook) {
				for _, tc := range []struct{ ip, conn string }{{ip1, "cn-aws-tunnel1"}, {ip2, "cn-aws-tunnel2"}} {
					widen := stepWith(rb, tc.ip, `"Phase1EncryptionAlgorithms":[{"Value":"AES128"},{"Value":"AES256"}]`, `"Phase2EncryptionAlgorithms":[{"Value":"AES128"},{"Value":"AES256"}]`)
					add := stepWith(rb, "az network vpn-connection ipsec-policy add -g "+rg+" --connection-name "+tc.conn, "--ike-encryption AES256", "--dh-group DHGroup14", "--pfs-group PFS2048", "--sa-lifetime 3600")
					narrow := stepWith(rb, tc.ip, `"Phase1EncryptionAlgorithms":[{"Value":"AES256"}]`)
					if widen < 0 || add < 0 || narrow < 0 || !(widen < add && add < narrow) {
						t.Errorf("%s: widen %d, azure %d, narrow %d: AWS must accept both before Azure changes, and drop the old after", tc.conn, widen, add, narrow)
						continue
					}
					st := flat(rb)[add]
					clear := stepWith(rb, "ipsec-policy clear -g "+rg+" --connection-name "+tc.conn)
					if tc.conn == "cn-aws-tunnel1" && clear != add {
						t.Errorf("the live policy is not cleared before the new one is added (clear in step %d, add in %d)", clear, add)
					}
					if tc.conn == "cn-aws-tunnel2" && clear >= 0 {
						t.Errorf("a connection without a policy is cleared")
					}
					// The rollback pastes: clear, then add the live policy with every field.
					if back := "ipsec-policy add -g " + rg + " --connection-name cn-aws-tunnel1 \\\n  --ike-encryption AES128"; tc.conn == "cn-aws-tunnel1" && !strings.Contains(st.Rollback, back) {
						t.Errorf("rollback %q does not add the live policy back (%q)", st.Rollback, back)
					}
					if tc.conn == "cn-aws-tunnel1" {
						shelltest.Parses(t, st.Rollback)
					}
					if !strings.Contains(st.Impact, "IKE restarts on "+tc.conn) {
						t.Errorf("impact %q", st.Impact)
					}
				}
				if stepWith(rb, "Phase1EncryptionAlgorithms", ip2) < stepWith(rb, "doorbot status") {
					t.Error("tunnel 2 is touched before tunnel 1 is up again")
				}
			},
		},
		{
			name: "prefixes added and removed on both sides", s: h,
			p: vpn.Proposal{
				AWS: vpn.ProposalAWS{StaticRoutes: []string{"10.2.0.0/16"}},
				Azure: vpn.ProposalAzure{LocalNetworkGateways: []vpn.ProposedLNG{
					{Name: "lng-aws-tunnel1", AddressPrefixes: []string{"172.16.0.0/16"}},
					{Name: "lng-aws-tunnel2", AddressPrefixes: []string{"172.16.0.0/16"}},
				}},
			},
			check: func(t *testing.T, rb Runbook) {
				create := stepWith(rb, "aws ec2 create-vpn-connection-route --vpn-connection-id "+vpnID+" --destination-cidr-block 10.2.0.0/16")
				del := stepWith(rb, "aws ec2 delete-vpn-connection-route --vpn-connection-id "+vpnID+" --destination-cidr-block 10.1.0.0/16")
				union := stepWith(rb, "az network local-gateway update -g "+rg+" -n lng-aws-tunnel1", "--local-address-prefixes 172.31.0.0/16 172.16.0.0/16")
				final := stepWith(rb, "-n lng-aws-tunnel1", "--local-address-prefixes 172.16.0.0/16")
				union2 := stepWith(rb, "-n lng-aws-tunnel2", "--local-address-prefixes 172.31.0.0/16 172.16.0.0/16")
				if create < 0 || del < 0 || union < 0 || final < 0 || union2 < 0 {
					t.Fatalf("create %d delete %d union %d final %d union2 %d", create, del, union, final, union2)
				}
				if !(create < del && union < final && union2 < del && union2 < final) {
					t.Errorf("removals before additions: create %d delete %d union %d final %d", create, del, union, final)
				}
				if got := rb.Phases[0].Title; !strings.HasPrefix(got, "Add routes") {
					t.Errorf("first phase %q", got)
				}
				if st := flat(rb)[del]; !strings.Contains(st.Impact, "No tunnel restart") || !strings.Contains(st.Rollback, "create-vpn-connection-route") {
					t.Errorf("delete step %+v", st)
				}
				if stepWith(rb, "modify-vpn-tunnel-options") >= 0 {
					t.Error("a prefix change modifies a tunnel")
				}
			},
		},
		{
			name: "values swapped between tunnels", s: h, mutate: withDPD(30, 40),
			p: vpn.Proposal{AWS: tunnels(vpn.ProposedTunnel{OutsideIP: ip1, DPDTimeoutSeconds: ip(40)}, vpn.ProposedTunnel{OutsideIP: ip2, DPDTimeoutSeconds: ip(30)})},
			check: func(t *testing.T, rb Runbook) {
				if stepWith(rb, ip1, `"DPDTimeoutSeconds":40`) < 0 || stepWith(rb, ip2, `"DPDTimeoutSeconds":30`) < 0 {
					t.Error("each tunnel does not get its own new value")
				}
				if stepWith(rb, ip1, `"DPDTimeoutSeconds":30}'`+" \\") >= 0 || len(flat(rb)) != 5 {
					t.Errorf("%d steps, want two changes, two waits and the final check", len(flat(rb)))
				}
			},
		},
		{
			name: "aws unreadable: the configured VPN connection", s: throttled,
			p: vpn.Proposal{AWS: tunnels(vpn.ProposedTunnel{OutsideIP: throttled.IP(0), DPDTimeoutSeconds: ip(40)}, vpn.ProposedTunnel{OutsideIP: throttled.IP(1)})},
			check: func(t *testing.T, rb Runbook) {
				i := stepWith(rb, "modify-vpn-tunnel-options --vpn-connection-id "+throttled.VPNID()+" --region ap-southeast-2", throttled.IP(0), `"DPDTimeoutSeconds":40`)
				if i < 0 {
					t.Fatal("no modify for the configured VPN connection")
				}
				if st := flat(rb)[i]; !strings.Contains(st.Rollback, "AWS was not read") {
					t.Errorf("rollback %q claims values doorbot never read", st.Rollback)
				}
			},
		},
		{
			name: "no change", s: h, p: vpn.Proposal{Routing: vpn.RoutingStatic},
			check: func(t *testing.T, rb Runbook) {
				if len(rb.Phases) != 0 || !strings.HasPrefix(rb.Summary[0], "No change") {
					t.Errorf("phases %d, summary %q", len(rb.Phases), rb.Summary)
				}
			},
		},
		{
			name: "a new tunnel has no in-place step", s: h,
			p: vpn.Proposal{AWS: tunnels(vpn.ProposedTunnel{OutsideIP: ip1}, vpn.ProposedTunnel{OutsideIP: ip2}, vpn.ProposedTunnel{OutsideIP: "192.0.2.99"})},
			check: func(t *testing.T, rb Runbook) {
				if len(rb.Phases) != 0 || !strings.HasPrefix(rb.Summary[0], "No step") || !contains(rb.Summary, "AWS tunnel 192.0.2.99 is not a tunnel today") {
					t.Errorf("phases %d, summary %q", len(rb.Phases), rb.Summary)
				}
			},
		},
		{
			name: "bgp to static is the migration", s: bgpSingle, p: vpn.Proposal{Routing: vpn.RoutingStatic},
			check: func(t *testing.T, rb Runbook) {
				if rb.Kind != KindMigrate || !strings.HasPrefix(rb.Title, "Migrate BGP → static") || len(rb.Phases) == 0 {
					t.Errorf("kind %s, title %q", rb.Kind, rb.Title)
				}
			},
		},
		{
			name: "the tunnel that is down goes first", s: tunnel2,
			mutate: withDPD(30, 30),
			p:      vpn.Proposal{AWS: tunnels(vpn.ProposedTunnel{OutsideIP: tunnel2.IP(0), DPDTimeoutSeconds: ip(40)}, vpn.ProposedTunnel{OutsideIP: tunnel2.IP(1), DPDTimeoutSeconds: ip(40)})},
			check: func(t *testing.T, rb Runbook) {
				down, up := stepWith(rb, "modify-vpn-tunnel-options", tunnel2.IP(1)), stepWith(rb, "modify-vpn-tunnel-options", tunnel2.IP(0))
				if down < 0 || up < 0 || down > up {
					t.Errorf("down tunnel in step %d, up tunnel in step %d", down, up)
				}
				if !contains(rb.Summary, "Only 1 of 2 tunnels is up now") {
					t.Errorf("summary %q", rb.Summary)
				}
				if st := flat(rb)[down]; !strings.Contains(st.Impact, "traffic runs on tunnel 1") {
					t.Errorf("impact %q", st.Impact)
				}
			},
		},
		{
			name: "a new key on both ends", s: h,
			p: vpn.Proposal{AWS: tunnels(vpn.ProposedTunnel{OutsideIP: ip1, PSK: "Sekrit.Key.1234"}, vpn.ProposedTunnel{OutsideIP: ip2})},
			check: func(t *testing.T, rb Runbook) {
				aws := stepWith(rb, ip1, `"PreSharedKey":"{aws_tunnel1_psk}"`)
				az := stepWith(rb, "az network vpn-connection shared-key update -g "+rg+" --connection-name cn-aws-tunnel1", "--value {aws_tunnel1_psk}")
				if aws < 0 || az != aws+1 {
					t.Fatalf("key steps aws %d azure %d", aws, az)
				}
				if listed := checkPlaceholders(t, rb); listed["aws_vpn_connection_id"] || !listed["aws_tunnel1_psk"] {
					t.Errorf("placeholders %v: the key only, never the VPN connection doorbot read", listed)
				}
				if st := flat(rb)[aws]; !strings.Contains(st.Impact, "down from this step until step "+strconv.Itoa(az+1)) {
					t.Errorf("impact %q does not say the tunnel is down until the Azure step", st.Impact)
				}
			},
		},
		{
			name: "soracom door", s: door,
			mutate: func(o *vpn.Observation) {
				o.Connection.Soracom.VPGID = "vpg-door"
				o.Soracom = &vpn.SoracomVPG{ID: "vpg-door", Status: "running", DeviceSubnet: "10.128.0.0/9", VPGSubnet: "100.64.17.0/28",
					RoutingFilter: []vpn.RoutingFilterEntry{{Action: "allow", IPRange: "10.1.0.0/16"}}}
			},
			p: vpn.Proposal{
				Soracom: vpn.ProposalSoracom{RoutingFilter: []vpn.RoutingFilterEntry{{Action: "allow", IPRange: "10.1.0.0/16"}, {Action: "allow", IPRange: "10.2.0.0/16"}}},
				Azure:   vpn.ProposalAzure{Connections: []vpn.ProposedConnection{{Name: "cn-door-tunnel1", DPDTimeoutSeconds: ip(30)}, {Name: "cn-door-tunnel2"}}},
				AWS:     tunnels(vpn.ProposedTunnel{OutsideIP: door.IP(0), DPDTimeoutSeconds: ip(30)}, vpn.ProposedTunnel{OutsideIP: door.IP(1), PSK: "Sekrit.Door.5678"}),
			},
			check: func(t *testing.T, rb Runbook) {
				if stepWith(rb, `soracom vpg set-routing-filter --vpg-id vpg-door`, `'[{"action":"allow","ipRange":"10.1.0.0/16"},{"action":"allow","ipRange":"10.2.0.0/16"}]'`) < 0 {
					t.Error("no set-routing-filter with the new entries")
				}
				if stepWith(rb, "-n cn-door-tunnel1", "--set dpdTimeoutSeconds=30") < 0 {
					t.Error("no Azure DPD update")
				}
				if stepWith(rb, "aws ec2") >= 0 {
					t.Error("an aws command for a Door connection: SORACOM owns that side")
				}
				found := false
				for _, st := range flat(rb) {
					found = found || (st.Side == SideSoracom && strings.Contains(st.Title, "dpd_timeout_seconds 30") && strings.Contains(st.Title, door.IP(0)))
				}
				if !found {
					t.Error("the Door tunnel's DPD change is not asked of SORACOM")
				}
				// A new key: SORACOM sets it on Door's side, then Azure at once.
				az := stepWith(rb, "shared-key update -g rg-soracom-door --connection-name cn-door-tunnel2", "--value {aws_tunnel2_psk}")
				if az < 1 || flat(rb)[az-1].Side != SideSoracom || !strings.Contains(flat(rb)[az-1].Impact, "until step "+strconv.Itoa(az+1)) {
					t.Errorf("the Door key change: Azure step %d after %+v", az, flat(rb)[max(az-1, 0)])
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rb := forChange(tc.s, tc.mutate, tc.p)
			checkPlaceholders(t, rb)
			cmds, all := texts(rb)
			for _, c := range cmds {
				shelltest.Parses(t, c)
			}
			js, _ := json.Marshal(rb)
			if strings.Contains(string(js), "Sekrit") || contains(all, "Sekrit") {
				t.Fatal("a key reached the runbook")
			}
			for _, st := range flat(rb) {
				if rb.Kind == KindChange && st.Impact == "" && !strings.HasPrefix(st.Title, "Wait") && !strings.HasPrefix(st.Title, "Check") {
					t.Errorf("step %q says nothing of its impact", st.Title)
				}
			}
			if contains(cmds, "create-customer-gateway") && rb.Kind != KindMigrate {
				t.Error("the generic setup steps in a change runbook")
			}
			tc.check(t, rb)
		})
	}
}

// Whatever a proposal or a cloud holds, word makes it one shell word that
// bash reads back unchanged: no value ends a command, starts another or
// expands.
func FuzzWord(f *testing.F) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		f.Skip("no bash")
	}
	for _, s := range []string{"vpn-0f3c9a1b2d4e5f601", "10.1.0.0/16", "{aws_region}", "{a,b}", "{1..3}", "x'; rm -rf / #", "$(id)", "a b", "`id`", "~root", "*", "!!", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
			t.Skip("bash cannot hold it")
		}
		w := word(s)
		if placeholderRE.MatchString(w) && w == s {
			return // a {placeholder}: the reader replaces it
		}
		out, err := exec.Command(bash, "-c", "printf %s "+w).Output()
		if err != nil || string(out) != s {
			t.Fatalf("word(%q) = %s reads back as %q (%v)", s, w, out, err)
		}
	})
}

func BenchmarkForChange(b *testing.B) {
	obs := healthy.Observation()
	withDPD(30, 30)(&obs)
	live := vpn.ProposalFromObservation(obs)
	p := vpn.Proposal{Connection: obs.Connection.Name,
		AWS: tunnels(vpn.ProposedTunnel{OutsideIP: healthy.IP(0), DPDTimeoutSeconds: ip(40), Phase1: &vpn.PhaseParams{Encryption: []string{"AES256"}}},
			vpn.ProposedTunnel{OutsideIP: healthy.IP(1), DPDTimeoutSeconds: ip(40)})}
	end := vpn.Merge(p, live)
	in := Input{Connection: obs.Connection, Observation: obs}
	for b.Loop() {
		ForChange(in, live, end)
	}
}

// An AWS list that drops values while Azure keeps its proposals comes back
// only if Azure's proposals are among the new values: the impact says so
// instead of promising it; a list that only grows keeps the promise.
func TestForChangeNarrowedAWSListImpact(t *testing.T) {
	h := healthy
	ip1, ip2 := h.IP(0), h.IP(1)
	live := func(o *vpn.Observation) {
		for i := range o.AWS.VPNConnections[0].Tunnels {
			o.AWS.VPNConnections[0].Tunnels[i].Options.Phase1Encryption = []string{"AES128", "AES256"}
		}
	}
	for _, tc := range []struct {
		name    string
		enc     []string
		promise bool
	}{
		{"narrowed", []string{"AES256"}, false},
		{"widened", []string{"AES128", "AES256", "AES256-GCM-16"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rb := forChange(h, live, vpn.Proposal{AWS: tunnels(
				vpn.ProposedTunnel{OutsideIP: ip1, Phase1: &vpn.PhaseParams{Encryption: tc.enc}}, vpn.ProposedTunnel{OutsideIP: ip2})})
			i := stepWith(rb, "modify-vpn-tunnel-options", ip1, "Phase1EncryptionAlgorithms")
			if i < 0 {
				t.Fatal("no modify-vpn-tunnel-options for tunnel 1")
			}
			imp := flat(rb)[i].Impact
			if got := strings.Contains(imp, "which the new values still accept"); got != tc.promise {
				t.Errorf("impact %q: promises the tunnel comes back = %v, want %v", imp, got, tc.promise)
			}
			if !tc.promise && !strings.Contains(imp, "only if Azure's default proposals") {
				t.Errorf("impact %q does not say the tunnel may stay down", imp)
			}
		})
	}
}

// No AWS command of a change runbook prints the tunnels' pre-shared keys:
// modify-vpn-tunnel-options answers with every tunnel option, keys in
// clear text, unless its output is narrowed, and so does a describe that
// selects TunnelOptions whole. AWS has no "modifying" VPN state to expect.
func TestForChangeAWSOutputKeepsKeysOut(t *testing.T) {
	h := healthy
	ip1, ip2 := h.IP(0), h.IP(1)
	p := vpn.Proposal{AWS: tunnels(
		vpn.ProposedTunnel{OutsideIP: ip1, DPDTimeoutSeconds: ip(40), PSK: vpn.Secret("k3yk3yk3y")}, vpn.ProposedTunnel{OutsideIP: ip2})}
	unread := func(o *vpn.Observation) { o.AWS = nil }
	for name, rb := range map[string]Runbook{"read": forChange(h, nil, p), "aws unread": forChange(h, unread, p)} {
		t.Run(name, func(t *testing.T) {
			n := 0
			for _, st := range flat(rb) {
				for _, text := range append(slices.Clone(st.Commands), st.Rollback, st.Check) {
					for _, cmd := range strings.Split(text, "; ") {
						if !strings.Contains(cmd, "aws ec2 modify-vpn-tunnel-options") && !strings.Contains(cmd, "aws ec2 describe-vpn-connections") {
							continue
						}
						n++
						if !strings.Contains(cmd, "--query ") || strings.Contains(cmd, "TunnelOptions'") || strings.Contains(cmd, "PreSharedKey'") {
							t.Errorf("step %q: %q prints the tunnels' keys", st.Title, cmd)
						}
					}
				}
				if strings.Contains(st.Expect, "State modifying") {
					t.Errorf("step %q expects a VPN state AWS does not have: %q", st.Title, st.Expect)
				}
			}
			if n == 0 {
				t.Fatal("no AWS command checked")
			}
		})
	}
}

// An option AWS had at its default is rolled back with AWS's default
// values in the command, which a person at 3 a.m. need not look up; only
// the DPD timeout, whose default AWS's guides disagree on, is named.
func TestForChangeRollbackSetsAWSDefaults(t *testing.T) {
	h := healthy
	ip1, ip2 := h.IP(0), h.IP(1)
	rb := forChange(h, nil, vpn.Proposal{AWS: tunnels(vpn.ProposedTunnel{OutsideIP: ip1, IKEVersions: []string{"ikev2"},
		Phase1: &vpn.PhaseParams{Encryption: []string{"AES256"}, DHGroups: []int{14}, LifetimeSeconds: ip(14400)}, DPDTimeoutSeconds: ip(45)}, vpn.ProposedTunnel{OutsideIP: ip2})})
	i := stepWith(rb, "modify-vpn-tunnel-options", ip1)
	if i < 0 {
		t.Fatal("no modify-vpn-tunnel-options for tunnel 1")
	}
	back := flat(rb)[i].Rollback
	for _, want := range []string{
		"aws ec2 modify-vpn-tunnel-options", "--vpn-tunnel-outside-ip-address " + ip1,
		`"IKEVersions":[{"Value":"ikev1"},{"Value":"ikev2"}]`,
		`"Phase1DHGroupNumbers":[{"Value":2},{"Value":14},{"Value":15},`,
		`"Phase1LifetimeSeconds":28800`,
		`"Phase1EncryptionAlgorithms":[{"Value":"AES128"},{"Value":"AES128-GCM-16"},{"Value":"AES256"},{"Value":"AES256-GCM-16"}]`,
		"dpd_timeout_seconds was AWS's default",
	} {
		if !strings.Contains(back, want) {
			t.Errorf("rollback %q lacks %q", back, want)
		}
	}
	if strings.Contains(back, `"DPDTimeoutSeconds"`) {
		t.Errorf("rollback %q sets a DPD default AWS documents two ways", back)
	}
	for _, cmd := range strings.Split(back, "; ") {
		if strings.HasPrefix(cmd, "aws ") {
			shelltest.Parses(t, cmd)
		}
	}
}

// Values typed in another case (the checks compare them case-blind) are
// printed in AWS's spelling, the one its API documents.
func TestForChangeAWSSpelling(t *testing.T) {
	h := healthy
	ip1, ip2 := h.IP(0), h.IP(1)
	rb := forChange(h, nil, vpn.Proposal{AWS: tunnels(vpn.ProposedTunnel{OutsideIP: ip1, IKEVersions: []string{"IKEv2"},
		Phase1: &vpn.PhaseParams{Encryption: []string{"aes256-gcm-16"}, Integrity: []string{"sha2-256"}}, StartupAction: "Start"}, vpn.ProposedTunnel{OutsideIP: ip2})})
	want := []string{`"IKEVersions":[{"Value":"ikev2"}]`, `"Phase1EncryptionAlgorithms":[{"Value":"AES256-GCM-16"}]`,
		`"Phase1IntegrityAlgorithms":[{"Value":"SHA2-256"}]`, `"StartupAction":"start"`}
	if stepWith(rb, append([]string{ip1}, want...)...) < 0 {
		var cmds []string
		for _, st := range flat(rb) {
			cmds = append(cmds, st.Commands...)
		}
		t.Errorf("no command with AWS's spelling %q in %q", want, cmds)
	}
}
