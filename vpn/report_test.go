package vpn

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

const (
	ip1 = "198.51.100.1"
	ip2 = "198.51.100.2"
	ip9 = "203.0.113.9"
)

var since = time.Date(2026, 11, 25, 1, 2, 3, 0, time.UTC)

func awsTunnel(ip, status, msg string) AWSTunnel {
	return AWSTunnel{OutsideIP: ip, Status: status, StatusMessage: msg, LastStatusChange: since, AcceptedRoutes: 1}
}

func awsSide(static bool, tunnels ...AWSTunnel) *AWSSide {
	return &AWSSide{Region: "ap-northeast-1", VPNConnections: []AWSVPNConnection{{
		ID: "vpn-0123", State: "available", StaticRoutesOnly: static, Tunnels: tunnels,
	}}}
}

func azConn(name, lngIP, status string, in, out int64) AzureConnection {
	return AzureConnection{
		Name: name, Found: true, Status: status, IngressBytes: in, EgressBytes: out,
		LocalNetworkGateway: &LocalNetworkGateway{Name: "lng-" + name, GatewayIP: lngIP},
	}
}

func azSide(conns ...AzureConnection) *AzureSide {
	return &AzureSide{Gateway: &AzureGateway{Name: "vgw-prod", PublicIPCount: 1}, Connections: conns}
}

func awsVPN() Connection                   { return Connection{Name: "azure-prod", Kind: KindAWSVPN} }
func door() Connection                     { return Connection{Name: "door-prod", Kind: KindSoracomDoor} }
func notFound(name string) AzureConnection { return AzureConnection{Name: name, Found: false} }

// rowKey is the part of a row that pairing decides; bytes and timestamps are
// checked separately so the table stays readable.
type rowKey struct {
	Index     int
	IP        string
	AWS       string
	AzureConn string
	Azure     string
}

func keys(rows []TunnelStatus) []rowKey {
	out := make([]rowKey, len(rows))
	for i, r := range rows {
		out[i] = rowKey{r.Index, r.AWSOutsideIP, r.AWSStatus, r.AzureConnection, r.AzureStatus}
	}
	return out
}

