package bot_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/internal/sim"
)

// countingBody records how much of a request body the server read.
type countingBody struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A request without plausible signature headers is refused before a byte
// of its body is read, so an unauthenticated client cannot make doorbot
// hold its megabyte.
func TestHTTPRefusesUnsignedBeforeReadingTheBody(t *testing.T) {
	h := newHarness(t, setup{})
	handler := h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)})
	now := time.Now()
	fresh := func(hd http.Header) { hd.Set("X-Slack-Request-Timestamp", strconvUnix(now)) }
	cases := []struct {
		name    string
		headers func(http.Header)
	}{
		{"no headers", func(http.Header) {}},
		{"timestamp but no signature", fresh},
		{"signature but no timestamp", func(hd http.Header) { hd.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64)) }},
		{"malformed timestamp", func(hd http.Header) {
			hd.Set("X-Slack-Request-Timestamp", "yesterday")
			hd.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
		}},
		{"stale timestamp", func(hd http.Header) {
			hd.Set("X-Slack-Request-Timestamp", strconvUnix(now.Add(-10*time.Minute)))
			hd.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
		}},
		{"malformed signature", func(hd http.Header) { fresh(hd); hd.Set("X-Slack-Signature", "v0=nothex") }},
	}
	for _, path := range []string{"/slack/commands", "/slack/interactive"} {
		for _, tc := range cases {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				body := &countingBody{r: bytes.NewReader(bytes.Repeat([]byte("a"), bot.MaxBodyBytes))}
				req := httptest.NewRequest(http.MethodPost, path, body)
				tc.headers(req.Header)
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusUnauthorized || body.n.Load() != 0 {
					t.Errorf("got %d after reading %d body bytes; want 401 with none read", rec.Code, body.n.Load())
				}
			})
		}
	}
}

func strconvUnix(t time.Time) string {
	ts, _ := fakeslack.SignRequest("", t, nil)
	return ts
}

// A signed slash command body over 8 KiB is refused: Slack sends < 4 KB.
func TestHTTPSlashCommandBodyIsSmall(t *testing.T) {
	h := newHarness(t, setup{})
	web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
	defer web.Close()
	form := fakeslack.SlashCommandForm(fakeslack.SlashCommand{Command: "/door", Text: "help " + strings.Repeat("x", 12<<10), UserID: "U0ONCALL", ChannelID: "C0INCIDENT"})
	if code, body := do(t, signed(t, web.URL, "/slack/commands", form, time.Now())); code != http.StatusRequestEntityTooLarge {
		t.Errorf("12 KiB slash command: %d %.100q, want 413", code, body)
	}
}

// blockingBody hands out one byte, says so, then blocks until released.
type blockingBody struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingBody) Read(p []byte) (int, error) {
	first := false
	b.once.Do(func() { first = true; close(b.started) })
	if first {
		p[0] = 'a'
		return 1, nil
	}
	<-b.release
	return 0, io.EOF
}

// With every body slot taken by a request still sending its body, the
// next request is answered 503 (Slack retries) instead of being read.
func TestHTTPBoundsBodiesInFlight(t *testing.T) {
	h := newHarness(t, setup{options: bot.Options{HTTPBodies: 1}})
	handler := h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)})
	now := time.Now()
	slow := &blockingBody{started: make(chan struct{}), release: make(chan struct{})}
	held := httptest.NewRequest(http.MethodPost, "/slack/interactive", slow)
	held.ContentLength = -1
	held.Header.Set("X-Slack-Request-Timestamp", strconvUnix(now))
	held.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
	done := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, held)
		done <- rec.Code
	}()
	<-slow.started

	form := fakeslack.SlashCommandForm(fakeslack.SlashCommand{Command: "/door", Text: "help", UserID: "U0ONCALL", ChannelID: "C0INCIDENT"})
	second := signed(t, "", "/slack/commands", form, now)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, second)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("second body while the only slot is held: %d %q, want 503", rec.Code, rec.Body.String())
	}
	close(slow.release)
	if code := <-done; code != http.StatusUnauthorized {
		t.Errorf("the forged slow request: %d, want 401", code)
	}
	// The slot is free again: a signed command is answered.
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, signed(t, "", "/slack/commands", form, now))
	if rec.Code != http.StatusOK {
		t.Errorf("after the slot was freed: %d %q", rec.Code, rec.Body.String())
	}
}

