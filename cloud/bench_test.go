package cloud_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
)

// BenchmarkStatusFanOut observes 1, 10 and 100 connections with every
// upstream call delayed by the same latency, and reports the time of one
// status in units of that latency: about 1-2 means the fan-out costs one
// (or, with BGP, two) round trips whatever the number of connections.
func BenchmarkStatusFanOut(b *testing.B) {
	const latency = 50 * time.Millisecond
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("connections=%d", n), func(b *testing.B) {
			w := sim.NewWorld()
			conns := sim.Fleet(w, n, "ap-northeast-1", "eu-west-1")
			w.SetLatency("aws", latency)
			w.SetLatency("azure", latency)
			srv := start(b, w)
			// No cache: every iteration reads upstream.
			obs := observer(b, srv, simclient.Options{CallTimeout: 10 * time.Second, StatusTimeout: 30 * time.Second})
			obs.Observe(context.Background(), conns) // warm TLS connections
			srv.Reset()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				for _, o := range obs.Observe(context.Background(), conns) {
					if len(o.Errors) > 0 {
						b.Fatalf("%s: %v", o.Connection.Name, o.Errors)
					}
				}
			}
			per := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(per)/float64(latency), "roundtrips/op")
			b.ReportMetric(float64(len(srv.Requests()))/float64(b.N), "upstream-calls/op")
		})
	}
}

// BenchmarkBurst fires 20 identical status requests at once, as an
// incident channel does, and reports upstream reads per resource (1.0 is
// the goal: one read per resource per cache window).
func BenchmarkBurst(b *testing.B) {
	w := sim.NewWorld()
	conns := sim.Fleet(w, 5, "ap-northeast-1", "eu-west-1")
	w.SetLatency("aws", 10*time.Millisecond)
	w.SetLatency("azure", 10*time.Millisecond)
	srv := start(b, w)
	var calls, resources int
	for b.Loop() {
		srv.Reset()
		obs := observer(b, srv, simclient.Options{CacheTTL: time.Minute})
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() { obs.Observe(context.Background(), conns) })
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, r := range srv.Requests() {
			seen[r.Cloud+" "+r.Method+" "+r.Path+" "+r.Region] = true
		}
		calls += len(srv.Requests())
		resources += len(seen)
	}
	b.ReportMetric(float64(calls)/float64(resources), "calls/resource")
}