func TestPair(t *testing.T) {
	tests := []struct {
		name string
		obs  Observation
		want []rowKey
	}{
		{
			name: "paired by IP, not by order",
			obs: Observation{Connection: awsVPN(),
				AWS:   awsSide(true, awsTunnel(ip1, "UP", ""), awsTunnel(ip2, "DOWN", "IPSEC IS DOWN")),
				Azure: azSide(azConn("cn2", ip2, "NotConnected", 0, 0), azConn("cn1", ip1, "Connected", 10, 20)),
			},
			want: []rowKey{
				{1, ip1, "UP", "cn1", "Connected"},
				{2, ip2, "DOWN", "cn2", "NotConnected"},
			},
		},
		{
			name: "IP text differs only in spacing",
			obs: Observation{Connection: awsVPN(),
				AWS:   awsSide(true, awsTunnel(ip1, "UP", "")),
				Azure: azSide(azConn("cn1", " "+ip1+" ", "Connected", 0, 0)),
			},
			want: []rowKey{{1, ip1, "UP", "cn1", "Connected"}},
		},
		{
			name: "LNG pointing at no AWS tunnel",
			obs: Observation{Connection: awsVPN(),
				AWS:   awsSide(true, awsTunnel(ip1, "UP", ""), awsTunnel(ip2, "DOWN", "IPSEC IS DOWN")),
				Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0), azConn("cn2", ip9, "NotConnected", 0, 0)),
			},
			want: []rowKey{
				{1, ip1, "UP", "cn1", "Connected"},
				{2, ip2, "DOWN", "", StatusMissing},
				{3, ip9, StatusMissing, "cn2", "NotConnected"},
			},
		},
		{
			name: "AWS tunnel with no Azure connection",
			obs: Observation{Connection: awsVPN(),
				AWS:   awsSide(true, awsTunnel(ip1, "UP", ""), awsTunnel(ip2, "DOWN", "IPSEC IS DOWN")),
				Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0)),
			},
			want: []rowKey{
				{1, ip1, "UP", "cn1", "Connected"},
				{2, ip2, "DOWN", "", StatusMissing},
			},
		},
		{
			name: "Azure not observed gives unknown, not missing",
			obs: Observation{Connection: awsVPN(),
				AWS:    awsSide(true, awsTunnel(ip1, "UP", ""), awsTunnel(ip2, "UP", "")),
				Errors: []SideError{{Cloud: CloudAzure, Message: "403"}},
			},
			want: []rowKey{
				{1, ip1, "UP", "", StatusUnknown},
				{2, ip2, "UP", "", StatusUnknown},
			},
		},
		{
			name: "AWS not observed gives unknown, not missing",
			obs: Observation{Connection: awsVPN(),
				Azure:  azSide(azConn("cn1", ip1, "Connected", 0, 0), azConn("cn2", ip2, "Connected", 0, 0)),
				Errors: []SideError{{Cloud: CloudAWS, Message: "throttled"}},
			},
			want: []rowKey{
				{1, ip1, StatusUnknown, "cn1", "Connected"},
				{2, ip2, StatusUnknown, "cn2", "Connected"},
			},
		},
		{
			name: "SORACOM Door: AWS nil",
			obs: Observation{Connection: door(),
				Azure: azSide(azConn("cn-door1", ip1, "Connected", 5, 6), azConn("cn-door2", ip2, "Connecting", 0, 0)),
			},
			want: []rowKey{
				{1, ip1, StatusUnknown, "cn-door1", "Connected"},
				{2, ip2, StatusUnknown, "cn-door2", "Connecting"},
			},
		},
		{
			name: "404 Azure connection is listed and pairs with nothing",
			obs: Observation{Connection: awsVPN(),
				AWS:   awsSide(true, awsTunnel(ip1, "UP", ""), awsTunnel(ip2, "DOWN", "IPSEC IS DOWN")),
				Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0), notFound("cn2")),
			},
			want: []rowKey{
				{1, ip1, "UP", "cn1", "Connected"},
				{2, ip2, "DOWN", "", StatusMissing},
				{3, "", StatusMissing, "cn2", StatusMissing},
			},
		},
		{
			name: "404 Azure connection with a stale LNG does not pair",
			obs: Observation{Connection: awsVPN(),
				AWS: awsSide(true, awsTunnel(ip1, "UP", "")),
				Azure: azSide(AzureConnection{Name: "cn1", Found: false,
					LocalNetworkGateway: &LocalNetworkGateway{GatewayIP: ip1}}),
			},
			want: []rowKey{
				{1, ip1, "UP", "", StatusMissing},
				{2, ip1, StatusMissing, "cn1", StatusMissing},
			},
		},
		{
			name: "404 on SORACOM Door",
			obs: Observation{Connection: door(),
				Azure: azSide(azConn("cn-door1", ip1, "Connected", 0, 0), notFound("cn-door2")),
			},
			want: []rowKey{
				{1, ip1, StatusUnknown, "cn-door1", "Connected"},
				{2, "", StatusUnknown, "cn-door2", StatusMissing},
			},
		},
		{
			name: "two connections on one tunnel: second is unpaired",
			obs: Observation{Connection: awsVPN(),
				AWS:   awsSide(true, awsTunnel(ip1, "UP", ""), awsTunnel(ip2, "UP", "")),
				Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0), azConn("cn1b", ip1, "Connected", 0, 0)),
			},
			want: []rowKey{
				{1, ip1, "UP", "cn1", "Connected"},
				{2, ip2, "UP", "", StatusMissing},
				{3, ip1, StatusMissing, "cn1b", "Connected"},
			},
		},
		{
			name: "connection without LNG is listed",
			obs: Observation{Connection: awsVPN(),
				AWS:   awsSide(true, awsTunnel(ip1, "UP", "")),
				Azure: azSide(AzureConnection{Name: "cn1", Found: true, Status: "Connected"}),
			},
			want: []rowKey{
				{1, ip1, "UP", "", StatusMissing},
				{2, "", StatusMissing, "cn1", "Connected"},
			},
		},
		{
			name: "status normalisation",
			obs: Observation{Connection: awsVPN(),
				AWS:   awsSide(true, awsTunnel(ip1, "up", ""), awsTunnel(ip2, "", "")),
				Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0), azConn("cn2", ip2, "", 0, 0)),
			},
			want: []rowKey{
				{1, ip1, "UP", "cn1", "Connected"},
				{2, ip2, StatusUnknown, "cn2", "Unknown"},
			},
		},
		{
			name: "BGP active-active: two VPN connections, four tunnels",
			obs: Observation{Connection: awsVPN(),
				AWS: &AWSSide{VPNConnections: []AWSVPNConnection{
					{ID: "vpn-a", Tunnels: []AWSTunnel{awsTunnel("198.51.100.11", "UP", ""), awsTunnel("198.51.100.12", "UP", "")}},
					{ID: "vpn-b", Tunnels: []AWSTunnel{awsTunnel("198.51.100.21", "UP", ""), awsTunnel("198.51.100.22", "UP", "")}},
				}},
				Azure: azSide(
					azConn("c22", "198.51.100.22", "Connected", 0, 0), azConn("c21", "198.51.100.21", "Connected", 0, 0),
					azConn("c12", "198.51.100.12", "Connected", 0, 0), azConn("c11", "198.51.100.11", "Connected", 0, 0)),
			},
			want: []rowKey{
				{1, "198.51.100.11", "UP", "c11", "Connected"},
				{2, "198.51.100.12", "UP", "c12", "Connected"},
				{3, "198.51.100.21", "UP", "c21", "Connected"},
				{4, "198.51.100.22", "UP", "c22", "Connected"},
			},
		},
		{
			name: "nothing observed",
			obs:  Observation{Connection: awsVPN()},
			want: []rowKey{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := Pair(tt.obs)
			if rows == nil {
				t.Fatal("Pair returned nil; JSON needs []")
			}
			if got := keys(rows); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows:\n got  %+v\n want %+v", got, tt.want)
			}
			// docs/output.md: every tunnel and every connection appears in
			// exactly one row.
			var conns []string
			for _, r := range rows {
				if r.AzureConnection != "" {
					conns = append(conns, r.AzureConnection)
				}
			}
			var wantConns []string
			if tt.obs.Azure != nil {
				for _, c := range tt.obs.Azure.Connections {
					wantConns = append(wantConns, c.Name)
				}
			}
			sort.Strings(conns)
			sort.Strings(wantConns)
			if len(conns)+len(wantConns) > 0 && !reflect.DeepEqual(conns, wantConns) {
				t.Errorf("Azure connections in rows = %v, want each of %v once", conns, wantConns)
			}
		})
	}
}

