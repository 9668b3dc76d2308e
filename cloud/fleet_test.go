package cloud_test

import (
	"context"
	"strings"
	"testing"
	"time"

	awsc "github.com/doorbot/doorbot/cloud/aws"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
)

// More VPN connections in a region than EC2 takes filter values in one call
// are read in batches of at most 200 IDs, every one reported.
func TestEC2ReadsInBatchesOfTwoHundred(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 450, "ap-northeast-1")
	// Every site shares the first site's Azure connections: this test is
	// about EC2, and 900 ARM reads would only slow it down.
	for i := range conns {
		conns[i].Azure = conns[0].Azure
	}
	srv := start(t, w)
	// 200 VPN connections in one answer take a while to decode under -race.
	got := observer(t, srv, simclient.Options{CallTimeout: 30 * time.Second}).Observe(context.Background(), conns)
	for _, o := range got {
		if o.AWS == nil || len(o.Errors) > 0 {
			t.Fatalf("%s: AWS observed %v, errors %v", o.Connection.Name, o.AWS != nil, o.Errors)
		}
	}
	var batches []int
	for _, r := range srv.Requests() {
		if r.Cloud != "aws" {
			continue
		}
		values := 0
		for k := range r.Query {
			if strings.HasPrefix(k, "Filter.1.Value.") {
				values++
			}
		}
		batches = append(batches, values)
	}
	if len(batches) != 3 {
		t.Fatalf("EC2 calls carried %v IDs, want three batches", batches)
	}
	total := 0
	for _, n := range batches {
		if n > awsc.MaxIDsPerCall {
			t.Errorf("a batch carried %d IDs, EC2 takes %d", n, awsc.MaxIDsPerCall)
		}
		total += n
	}
	if total != 450 {
		t.Errorf("batches carried %d IDs in all, want 450", total)
	}
}

// A batch that fails fails only its own connections; the others are still
// reported.
func TestEC2FailedBatchFailsOnlyItsConnections(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.FleetOf(w, sim.FleetSpec{Connections: 4, Regions: []string{"ap-northeast-1", "eu-west-1"}})
	w.SetFault("aws", sim.Fault{Status: 403, Code: "UnauthorizedOperation", Match: "eu-west-1"})
	srv := start(t, w)
	for _, o := range observer(t, srv, simclient.Options{MaxAttempts: 1}).Observe(context.Background(), conns) {
		failed := len(o.Errors) == 1 && strings.Contains(o.Errors[0].Message, "eu-west-1")
		if (o.Connection.AWS.Region == "eu-west-1") != failed || (o.AWS == nil) != failed {
			t.Errorf("%s in %s: AWS observed %v, errors %v", o.Connection.Name, o.Connection.AWS.Region, o.AWS != nil, o.Errors)
		}
	}
}

// A fresh process reading a fleet opens a handful of TLS connections to
// ARM, not one per concurrent read.
func TestColdStatusOpensFewTLSConnections(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 100)
	srv := start(t, w)
	for _, o := range observer(t, srv, simclient.Options{CallTimeout: 20 * time.Second}).Observe(context.Background(), conns) {
		if len(o.Errors) > 0 {
			t.Fatalf("%s: %v", o.Connection.Name, o.Errors)
		}
	}
	reads := requests(srv, "azure", "")
	if got := srv.Stats().ARMConns; got > 10 || got < 1 {
		t.Errorf("%d ARM reads opened %d TLS connections, want 1 to 10", reads, got)
	}
}

// BGP peer status is asked for together with the gateway, not after its
// answer: with every ARM read hanging, both requests still arrive.
func TestBGPPeerStatusStartsWithGatewayRead(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.FleetOf(w, sim.FleetSpec{Connections: 1, BGPGateways: 1})
	w.SetFault("azure", sim.Fault{Hang: true})
	srv := start(t, w)
	obs := observer(t, srv, simclient.Options{CallTimeout: 200 * time.Millisecond, StatusTimeout: time.Second})
	obs.Observe(context.Background(), conns)
	if g, b := requests(srv, "azure", "GetGateway"), requests(srv, "azure", "GetBgpPeerStatus"); g == 0 || b == 0 {
		t.Errorf("gateway read %d times and BGP peer status %d times while the gateway read hung; want both started", g, b)
	}
}

// A gateway read without BGP is not asked for peer status again; one that
// runs BGP gets its peers reported.
func TestBGPPeerStatusReadOnlyForBGPGateways(t *testing.T) {
	w := sim.NewWorld()
	conns := sim.FleetOf(w, sim.FleetSpec{Connections: 2, Gateways: 2, BGPGateways: 1})
	srv := start(t, w)
	obs := observer(t, srv, simclient.Options{})
	for round := range 2 {
		srv.Reset()
		got := obs.Observe(context.Background(), conns)
		if len(got[0].Azure.BGPPeers) != 1 || len(got[1].Azure.BGPPeers) != 0 {
			t.Errorf("round %d: peers %v / %v, want one on the BGP hub only", round, got[0].Azure.BGPPeers, got[1].Azure.BGPPeers)
		}
		want := 2 // first round: both gateways, the static one not yet known
		if round == 1 {
			want = 1
		}
		if n := requests(srv, "azure", "GetBgpPeerStatus"); n != want {
			t.Errorf("round %d: %d BGP peer status reads, want %d", round, n, want)
		}
	}
}
