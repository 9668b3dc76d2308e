package azure_test

import (
	"testing"

	azc "github.com/doorbot/doorbot/cloud/azure"
)

// The gate and the observer's pacing key budgets by SubscriptionOf: a
// request path and a resource ID of the same subscription, however cased,
// must land in one budget.
func TestSubscriptionOf(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/subscriptions/ABC-1/resourceGroups/rg/providers/Microsoft.Network/connections/c", "abc-1"},
		{"/Subscriptions/abc-1/resourceGroups/rg/providers/Microsoft.Network/localNetworkGateways/l", "abc-1"},
		{"/subscriptions/abc-1", "abc-1"},
		{"/v1/subscriptions/abc-1/query", ""}, // Log Analytics: not an ARM path
		{"/providers/Microsoft.Network/operations", ""},
		{"", ""},
	} {
		if got := azc.SubscriptionOf(c.in); got != c.want {
			t.Errorf("SubscriptionOf(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
