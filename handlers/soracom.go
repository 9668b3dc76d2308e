package handlers

import (
	"fmt"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// soracomLine is SORACOM's side of a Door connection in one line: the VPG,
// its Door connections' routing, the subnets the rules use, the routing
// filter and how many devices sit behind it. SORACOM reports no tunnel
// status, so the tunnel rows stay Azure's.
func soracomLine(s *vpn.SoracomStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SORACOM VPG %s (", s.VPGID)
	if s.Type != "" {
		b.WriteString(s.Type + ", ")
	}
	b.WriteString(dash(s.Status) + ")")
	if len(s.DoorConnections) == 0 {
		b.WriteString(" · no Door connection")
	}
	for _, d := range s.DoorConnections {
		fmt.Fprintf(&b, " · Door %s: %s", d.ID, d.Routing())
		if d.UseDynamicRouting && d.BGPASN != "" {
			fmt.Fprintf(&b, " AS%s", d.BGPASN)
		}
	}
	fmt.Fprintf(&b, " · device subnet %s · VPG range %s", dash(s.DeviceSubnet), dash(s.VPGSubnet))
	if len(s.RoutingFilter) > 0 {
		rules := make([]string, len(s.RoutingFilter))
		for i, f := range s.RoutingFilter {
			rules[i] = f.Action + " " + f.IPRange
		}
		b.WriteString(" · routing filter: " + strings.Join(rules, ", "))
	}
	if s.OnlineSessions != nil {
		fmt.Fprintf(&b, " · %d devices online", *s.OnlineSessions)
	}
	return b.String()
}
