package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/vpn"
)

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, os.Getenv)
	return result{code, out.String(), errb.String()}
}

// realCloudEnv points the standard AWS and Azure credential chains at the
// simulators, as a user would point doorbot at real accounts: env
// credentials and AWS_ENDPOINT_URL_EC2 for AWS; AZURE_TOKEN_CREDENTIALS and
// a fake `az` on PATH for Azure; the simulator's CA via SSL_CERT_FILE.
func realCloudEnv(t *testing.T, srv *sim.Server) {
	t.Helper()
	env, err := demoEnv(srv, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env["DOORBOT_CONFIG"] = ""
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// writeConfig writes a config for the given scenarios, with ARM at the
// simulator's https endpoint.
func writeConfig(t *testing.T, srv *sim.Server, scenarios []sim.Scenario, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doorbot.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(extra, "")+demoConfigYAML(srv, scenarios)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// One simulator serves every CLI test: Go loads SSL_CERT_FILE once per
// process, so its certificate must not change between tests.
var (
	demoOnce      sync.Once
	demoSrv       *sim.Server
	demoWorld     *sim.World
	demoScenarios []sim.Scenario
	demoErr       error
)

func startDemoWorld(t *testing.T) (*sim.Server, []sim.Scenario) {
	t.Helper()
	demoOnce.Do(func() {
		demoWorld, demoScenarios = sim.DemoWorld()
		// The alert scenario lives beside the others, in its own region
		// and resource group, for the tests that break and mend it.
		sim.AlertScenario().Populate(demoWorld)
		demoSrv, demoErr = sim.Start(demoWorld)
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	t.Cleanup(func() {
		if m := demoSrv.Mutations(); len(m) > 0 {
			t.Errorf("mutating calls: %+v", m)
		}
	})
	return demoSrv, demoScenarios
}

func assertNoKeys(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if i := strings.Index(s, sim.SoracomSecretPrefix); i >= 0 {
			t.Errorf("a SORACOM auth key, API key or token reached the output: …%s…", s[max(0, i-40):min(len(s), i+40)])
		}
		if strings.Contains(s, sim.PSKPrefix) {
			i := strings.Index(s, sim.PSKPrefix)
			t.Errorf("a pre-shared key reached the output: …%s…", s[max(0, i-40):min(len(s), i+40)])
		}
	}
}

// The real CLI, on the real credential chains and SDKs, against the
// simulated clouds: the JSON is docs/output.md and right for each scenario.
func TestStatusJSONAgainstSimulatedClouds(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	cfg := writeConfig(t, srv, scenarios)

	r := runCLI(t, "", "status", "--config", cfg, "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	assertNoKeys(t, r.stdout, r.stderr)
	var rep struct {
		GeneratedAt string `json:"generated_at"`
		Connections []struct {
			Name    string `json:"name"`
			Kind    string `json:"kind"`
			Health  string `json:"health"`
			Summary string `json:"summary"`
			Routing struct {
				AWS   string `json:"aws"`
				Azure string `json:"azure"`
			} `json:"routing"`
			Observed struct {
				AWS   bool `json:"aws"`
				Azure bool `json:"azure"`
			} `json:"observed"`
			Tunnels  []map[string]any `json:"tunnels"`
			Findings []struct {
				Rule      string `json:"rule"`
				Severity  string `json:"severity"`
				Message   string `json:"message"`
				Fix       string `json:"fix"`
				Reference string `json:"reference"`
			} `json:"findings"`
			Errors []struct {
				Cloud   string `json:"cloud"`
				Message string `json:"message"`
			} `json:"errors"`
			BGPPeers     []map[string]any `json:"bgp_peers"`     // an addition to §4
			LikelyCauses []map[string]any `json:"likely_causes"` // an addition to §4
			Soracom      *struct {        // an addition to §4 (§12)
				VPGID           string `json:"vpg_id"`
				Status          string `json:"status"`
				Type            string `json:"type"`
				Routing         string `json:"routing"`
				DeviceSubnet    string `json:"device_subnet"`
				VPGSubnet       string `json:"vpg_subnet"`
				DoorConnections []struct {
					ID                string `json:"id"`
					UseDynamicRouting bool   `json:"use_dynamic_routing"`
					BGPASN            string `json:"bgp_asn"`
				} `json:"door_connections"`
				RoutingFilter []struct {
					Action  string `json:"action"`
					IPRange string `json:"ip_range"`
				} `json:"routing_filter"`
				OnlineSessions *int `json:"online_sessions"`
			} `json:"soracom"`
		} `json:"connections"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("JSON does not match docs/output.md: %v\n%s", err, r.stdout)
	}
	if rep.GeneratedAt == "" || len(rep.Connections) != len(scenarios) {
		t.Fatalf("generated_at %q, %d connections", rep.GeneratedAt, len(rep.Connections))
	}
	want := map[string]struct {
		health, awsRouting, azureRouting string
		rules                            []string
		errCloud                         string
		awsRead                          bool
	}{
		"healthy-static": {"healthy", "static", "static", nil, "", true},
		"tunnel2-down":   {"degraded", "static", "static", []string{"tunnel-down"}, "", true},
		"bgp-single-ip":  {"degraded", "bgp", "bgp", []string{"bgp-needs-active-active", "tunnel-down"}, "", true},
		"soracom-door":   {"healthy", "static", "static", nil, "", false},
		"aws-throttled":  {"healthy", "unknown", "static", nil, "aws", false},
		// Connected tunnels whose BGP peers are Idle route nothing: down.
		"bgp-peers-down":    {"down", "bgp", "bgp", []string{"tunnel-down"}, "", true},
		"door-bgp":          {"degraded", "bgp", "bgp", []string{"tunnel-down"}, "", false},
		"psk-mismatch":      {"degraded", "static", "static", []string{"tunnel-down"}, "", true},
		"proposal-mismatch": {"degraded", "static", "static", []string{"tunnel-down"}, "", true},
		"dpd-timeout":       {"degraded", "static", "static", []string{"tunnel-down"}, "", true},
		"maintenance":       {"degraded", "static", "static", []string{"tunnel-down"}, "", true},
		"no-logs":           {"degraded", "static", "static", []string{"tunnel-down"}, "", true},
	}
	tunnelKeys := []string{"index", "aws_outside_ip", "aws_status", "aws_since", "aws_message", "aws_accepted_routes",
		"azure_connection", "azure_status", "azure_ingress_bytes", "azure_egress_bytes", "up"}
	for _, c := range rep.Connections {
		w, ok := want[c.Name]
		if !ok {
			t.Errorf("unexpected connection %q", c.Name)
			continue
		}
		if c.Health != w.health || c.Routing.AWS != w.awsRouting || c.Routing.Azure != w.azureRouting {
			t.Errorf("%s: health %s routing %s/%s, want %s %s/%s (summary %q)", c.Name, c.Health, c.Routing.AWS, c.Routing.Azure, w.health, w.awsRouting, w.azureRouting, c.Summary)
		}
		rules := map[string]bool{}
		for _, f := range c.Findings {
			rules[f.Rule] = true
			if !strings.HasPrefix(f.Reference, "https://") {
				t.Errorf("%s: finding %s has no reference URL", c.Name, f.Rule)
			}
		}
		for _, id := range w.rules {
			if !rules[id] {
				t.Errorf("%s: finding %s missing; got %v", c.Name, id, rules)
			}
		}
		if w.rules == nil && len(c.Findings) > 0 {
			t.Errorf("%s: unexpected findings %+v", c.Name, c.Findings)
		}
		if c.Observed.AWS != w.awsRead || !c.Observed.Azure {
			t.Errorf("%s: observed %+v, want aws %v, azure true", c.Name, c.Observed, w.awsRead)
		}
		if (w.errCloud != "") != (len(c.Errors) > 0) || (w.errCloud != "" && c.Errors[0].Cloud != w.errCloud) {
			t.Errorf("%s: errors %+v, want cloud %q", c.Name, c.Errors, w.errCloud)
		}
		if len(c.Tunnels) != 2 {
			t.Errorf("%s: %d tunnels, want 2", c.Name, len(c.Tunnels))
		}
		if sc := c.Soracom; c.Name == "soracom-door" {
			if sc == nil || sc.Routing != "static" || sc.DeviceSubnet != "10.128.0.0/9" || sc.VPGSubnet != "100.64.17.0/28" ||
				len(sc.DoorConnections) != 1 || sc.DoorConnections[0].UseDynamicRouting || sc.Type != "Type-F" || sc.Status != "running" ||
				sc.OnlineSessions == nil || *sc.OnlineSessions != 412 {
				t.Errorf("Door: soracom = %+v", sc)
			}
		} else if (sc != nil) != (c.Kind == "soracom-door") {
			t.Errorf("%s: soracom section %+v on kind %s", c.Name, sc, c.Kind)
		}
		for _, tu := range c.Tunnels {
			for _, k := range tunnelKeys {
				if _, ok := tu[k]; !ok {
					t.Errorf("%s: tunnel lacks %q", c.Name, k)
				}
			}
			if c.Name == "soracom-door" && tu["aws_status"] != "unknown" {
				t.Errorf("Door: aws_status %v, want unknown (SORACOM's side)", tu["aws_status"])
			}
		}
	}
	var authorized int
	for _, req := range srv.Requests() {
		if req.Cloud == "azure" && req.Authorized {
			authorized++
		}
	}
	if authorized == 0 {
		t.Error("no ARM request carried the token from DefaultAzureCredential")
	}
}

func TestStatusTextNamesAndErrors(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	cfg := writeConfig(t, srv, scenarios)

	r := runCLI(t, "", "status", "tunnel2-down", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"tunnel2-down — DEGRADED", "IPSEC IS DOWN", "NotConnected", "tunnel-down", "fix:",
		"Likely causes", "check next: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "healthy-static") {
		t.Error("only the named connection must be shown")
	}
	assertNoKeys(t, r.stdout, r.stderr)

	r = runCLI(t, "", "status", "nope", "--config", cfg)
	if r.code != 2 || !strings.Contains(r.stderr, `unknown connection "nope"; known: healthy-static`) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("unknown name: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("aws:\n  region: ap-northeast-1\n  regoin: x\n"), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"status", "--config", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"status", "--config", bad}, "bad.yaml:3"},
		{[]string{"status", "--output", "xml"}, `--output "xml"`},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"demo", "--scenario", "nope"}, "known scenarios: healthy-static"},
	}
	for _, tc := range cases {
		r := runCLI(t, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("%v: exit %d stderr %q, want exit 2 and one line containing %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

func TestDemo(t *testing.T) {
	r := runCLI(t, "", "demo")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"healthy-static — HEALTHY", "tunnel2-down — DEGRADED", "bgp-needs-active-active", "soracom-door — HEALTHY",
		"throttling", "━━ alerts  A tunnel that drops, flaps and recovers", "#vpn-alerts got 2 root messages", "0 would have changed anything"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	assertNoKeys(t, r.stdout, r.stderr)

	r = runCLI(t, "", "demo", "--scenario", "bgp-single-ip", "--output", "json")
	var rep vpn.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Connections) != 1 || rep.Connections[0].Health != vpn.Degraded {
		t.Errorf("demo json: %v %+v", err, rep)
	}
}

func TestConsoleDemo(t *testing.T) {
	in := "/door help\n/door status soracom-door\n/door status <!channel>\n/door frob\nhello\n/door alerts\n/door history alert-demo\n"
	r := runCLI(t, in, "console", "--demo")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"/door status [NAME...]", "soracom-door — HEALTHY", `"<!channel>" is not a connection name`, `unknown subcommand "frob"`, "lines start with /door",
		// The alert demo's messages, then the store they left behind.
		"#vpn-alerts post      vpn alert-demo: DEGRADED", "#vpn-alerts broadcast ✓ alert-demo: resolved after", "#vpn-alerts post      vpn alert-demo: FLAPPING",
		"0 open, 2 recent alerts", "went down 5 time(s)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("console output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	if r := runCLI(t, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "doorbot ") {
		t.Errorf("version: %+v", r)
	}
}
