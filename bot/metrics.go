package bot

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/watch"
)

// Metrics are doorbot's Prometheus series, on a registry of their own so
// that tests and several bots in one process do not collide.
type Metrics struct {
	Registry   *prometheus.Registry
	Commands   *prometheus.CounterVec // command, outcome
	AckSeconds prometheus.Histogram   // time to decide an ack
	CloudCalls *prometheus.CounterVec // cloud, operation, result
	SlackCalls *prometheus.CounterVec // method, result
	TunnelUp   *prometheus.GaugeVec   // connection, tunnel: 1 up, 0 not (docs/alerts.md)
	SideUp     *prometheus.GaugeVec   // connection, tunnel, side: what each side says
	Observed   *prometheus.GaugeVec   // connection, cloud: 1 read, 0 not
	Firing     prometheus.Gauge       // open alerts firing (not acknowledged, not silenced)
	Cycles     prometheus.Histogram   // watcher cycle duration
	// HTTPRefused counts HTTP-mode requests refused before they reached a
	// command, by reason (unsigned, too_large, busy, unreadable): an
	// unsigned flood shows here rather than as a log line per request.
	HTTPRefused *prometheus.CounterVec

	RefreshSeconds  prometheus.Gauge   // last background refresh cycle
	RefreshNeeded   prometheus.Gauge   // interval the fleet's paced reads need
	RefreshOverruns prometheus.Counter // cycles that did not fit their interval

	Leader prometheus.Gauge // 1 while this replica runs the leader-only jobs
	// Work is the work the bot holds now, by pool: running (on a worker),
	// queued (waiting for one), beside (forms and quick clicks, beside
	// the workers). Each pool is bounded; at its bound new work is
	// answered "busy".
	Work *prometheus.GaugeVec // pool
	// SoracomRateLimit is the SORACOM API's last X-Soracom-Ratelimit-*
	// headers per operation: limit, remaining, seconds_before_refresh.
	SoracomRateLimit *prometheus.GaugeVec // operation, value
}

