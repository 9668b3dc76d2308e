package bot_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/internal/fakeslack"
)

// BenchmarkAckLatency sends 50 signed /door status commands at once over
// HTTP while every cloud call takes 5 s, and reports the p50 and p99 time
// to the ack. The ack must not depend on the clouds: Slack allows 3 s.
func BenchmarkAckLatency(b *testing.B) {
	h := newHarness(b, setup{latency: 5 * time.Second, options: bot.Options{Queue: 100000}})
	web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
	defer web.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	form := fakeslack.SlashCommandForm(fakeslack.SlashCommand{Command: "/door", Text: "status healthy-static", UserID: "U0ONCALL", ChannelID: "C0INCIDENT", ResponseURL: h.slack.ResponseURL()})
	var mu sync.Mutex
	var lat []time.Duration
	for b.Loop() {
		var wg sync.WaitGroup
		for range 50 {
			req := signed(b, web.URL, "/slack/commands", form, time.Now())
			wg.Go(func() {
				began := time.Now()
				resp, err := client.Do(req)
				d := time.Since(began)
				if err != nil || resp.StatusCode != 200 {
					b.Errorf("ack failed: %v", err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
