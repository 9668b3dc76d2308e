package cloud_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
)

func start(t testing.TB, w *sim.World) *sim.Server {
	t.Helper()
	return simclient.StartForTest(t, w)
}

func observer(t testing.TB, srv *sim.Server, o simclient.Options) interface {
	Observe(context.Context, []vpn.Connection) []vpn.Observation
} {
	t.Helper()
	obs, err := simclient.Observer(srv, o)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

func scenario(t testing.TB, name string) sim.Scenario {
	t.Helper()
	for _, s := range sim.Scenarios() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %q", name)
	return sim.Scenario{}
}

func requests(srv *sim.Server, cloud, action string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Cloud == cloud && (action == "" || r.Action == action) {
			n++
		}
	}
	return n
}

func TestObserveScenarios(t *testing.T) {
	world, scenarios := sim.DemoWorld()
	srv := start(t, world)
	obs := observer(t, srv, simclient.Options{MaxAttempts: 1})
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			o := obs.Observe(context.Background(), []vpn.Connection{s.Connection})[0]
			if o.Azure == nil || len(o.Azure.Connections) != 2 {
				t.Fatalf("Azure side = %+v, want two connections", o.Azure)
			}
			for _, c := range o.Azure.Connections {
				if c.LocalNetworkGateway == nil || c.LocalNetworkGateway.GatewayIP == "" {
					t.Errorf("connection %s: local network gateway not resolved", c.Name)
				}
			}
			switch s.Name {
			case "soracom-door", "door-bgp":
				if o.AWS != nil || len(o.Errors) != 0 {
					t.Errorf("Door: AWS must not be read; got AWS=%+v errors=%v", o.AWS, o.Errors)
				}
			case "aws-throttled":
				if o.AWS != nil || len(o.Errors) != 1 || o.Errors[0].Cloud != vpn.CloudAWS || !strings.Contains(o.Errors[0].Message, "throttl") {
					t.Errorf("throttled: AWS=%+v errors=%v, want one AWS throttling error", o.AWS, o.Errors)
				}
			default:
				if o.AWS == nil || len(o.AWS.Tunnels()) != 2 || len(o.Errors) != 0 {
					t.Errorf("AWS=%+v errors=%v, want two AWS tunnels and no error", o.AWS, o.Errors)
				}
			}
			if s.Name == "bgp-single-ip" && len(o.Azure.BGPPeers) == 0 {
				t.Errorf("BGP gateway: peer status not read")
			}
		})
	}
}

// Several connections in two regions cost one EC2 call per region, one
// gateway read and one local-network-gateway list, however many there are.
func TestBatchedReads(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 6, "ap-northeast-1", "eu-west-1")
	srv := start(t, w)
	got := observer(t, srv, simclient.Options{}).Observe(context.Background(), conns)
	for _, o := range got {
		if o.AWS == nil || o.Azure == nil || len(o.Errors) > 0 {
			t.Fatalf("%s: AWS=%v Azure=%v errors=%v", o.Connection.Name, o.AWS != nil, o.Azure != nil, o.Errors)
		}
	}
	regions := map[string]int{}
	for _, r := range srv.Requests() {
		if r.Cloud == "aws" {
			regions[r.Region]++
		}
	}
	if len(regions) != 2 || regions["ap-northeast-1"] != 1 || regions["eu-west-1"] != 1 {
		t.Errorf("EC2 calls per region = %v, want one each in two regions", regions)
	}
	if n := requests(srv, "azure", "GetGateway"); n != 1 {
		t.Errorf("gateway read %d times, want once", n)
	}
	if n := requests(srv, "azure", "ListLocalNetworkGateways"); n != 1 {
		t.Errorf("local network gateways listed %d times, want once", n)
	}
	if n := requests(srv, "azure", "GetLocalNetworkGateway"); n != 0 {
		t.Errorf("%d dependent local network gateway GETs, want none", n)
	}
	if n := requests(srv, "azure", "GetConnection"); n != 12 {
		t.Errorf("connection GETs = %d, want 12 (status is only on GET)", n)
	}
}

