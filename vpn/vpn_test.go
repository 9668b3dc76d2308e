package vpn

import (
	"testing"
	"time"
)

func TestConnectionObservesAWS(t *testing.T) {
	tests := []struct {
		kind Kind
		want bool
	}{
		{KindAWSVPN, true},
		{KindSoracomDoor, false},
		// An unset kind must not hide the AWS side: config validation owns
		// rejecting it, the domain should not silently skip a cloud.
		{"", true},
	}
	for _, tt := range tests {
		if got := (Connection{Kind: tt.kind}).ObservesAWS(); got != tt.want {
			t.Errorf("ObservesAWS(%q) = %v, want %v", tt.kind, got, tt.want)
		}
	}
}

func TestAWSTunnelUp(t *testing.T) {
	tests := []struct {
		status string
		want   bool
	}{
		{"UP", true},
		{"up", true},
		{"DOWN", false},
		{"", false},
		{"UPDATING", false},
	}
	for _, tt := range tests {
		if got := (AWSTunnel{Status: tt.status}).Up(); got != tt.want {
			t.Errorf("AWSTunnel{Status:%q}.Up() = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestAzureConnectionConnected(t *testing.T) {
	tests := []struct {
		status string
		want   bool
	}{
		{"Connected", true},
		{"connected", true},
		{"Connecting", false},
		{"NotConnected", false},
		{"Unknown", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := (AzureConnection{Status: tt.status}).Connected(); got != tt.want {
			t.Errorf("AzureConnection{Status:%q}.Connected() = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestAWSVPNConnectionRouting(t *testing.T) {
	if got := (AWSVPNConnection{StaticRoutesOnly: true}).Routing(); got != RoutingStatic {
		t.Errorf("static: got %q", got)
	}
	if got := (AWSVPNConnection{}).Routing(); got != RoutingBGP {
		t.Errorf("bgp: got %q", got)
	}
}

func TestAWSSideTunnels(t *testing.T) {
	var nilSide *AWSSide
	if got := nilSide.Tunnels(); got != nil {
		t.Errorf("nil side: got %v, want nil", got)
	}
	s := &AWSSide{VPNConnections: []AWSVPNConnection{
		{ID: "vpn-a", Tunnels: []AWSTunnel{{OutsideIP: "198.51.100.1"}, {OutsideIP: "198.51.100.2"}}},
		{ID: "vpn-b", Tunnels: []AWSTunnel{{OutsideIP: "198.51.100.3"}}},
	}}
	got := s.Tunnels()
	want := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"}
	if len(got) != len(want) {
		t.Fatalf("got %d tunnels, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].OutsideIP != want[i] {
			t.Errorf("tunnel %d = %s, want %s (VPN connection order)", i, got[i].OutsideIP, want[i])
		}
	}
}

func TestAWSSideRouting(t *testing.T) {
	static := AWSVPNConnection{StaticRoutesOnly: true}
	bgp := AWSVPNConnection{}
	tests := []struct {
		name string
		side *AWSSide
		want Routing
	}{
		{"nil", nil, RoutingUnknown},
		{"no connections", &AWSSide{}, RoutingUnknown},
		{"one static", &AWSSide{VPNConnections: []AWSVPNConnection{static}}, RoutingStatic},
		{"two bgp", &AWSSide{VPNConnections: []AWSVPNConnection{bgp, bgp}}, RoutingBGP},
		{"mixed", &AWSSide{VPNConnections: []AWSVPNConnection{static, bgp}}, RoutingUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.side.Routing(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAzureSideRouting(t *testing.T) {
	bgp := AzureConnection{Name: "b", Found: true, EnableBGP: true}
	static := AzureConnection{Name: "s", Found: true}
	gone := AzureConnection{Name: "g", Found: false, EnableBGP: true}
	tests := []struct {
		name string
		side *AzureSide
		want Routing
	}{
		{"nil", nil, RoutingUnknown},
		{"no connections", &AzureSide{}, RoutingUnknown},
		{"all bgp", &AzureSide{Connections: []AzureConnection{bgp, bgp}}, RoutingBGP},
		{"all static", &AzureSide{Connections: []AzureConnection{static, static}}, RoutingStatic},
		{"mixed", &AzureSide{Connections: []AzureConnection{bgp, static}}, RoutingUnknown},
		// A 404 connection has no real BGP flag; it must not turn a static
		// side into "mixed".
		{"static plus not found", &AzureSide{Connections: []AzureConnection{static, gone}}, RoutingStatic},
		{"only not found", &AzureSide{Connections: []AzureConnection{gone}}, RoutingUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.side.Routing(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewReport(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	r := NewReport(time.Date(2026, 11, 25, 9, 0, 0, 0, jst), nil)
	if r.GeneratedAt != "2026-11-25T00:00:00Z" {
		t.Errorf("GeneratedAt = %q, want UTC RFC3339", r.GeneratedAt)
	}
	if r.Connections == nil {
		t.Error("Connections is nil; JSON must be [] not null")
	}
}

// A VPG's routing is its Door connections' when they agree.
func TestSoracomVPGRouting(t *testing.T) {
	static, bgp := DoorConnection{}, DoorConnection{UseDynamicRouting: true}
	for name, tt := range map[string]struct {
		vpg  *SoracomVPG
		want Routing
	}{
		"nil":            {nil, RoutingUnknown},
		"no connections": {&SoracomVPG{}, RoutingUnknown},
		"one static":     {&SoracomVPG{DoorConnections: []DoorConnection{static}}, RoutingStatic},
		"two bgp":        {&SoracomVPG{DoorConnections: []DoorConnection{bgp, bgp}}, RoutingBGP},
		"mixed":          {&SoracomVPG{DoorConnections: []DoorConnection{bgp, static}}, RoutingUnknown},
	} {
		if got := tt.vpg.Routing(); got != tt.want {
			t.Errorf("%s: got %q, want %q", name, got, tt.want)
		}
	}
}

func TestNobodyInitiates(t *testing.T) {
	for _, tt := range []struct {
		mode, startup string
		want          bool
	}{
		{"ResponderOnly", "", true}, // AWS's default is add: it waits
		{"ResponderOnly", "add", true},
		{"responderonly", "ADD", true},
		{"ResponderOnly", "start", false}, // AWS starts IKE itself
		{"ResponderOnly", "Start", false},
		{"Default", "", false},
		{"InitiatorOnly", "add", false},
		{"", "", false},
	} {
		if got := NobodyInitiates(tt.mode, tt.startup); got != tt.want {
			t.Errorf("NobodyInitiates(%q, %q) = %v, want %v", tt.mode, tt.startup, got, tt.want)
		}
	}
}