func TestPairCarriesDetails(t *testing.T) {
	obs := Observation{Connection: awsVPN(),
		AWS:   awsSide(true, awsTunnel(ip1, "UP", "IPSEC IS UP")),
		Azure: azSide(azConn("cn1", ip1, "Connected", 123, 456)),
	}
	rows := Pair(obs)
	if len(rows) != 1 {
		t.Fatalf("got %d rows", len(rows))
	}
	r := rows[0]
	if r.AWSSince != "2026-11-25T01:02:03Z" || r.AWSMessage != "IPSEC IS UP" || r.AWSAcceptedRoutes != 1 ||
		r.AWSVPNConnectionID != "vpn-0123" || r.AzureIngressBytes != 123 || r.AzureEgressBytes != 456 {
		t.Errorf("row details lost: %+v", r)
	}

	// A zero LastStatusChange means AWS did not say; it must not render as
	// year 1.
	obs.AWS.VPNConnections[0].Tunnels[0].LastStatusChange = time.Time{}
	if got := Pair(obs)[0].AWSSince; got != "" {
		t.Errorf("AWSSince for zero time = %q, want empty", got)
	}
}

// twoUp is a static design with both tunnels up on both clouds.
func twoUp() Observation {
	return Observation{Connection: awsVPN(),
		AWS:   awsSide(true, awsTunnel(ip1, "UP", ""), awsTunnel(ip2, "UP", "")),
		Azure: azSide(azConn("cn1", ip1, "Connected", 1000, 2000), azConn("cn2", ip2, "Connected", 0, 0)),
	}
}

