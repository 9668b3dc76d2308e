package rules

import (
	"testing"

	"github.com/doorbot/doorbot/vpn"
)

// BenchmarkCheck validates Microsoft's four-tunnel BGP design, the largest
// correct proposal doorbot expects; validate runs it once per request and
// the change thread once per edit, so it should cost microseconds.
func BenchmarkCheck(b *testing.B) {
	p := designB()
	cur := designB()
	b.ReportAllocs()
	for b.Loop() {
		if fs := Check(p, &cur); len(fs) != 0 {
			b.Fatalf("findings on a correct design: %v", fs)
		}
	}
}

// Live rules on a Door connection with its VPG read: what every status of
// a Door connection pays for the SORACOM side (routing filter included).
func BenchmarkLiveDoor(b *testing.B) {
	obs := withVPG(doorStatic(), func(v *vpn.SoracomVPG) {
		v.RoutingFilter = []vpn.RoutingFilterEntry{{Action: "allow", IPRange: "10.1.0.0/16"}, {Action: "allow", IPRange: "192.168.0.0/16"}, {Action: "deny", IPRange: "0.0.0.0/0"}}
	})
	rows := vpn.Pair(obs)
	b.ReportAllocs()
	for b.Loop() {
		if fs := Live(obs, rows); len(fs) != 0 {
			b.Fatalf("findings on a correct Door connection: %v", fs)
		}
	}
}
