package handlers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/store"
)

// BenchmarkReplicaARMReads runs 1 or 3 replicas sharing one store against
// a fleet in two regions behind ARM's real read bucket (250, refilled at
// 25/s per subscription). The leader's model refreshes in paced cycles;
// meanwhile every replica answers /door status five times a second. Over
// one interval after a warm-up cycle it reports:
//   - arm-reads/min and max-reads/s/sub: what the clouds saw, per minute
//     and in the busiest second of the busiest subscription (the
//     configured rate is 20/s per subscription);
//   - arm-429: answers from the empty bucket (goal 0);
//   - follower-reads: cloud reads by replicas other than the leader (goal
//     0: they answer from the shared model);
//   - statuses: /door status answers given in the window.
//
// One cycle of 100 sites per subscription takes about 11 s at 20 reads/s,
// so run it with -benchtime 1x.
func BenchmarkReplicaARMReads(b *testing.B) {
	const interval = 15 * time.Second
	for _, n := range []int{100, 1000} {
		for _, replicas := range []int{1, 3} {
			b.Run(fmt.Sprintf("connections=%d/replicas=%d", n, replicas), func(b *testing.B) {
				w := sim.NewWorld()
				hubs := max(1, n/100)
				conns := sim.FleetOf(w, sim.FleetSpec{Connections: n, Regions: []string{"ap-northeast-1", "eu-west-1"}, Gateways: hubs, Subscriptions: hubs, BGPGateways: 1})
				w.SetARMBudget(sim.ARMBudget{Capacity: 250, PerSecond: 25})
				dsn := filepath.Join(b.TempDir(), "doorbot.db")
				var svcs []*handlers.Service
				var srvs []*sim.Server
				for range replicas {
					// Each replica is its own process: own clients, own
					// connections, the same clouds and store.
					srv := simclient.StartForTest(b, w)
					obs, err := simclient.Observer(srv, simclient.Options{ReadRate: cloud.DefaultReadRate, CallTimeout: 20 * time.Second, StatusTimeout: time.Minute})
					if err != nil {
						b.Fatal(err)
					}
					st, err := store.Open(context.Background(), "sqlite", dsn)
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { st.Close() })
					svc := &handlers.Service{Connections: conns, Observer: obs, Model: cloud.NewModel(obs, conns, interval)}
					svc.Model.Share(st)
					svcs, srvs = append(svcs, svc), append(srvs, srv)
				}
				for b.Loop() {
					ctx, cancel := context.WithCancel(context.Background())
					done := make(chan struct{})
					go func() { svcs[0].Model.Run(ctx); close(done) }()
					for svcs[0].Model.LastCycle().Took == 0 { // warm-up cycle
						time.Sleep(100 * time.Millisecond)
					}
					for _, srv := range srvs {
						srv.Reset()
					}
					var statuses sync.WaitGroup
					var answered, failed int
					var mu sync.Mutex
					stop := time.Now().Add(interval)
					for _, svc := range svcs {
						statuses.Go(func() {
							for time.Now().Before(stop) {
								rep, err := svc.Status(ctx, nil)
								mu.Lock()
								if err != nil || rep.ReadAt == "" {
									failed++
								} else {
									answered++
								}
								mu.Unlock()
								time.Sleep(200 * time.Millisecond)
							}
						})
					}
					statuses.Wait()
					cancel()
					<-done
					perSecond := map[string]int{}
					var reads, followers, throttled int
					for i, srv := range srvs {
						for _, r := range srv.Requests() {
							if r.Cloud != sim.CloudAzure {
								continue
							}
							reads++
							if i > 0 {
								followers++
							}
							perSecond[subscriptionOf(r.Path)+r.At.Truncate(time.Second).String()]++
						}
						throttled += srv.Stats().ARMThrottled
					}
					busiest := 0
					for _, c := range perSecond {
						busiest = max(busiest, c)
					}
					b.ReportMetric(float64(reads)/interval.Minutes(), "arm-reads/min")
					b.ReportMetric(float64(busiest), "max-reads/s/sub")
					b.ReportMetric(float64(throttled), "arm-429")
					b.ReportMetric(float64(followers), "follower-reads")
					b.ReportMetric(float64(answered), "statuses")
					if failed > 0 {
						b.Errorf("%d statuses were not answered from the model", failed)
					}
				}
			})
		}
	}
}

func subscriptionOf(path string) string {
	_, rest, _ := strings.Cut(strings.ToLower(path), "/subscriptions/")
	sub, _, _ := strings.Cut(rest, "/")
	return sub
}