// NewMetrics registers the series.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doorbot_commands_total", Help: "Slash commands by command and outcome (ok, usage, busy, error).",
		}, []string{"command", "outcome"}),
		AckSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "doorbot_ack_seconds", Help: "Time from receiving a command or interaction to deciding its ack; Slack allows 3 s.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 3},
		}),
		CloudCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doorbot_cloud_calls_total", Help: "Upstream cloud reads by cloud, operation and result.",
		}, []string{"cloud", "operation", "result"}),
		SlackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doorbot_slack_calls_total", Help: "Slack Web API and response_url calls by method and result.",
		}, []string{"method", "result"}),
		TunnelUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "doorbot_tunnel_up", Help: "Last known tunnel state per connection and tunnel index: 1 up on every side read, 0 down on a side read. A read that fails keeps the last value.",
		}, []string{"connection", "tunnel"}),
		SideUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "doorbot_tunnel_side_up", Help: "Last observed tunnel state per connection, tunnel index and side (aws, azure): 1 up, 0 not up.",
		}, []string{"connection", "tunnel", "side"}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "doorbot_leader", Help: "1 on the replica that runs the leader-only jobs (approval expiry, alerts), else 0.",
		}),
		SoracomRateLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "doorbot_soracom_ratelimit", Help: "SORACOM API rate-limit headers of the last response per operation: value is limit, remaining or seconds_before_refresh.",
		}, []string{"operation", "value"}),
		Observed: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "doorbot_side_observed", Help: "Whether the last watcher cycle read each side of a connection: 1 read, 0 failed.",
		}, []string{"connection", "cloud"}),
		Firing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "doorbot_alerts_firing", Help: "Open alerts that are firing: neither acknowledged nor silenced.",
		}),
		Cycles: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "doorbot_watch_cycle_seconds", Help: "Time one watcher cycle takes to observe every connection and decide.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 20},
		}),
	}
	m.HTTPRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "doorbot_http_refused_total", Help: "HTTP-mode requests refused before any command ran, by reason (unsigned, too_large, busy, unreadable).",
	}, []string{"reason"})
	m.RefreshSeconds = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "doorbot_refresh_seconds", Help: "Duration of the last background refresh cycle of the live model.",
	})
	m.RefreshNeeded = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "doorbot_refresh_needed_interval_seconds", Help: "Interval the last cycle's ARM reads need at azure.read_rate (busiest subscription).",
	})
	m.RefreshOverruns = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "doorbot_refresh_overruns_total", Help: "Background refresh cycles that did not complete inside their interval.",
	})
	m.Work = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "doorbot_work", Help: "Commands, forms and clicks the bot holds now, by pool: running (on a worker), queued (waiting for a worker), beside (forms and quick clicks).",
	}, []string{"pool"})
	m.Registry.MustRegister(m.Commands, m.AckSeconds, m.Work, m.CloudCalls, m.SlackCalls, m.TunnelUp, m.HTTPRefused,
		m.RefreshSeconds, m.RefreshNeeded, m.RefreshOverruns, m.Leader, m.SoracomRateLimit,
		m.SideUp, m.Observed, m.Firing, m.Cycles,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// SetLeader records whether this replica leads; it matches
// leader.Options.OnChange.
func (m *Metrics) SetLeader(leading bool) { m.Leader.Set(b2f(leading)) }

// CloudCall records one upstream read; it matches cloud.Options.OnCall.
func (m *Metrics) CloudCall(cloud, operation, result string) {
	m.CloudCalls.WithLabelValues(cloud, operation, result).Inc()
}

// SoracomRateLimitSeen records the rate-limit headers of one SORACOM
// response; a negative value (header absent) leaves its series alone.
func (m *Metrics) SoracomRateLimitSeen(operation string, limit, remaining, secondsBeforeRefresh int) {
	for _, v := range []struct {
		name string
		n    int
	}{{"limit", limit}, {"remaining", remaining}, {"seconds_before_refresh", secondsBeforeRefresh}} {
		if v.n >= 0 {
			m.SoracomRateLimit.WithLabelValues(operation, v.name).Set(float64(v.n))
		}
	}
}

// Report records the last observed state of every tunnel side; it
// matches handlers.Service.OnReport (used when no watcher runs). A side
// that was not observed keeps its last value: a failed read never deletes
// a series, or a Prometheus alert on it would silently resolve.
func (m *Metrics) Report(r vpn.Report) {
	for _, c := range r.Connections {
		for _, t := range c.Tunnels {
			idx := strconv.Itoa(t.Index)
			if t.AWSStatus != vpn.StatusUnknown {
				m.SideUp.WithLabelValues(c.Name, idx, "aws").Set(b2f(t.AWSUp()))
			}
			if t.AzureStatus != vpn.StatusUnknown {
				m.SideUp.WithLabelValues(c.Name, idx, "azure").Set(b2f(t.AzureUp()))
			}
		}
	}
}

// Watch records a watcher cycle (watch.Options.OnCycle): each tunnel's
// state where it is known, which sides were read, the firing alerts.
// Unknown tunnel states keep their last value.
func (m *Metrics) Watch(c watch.Cycle) {
	m.Cycles.Observe(c.Elapsed.Seconds())
	m.Firing.Set(float64(c.Firing))
	for conn, sides := range c.Sides {
		for cloud, read := range sides {
			m.Observed.WithLabelValues(conn, string(cloud)).Set(b2f(read))
		}
	}
	for conn, ts := range c.Tunnels {
		for _, t := range ts {
			if t.State == alerts.Unknown {
				continue
			}
			m.TunnelUp.WithLabelValues(conn, strconv.Itoa(t.Index)).Set(b2f(t.State == alerts.Up))
		}
	}
	m.Report(c.Report)
}

func (m *Metrics) slackCall(method string, err error) {
	result := "ok"
	var rl *slack.RateLimitedError
	switch {
	case errors.As(err, &rl):
		result = "rate_limited"
	case err != nil:
		result = "error"
	}
	m.SlackCalls.WithLabelValues(method, result).Inc()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Count counts one command, click or form by outcome (ok, usage, busy,
// error, refused).
func (m *Metrics) Count(command, outcome string) {
	m.Commands.WithLabelValues(command, outcome).Inc()
}

// RefreshCycle records one background refresh cycle of the live model.
func (m *Metrics) RefreshCycle(took, needed time.Duration, overran bool) {
	m.RefreshSeconds.Set(took.Seconds())
	m.RefreshNeeded.Set(needed.Seconds())
	if overran {
		m.RefreshOverruns.Inc()
	}
}
