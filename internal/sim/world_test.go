package sim

import "testing"

// BenchmarkWorldLookups measures what the ARM handlers spend in the world
// per request on a large fleet (1,000 sites over 20 hubs, 4,000 ARM
// resources): the resource-group check every ARM request makes, a
// connection list, and an EC2 region's VPNs. This is simulator CPU that
// otherwise inflates the fleet benchmarks of cloud/.
func BenchmarkWorldLookups(b *testing.B) {
	w := NewWorld()
	conns := FleetOf(w, FleetSpec{Connections: 1000, Gateways: 20, Regions: []string{"ap-northeast-1", "eu-west-1"}})
	last := conns[len(conns)-1].Azure
	b.ResetTimer()
	for b.Loop() {
		if !w.rgExists(last.SubscriptionID, last.ResourceGroup) {
			b.Fatal("resource group missing")
		}
		if len(w.connectionsIn(last.SubscriptionID, last.ResourceGroup)) == 0 {
			b.Fatal("no connections")
		}
		if len(w.vpnsIn("eu-west-1")) == 0 {
			b.Fatal("no VPNs")
		}
	}
}

func TestOrderedGroups(t *testing.T) {
	o := newOrdered[int]()
	o.put("sub/rg-a/x", 1)
	o.put("sub/rg-b/y", 2)
	o.put("sub/rg-a/z", 3)
	o.put("sub/rg-a/x", 4) // replaced in place: keeps its position
	o.remove("sub/rg-b/y")
	o.remove("sub/rg-b/nope")
	cases := []struct {
		group string
		want  []int
	}{
		{"sub/rg-a", []int{4, 3}},
		{"sub/rg-b", nil}, // emptied by remove
		{"sub", nil},      // a prefix of a group is not the group
		{"", nil},
	}
	for _, c := range cases {
		got := o.in(c.group)
		if len(got) != len(c.want) || o.has(c.group) != (len(c.want) > 0) {
			t.Errorf("group %q: in %v has %v, want %v", c.group, got, o.has(c.group), c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("group %q: in %v, want %v", c.group, got, c.want)
			}
		}
	}
	if all := o.all(); len(all) != 2 || all[0] != 4 || all[1] != 3 || o.len() != 2 || o.oldest() != "sub/rg-a/x" {
		t.Errorf("all = %v len %d oldest %q", all, o.len(), o.oldest())
	}
}
