package bot_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/proposal"
)

// BenchmarkAckLatency sends 50 signed requests at once over HTTP while
// every cloud call takes 5 s, and reports the p50 and p99 time to the
// ack. The ack must not depend on the clouds: Slack allows 3 s.
//
//   - status: /door status commands.
//   - approve-journal-sqlite: Approve clicks on a pending change, each
//     written to the click journal on a SQLite store before its ack, while
//     the workers decide the earlier ones (refusals, audit rows) on the
//     same store.
func BenchmarkAckLatency(b *testing.B) {
	b.Run("status", func(b *testing.B) {
		h := newHarness(b, setup{latency: 5 * time.Second, options: bot.Options{Queue: 100000}})
		web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
		defer web.Close()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		form := fakeslack.SlashCommandForm(fakeslack.SlashCommand{Command: "/door", Text: "status healthy-static", UserID: "U0ONCALL", ChannelID: "C0INCIDENT", ResponseURL: h.slack.ResponseURL()})
		var lat []time.Duration
		for b.Loop() {
			lat = append(lat, ackBurst(b, client, web.URL, "/slack/commands", func() url.Values { return form })...)
		}
		reportPercentiles(b, lat, "")
	})
	b.Run("approve-journal-sqlite", func(b *testing.B) {
		st := openStore(b, filepath.Join(b.TempDir(), "doorbot.db"))
		h := newHarness(b, setup{latency: 5 * time.Second, changes: approvals(st, 2), options: bot.Options{Queue: 100000}})
		p, err := proposal.Parse([]byte("routing: static\n"), "bench")
		if err != nil {
			b.Fatal(err)
		}
		p.Connection = "healthy-static"
		req, err := h.changes.Submit(context.Background(), changes.Proposed{User: "UREQ", Team: "T1", Proposal: p, Reason: "CHG-42"})
		if err != nil || req.ThreadTS == "" {
			b.Fatalf("submit: %v", err)
		}
		web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
		defer web.Close()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		form := func() url.Values {
			return fakeslack.InteractiveForm(fakeslack.BlockActionsPayload("UAPP1", approvalsChannel, req.ThreadTS, "change_approve", req.ID, h.slack.ResponseURL()))
		}
		var lat []time.Duration
		for b.Loop() {
			lat = append(lat, ackBurst(b, client, web.URL, "/slack/interactive", form)...)
		}
		reportPercentiles(b, lat, "")
	})
}

// ackBurst sends 50 signed requests to path (form makes each one's body)
// at once and returns each one's time to the ack.
func ackBurst(b *testing.B, client *http.Client, url, path string, form func() url.Values) []time.Duration {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var lat []time.Duration
	for range 50 {
		req := signed(b, url, path, form(), time.Now())
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
	return lat
}

// reportPercentiles reports the p50 and p99 of lat, in ms, as
// PREFIXp50-ms and PREFIXp99-ms.
func reportPercentiles(b *testing.B, lat []time.Duration, prefix string) {
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, prefix+"p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, prefix+"p99-ms")
	}
}

// zeros is an endless body that costs the client no memory.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// procStatus reads a field of /proc/self/status in KiB (0 elsewhere).
func procStatus(field string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// TestFloodServerHelper is the server process of
// BenchmarkUnauthenticatedFlood, started by it: the HTTP endpoints served
// as doorbot serve serves them (LimitListener, the body gate) on a
// loopback port it prints, until its standard input closes; then its peak
// RSS in KiB.
func TestFloodServerHelper(t *testing.T) {
	if os.Getenv("DOORBOT_FLOOD_SERVER") != "1" {
		t.Skip("started by BenchmarkUnauthenticatedFlood")
	}
	bt := bot.New(nil, nil, bot.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: bt.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, MaxHeaderBytes: 16 << 10}
	go srv.Serve(bt.LimitListener(ln))
	fmt.Println(ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Close()
	fmt.Println(procStatus("VmHWM"))
}

// BenchmarkUnauthenticatedFlood sends 800 parallel 1 MiB POSTs over
// loopback to a doorbot HTTP endpoint in a process of its own
// (TestFloodServerHelper) and reports that process's peak RSS (VmHWM)
// and how the requests were answered. "unsigned" carries no signature
// headers; "forged" a fresh timestamp and a well-formed wrong signature,
// so that its bodies are read.
func BenchmarkUnauthenticatedFlood(b *testing.B) {
	for _, kind := range []string{"unsigned", "forged"} {
		b.Run(kind, func(b *testing.B) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFloodServerHelper$")
			cmd.Env = append(os.Environ(), "DOORBOT_FLOOD_SERVER=1")
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			out := bufio.NewScanner(stdout)
			if !out.Scan() {
				b.Fatal("the server process printed no address")
			}
			url := "http://" + strings.TrimSpace(out.Text()) + "/slack/interactive"
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 60 * time.Second}
			codes := map[int]int{}
			var mu sync.Mutex
			for b.Loop() {
				var wg sync.WaitGroup
				for range 800 {
					wg.Go(func() {
						req, _ := http.NewRequest(http.MethodPost, url, io.LimitReader(zeros{}, bot.MaxBodyBytes))
						req.ContentLength = bot.MaxBodyBytes
						if kind == "forged" {
							req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
							req.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
						}
						code := -1 // the server closed before the client finished sending
						if resp, err := client.Do(req); err == nil {
							code = resp.StatusCode
							resp.Body.Close()
						}
						mu.Lock()
						codes[code]++
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			stdin.Close()
			var peak int64
			for out.Scan() {
				if n, err := strconv.ParseInt(strings.TrimSpace(out.Text()), 10, 64); err == nil {
					peak = n
				}
			}
			_ = cmd.Wait()
			b.ReportMetric(float64(peak)/1024, "server-peak-rss-MiB")
			b.Logf("answers by status (-1: connection closed while sending): %v", codes)
			if codes[http.StatusOK] > 0 {
				b.Errorf("%d unauthenticated requests were accepted", codes[http.StatusOK])
			}
		})
	}
}

// BenchmarkAckLatencyWhileRateLimited sends 50 signed /door status
// commands at once over HTTP while chat.postMessage answers 429 with
// Retry-After: 3600, with 60 connections so that the answers need
// chat.postMessage, and reports the ack p50 and p99 and the time until all
// 50 answers were delivered.
func BenchmarkAckLatencyWhileRateLimited(b *testing.B) {
	world := sim.NewWorld()
	conns := sim.Fleet(world, 60, "ap-northeast-1")
	h := newHarness(b, setup{world: world, conns: conns, options: bot.Options{Queue: 100000}})
	h.slack.RateLimitNext("chat.postMessage", 1<<30, time.Hour)
	web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
	defer web.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	// Each command has a response_url of its own, as from Slack.
	form := func() url.Values {
		return fakeslack.SlashCommandForm(fakeslack.SlashCommand{Command: "/door", Text: "status", UserID: "U0ONCALL", ChannelID: "C0INCIDENT", ResponseURL: h.slack.ResponseURL()})
	}
	var lat []time.Duration
	var answered []time.Duration
	for b.Loop() {
		began := time.Now()
		before := len(h.slack.Messages())
		lat = append(lat, ackBurst(b, client, web.URL, "/slack/commands", form)...)
		if _, err := h.slack.WaitMessages(wait(b), before+50); err != nil {
			b.Fatalf("answers: %v", err)
		}
		answered = append(answered, time.Since(began))
	}
	reportPercentiles(b, lat, "ack-")
	slices.Sort(answered)
	b.ReportMetric(float64(answered[len(answered)-1].Milliseconds()), "all-answered-ms")
}