func TestVerdict(t *testing.T) {
	errFinding := []Finding{{Rule: "routing-mismatch", Severity: SeverityError}}
	warnFinding := []Finding{{Rule: "single-tunnel", Severity: SeverityWarning}}

	mutate := func(f func(*Observation)) Observation {
		o := twoUp()
		f(&o)
		return o
	}
	tests := []struct {
		name     string
		obs      Observation
		findings []Finding
		want     Health
	}{
		{"all up, no findings", twoUp(), nil, Healthy},
		// Zero bytes on one static connection is normal (Azure uses one
		// connection at a time) and twoUp has that shape.
		{"all up, warning only", twoUp(), warnFinding, Healthy},
		{"all up, error finding", twoUp(), errFinding, Degraded},
		{"one tunnel down on Azure", mutate(func(o *Observation) { o.Azure.Connections[1].Status = "NotConnected" }), nil, Degraded},
		{"one tunnel down on AWS", mutate(func(o *Observation) { o.AWS.VPNConnections[0].Tunnels[1].Status = "DOWN" }), nil, Degraded},
		{"AWS telemetry absent on one tunnel", mutate(func(o *Observation) { o.AWS.VPNConnections[0].Tunnels[1].Status = "" }), nil, Degraded},
		{"single tunnel up is never healthy", mutate(func(o *Observation) {
			o.AWS.VPNConnections[0].Tunnels = o.AWS.VPNConnections[0].Tunnels[:1]
			o.Azure.Connections = o.Azure.Connections[:1]
		}), nil, Degraded},
		{"single tunnel Door is never healthy", Observation{Connection: door(),
			Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0))}, nil, Degraded},
		{"AWS tunnel without Azure connection", mutate(func(o *Observation) { o.Azure.Connections = o.Azure.Connections[:1] }), nil, Degraded},
		{"all down on both clouds", mutate(func(o *Observation) {
			for i := range o.AWS.VPNConnections[0].Tunnels {
				o.AWS.VPNConnections[0].Tunnels[i].Status = "DOWN"
			}
			for i := range o.Azure.Connections {
				o.Azure.Connections[i].Status = "NotConnected"
			}
		}), nil, Down},
		{"down wins over error findings", mutate(func(o *Observation) {
			for i := range o.Azure.Connections {
				o.Azure.Connections[i].Status = "Connecting"
			}
			for i := range o.AWS.VPNConnections[0].Tunnels {
				o.AWS.VPNConnections[0].Tunnels[i].Status = "DOWN"
			}
		}), errFinding, Down},
		// A tunnel is up only when every observed side has it up: AWS UP
		// alone carries nothing while Azure has no connection.
		{"sides disagree: AWS up, Azure down", mutate(func(o *Observation) {
			for i := range o.Azure.Connections {
				o.Azure.Connections[i].Status = "NotConnected"
			}
		}), nil, Down},
		{"sides disagree on one tunnel", mutate(func(o *Observation) {
			o.Azure.Connections[1].Status = "NotConnected"
		}), nil, Degraded},
		{"observed but nothing configured", Observation{Connection: awsVPN(), AWS: &AWSSide{}, Azure: &AzureSide{}}, nil, Down},
		{"no side observed", Observation{Connection: awsVPN(), Errors: []SideError{{Cloud: CloudAWS}, {Cloud: CloudAzure}}}, nil, Unknown},
		{"no side observed, even with findings", Observation{Connection: door()}, errFinding, Unknown},
		{"Door: Azure only, both connected", Observation{Connection: door(),
			Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0), azConn("cn2", ip2, "Connected", 0, 0))}, nil, Healthy},
		{"Door: Azure only, one connecting", Observation{Connection: door(),
			Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0), azConn("cn2", ip2, "Connecting", 0, 0))}, nil, Degraded},
		{"Door: Azure only, none connected", Observation{Connection: door(),
			Azure: azSide(azConn("cn1", ip1, "NotConnected", 0, 0), azConn("cn2", ip2, "Connecting", 0, 0))}, nil, Down},
		{"Door: 404 connection", Observation{Connection: door(),
			Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0), notFound("cn2"))}, nil, Degraded},
		// The unobserved side's "unknown" must not count against the
		// verdict; AWS UP means IKE is up on both ends anyway.
		{"aws-vpn with Azure unreadable, AWS both up", Observation{Connection: awsVPN(),
			AWS:    awsSide(true, awsTunnel(ip1, "UP", ""), awsTunnel(ip2, "UP", "")),
			Errors: []SideError{{Cloud: CloudAzure, Message: "403"}}}, nil, Healthy},
		{"aws-vpn with AWS unreadable, Azure all down", Observation{Connection: awsVPN(),
			Azure:  azSide(azConn("cn1", ip1, "NotConnected", 0, 0), azConn("cn2", ip2, "NotConnected", 0, 0)),
			Errors: []SideError{{Cloud: CloudAWS, Message: "throttled"}}}, nil, Down},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verdict(tt.obs, Pair(tt.obs), tt.findings); got != tt.want {
				t.Errorf("Verdict = %q, want %q (rows %+v)", got, tt.want, keys(Pair(tt.obs)))
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	down2 := twoUp()
	down2.AWS.VPNConnections[0].Tunnels[1].Status = "DOWN"
	down2.Azure.Connections[1].Status = "NotConnected"

	withErrors := Observation{Connection: awsVPN(),
		AWS: awsSide(true, awsTunnel(ip1, "UP", ""), awsTunnel(ip2, "UP", "")),
		Errors: []SideError{
			{Cloud: CloudAzure, Message: "403 on connections"},
			{Cloud: CloudAzure, Message: "403 on gateway"},
		},
	}

	tests := []struct {
		name     string
		obs      Observation
		findings []Finding
		want     []string
		notWant  []string
	}{
		{
			name: "all up",
			obs:  twoUp(),
			want: []string{"2 of 2 tunnels up on both clouds"},
			// nothing is down, so no per-tunnel detail
			notWant: []string{"tunnel 1", "tunnel 2", "errors"},
		},
		{
			name:     "down tunnel and error finding",
			obs:      down2,
			findings: []Finding{{Rule: "tunnel-down", Severity: SeverityError}, {Rule: "single-tunnel", Severity: SeverityWarning}},
			want:     []string{"1 of 2 tunnels up", "tunnel 2 (198.51.100.2)", "AWS DOWN", "Azure NotConnected", "tunnel-down"},
			notWant:  []string{"tunnel 1 (", "single-tunnel"},
		},
		{
			name:    "side error named once per cloud",
			obs:     withErrors,
			want:    []string{"(AWS only: Azure not observed)", "errors from azure"},
			notWant: []string{"azure and azure"},
		},
		{
			name: "Door wording",
			obs: Observation{Connection: door(),
				Azure: azSide(azConn("cn1", ip1, "Connected", 0, 0), azConn("cn2", ip2, "Connecting", 0, 0))},
			want:    []string{"1 of 2 tunnels up", "(Azure view; AWS side is SORACOM's)", "Azure Connecting"},
			notWant: []string{"AWS unknown"},
		},
		{
			name: "aws-vpn with AWS unreadable",
			obs: Observation{Connection: awsVPN(),
				Azure:  azSide(azConn("cn1", ip1, "Connected", 0, 0), azConn("cn2", ip2, "Connected", 0, 0)),
				Errors: []SideError{{Cloud: CloudAWS, Message: "timeout"}}},
			want: []string{"(Azure only: AWS not observed)", "errors from aws"},
		},
		{
			name: "unknown",
			obs:  Observation{Connection: awsVPN(), Errors: []SideError{{Cloud: CloudAWS}, {Cloud: CloudAzure}}},
			want: []string{"no side could be observed", "errors from aws and azure"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := Pair(tt.obs)
			h := Verdict(tt.obs, rows, tt.findings)
			got := Summarize(tt.obs, h, rows, tt.findings)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary %q lacks %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("summary %q contains %q", got, w)
				}
			}
			if strings.Contains(got, "\n") {
				t.Errorf("summary is not one line: %q", got)
			}
		})
	}
}

