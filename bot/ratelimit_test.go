package bot

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The gate is the one place Slack's 429s are handled: a short
// Retry-After is waited out and the call sent again with its body; a long
// one is handed back, and the method's next call is answered without
// reaching Slack.
func TestRateGate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		limited    int    // 429s before Slack answers
		retryAfter string // their Retry-After
		wantCalls  int32  // calls that reached Slack, the second call included
		wantCode   int    // the first call's status
	}{
		{"a short limit is waited out", 1, "0", 2 + 1, http.StatusOK},
		{"retries are bounded", maxRetries + 1, "0", maxRetries + 1 + 1, http.StatusTooManyRequests},
		{"a long limit fails at once and holds the method", 1, "3600", 1, http.StatusTooManyRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if body, _ := io.ReadAll(r.Body); string(body) != "text=hi" {
					t.Errorf("call %d sent body %q", n, body)
				}
				if int(n) <= tc.limited {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				_, _ = io.WriteString(w, `{"ok":true}`)
			}))
			defer srv.Close()
			c := &http.Client{Transport: newRateGate(nil), Timeout: 10 * time.Second}
			post := func() int {
				resp, err := c.Post(srv.URL+"/api/chat.postMessage", "application/x-www-form-urlencoded", strings.NewReader("text=hi"))
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				return resp.StatusCode
			}
			if code := post(); code != tc.wantCode {
				t.Errorf("first call: %d, want %d", code, tc.wantCode)
			}
			limitedBefore := calls.Load()
			second := post()
			if tc.retryAfter == "3600" && (second != http.StatusTooManyRequests || calls.Load() != limitedBefore) {
				t.Errorf("second call while limited for an hour: %d, reached Slack %v", second, calls.Load() != limitedBefore)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("%d calls reached Slack, want %d", got, tc.wantCalls)
			}
		})
	}
}