func TestFaults(t *testing.T) {
	cases := []struct {
		name      string
		cloud     string
		fault     sim.Fault
		wantCloud vpn.Cloud
		want      string
		azureRow  bool // the Azure side is still observed (404 on one connection)
	}{
		{"aws throttled", "aws", sim.Fault{Status: 503, Code: "RequestLimitExceeded"}, vpn.CloudAWS, "throttling", false},
		{"aws 429", "aws", sim.Fault{Status: 429, Code: "Throttling", RetryAfter: 1}, vpn.CloudAWS, "throttling", false},
		{"aws denied", "aws", sim.Fault{Status: 403, Code: "UnauthorizedOperation"}, vpn.CloudAWS, "ec2:DescribeVpnConnections", false},
		{"aws bad credentials", "aws", sim.Fault{Status: 401, Code: "AuthFailure"}, vpn.CloudAWS, "credentials", false},
		{"aws hangs", "aws", sim.Fault{Hang: true}, vpn.CloudAWS, "timed out", false},
		{"azure throttled", "azure", sim.Fault{Status: 429, Code: "SubscriptionRequestsThrottled", RetryAfter: 30}, vpn.CloudAzure, "throttling", false},
		{"azure bad token", "azure", sim.Fault{Status: 401, Code: "InvalidAuthenticationToken"}, vpn.CloudAzure, "token", false},
		{"azure denied", "azure", sim.Fault{Status: 403, Code: "AuthorizationFailed", Match: "virtualNetworkGateways"}, vpn.CloudAzure, "Microsoft.Network/virtualNetworkGateways/read", true},
		{"azure connection missing", "azure", sim.Fault{Status: 404, Code: "ResourceNotFound", Match: "connections/cn-site-001-t2"}, vpn.CloudAzure, `connection "cn-site-001-t2" not found`, true},
		{"azure hangs", "azure", sim.Fault{Hang: true}, vpn.CloudAzure, "did not answer", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.NewWorld()
			conns := sim.Fleet(w, 1)
			w.SetFault(tc.cloud, tc.fault)
			srv := start(t, w)
			const status = 3 * time.Second
			obs := observer(t, srv, simclient.Options{CallTimeout: time.Second, StatusTimeout: status})
			began := time.Now()
			o := obs.Observe(context.Background(), conns)[0]
			// Not a speed test: the guarantee is that a status never hangs
			// past its deadline, whatever a cloud does.
			if el := time.Since(began); el > status+2*time.Second {
				t.Errorf("Observe took %s, deadline %s", el, status)
			}
			var msgs []string
			for _, e := range o.Errors {
				msgs = append(msgs, string(e.Cloud)+": "+e.Message)
				if e.Cloud == tc.wantCloud && strings.Contains(e.Message, tc.want) {
					goto found
				}
			}
			t.Fatalf("errors %q: want a %s entry containing %q", msgs, tc.wantCloud, tc.want)
		found:
			// The other cloud is still reported.
			if tc.wantCloud == vpn.CloudAWS && (o.AWS != nil || o.Azure == nil) {
				t.Errorf("AWS failed: want AWS unobserved and Azure observed, got AWS=%v Azure=%v", o.AWS != nil, o.Azure != nil)
			}
			if tc.wantCloud == vpn.CloudAzure {
				if o.AWS == nil {
					t.Errorf("Azure failed: AWS side must still be reported")
				}
				if (o.Azure != nil) != tc.azureRow {
					t.Errorf("Azure observed = %v, want %v", o.Azure != nil, tc.azureRow)
				}
			}
			for _, e := range o.Errors {
				if strings.Contains(e.Message, "\n") {
					t.Errorf("error is not one line: %q", e.Message)
				}
			}
		})
	}
}

func TestConnectionNotFoundIsARow(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 1)
	conns[0].Azure.Connections = append(conns[0].Azure.Connections, "cn-typo")
	conns[0].AWS.VPNConnectionIDs = append(conns[0].AWS.VPNConnectionIDs, "vpn-00000000deadbeef")
	srv := start(t, w)
	o := observer(t, srv, simclient.Options{}).Observe(context.Background(), conns)[0]
	var found bool
	for _, c := range o.Azure.Connections {
		if c.Name == "cn-typo" && !c.Found {
			found = true
		}
	}
	if !found {
		t.Errorf("missing connection not listed as not found: %+v", o.Azure.Connections)
	}
	joined := ""
	for _, e := range o.Errors {
		joined += e.Message + "|"
	}
	for _, want := range []string{`"cn-typo" not found in resource group "rg-fleet"`, "vpn-00000000deadbeef not found in region ap-northeast-1"} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors %q lack %q", joined, want)
		}
	}
	if o.AWS == nil || len(o.AWS.VPNConnections) != 1 {
		t.Errorf("the VPN connection that exists must still be reported")
	}
}