// The JSON field names are interface (docs/output.md).
func TestConnectionStatusJSON(t *testing.T) {
	obs := twoUp()
	rows := Pair(obs)
	cs := ConnectionStatus{
		Name: "azure-prod", Kind: KindAWSVPN, Health: Verdict(obs, rows, nil),
		Routing: RoutingPair{AWS: obs.AWS.Routing(), Azure: obs.Azure.Routing()},
		Tunnels: rows,
	}
	b, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "kind", "health", "summary", "routing", "tunnels", "findings", "errors"} {
		if _, ok := m[k]; !ok {
			t.Errorf("connection JSON lacks %q: %s", k, b)
		}
	}
	// Consumers iterate these; nil slices must still be arrays.
	for _, k := range []string{"tunnels", "findings", "errors"} {
		if _, ok := m[k].([]any); !ok {
			t.Errorf("%q = %v, want a JSON array", k, m[k])
		}
	}
	routing := m["routing"].(map[string]any)
	if routing["aws"] != "static" || routing["azure"] != "static" {
		t.Errorf("routing = %v", routing)
	}
	tun := m["tunnels"].([]any)[0].(map[string]any)
	for _, k := range []string{"index", "aws_outside_ip", "aws_status", "aws_since", "aws_message", "aws_accepted_routes",
		"azure_connection", "azure_status", "azure_ingress_bytes", "azure_egress_bytes"} {
		if _, ok := tun[k]; !ok {
			t.Errorf("tunnel JSON lacks %q: %v", k, tun)
		}
	}
	f, _ := json.Marshal(Finding{Rule: "r", Severity: SeverityWarning, Message: "m", Fix: "f", Reference: "https://x"})
	if string(f) != `{"rule":"r","severity":"warning","message":"m","fix":"f","reference":"https://x"}` {
		t.Errorf("finding JSON = %s", f)
	}
	e, _ := json.Marshal(SideError{Cloud: CloudSoracom, Message: "m"})
	if string(e) != `{"cloud":"soracom","message":"m"}` {
		t.Errorf("error JSON = %s", e)
	}
}

