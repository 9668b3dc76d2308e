package cloud_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/doorbot/doorbot/cloud"
	awsc "github.com/doorbot/doorbot/cloud/aws"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/why"
)

func whyObserver(t testing.TB, srv *sim.Server, o simclient.Options) *cloud.Observer {
	t.Helper()
	obs, err := simclient.Observer(srv, o)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// explain runs the evidence read and the matcher the way `why` does.
func explain(obs *cloud.Observer, conn vpn.Connection) why.Answer {
	in := obs.Evidence(context.Background(), conn)
	in.Tunnels = vpn.Pair(in.Observation)
	return why.Explain(in)
}

func sources(a why.Answer) (evidence, notRead string) {
	var ev, nr []string
	for _, c := range a.Causes {
		for _, e := range c.Evidence {
			ev = append(ev, e.Source)
		}
	}
	for _, n := range a.NotRead {
		nr = append(nr, n.Source)
	}
	return strings.Join(ev, ","), strings.Join(nr, ",")
}

// Each scenario: the real SDK clients read the simulated clouds, and why
// names the cause with its evidence line and time.
func TestEvidenceScenarios(t *testing.T) {
	world, scenarios := sim.DemoWorld()
	srv := start(t, world)
	obs := whyObserver(t, srv, simclient.Options{MaxAttempts: 1})
	byName := map[string]sim.Scenario{}
	for _, s := range scenarios {
		byName[s.Name] = s
	}
	cases := []struct {
		scenario string
		rule     string
		tunnel   int
		evidence string // a source that must back the top cause
		text     string // in the top cause's first evidence line
		notRead  []string
	}{
		{"psk-mismatch", "psk-mismatch", 2, "aws:tunnel-log", "Authentication failed", nil},
		{"proposal-mismatch", "proposal-mismatch", 1, "azure:IKEDiagnosticLog", "NO_PROPOSAL_CHOSEN", nil},
		{"dpd-timeout", "dpd-timeout", 2, "aws:tunnel-log", "DPD timed out", []string{"azure:diagnostics"}},
		{"maintenance", "maintenance", 1, "aws:maintenance", "last maintenance applied", []string{"aws:tunnel-log", "azure:diagnostics"}},
		{"no-logs", "tunnel-down", 2, "aws:telemetry", "", []string{"aws:tunnel-log", "azure:diagnostics"}},
		{"bgp-single-ip", "bgp-session-down", 2, "azure:bgp-peers", "", []string{"aws:bgp-log", "aws:tunnel-log", "azure:diagnostics"}},
		{"tunnel2-down", "tunnel-down", 2, "azure:connection", "", []string{"aws:tunnel-log", "azure:diagnostics"}},
	}
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			a := explain(obs, byName[c.scenario].Connection)
			if len(a.Causes) == 0 {
				t.Fatalf("no cause; not read: %+v", a.NotRead)
			}
			top := a.Causes[0]
			if top.Rule != c.rule || top.Tunnel != c.tunnel {
				t.Fatalf("top cause = %s on tunnel %d (%s), want %s on %d", top.Rule, top.Tunnel, top.Message, c.rule, c.tunnel)
			}
			ev, nr := sources(a)
			if !strings.Contains(ev, c.evidence) {
				t.Errorf("evidence sources %s lack %s", ev, c.evidence)
			}
			e := top.Evidence[0]
			if _, err := time.Parse(time.RFC3339, e.Time); err != nil || e.Text == "" {
				t.Errorf("evidence line %+v has no time or text", e)
			}
			if c.text != "" && !strings.Contains(top.Evidence[0].Text, c.text) {
				t.Errorf("first evidence %q lacks %q", top.Evidence[0].Text, c.text)
			}
			if nr != strings.Join(c.notRead, ",") {
				t.Errorf("not read = %s, want %v", nr, c.notRead)
			}
			for _, n := range a.NotRead {
				if n.Why == "" || n.Fix == "" {
					t.Errorf("not_read entry without why or fix: %+v", n)
				}
			}
			b, _ := json.Marshal(a)
			for _, k := range byName[c.scenario].Secrets {
				if strings.Contains(string(b), k) {
					t.Errorf("a pre-shared key reached the answer")
				}
			}
		})
	}

	t.Run("soracom-door", func(t *testing.T) {
		a := explain(obs, byName["soracom-door"].Connection)
		_, nr := sources(a)
		if !strings.Contains(nr, "soracom") {
			t.Fatalf("not read = %s, want the SORACOM side named", nr)
		}
		for _, n := range a.NotRead {
			if n.Source == "soracom" && (!strings.Contains(n.Fix, "SORACOM support") || !strings.Contains(n.Fix, "198.51.100.41")) {
				t.Errorf("soracom entry = %+v", n)
			}
		}
		for _, r := range srv.Requests() {
			if r.Cloud == sim.CloudAWS && strings.Contains(r.Query.Get("VpnConnectionId"), "04") {
				t.Errorf("read AWS for a SORACOM Door connection: %+v", r)
			}
		}
	})

	// Read-only: nothing enabled logging, wrote a log group or reset anything.
	for _, r := range srv.Requests() {
		if r.Mutation || r.Action == "ModifyVpnTunnelOptions" || strings.HasPrefix(r.Action, "Put") || strings.HasPrefix(r.Action, "Create") {
			t.Errorf("mutating call: %+v", r)
		}
	}
}

