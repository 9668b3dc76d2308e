package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// whyJSON is docs/why.md's interface, with doorbot's additions; decoding
// with DisallowUnknownFields keeps the shape honest.
type whyJSON struct {
	Connection  string `json:"connection"`
	GeneratedAt string `json:"generated_at"`
	Health      string `json:"health"`
	Tunnel      int    `json:"tunnel"`
	Causes      []struct {
		Rule      string `json:"rule"`
		Severity  string `json:"severity"`
		Message   string `json:"message"`
		Fix       string `json:"fix"`
		Reference string `json:"reference"`
		Tunnel    int    `json:"tunnel"`
		Evidence  []struct {
			Source string `json:"source"`
			Time   string `json:"time"`
			Text   string `json:"text"`
		} `json:"evidence"`
	} `json:"causes"`
	NotRead []struct {
		Source string `json:"source"`
		Why    string `json:"why"`
		Fix    string `json:"fix"`
	} `json:"not_read"`
	Read []string `json:"read"`
}

// The real CLI on the real credential chains and SDKs (EC2, CloudWatch Logs
// through AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, ARM, Log Analytics through
// azure.logs_endpoint) against the simulated clouds.
func TestWhyAgainstSimulatedClouds(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	cfg := writeConfig(t, srv, scenarios)

	cases := []struct {
		args            []string
		rule            string
		tunnel          int
		evidenceSources []string
		notRead         []string
	}{
		{[]string{"psk-mismatch"}, "psk-mismatch", 2, []string{"azure:IKEDiagnosticLog", "aws:tunnel-log"}, nil},
		{[]string{"psk-mismatch", "203.0.113.81"}, "psk-mismatch", 2, []string{"aws:tunnel-log"}, nil},
		{[]string{"proposal-mismatch", "1"}, "proposal-mismatch", 1, []string{"azure:IKEDiagnosticLog", "aws:tunnel-log"}, nil},
		{[]string{"dpd-timeout"}, "dpd-timeout", 2, []string{"aws:tunnel-log"}, []string{"azure:diagnostics"}},
		{[]string{"maintenance"}, "maintenance", 1, []string{"aws:maintenance"}, []string{"aws:tunnel-log", "azure:diagnostics"}},
		{[]string{"no-logs"}, "tunnel-down", 2, []string{"aws:telemetry"}, []string{"aws:tunnel-log", "azure:diagnostics"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := runCLI(t, "", append([]string{"why", "--config", cfg, "--output", "json"}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			assertNoKeys(t, r.stdout, r.stderr)
			var a whyJSON
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&a); err != nil {
				t.Fatalf("JSON does not match docs/why.md: %v\n%s", err, r.stdout)
			}
			if a.Connection != c.args[0] || len(a.Causes) == 0 || a.Causes[0].Rule != c.rule || a.Causes[0].Tunnel != c.tunnel {
				t.Fatalf("answer = %+v", a)
			}
			var got []string
			for _, e := range a.Causes[0].Evidence {
				got = append(got, e.Source)
				if e.Time == "" || e.Text == "" {
					t.Errorf("evidence without time or text: %+v", e)
				}
			}
			for _, w := range c.evidenceSources {
				if !strings.Contains(strings.Join(got, ","), w) {
					t.Errorf("evidence %v lacks %s", got, w)
				}
			}
			var nr []string
			for _, n := range a.NotRead {
				nr = append(nr, n.Source)
			}
			if strings.Join(nr, ",") != strings.Join(c.notRead, ",") {
				t.Errorf("not_read = %v, want %v", nr, c.notRead)
			}
			if a.NotRead == nil || a.Causes[0].Reference == "" {
				t.Errorf("not_read must be an array and causes carry a reference: %s", r.stdout)
			}
		})
	}

	r := runCLI(t, "", "why", "--config", cfg, "no-logs")
	if r.code != 0 || !strings.Contains(r.stdout, "Not read (doorbot never enables anything)") ||
		!strings.Contains(r.stdout, "modify-vpn-tunnel-options") || !strings.Contains(r.stdout, "brief interruption") ||
		!strings.Contains(r.stdout, "az monitor diagnostic-settings create") {
		t.Errorf("text: exit %d\n%s", r.code, r.stdout)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"why", "--config", cfg}, "accepts between 1 and 2 arg(s)"},
		{[]string{"why", "--config", cfg, "nope"}, `unknown connection "nope"`},
		{[]string{"why", "--config", cfg, "psk-mismatch", "9"}, `tunnel "9" is not a tunnel of psk-mismatch`},
	} {
		r := runCLI(t, "", bad.args...)
		if r.code != 2 || !strings.Contains(r.stderr, bad.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", bad.args, r.code, r.stderr, bad.want)
		}
	}
}
