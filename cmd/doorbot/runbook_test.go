package main

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/vpn"
)

var update = flag.Bool("update", false, "rewrite the golden runbooks in testdata/golden")

// Times in the simulated world follow the clock; golden files do not.
var timestamps = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// Every runbook for every simulated scenario, as Markdown, against golden
// files that were read by hand once: values come from the live state, the
// placeholders are what doorbot cannot read, Door differs from AWS-own.
func TestRunbookGolden(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	cfg := writeConfig(t, srv, scenarios)
	for _, s := range scenarios {
		if slices.Contains(sim.WhyScenarios, s.Name) {
			continue // the evidence scenarios' runbooks are tunnel2-down's, with other IDs
		}
		for _, kind := range []string{"static", "migrate"} {
			t.Run(s.Name+"/"+kind, func(t *testing.T) {
				r := runCLI(t, "", "runbook", kind, s.Name, "--config", cfg, "--output", "markdown")
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				got := timestamps.ReplaceAllString(r.stdout, "<time>")
				if strings.Contains(got, "Sim.PSK.") {
					t.Fatal("a pre-shared key reached the runbook")
				}
				golden(t, filepath.Join("testdata", "golden", s.Name+"-"+kind+".md"), got)
				// Every placeholder used is listed at the top.
				top := got
				if i := strings.Index(got, "## Phase 1"); i > 0 {
					top = got[:i]
				}
				for _, ph := range regexp.MustCompile(`\{[a-z0-9_]+\}`).FindAllString(got, -1) {
					if !strings.Contains(top, "`"+ph+"`") {
						t.Errorf("placeholder %s used but not listed at the top", ph)
					}
				}
				door := s.Connection.Kind == vpn.KindSoracomDoor
				if door && strings.Contains(got, "aws ec2 ") {
					t.Error("a SORACOM Door runbook tells the user to run aws ec2: SORACOM owns that side")
				}
				// migrate on a connection that is already static says so
				// and nothing more (issue 14).
				if nothing := strings.Contains(got, "already static: nothing to migrate"); nothing != (kind == "migrate" && !strings.Contains(got, "## Phase 1")) {
					t.Errorf("already static %v, but the runbook has steps %v", nothing, strings.Contains(got, "## Phase 1"))
				}
				if !door && !strings.Contains(got, "aws ec2 ") && strings.Contains(got, "## Phase 1") {
					t.Error("a user-owned AWS runbook has no aws ec2 step")
				}
			})
		}
	}
}

func TestRunbookVerify(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	cfg := writeConfig(t, srv, scenarios)
	cases := map[string]int{"healthy-static": 0, "tunnel2-down": 1, "bgp-single-ip": 1}
	for name, code := range cases {
		r := runCLI(t, "", "runbook", "verify", name, "--config", cfg, "--output", "json")
		var v struct {
			Passed bool `json:"passed"`
			Items  []struct {
				Name string `json:"name"`
				OK   bool   `json:"ok"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, r.stdout)
		}
		if r.code != code || v.Passed != (code == 0) || len(v.Items) == 0 {
			t.Errorf("%s: exit %d passed %v items %d", name, r.code, v.Passed, len(v.Items))
		}
	}
	r := runCLI(t, "", "runbook", "verify", "tunnel2-down", "--config", cfg)
	if !strings.Contains(r.stdout, "✗") || !strings.Contains(r.stdout, "✓") {
		t.Errorf("text verify shows no ✓/✗:\n%s", r.stdout)
	}
	if r := runCLI(t, "", "runbook", "teardown", "tunnel2-down", "--config", cfg); r.code != 2 || !strings.Contains(r.stderr, "static, migrate, verify") {
		t.Errorf("unknown kind: exit %d %q", r.code, r.stderr)
	}
	if r := runCLI(t, "", "status", "--output", "markdown"); r.code != 2 {
		t.Errorf("markdown status: exit %d", r.code)
	}
}
