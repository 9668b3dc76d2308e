package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/vpntest"
)

func TestSampleOf(t *testing.T) {
	at := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	partly := vpntest.Healthy.Observation()
	// One Azure connection's read throttled: the observer leaves it out,
	// so pairing shows its tunnel "missing". That is no down.
	partly.Azure.Connections = partly.Azure.Connections[:1]
	partly.Errors = append(partly.Errors, vpn.SideError{Cloud: vpn.CloudAzure, Message: "ARM throttled the read (429)"})
	door := vpntest.Shape{Name: "door", Seq: 5, Door: true, Azure: [2]string{"", "NotConnected"}}.Observation()
	// The local network gateway of connection 2 not read: the Azure
	// connection pairs with no AWS tunnel, and AWS seems to "miss" it.
	noLNG := vpntest.Healthy.Observation()
	noLNG.Azure.Connections[1].LocalNetworkGateway = nil
	noLNG.Errors = append(noLNG.Errors, vpn.SideError{Cloud: vpn.CloudAzure, Message: "ARM throttled the read (429)"})
	// Bytes are no input: a static standby carries none by design, and
	// traffic counted on a tunnel does not make it up.
	standby := vpntest.Healthy.Observation()
	standby.Azure.Connections[0].IngressBytes, standby.Azure.Connections[0].EgressBytes = 7_000_000_000, 3_000_000_000
	standby.Azure.Connections[1].IngressBytes, standby.Azure.Connections[1].EgressBytes = 0, 0
	busyDown := vpntest.Tunnel2.Observation()
	busyDown.Azure.Connections[1].IngressBytes, busyDown.Azure.Connections[1].EgressBytes = 5_000_000, 5_000_000

	cases := []struct {
		name   string
		obs    vpn.Observation
		states string // per tunnel: U D ?
		sides  string // per side: cloud=read
	}{
		{"healthy", vpntest.Healthy.Observation(), "UU", "aws=true azure=true"},
		{"tunnel 2 down on both sides", vpntest.Tunnel2.Observation(), "UD", "aws=true azure=true"},
		{"AWS throttled: Azure Connected is not proof of up", vpntest.Shape{Name: "t", Seq: 3, AWSErr: true}.Observation(), "??", "aws=false azure=true"},
		{"AWS throttled: Azure NotConnected is still down", vpntest.Shape{Name: "t", Seq: 3, AWSErr: true, Azure: [2]string{"NotConnected", ""}}.Observation(), "D?", "aws=false azure=true"},
		{"a partly failed side is unread: no false missing", partly, "??", "aws=true azure=false"},
		{"a row paired from a partial read is not down", noLNG, "???", "aws=true azure=false"},
		{"SORACOM Door: no AWS side expected", door, "UD", "azure=true"},
		{"a static standby carrying 0 bytes is up", standby, "UU", "aws=true azure=true"},
		{"bytes on a down tunnel do not make it up", busyDown, "UD", "aws=true azure=true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := SampleOf(tc.obs, vpn.Pair(tc.obs), at, Context{})
			var states, sides []string
			for _, ts := range s.Tunnels {
				states = append(states, map[TunnelState]string{Up: "U", Down: "D", Unknown: "?"}[ts.State])
			}
			for _, sd := range s.Sides {
				sides = append(sides, sd.Cloud+"="+map[bool]string{true: "true", false: "false"}[sd.Read])
				if !sd.Read && sd.Error == "" {
					t.Errorf("unread %s carries no error", sd.Cloud)
				}
			}
			if got := strings.Join(states, ""); got != tc.states {
				t.Errorf("states %s, want %s", got, tc.states)
			}
			if got := strings.Join(sides, " "); got != tc.sides {
				t.Errorf("sides %s, want %s", got, tc.sides)
			}
		})
	}
	// The tunnel key is the same whichever side was read, so a side
	// coming back does not make new tunnels.
	a := SampleOf(vpntest.Healthy.Observation(), vpn.Pair(vpntest.Healthy.Observation()), at, Context{})
	noAWS := vpntest.Shape{Name: "healthy-static", Seq: 1, AWSErr: true}.Observation()
	b := SampleOf(noAWS, vpn.Pair(noAWS), at, Context{})
	for i := range a.Tunnels {
		if a.Tunnels[i].Key != b.Tunnels[i].Key {
			t.Errorf("tunnel %d key %q with AWS read, %q without", i+1, a.Tunnels[i].Key, b.Tunnels[i].Key)
		}
	}
	// AWS LastStatusChange is the cloud's own "since".
	tn := SampleOf(vpntest.Tunnel2.Observation(), vpn.Pair(vpntest.Tunnel2.Observation()), at, Context{})
	if tn.Tunnels[1].Since.IsZero() || !strings.Contains(tn.Tunnels[1].Detail, "AWS DOWN") {
		t.Errorf("tunnel 2 = %+v; want AWS since and detail", tn.Tunnels[1])
	}
}
