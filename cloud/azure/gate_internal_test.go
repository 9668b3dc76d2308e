package azure

import (
	"net/http"
	"testing"
	"time"
)

// The gate holds a throttled subscription for as long as ARM asked, in
// any of the headers azcore's retry policy honours.
func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"seconds", map[string]string{"Retry-After": "17"}, 17 * time.Second},
		{"http date", map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, 30 * time.Second},
		{"date passed", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"milliseconds first", map[string]string{"Retry-After-Ms": "1500", "Retry-After": "17"}, 1500 * time.Millisecond},
		{"x-ms milliseconds", map[string]string{"x-ms-retry-after-ms": "250", "Retry-After": "17"}, 250 * time.Millisecond},
		{"bad milliseconds fall back", map[string]string{"Retry-After-Ms": "soon", "Retry-After": "3"}, 3 * time.Second},
		{"none", nil, defaultRetryAfter},
		{"garbage", map[string]string{"Retry-After": "later"}, defaultRetryAfter},
	} {
		h := http.Header{}
		for k, v := range c.headers {
			h.Set(k, v)
		}
		if got := retryAfter(h, now); got != c.want {
			t.Errorf("%s: retryAfter(%v) = %s, want %s", c.name, h, got, c.want)
		}
	}
}