// A BGP tunnel is up only when its BGP session is established (docs/output.md): AWS says so with UP; Azure with the peer Connected.
func TestBGPTunnelUp(t *testing.T) {
	bgpConn := func(name, ip, peer string) AzureConnection {
		c := azConn(name, ip, "Connected", 0, 0)
		c.EnableBGP = true
		c.LocalNetworkGateway.BGPPeerAddress, c.LocalNetworkGateway.ASN = peer, 64512
		return c
	}
	doorBGP := func(states ...string) Observation {
		az := azSide(bgpConn("cn1", ip1, "169.254.21.1"), bgpConn("cn2", ip2, "169.254.22.1"))
		if states != nil {
			az.BGPPeers = []BGPPeer{}
			for i, st := range states {
				az.BGPPeers = append(az.BGPPeers, BGPPeer{LocalAddress: "169.254.21.2", Neighbor: []string{"169.254.21.1", "169.254.22.1"}[i], ASN: 64512, State: st})
			}
		}
		return Observation{Connection: door(), Azure: az}
	}
	awsBGP := func(msg1, msg2 string) Observation {
		st := func(m string) string {
			if m == "IPSEC IS UP" || m == "IPSEC IS DOWN" {
				return "DOWN"
			}
			return "UP"
		}
		return Observation{Connection: awsVPN(),
			AWS: awsSide(false, awsTunnel(ip1, st(msg1), msg1), awsTunnel(ip2, st(msg2), msg2)),
			Azure: azSide(func() AzureConnection { c := azConn("cn1", ip1, "Connected", 0, 0); c.EnableBGP = true; return c }(),
				func() AzureConnection { c := azConn("cn2", ip2, "Connected", 0, 0); c.EnableBGP = true; return c }())}
	}
	tests := []struct {
		name   string
		obs    Observation
		up     []bool
		health Health
		bgp    string // state of tunnel 1's session, "" = none known
	}{
		{"Door BGP: Connected tunnels, peers Idle: nothing is routed", doorBGP("Idle", "Idle"), []bool{false, false}, Down, "Idle"},
		{"Door BGP: one peer Idle", doorBGP("Connected", "Idle"), []bool{true, false}, Degraded, "Connected"},
		{"Door BGP: both peers Connected", doorBGP("Connected", "Connected"), []bool{true, true}, Healthy, "Connected"},
		{"Door BGP: a peer Azure does not list", doorBGP("Connected"), []bool{true, false}, Degraded, "Connected"},
		{"peer status not read: IPsec decides", doorBGP(), []bool{true, true}, Healthy, ""},
		{"AWS BGP VPN, both DOWN IPSEC IS UP", awsBGP("IPSEC IS UP", "IPSEC IS UP"), []bool{false, false}, Down, ""},
		{"AWS BGP VPN, one DOWN IPSEC IS UP", awsBGP("1 BGP ROUTES", "IPSEC IS UP"), []bool{true, false}, Degraded, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := Pair(tt.obs)
			var up []bool
			for _, r := range rows {
				up = append(up, r.Up)
			}
			if !reflect.DeepEqual(up, tt.up) {
				t.Errorf("up = %v, want %v", up, tt.up)
			}
			if h := Verdict(tt.obs, rows, nil); h != tt.health {
				t.Errorf("health = %s, want %s", h, tt.health)
			}
			got := ""
			if rows[0].BGP != nil {
				got = rows[0].BGP.State
			}
			if got != tt.bgp {
				t.Errorf("tunnel 1 BGP state = %q, want %q", got, tt.bgp)
			}
			sum := Summarize(tt.obs, tt.health, rows, nil)
			n := 0
			for _, u := range tt.up {
				if u {
					n++
				}
			}
			if !strings.HasPrefix(sum, fmt.Sprintf("%d of %d tunnels up", n, len(rows))) {
				t.Errorf("summary %q disagrees with up", sum)
			}
		})
	}
	rows := Pair(doorBGP("Idle", "Connected"))
	if !rows[0].BGPDown() || rows[1].BGPDown() {
		t.Errorf("BGPDown = %v, %v", rows[0].BGPDown(), rows[1].BGPDown())
	}
	if s := Summarize(doorBGP("Idle", "Connected"), Degraded, rows, nil); !strings.Contains(s, "BGP peer 169.254.21.1 Idle") {
		t.Errorf("summary does not say which BGP peer is down: %s", s)
	}
	b, _ := json.Marshal(rows[0])
	if !strings.Contains(string(b), `"up":false`) || !strings.Contains(string(b), `"bgp":{"peer":"169.254.21.1","asn":64512,"state":"Idle"}`) {
		t.Errorf("JSON row: %s", b)
	}
}

// The one reading of "IPsec up" and "BGP established" that status, triage
// and why share.
func TestIPsecUpAndBGPEstablished(t *testing.T) {
	for msg, want := range map[string]bool{"IPSEC IS UP": true, "ipsec is up": true, "IPSEC IS DOWN": false, "": false, "1 BGP ROUTES": false} {
		if got := (TunnelStatus{AWSMessage: msg}).AWSIPsecUp(); got != want {
			t.Errorf("AWSIPsecUp(%q) = %v, want %v", msg, got, want)
		}
	}
	for state, want := range map[string]bool{"Connected": true, "connected": true, "Connecting": false, "Idle": false, BGPAbsent: false, "": false} {
		if got := (BGPPeer{State: state}).Established(); got != want {
			t.Errorf("BGPPeer %q Established = %v, want %v", state, got, want)
		}
		if got := (&TunnelBGP{State: state}).Established(); got != want {
			t.Errorf("TunnelBGP %q Established = %v, want %v", state, got, want)
		}
	}
}
