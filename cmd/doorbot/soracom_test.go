package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/vpn"
)

func doorScenario(t *testing.T, scenarios []sim.Scenario) sim.Scenario {
	t.Helper()
	for _, s := range scenarios {
		if s.Connection.Kind == vpn.KindSoracomDoor && s.Connection.Soracom.VPGID != "" {
			return s
		}
	}
	t.Fatal("no Door scenario with a VPG")
	return sim.Scenario{}
}

// The CLI reads the VPG with the auth key from the environment, logs out
// when done, and no key or token reaches stdout or the debug log.
func TestStatusDoorReadsSoracomAndLogsOut(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	door := doorScenario(t, scenarios)
	cfg := writeConfig(t, srv, []sim.Scenario{door})
	srv.Reset()
	r := runCLI(t, "", "status", door.Name, "--config", cfg, "--log-level", "debug")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	assertNoKeys(t, r.stdout, r.stderr)
	for _, want := range []string{"routing: AWS static, Azure static", "SORACOM VPG " + door.Connection.Soracom.VPGID, "device subnet 10.128.0.0/9", "VPG range 100.64.17.0/28"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	var ops []string
	for _, req := range srv.Requests() {
		if req.Cloud == sim.CloudSoracom {
			ops = append(ops, req.Action)
		}
	}
	if strings.Join(ops, " ") != "auth getVirtualPrivateGateway logout" {
		t.Errorf("SORACOM requests = %v", ops)
	}
}

func TestStatusDoorBadSoracomKey(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	t.Setenv("SORACOM_AUTH_KEY", sim.SoracomSecretPrefix+"not-the-key")
	door := doorScenario(t, scenarios)
	cfg := writeConfig(t, srv, []sim.Scenario{door})
	r := runCLI(t, "", "status", door.Name, "--config", cfg, "--output", "json", "--log-level", "debug")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	assertNoKeys(t, r.stdout, r.stderr)
	var rep vpn.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	c := rep.Connections[0]
	if c.Health != vpn.Healthy || c.Routing.Azure != vpn.RoutingStatic || c.Routing.AWS != vpn.RoutingUnknown || c.Soracom != nil {
		t.Errorf("Azure side not reported on its own: %+v", c)
	}
	if len(c.Errors) != 1 || c.Errors[0].Cloud != vpn.CloudSoracom || !strings.Contains(c.Errors[0].Message, "SORACOM_AUTH_KEY") {
		t.Errorf("errors = %+v", c.Errors)
	}
	if !strings.Contains(c.Summary, "errors from soracom") {
		t.Errorf("summary %q does not say SORACOM was not read", c.Summary)
	}
	r = runCLI(t, "", "status", door.Name, "--config", cfg)
	if first := strings.SplitN(r.stdout, "\n", 2)[0]; !strings.Contains(first, "SORACOM API not read (SORACOM rejected the auth key") {
		t.Errorf("first line does not say SORACOM was not read: %q", first)
	}
}
