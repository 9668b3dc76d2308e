package bot_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/internal/sim"
)

// BenchmarkStatusFromModel is the on-call channel during an incident: 200
// signed /door status commands a second for 30 s about a fleet of 100
// connections, while every cloud call takes 5 s, with serve's live model
// warm. It reports the time from each command to the first message of its
// reply arriving at Slack (reply-p50-ms, reply-p99-ms; goal p99 ≤ 50 ms),
// the "busy" answers (goal 0) and the commands never answered. Run it with
// -benchtime 1x.
func BenchmarkStatusFromModel(b *testing.B) {
	const (
		rate     = 200
		duration = 30 * time.Second
	)
	w := sim.NewWorld()
	conns := sim.FleetOf(w, sim.FleetSpec{Connections: 100, Regions: []string{"ap-northeast-1", "eu-west-1"}, Gateways: 1, BGPGateways: 1})
	h := newHarness(b, setup{world: w, conns: conns, latency: 5 * time.Second, model: time.Minute})
	web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
	defer web.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	for b.Loop() {
		n := int(duration.Seconds()) * rate
		sent := make([]time.Time, n)
		var busy, failed int
		var mu sync.Mutex
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / rate)
		for i := range n {
			<-tick.C
			channel := fmt.Sprintf("C%05d", i)
			form := fakeslack.SlashCommandForm(fakeslack.SlashCommand{Command: "/door", Text: "status", UserID: "U0ONCALL", ChannelID: channel, ResponseURL: h.slack.ResponseURLFor(channel)})
			req := signed(b, web.URL, "/slack/commands", form, time.Now())
			sent[i] = time.Now()
			wg.Go(func() {
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode != 200 {
					failed++
				} else if strings.Contains(string(body), "busy") {
					busy++
				}
				mu.Unlock()
			})
		}
		tick.Stop()
		wg.Wait()
		want := n - busy - failed
		replied := map[string]time.Time{}
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			clear(replied)
			for _, m := range h.slack.Messages() {
				if strings.HasPrefix(m.Channel, "C") {
					if _, ok := replied[m.Channel]; !ok {
						replied[m.Channel] = m.At
					}
				}
			}
			if len(replied) >= want {
				break
			}
		}
		var lat []time.Duration
		for i, at := range sent {
			if r, ok := replied[fmt.Sprintf("C%05d", i)]; ok {
				lat = append(lat, r.Sub(at))
			}
		}
		reportPercentiles(b, lat, "reply-")
		b.ReportMetric(float64(busy), "busy")
		b.ReportMetric(float64(n-len(lat)-busy), "unanswered")
		if failed > 0 {
			b.Errorf("%d commands were not acknowledged", failed)
		}
	}
}
