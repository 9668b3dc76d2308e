package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type validateJSON struct {
	Verdict  string `json:"verdict"`
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
	} `json:"findings"`
	Connection string              `json:"connection"`
	Sources    map[string][]string `json:"sources"`
}

func decodeValidate(t *testing.T, out string) validateJSON {
	t.Helper()
	var v validateJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("validate JSON: %v\n%s", err, out)
	}
	return v
}

func rulesOf(v validateJSON) map[string]string {
	m := map[string]string{}
	for _, f := range v.Findings {
		m[f.Rule] = f.Severity
	}
	return m
}

func TestValidateExamples(t *testing.T) {
	r := runCLI(t, "", "validate", "../../examples/static-two-tunnels.yaml", "--output", "json")
	if v := decodeValidate(t, r.stdout); r.code != 0 || v.Verdict == "fail" {
		t.Errorf("the static design: exit %d, verdict %s, findings %+v", r.code, v.Verdict, v.Findings)
	}
	r = runCLI(t, "", "validate", "../../examples/bgp-single-ip.yaml", "--output", "json")
	v := decodeValidate(t, r.stdout)
	if r.code != 1 || v.Verdict != "fail" || rulesOf(v)["bgp-needs-active-active"] != "error" {
		t.Errorf("the BGP trap: exit %d, verdict %s, findings %+v", r.code, v.Verdict, v.Findings)
	}
	r = runCLI(t, "", "validate", "../../examples/bgp-single-ip.yaml")
	if r.code != 1 || !strings.Contains(r.stdout, "bgp-needs-active-active") || !strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stderr, "error findings") {
		t.Errorf("text: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// A proposal naming a configured connection is completed from its live
// state, and the output says which values came from where.
func TestValidateMergesLiveState(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	cfg := writeConfig(t, srv, scenarios)
	// Only the intent: static routing. Everything else is live.
	p := writeFile(t, "p.yaml", "connection: bgp-single-ip\nrouting: static\n")
	r := runCLI(t, "", "validate", p, "--config", cfg, "--output", "json")
	v := decodeValidate(t, r.stdout)
	if v.Connection != "bgp-single-ip" || len(v.Sources["live"]) == 0 || len(v.Sources["proposal"]) == 0 {
		t.Errorf("sources %v connection %q", v.Sources, v.Connection)
	}
	for _, path := range v.Sources["proposal"] {
		if path != "routing" && path != "connection" {
			t.Errorf("%s claimed as from the proposal", path)
		}
	}
	// Static routing intended while the live connections run BGP: the
	// change (a new AWS VPN connection) and the mismatch are both named.
	if rs := rulesOf(v); rs["routing-mismatch"] == "" && rs["change-causes-outage"] == "" {
		t.Errorf("moving bgp-single-ip to static raised neither routing-mismatch nor change-causes-outage: %+v", v.Findings)
	}
	if strings.Contains(r.stdout, "Sim.PSK.") {
		t.Error("a pre-shared key reached the output")
	}

	// A tunnel of the named connection is down now: validate says so,
	// because changing the surviving tunnel is then an outage; a healthy
	// connection gets no such finding.
	for name, down := range map[string]bool{"tunnel2-down": true, "healthy-static": false} {
		r := runCLI(t, "", "validate", writeFile(t, name+".yaml", "connection: "+name+"\n"), "--config", cfg, "--output", "json")
		v := decodeValidate(t, r.stdout)
		var live string
		for _, f := range v.Findings {
			if f.Rule == "tunnel-down" {
				live = f.Message
			}
		}
		if down != (live != "") {
			t.Errorf("%s: live tunnel-down %q, want present %v", name, live, down)
		}
		if down && (!strings.Contains(live, "live now: tunnel 2") || !strings.Contains(live, "outage")) {
			t.Errorf("%s: %q", name, live)
		}
	}

	r = runCLI(t, "", "validate", writeFile(t, "q.yaml", "connection: nope\n"), "--config", cfg)
	if r.code != 2 || !strings.Contains(r.stderr, `unknown connection "nope"`) {
		t.Errorf("unknown connection: exit %d %q", r.code, r.stderr)
	}
}

func TestValidateBadInput(t *testing.T) {
	const secret = "Zz9SecretKeyValue.1234"
	cases := []struct {
		name, content, want string
	}{
		{"empty", "", "empty proposal"},
		{"not yaml", "routing: [static\n", ".yaml"},
		{"unknown key", "routing: static\nrouting_mode: bgp\n", "routing_mode"},
		{"bad cidr", "aws:\n  static_routes: [10.1.0.0/33]\n", "10.1.0.0/33"},
		{"psk of the wrong type", "aws:\n  tunnels:\n    - psk: [" + secret + "]\n", "psk"},
	}
	for _, tc := range cases {
		r := runCLI(t, "", "validate", writeFile(t, "p.yaml", tc.content))
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: exit %d stderr %q, want 2 and one line containing %q", tc.name, r.code, r.stderr, tc.want)
		}
		if strings.Contains(r.stderr+r.stdout, secret) {
			t.Errorf("%s: the key was echoed", tc.name)
		}
	}
	if r := runCLI(t, "", "validate", filepath.Join(t.TempDir(), "missing.yaml")); r.code != 2 {
		t.Errorf("missing file: exit %d", r.code)
	}
	// A key that breaks AWS's rules is reported by name, never shown.
	p := "aws:\n  tunnels:\n    - {outside_ip: 198.51.100.1, inside_cidr: 169.254.21.0/30, psk: \"0" + secret + "\"}\n"
	r := runCLI(t, p, "validate", "-", "--output", "json")
	if rulesOf(decodeValidate(t, r.stdout))["psk-invalid"] == "" || strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("psk starting with 0: exit %d %s", r.code, r.stdout)
	}
}

func TestRulesCatalogAndGeneratedPage(t *testing.T) {
	r := runCLI(t, "", "rules", "--output", "json")
	var cat []struct{ ID, Severity, Title, Reference string }
	if err := json.Unmarshal([]byte(r.stdout), &cat); err != nil || len(cat) < 20 {
		t.Fatalf("rules: %v, %d entries", err, len(cat))
	}
	r = runCLI(t, "", "rules", "--markdown")
	page, err := os.ReadFile("../../docs/rules.md")
	if err != nil || string(page) != r.stdout {
		t.Errorf("docs/rules.md is stale: regenerate it with `go run ./cmd/doorbot rules --markdown > docs/rules.md`")
	}
}