// A source that hangs or refuses (403, 404, 429) becomes not_read with its
// fix; every other source's evidence is still there.
func TestEvidenceSourceFaults(t *testing.T) {
	cases := []struct {
		name     string
		cloud    string
		fault    sim.Fault
		scenario string
		source   string // the not_read entry the fault must produce
		fix      string // in its fix
		still    string // an evidence source that must survive
	}{
		{"cloudwatch logs denied", sim.CloudAWSLogs, sim.Fault{Status: 403}, "psk-mismatch", "aws:tunnel-log", "logs:FilterLogEvents", "azure:IKEDiagnosticLog"},
		{"cloudwatch logs group gone", sim.CloudAWSLogs, sim.Fault{Status: 404}, "psk-mismatch", "aws:tunnel-log", "Retry", "azure:IKEDiagnosticLog"},
		{"cloudwatch logs throttled", sim.CloudAWSLogs, sim.Fault{Status: 429}, "psk-mismatch", "aws:tunnel-log", "Retry", "azure:IKEDiagnosticLog"},
		{"cloudwatch logs hangs", sim.CloudAWSLogs, sim.Fault{Hang: true}, "psk-mismatch", "aws:tunnel-log", "network access", "azure:IKEDiagnosticLog"},
		{"log analytics denied", sim.CloudAzureLogs, sim.Fault{Status: 403}, "psk-mismatch", "azure:diagnostics", "Microsoft.Insights/logs/AzureDiagnostics/read", "aws:tunnel-log"},
		{"log analytics throttled", sim.CloudAzureLogs, sim.Fault{Status: 429}, "proposal-mismatch", "azure:diagnostics", "Retry", "aws:tunnel-log"},
		{"log analytics hangs", sim.CloudAzureLogs, sim.Fault{Hang: true}, "psk-mismatch", "azure:diagnostics", "network access", "aws:tunnel-log"},
		{"maintenance denied", sim.CloudAWS, sim.Fault{Status: 403, Action: "GetVpnTunnelReplacementStatus"}, "psk-mismatch", "aws:maintenance", "ec2:GetVpnTunnelReplacementStatus", "aws:tunnel-log"},
		{"learned routes denied", sim.CloudAzure, sim.Fault{Status: 403, Action: "GetLearnedRoutes"}, "bgp-single-ip", "azure:learned-routes", "getLearnedRoutes/action", "azure:bgp-peers"},
		{"learned routes hang", sim.CloudAzure, sim.Fault{Hang: true, Action: "GetLearnedRoutes"}, "bgp-single-ip", "azure:learned-routes", "network access", "aws:telemetry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			world, scenarios := sim.DemoWorld()
			world.AddFault(c.cloud, c.fault)
			srv := start(t, world)
			obs := whyObserver(t, srv, simclient.Options{MaxAttempts: 1, CallTimeout: time.Second, StatusTimeout: 4 * time.Second})
			var conn vpn.Connection
			for _, s := range scenarios {
				if s.Name == c.scenario {
					conn = s.Connection
				}
			}
			a := explain(obs, conn)
			ev, _ := sources(a)
			if !strings.Contains(ev, c.still) {
				t.Errorf("evidence %s lost %s", ev, c.still)
			}
			var found bool
			for _, n := range a.NotRead {
				if n.Source == c.source {
					found = true
					if !strings.Contains(n.Fix, c.fix) {
						t.Errorf("not_read %+v: fix lacks %q", n, c.fix)
					}
				}
			}
			if !found {
				t.Errorf("no not_read entry for %s: %+v", c.source, a.NotRead)
			}
		})
	}
}

// The CloudWatch Logs endpoint follows the SDK's own override,
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, when doorbot sets none in code.
func TestCloudWatchLogsEndpointFromEnvironment(t *testing.T) {
	world, scenarios := sim.DemoWorld()
	srv := start(t, world)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", srv.LogsURL)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion("ap-northeast-1"),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = srv.EC2HTTPClient()
	var vpnID string
	for _, s := range scenarios {
		if s.Name == "psk-mismatch" {
			vpnID = s.Connection.AWS.VPNConnectionIDs[0]
		}
	}
	group := "arn:aws:logs:ap-northeast-1:123456789012:log-group:/aws/vendedlogs/vpn/" + vpnID
	events, err := awsc.New(cfg, awsc.Options{MaxAttempts: 1}).LogEvents(context.Background(), group, vpnID, time.Now().Add(-time.Hour), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 6 || !strings.Contains(events[5].Stream, "203.0.113.81") {
		t.Errorf("events = %+v", events)
	}
}

func BenchmarkWhy(b *testing.B) {
	world, scenarios := sim.DemoWorld()
	srv := start(b, world)
	obs := whyObserver(b, srv, simclient.Options{MaxAttempts: 1})
	var conn vpn.Connection
	for _, s := range scenarios {
		if s.Name == "psk-mismatch" {
			conn = s.Connection
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if a := explain(obs, conn); len(a.Causes) == 0 {
			b.Fatal("no cause")
		}
	}
}