func TestBGPPeerStatusDeniedIsAWarning(t *testing.T) {
	world, _ := sim.DemoWorld()
	s := scenario(t, "bgp-single-ip")
	world.SetFault("azure", sim.Fault{Status: 403, Code: "AuthorizationFailed", Match: "getBgpPeerStatus"})
	srv := start(t, world)
	o := observer(t, srv, simclient.Options{}).Observe(context.Background(), []vpn.Connection{s.Connection})[0]
	if len(o.Errors) != 0 {
		t.Errorf("a denied BGP peer status must not fail the status: %v", o.Errors)
	}
	if o.Azure == nil || o.Azure.Gateway == nil {
		t.Fatal("Azure side not observed")
	}
	if len(o.Notes) != 1 || !strings.Contains(o.Notes[0].Fix, "getBgpPeerStatus/action") || o.Notes[0].Severity != vpn.SeverityWarning {
		t.Errorf("notes = %+v, want one warning naming the missing action", o.Notes)
	}
}

func TestBGPPeerStatusLongRunning(t *testing.T) {
	world, _ := sim.DemoWorld()
	world.SetBGPPeerStatusAsync(true)
	s := scenario(t, "bgp-single-ip")
	srv := start(t, world)
	o := observer(t, srv, simclient.Options{}).Observe(context.Background(), []vpn.Connection{s.Connection})[0]
	if o.Azure == nil || len(o.Azure.BGPPeers) != 2 {
		t.Fatalf("BGP peers via 202 + Location polling: %+v notes=%+v", o.Azure, o.Notes)
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestCacheWindow(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 2)
	srv := start(t, w)
	clk := &clock{now: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)}
	obs := observer(t, srv, simclient.Options{CacheTTL: 20 * time.Second, Now: clk.Now})
	obs.Observe(context.Background(), conns)
	first := len(srv.Requests())

	w.SetTunnelStatus("ap-northeast-1", conns[0].AWS.VPNConnectionIDs[0], "198.18.0.2", "DOWN", "IPSEC IS DOWN")
	clk.Add(10 * time.Second)
	o := obs.Observe(context.Background(), conns)
	if n := len(srv.Requests()); n != first {
		t.Errorf("within the cache window: %d new upstream requests, want 0", n-first)
	}
	if !o[0].AWS.Tunnels()[1].Up() {
		t.Errorf("within the window the cached (UP) state is served")
	}

	clk.Add(11 * time.Second)
	o = obs.Observe(context.Background(), conns)
	// The first read also asked for BGP peer status alongside the gateway,
	// which was not yet known to be static; the second does not.
	if bgp := requests(srv, "azure", "GetBgpPeerStatus"); bgp != 1 {
		t.Errorf("BGP peer status read %d times, want once (the first, speculative read)", bgp)
	}
	if n := len(srv.Requests()); n != 2*first-1 {
		t.Errorf("after the window: %d new requests, want %d (one read per resource)", n-first, first-1)
	}
	if o[0].AWS.Tunnels()[1].Up() {
		t.Errorf("after the window the new DOWN state must be read")
	}
}

func TestBurstCoalesces(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 3)
	w.SetLatency("aws", 50*time.Millisecond)
	w.SetLatency("azure", 50*time.Millisecond)
	srv := start(t, w)
	obs := observer(t, srv, simclient.Options{CacheTTL: 20 * time.Second})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { obs.Observe(context.Background(), conns) })
	}
	wg.Wait()
	perResource := map[string]int{}
	for _, r := range srv.Requests() {
		perResource[r.Cloud+" "+r.Method+" "+r.Path+" "+r.Region]++
	}
	for res, n := range perResource {
		if n != 1 {
			t.Errorf("%s read %d times by 20 identical requests, want 1", res, n)
		}
	}
}

// Every scenario and every fault, logged at debug level: no pre-shared key
// reaches a log line, an error or an observation.
func TestNoKeyInLogsErrorsOrObservations(t *testing.T) {
	for _, fault := range []sim.Fault{{}, {Status: 503, Code: "RequestLimitExceeded"}, {Status: 500, Code: "InternalError"}} {
		world, scenarios := sim.DemoWorld()
		if fault.Status != 0 {
			world.SetFault("aws", fault)
		}
		srv := start(t, world)
		var logs bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		obs := observer(t, srv, simclient.Options{Logger: logger, MaxAttempts: 1})
		var conns []vpn.Connection
		for _, s := range scenarios {
			conns = append(conns, s.Connection)
		}
		got := obs.Observe(context.Background(), conns)
		dump := fmt.Sprintf("%#v", got)
		if logs.Len() == 0 {
			t.Fatal("no log records at debug level")
		}
		for name, s := range map[string]string{"logs": logs.String(), "observations": dump} {
			if strings.Contains(s, sim.PSKPrefix) {
				t.Errorf("fault %+v: a pre-shared key reached the %s", fault, name)
			}
		}
	}
}
