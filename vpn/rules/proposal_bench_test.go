package rules

import "testing"

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
