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
	for _, want := range []string{"Door outside IP", "door-04 static"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("Door rows lack %q:\n%s", want, r.stdout)
		}
	}

	// JSON: both sides, SORACOM's routing mode and subnets beside Azure's.
	r = runCLI(t, "", "status", door.Name, "--config", cfg, "--output", "json")
	var rep vpn.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	c := rep.Connections[0]
	if c.Routing.AWS != vpn.RoutingStatic || c.Routing.Azure != vpn.RoutingStatic || c.Observed.AWS || !c.Observed.Azure || len(c.Errors) != 0 {
		t.Errorf("routing %+v observed %+v errors %+v", c.Routing, c.Observed, c.Errors)
	}
	if s := c.Soracom; s == nil || s.VPGID != door.Connection.Soracom.VPGID || s.DeviceSubnet != "10.128.0.0/9" || s.VPGSubnet != "100.64.17.0/28" ||
		s.Routing != vpn.RoutingStatic || len(s.DoorConnections) != 1 || len(s.RoutingFilter) != 1 {
		t.Errorf("soracom section %+v", c.Soracom)
	}
	for _, tu := range c.Tunnels {
		if tu.Door == nil || tu.Door.Connection != "door-04" || tu.Door.Routing != vpn.RoutingStatic || tu.AzureStatus != "Connected" {
			t.Errorf("tunnel %d: door %+v azure %s", tu.Index, tu.Door, tu.AzureStatus)
		}
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

// validate with `connection:` of a Door connection takes the device subnet
// from the VPG: a VNet in 10.128.0.0/9 overlaps SORACOM's default subnet,
// but not a VPG created with another one. Against the simulated SORACOM API
// with the real client, as in production.
func TestValidateDoorUsesTheVPGDeviceSubnet(t *testing.T) {
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	door := doorScenario(t, scenarios)
	// A second VPG, created with another device subnet, on the same Azure
	// side: its own connection name, so no other test sees it.
	other := door
	other.Connection.Name = "door-other-subnet"
	other.Connection.Soracom.VPGID = "5e2c7a90-1b3d-4f6e-8a9c-0d1e2f3a4bff"
	demoWorld.AddVPG(sim.SoracomVPG{ID: other.Connection.Soracom.VPGID, DeviceSubnet: "10.64.0.0/16", VPGSubnet: "100.64.17.0/28",
		Door: []sim.SoracomDoor{{ID: "door-ff"}}, Filter: []sim.SoracomFilterEntry{{Action: "deny", IPRange: "10.210.0.0/16"}}})
	cfg := writeConfig(t, srv, []sim.Scenario{door, other})

	findings := func(conn string) (validateJSON, map[string]string) {
		t.Helper()
		p := writeFile(t, conn+".yaml", "connection: "+conn+"\nazure:\n  vnet_prefixes: [10.200.0.0/16]\n")
		r := runCLI(t, "", "validate", p, "--config", cfg, "--output", "json", "--log-level", "debug")
		assertNoKeys(t, r.stdout, r.stderr)
		v := decodeValidate(t, r.stdout)
		msgs := map[string]string{}
		for _, f := range v.Findings {
			msgs[f.Rule] += f.Message + "\n"
		}
		return v, msgs
	}

	v, msgs := findings(door.Name)
	if !strings.Contains(msgs["prefix-overlap"], "azure.vnet_prefixes 10.200.0.0/16 overlaps soracom.device_subnet (from live state) 10.128.0.0/9") {
		t.Errorf("VPG with the default subnet: want prefix-overlap from live state, got %+v", v.Findings)
	}
	if !strings.Contains(strings.Join(v.Sources["live"], " "), "soracom.device_subnet") {
		t.Errorf("sources do not say the device subnet is live: %v", v.Sources)
	}

	v, msgs = findings(other.Connection.Name)
	if msgs["prefix-overlap"] != "" {
		t.Errorf("VPG created with 10.64.0.0/16: false prefix-overlap %q", msgs["prefix-overlap"])
	}
	if msgs["routing-filter-denies"] != "" {
		t.Errorf("the VPG's filter denies 10.210.0.0/16 only, not 10.200.0.0/16: %q", msgs["routing-filter-denies"])
	}
	if v.Verdict == "fail" {
		t.Errorf("verdict fail for a VNet outside the VPG's subnets: %+v", v.Findings)
	}

	// The same VNet inside that VPG's own device subnet does overlap, and a
	// filter entry denying it fails the proposal.
	p := writeFile(t, "in.yaml", "connection: "+other.Connection.Name+"\nazure:\n  vnet_prefixes: [10.64.8.0/24, 10.210.1.0/24]\n")
	r := runCLI(t, "", "validate", p, "--config", cfg, "--output", "json")
	v = decodeValidate(t, r.stdout)
	var overlap, filter bool
	for _, f := range v.Findings {
		overlap = overlap || f.Rule == "prefix-overlap" && strings.Contains(f.Message, "10.64.8.0/24 overlaps soracom.device_subnet (from live state) 10.64.0.0/16")
		filter = filter || f.Rule == "routing-filter-denies" && strings.Contains(f.Message, "denies all of it azure.vnet_prefixes 10.210.1.0/24")
	}
	if r.code != 1 || !overlap || !filter {
		t.Errorf("exit %d, overlap %v, filter %v: %+v", r.code, overlap, filter, v.Findings)
	}
}
