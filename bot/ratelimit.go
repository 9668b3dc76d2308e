package bot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// MaxRateLimitWait is the longest doorbot waits for one Slack method's
// rate limit. Slack limits each Web API method on its own; a 429 on
// chat.postMessage with Retry-After: 3600 must not park the workers that
// answer /door status through response_url. A longer wait fails the call
// at once, and later calls of that method fail without reaching Slack
// until its Retry-After has passed; other methods are not affected.
const MaxRateLimitWait = 5 * time.Second

// rateGate is an http.RoundTripper, the one place doorbot handles
// Slack's 429s, for the Web API and response_url alike. It remembers each
// method's 429 (the last path element after /api/, or "response_url" for
// anything else) and answers for Slack while that method is limited: a
// short wait is waited out and the call retried (at most maxRetries
// times), a long one is answered with a 429 of its own carrying the time
// still to wait.
type rateGate struct {
	next    http.RoundTripper
	maxWait time.Duration
	now     func() time.Time

	mu    sync.Mutex
	until map[string]time.Time
}

// maxRetries bounds the retries of one call after 429s.
const maxRetries = 3

func newRateGate(next http.RoundTripper) *rateGate {
	if next == nil {
		next = http.DefaultTransport
	}
	return &rateGate{next: next, maxWait: MaxRateLimitWait, now: time.Now, until: map[string]time.Time{}}
}

func gateKey(r *http.Request) string {
	if i := strings.LastIndex(r.URL.Path, "/api/"); i >= 0 {
		return r.URL.Path[i+len("/api/"):]
	}
	return "response_url"
}

func (g *rateGate) RoundTrip(req *http.Request) (*http.Response, error) {
	key := gateKey(req)
	for attempt := 0; ; attempt++ {
		wait := g.waitLeft(key)
		if wait > g.maxWait {
			return limitedResponse(req, wait), nil
		}
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		resp, err := g.next.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests {
			return resp, err
		}
		wait = retryAfter(resp.Header.Get("Retry-After"))
		g.mu.Lock()
		g.until[key] = g.now().Add(wait)
		g.mu.Unlock()
		// A call is retried only when its body can be sent again.
		if attempt >= maxRetries || wait > g.maxWait || (req.Body != nil && req.GetBody == nil) {
			return resp, nil
		}
		again, err := rewind(req)
		if err != nil {
			return resp, nil
		}
		req = again
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}

// sleep waits d, or less if ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (g *rateGate) waitLeft(key string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until[key].Sub(g.now())
}

// rewind is req with its body to be sent again.
func rewind(req *http.Request) (*http.Request, error) {
	if req.GetBody == nil {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	again := req.Clone(req.Context())
	again.Body = body
	return again, nil
}

// retryAfter reads Slack's Retry-After (whole seconds); absent or
// malformed means a second.
func retryAfter(h string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return time.Second
}

// limitedResponse is the 429 Slack would give again, without asking it.
func limitedResponse(req *http.Request, wait time.Duration) *http.Response {
	secs := int((wait + time.Second - 1) / time.Second)
	body := `{"ok":false,"error":"ratelimited"}`
	return &http.Response{
		Status: "429 Too Many Requests", StatusCode: http.StatusTooManyRequests,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Retry-After": {strconv.Itoa(secs)}, "Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}
}

// isRateLimited reports a Slack call that failed on a rate limit.
func isRateLimited(err error) bool {
	var rl *slack.RateLimitedError
	return errors.As(err, &rl)
}

// rateGatedClient is an HTTP client whose calls pass through one rateGate.
func rateGatedClient(timeout time.Duration) *http.Client {
	return &http.Client{Transport: newRateGate(http.DefaultTransport), Timeout: timeout}
}
