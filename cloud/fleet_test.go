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
	got := observer(t, srv, simclient.Options{}).Observe(context.Background(), conns)
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
