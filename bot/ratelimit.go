package bot

import (
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

// rateGate is an http.RoundTripper that remembers each method's 429
// (the last path element after /api/, or "response_url" for anything
// else) and answers for Slack while that method is limited: a short wait
// is waited out, a long one is answered with a 429 of its own carrying the
// time still to wait.
type rateGate struct {
	next    http.RoundTripper
	maxWait time.Duration
	now     func() time.Time

	mu    sync.Mutex
	until map[string]time.Time
}

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
	g.mu.Lock()
	wait := g.until[key].Sub(g.now())
	g.mu.Unlock()
	if wait > g.maxWait {
		return limitedResponse(req, wait), nil
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		case <-t.C:
		}
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		return resp, err
	}
	g.mu.Lock()
	g.until[key] = g.now().Add(retryAfter(resp.Header.Get("Retry-After")))
	g.mu.Unlock()
	return resp, nil
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

// boundedRetry is slack-go's 429 retry, but only for a Retry-After of at
// most MaxRateLimitWait: a longer one is returned to the caller at once.
type boundedRetry struct{ max int }

func (b boundedRetry) ShouldRetry(state *slack.RetryState, req *http.Request, resp *http.Response, _ error) (bool, time.Duration) {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || state.Attempt >= b.max || (req.Body != nil && req.GetBody == nil) {
		return false, 0
	}
	wait := retryAfter(resp.Header.Get("Retry-After"))
	if wait > MaxRateLimitWait {
		return false, 0
	}
	return true, wait
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
