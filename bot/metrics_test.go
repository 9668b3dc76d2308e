package bot_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/vpntest"
	"github.com/doorbot/doorbot/watch"
)

// switchable answers every observation with the current one.
type switchable struct {
	mu  sync.Mutex
	obs vpn.Observation
}

func (s *switchable) set(o vpn.Observation) { s.mu.Lock(); s.obs = o; s.mu.Unlock() }
func (s *switchable) Observe(context.Context, []vpn.Connection) []vpn.Observation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []vpn.Observation{s.obs}
}

// The watcher keeps the tunnel series fresh, and a failed read never
// deletes or flips one: a Prometheus alert on doorbot_tunnel_up must not
// silently resolve because a cloud could not be read.
func TestMetricsKeepSeriesOnFailedReads(t *testing.T) {
	healthy := vpntest.Healthy.Observation()
	down := vpntest.Shape{Name: "healthy-static", Seq: 1, AWSDown: [2]string{"", "IPSEC IS DOWN"}, Azure: [2]string{"", "NotConnected"}}.Observation()
	awsThrottled := vpntest.Shape{Name: "healthy-static", Seq: 1, AWSErr: true}.Observation()
	blind := vpntest.Healthy.Observation()
	blind.AWS, blind.Azure = nil, nil
	blind.Errors = []vpn.SideError{{Cloud: vpn.CloudAWS, Message: "EC2 throttled"}, {Cloud: vpn.CloudAzure, Message: "ARM throttled"}}

	const conn = `connection="healthy-static"`
	steps := []struct {
		name string
		obs  vpn.Observation
		want []string
	}{
		{"healthy", healthy, []string{
			`doorbot_tunnel_up{` + conn + `,tunnel="2"} 1`, `doorbot_side_observed{cloud="aws",` + conn + `} 1`,
			`doorbot_tunnel_side_up{` + conn + `,side="aws",tunnel="2"} 1`}},
		{"tunnel 2 down", down, []string{
			`doorbot_tunnel_up{` + conn + `,tunnel="2"} 0`, `doorbot_tunnel_up{` + conn + `,tunnel="1"} 1`,
			`doorbot_tunnel_side_up{` + conn + `,side="aws",tunnel="2"} 0`}},
		{"AWS throttled, Azure says Connected: tunnel 2 keeps its last value", awsThrottled, []string{
			`doorbot_tunnel_up{` + conn + `,tunnel="2"} 0`, `doorbot_side_observed{cloud="aws",` + conn + `} 0`,
			`doorbot_side_observed{cloud="azure",` + conn + `} 1`, `doorbot_tunnel_side_up{` + conn + `,side="aws",tunnel="2"} 0`}},
		{"neither side read: every series stays", blind, []string{
			`doorbot_tunnel_up{` + conn + `,tunnel="1"} 1`, `doorbot_tunnel_up{` + conn + `,tunnel="2"} 0`,
			`doorbot_side_observed{cloud="aws",` + conn + `} 0`, `doorbot_side_observed{cloud="azure",` + conn + `} 0`,
			`doorbot_tunnel_side_up{` + conn + `,side="aws",tunnel="2"} 0`, `doorbot_tunnel_side_up{` + conn + `,side="azure",tunnel="2"} 1`}},
		{"read again", healthy, []string{
			`doorbot_tunnel_up{` + conn + `,tunnel="2"} 1`, `doorbot_side_observed{cloud="aws",` + conn + `} 1`}},
	}
	m := bot.NewMetrics()
	obs := &switchable{}
	now := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	w := watch.New(watch.Options{
		Connections: []vpn.Connection{healthy.Connection}, Observer: obs, Interval: time.Minute,
		Settings: alerts.DefaultSettings(), Now: func() time.Time { return now }, OnCycle: m.Watch,
	})
	for _, st := range steps {
		obs.set(st.obs)
		now = now.Add(time.Minute)
		w.RunCycle(context.Background())
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		for _, want := range st.want {
			if !strings.Contains(rec.Body.String(), want+"\n") {
				t.Errorf("%s: metrics lack %s", st.name, want)
			}
		}
	}
}
