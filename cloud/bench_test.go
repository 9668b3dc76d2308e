package cloud_test

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
)

// fleetSpec is the shape the fleet benchmarks read: sites in two AWS
// regions behind one Azure gateway per 100 sites, one subscription per
// gateway (so that each fits ARM's read bucket), a BGP hub among them.
func fleetSpec(n int) sim.FleetSpec {
	hubs := max(1, n/100)
	return sim.FleetSpec{Connections: n, Regions: []string{"ap-northeast-1", "eu-west-1"}, Gateways: hubs, Subscriptions: hubs, BGPGateways: 1}
}

// BenchmarkStatusFanOut observes 1, 100, 500 and 1,000 connections with every
// upstream call delayed by the same latency, and reports:
//   - x-latency: the wall time of one status in units of that latency (the
//     slowest single call); about 1 means the fan-out costs one round trip
//     whatever the number of connections;
//   - upstream-calls/op: requests the simulated clouds received;
//   - tls-conns: TLS connections a fresh process opened to ARM for its
//     first status (cold start);
//   - cpu-ms/op: process CPU (user+sys) per status — the simulated clouds
//     run in the same process, so this includes their CPU.
//
// Each status is a fresh read (no cache). The ARM budget is off here: it is
// a speed measurement, the budget has its own benchmark.
func BenchmarkStatusFanOut(b *testing.B) {
	for _, latency := range []time.Duration{50 * time.Millisecond, 500 * time.Millisecond} {
		for _, n := range []int{1, 100, 500, 1000} {
			b.Run(fmt.Sprintf("latency=%s/connections=%d", latency, n), func(b *testing.B) {
				srv, obs, conns := fleetAt(b, n, latency)
				mustObserve(b, obs, conns) // a fresh process: cold TLS
				coldConns := srv.Stats().ARMConns
				b.ReportAllocs()
				var calls int
				cpu0 := cpuTime()
				start := time.Now()
				for b.Loop() {
					srv.Reset()
					mustObserve(b, obs, conns)
					calls += len(srv.Requests())
				}
				per := time.Since(start) / time.Duration(b.N)
				b.ReportMetric(float64(per)/float64(latency), "x-latency")
				b.ReportMetric(float64(calls)/float64(b.N), "upstream-calls/op")
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
				b.ReportMetric(peakRSSMiB(), "peak-rss-MiB")
				b.ReportMetric(float64(coldConns), "tls-conns")
			})
		}
	}
}

// fleetAt is a fresh process's observer of a fleet of n connections
// whose every upstream call takes latency.
func fleetAt(b *testing.B, n int, latency time.Duration) (*sim.Server, interface {
	Observe(context.Context, []vpn.Connection) []vpn.Observation
}, []vpn.Connection) {
	w := sim.NewWorld()
	conns := sim.FleetOf(w, fleetSpec(n))
	w.SetLatency("aws", latency)
	w.SetLatency("azure", latency)
	srv := start(b, w)
	return srv, observer(b, srv, simclient.Options{CallTimeout: 20 * time.Second, StatusTimeout: 60 * time.Second}), conns
}

func mustObserve(b *testing.B, obs interface {
	Observe(context.Context, []vpn.Connection) []vpn.Observation
}, conns []vpn.Connection) {
	b.Helper()
	for _, o := range obs.Observe(context.Background(), conns) {
		if len(o.Errors) > 0 {
			b.Fatalf("%s: %v", o.Connection.Name, o.Errors)
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMiB is the process's high-water mark so far (Linux reports KiB).
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
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