// Past Options.HTTPConns open connections, a new one is not served until
// another closes.
func TestHTTPBoundsConnections(t *testing.T) {
	h := newHarness(t, setup{options: bot.Options{HTTPConns: 2}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)})}
	go srv.Serve(h.bot.LimitListener(ln))
	defer srv.Close()
	addr := ln.Addr().String()

	// Two connections that send half a request and wait.
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "POST /slack/commands HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	answered := make(chan int, 1)
	go func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			answered <- -1
			return
		}
		defer c.Close()
		_, _ = io.WriteString(c, "POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			answered <- -1
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	select {
	case code := <-answered:
		t.Fatalf("third connection served (%d) while two were open and the bound is 2", code)
	case <-time.After(500 * time.Millisecond):
	}
	idle[0].Close()
	select {
	case code := <-answered:
		if code != http.StatusUnauthorized {
			t.Errorf("third connection, once one closed: %d, want 401", code)
		}
	case <-wait(t).Done():
		t.Fatal("third connection never served after one closed")
	}
}

// A signed command whose response_url points anywhere but Slack is
// answered through the Web API; nothing is posted to that address.
func TestResponseURLOnlyToSlack(t *testing.T) {
	var hits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer evil.Close()
	h := newHarness(t, setup{})
	web := httptest.NewServer(h.bot.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
	defer web.Close()
	ctx := wait(t)
	for i, target := range []string{evil.URL + "/latest/meta-data", "http://169.254.169.254/latest/meta-data/iam", "https://hooks.slack.com.evil.example/commands/1"} {
		form := fakeslack.SlashCommandForm(fakeslack.SlashCommand{Command: "/door", Text: "status healthy-static", UserID: "U0ONCALL", ChannelID: "C0INCIDENT", ResponseURL: target})
		if code, body := do(t, signed(t, web.URL, "/slack/commands", form, time.Now())); code != 200 {
			t.Fatalf("%s: %d %s", target, code, body)
		}
		msgs, err := h.slack.WaitMessages(ctx, i+1)
		if err != nil {
			t.Fatal(err)
		}
		m := msgs[i]
		if m.Via != "chat.postMessage" || m.Channel != "C0INCIDENT" || !strings.Contains(visible(m), "healthy-static") {
			t.Errorf("%s: answer %+v, want it posted in C0INCIDENT through chat.postMessage", target, m)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("doorbot posted %d times to a response_url that is not Slack's", hits.Load())
	}
}

// A 429 with Retry-After: 3600 on chat.postMessage parks nobody: the
// long status that needed it is answered through response_url at once
// (its first part, saying why), chat.postMessage is not called again
// while limited, and the next command is answered with the only worker.
func TestOneRateLimitedMethodStallsNothing(t *testing.T) {
	world := sim.NewWorld()
	conns := degradedFleet(world, 60)
	h := newHarness(t, setup{world: world, conns: conns, options: bot.Options{Workers: 1}})
	h.runSocketMode(t)
	ctx := wait(t)
	h.slack.RateLimitNext("chat.postMessage", 1000, time.Hour)
	for _, text := range []string{"status", "status site-001", "status"} {
		if _, err := h.slack.SendSlashCommand(ctx, fakeslack.SlashCommand{Command: "/door", Text: text, UserID: "U0ONCALL", ChannelID: "C0INCIDENT"}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := h.slack.WaitMessages(ctx, 3)
	if err != nil {
		t.Fatalf("answers while chat.postMessage is limited: %v", err)
	}
	for i, m := range msgs[:3] {
		if m.Via != "response_url" {
			t.Errorf("answer %d went by %s", i, m.Via)
		}
	}
	if !strings.Contains(visible(msgs[0]), "rate-limiting") {
		t.Errorf("the cut answer does not say why: %.300s", visible(msgs[0]))
	}
	if n := h.slack.Calls("chat.postMessage"); n != 1 {
		t.Errorf("chat.postMessage called %d times while limited for an hour; want 1", n)
	}
}
