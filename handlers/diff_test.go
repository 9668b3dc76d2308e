package handlers

import (
	"strings"
	"testing"
)

const liveYAML = `connection: prod
routing: static
aws:
  static_routes: [10.1.0.0/16]
  tunnels:
    - outside_ip: 198.51.100.10
      inside_cidr: 169.254.21.0/30
      psk: old-key-one
      dpd_timeout_seconds: 30
    - outside_ip: 203.0.113.20
      inside_cidr: 169.254.22.0/30
      psk: old-key-two
      dpd_timeout_seconds: 40
azure:
  connections:
    - {name: cn-1, dpd_timeout_seconds: 45, connection_mode: Default}
`

func TestDiffIsStructuralOrderedAndComplete(t *testing.T) {
	for _, tc := range []struct {
		name     string
		proposed string
		want     []string
	}{
		{"no change", liveYAML, []string{NoChange}},
		{"one tunnel field", strings.Replace(liveYAML, "dpd_timeout_seconds: 40", "dpd_timeout_seconds: 30", 1),
			[]string{"aws.tunnels[1] (203.0.113.20).dpd_timeout_seconds: 40 → 30"}},
		{"swapped between tunnels", strings.NewReplacer("169.254.21.0/30", "169.254.22.0/30", "169.254.22.0/30", "169.254.21.0/30").Replace(liveYAML),
			[]string{"aws.tunnels[0] (198.51.100.10).inside_cidr: 169.254.21.0/30 → 169.254.22.0/30", "aws.tunnels[1] (203.0.113.20).inside_cidr: 169.254.22.0/30 → 169.254.21.0/30"}},
		{"several, in order, with a prefix list and a new key", strings.NewReplacer("routing: static", "routing: bgp", "[10.1.0.0/16]", "[10.1.0.0/16, 10.2.0.0/16]", "connection_mode: Default}", "connection_mode: ResponderOnly, use_policy_based_traffic_selectors: false}").Replace(liveYAML),
			[]string{"routing: static → bgp", "aws.static_routes: [10.1.0.0/16] → [10.1.0.0/16, 10.2.0.0/16]",
				"azure.connections[0] (cn-1).connection_mode: Default → ResponderOnly", "azure.connections[0] (cn-1).use_policy_based_traffic_selectors: (absent) → false"}},
		{"a key changes unseen", strings.Replace(liveYAML, "old-key-two", "new-key-two", 1), []string{"aws.tunnels[1] (203.0.113.20).psk: changed (not shown)"}},
		// Any key the config and proposal parsers treat as a secret is one
		// here too, however it is spelt.
		{"a key under another spelling changes unseen", strings.Replace(liveYAML, "psk: old-key-one", "Pre-Shared-Key: new-key-one", 1),
			[]string{"aws.tunnels[0] (198.51.100.10).psk: changed (not shown)", "aws.tunnels[0] (198.51.100.10).Pre-Shared-Key: changed (not shown)"}},
		{"a tunnel removed", liveYAML[:strings.Index(liveYAML, "    - outside_ip: 203.0.113.20")] + "azure:\n  connections:\n    - {name: cn-1, dpd_timeout_seconds: 45, connection_mode: Default}\n",
			[]string{"aws.tunnels[1] (203.0.113.20): {outside_ip: 203.0.113.20, inside_cidr: 169.254.22.0/30, psk: (not shown), dpd_timeout_seconds: 40} → (absent)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Diff([]byte(liveYAML), []byte(tc.proposed))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("diff\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if strings.Contains(strings.Join(got, " "), "key-t") {
				t.Error("a pre-shared key reached the diff")
			}
		})
	}
}
