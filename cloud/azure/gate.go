package azure

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Gate sees every ARM request before it is sent and every throttling
// answer, per subscription. The observer's read scheduler implements it to
// honour Retry-After across all reads of a subscription.
type Gate interface {
	// Admit returns nil when a request to sub may be sent now, or the
	// error to answer instead (a *ThrottledError while sub is throttled
	// and the caller cannot wait).
	Admit(ctx context.Context, sub string) error
	// Throttled records a 429 from sub and its Retry-After.
	Throttled(sub string, retryAfter time.Duration)
}

// ThrottledError is a read not sent because ARM throttled its subscription
// and asked not to be called again before Until.
type ThrottledError struct {
	Subscription string
	Until        time.Time
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("ARM throttled subscription %s; not asked again before %s", e.Subscription, e.Until.UTC().Format(time.TimeOnly))
}

// NonRetriable tells azcore's retry policy not to retry: the gate already
// knows when the subscription may be asked again.
func (e *ThrottledError) NonRetriable() {}

// defaultRetryAfter is assumed when a 429 carries no Retry-After (ARM
// always sends one).
const defaultRetryAfter = 5 * time.Second

type gatePolicy struct{ gate Gate }

func (p gatePolicy) Do(req *policy.Request) (*http.Response, error) {
	sub := SubscriptionOf(req.Raw().URL.Path)
	if sub == "" {
		return req.Next()
	}
	if err := p.gate.Admit(req.Raw().Context(), sub); err != nil {
		return nil, err
	}
	resp, err := req.Next()
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		p.gate.Throttled(sub, retryAfter(resp.Header, time.Now()))
	}
	return resp, err
}

// SubscriptionOf takes the lower-cased subscription from an ARM path or
// resource ID (/subscriptions/{id}/...), "" when there is none. The gate
// keys its budgets by it, and so must whoever paces reads against them.
func SubscriptionOf(path string) string {
	const prefix = "/subscriptions/"
	if len(path) < len(prefix) || !strings.EqualFold(path[:len(prefix)], prefix) {
		return ""
	}
	sub, _, _ := strings.Cut(path[len(prefix):], "/")
	return strings.ToLower(sub)
}

// retryAfter reads the headers azcore's retry policy reads, in its order
// (retry-after-ms, x-ms-retry-after-ms, then Retry-After as seconds or an
// HTTP date), so that the gate holds a subscription exactly as long as
// azcore would wait before retrying the same request.
func retryAfter(h http.Header, now time.Time) time.Duration {
	for _, name := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if ms, err := strconv.Atoi(strings.TrimSpace(h.Get(name))); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return defaultRetryAfter
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return defaultRetryAfter
}
