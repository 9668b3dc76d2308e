package why

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/rules"
)

func TestMatchDocumentedMessages(t *testing.T) {
	cases := []struct {
		name string
		rec  Record
		want string
	}{
		{"aws psk ikev2 json", Record{Source: SourceAWSTunnelLog, Text: `{"event_timestamp":1764756000,"details":"AWS tunnel detected a pre-shared key mismatch with cgw: 192.0.2.61","dpd_enabled":true,"nat_t_detected":false,"ike_phase1_state":"down","ike_phase2_state":"down"}`}, rules.IDPSKMismatch},
		{"aws psk ikev1 text", Record{Source: SourceAWSTunnelLog, Text: "AWS tunnel payload decryption was unsuccessful due to invalid Pre-shared Key"}, rules.IDPSKMismatch},
		{"aws auth failed", Record{Source: SourceAWSTunnelLog, Text: "AWS tunnel is sending AUTHENTICATION_FAILED as the response"}, rules.IDPSKMismatch},
		{"aws no proposal", Record{Source: SourceAWSTunnelLog, Text: `{"details":"No Proposal Match Found by AWS"}`}, rules.IDProposalMismatch},
		{"aws no proposal notify", Record{Source: SourceAWSTunnelLog, Text: `No Proposal Match Found. Notifying with "No proposal chosen"`}, rules.IDProposalMismatch},
		{"aws phase 2", Record{Source: SourceAWSTunnelLog, Text: "AWS tunnel Phase 2 was unable to establish while keeping Phase 1"}, rules.IDProposalMismatch},
		{"aws ts", Record{Source: SourceAWSTunnelLog, Text: "AWS: Traffic Selector: TS_UNACCEPTABLE: received from responder"}, rules.IDPolicyBasedSelectors},
		{"aws dpd v2", Record{Source: SourceAWSTunnelLog, Text: "AWS tunnel DPD timed out after 3 retransmits"}, rules.IDDPDTimeout},
		{"aws dpd v1", Record{Source: SourceAWSTunnelLog, Text: "Peer is not responsive - Declaring peer dead"}, rules.IDDPDTimeout},
		{"aws phase1 timeout", Record{Source: SourceAWSTunnelLog, Text: "AWS tunnel Timeout: deleting un-established Phase 1 IKE_SA with cgw: 192.0.2.61"}, rules.IDPeerUnreachable},
		{"bgp bad open", Record{Source: SourceAWSBGPLog, Text: `{"resource_id":"vpn-1234abcd_198.51.100.1","type":"BGPStatus","status":"DOWN","message":{"details":"AWS-side peer detected a bad OPEN message from CGW, remote AS is 65515, expected 65000"}}`}, rules.IDASNInvalid},
		{"bgp own as", Record{Source: SourceAWSBGPLog, Text: `{"type":"RouteStatus","status":"UPDATED","message":{"details":"DENIED due to: as-path contains our own AS","prefix":"10.1.0.0/16"}}`}, rules.IDASNInvalid},
		{"bgp next hop", Record{Source: SourceAWSBGPLog, Text: `{"type":"RouteStatus","status":"UPDATED","message":{"details":"DENIED due to: non-connected next-hop"}}`}, rules.IDBGPAddressMismatch},
		{"bgp down", Record{Source: SourceAWSBGPLog, Text: `{"type":"BGPStatus","status":"DOWN","message":{"details":"BGP session state changed from Established to Idle"}}`}, rules.IDBGPSessionDown},
		{"bgp prefix limit", Record{Source: SourceAWSBGPLog, Text: "BGP notification 6/1: maximum prefix limit was exceeded"}, rules.IDBGPPrefixLimit},
		{"azure auth", Record{Source: "azure:IKEDiagnosticLog", Text: "Remote 198.51.100.61:500: Local 192.0.2.61:500: Error: Authentication failed. Check shared key."}, rules.IDPSKMismatch},
		{"azure policy", Record{Source: "azure:IKEDiagnosticLog", Text: "Remote 198.51.100.71:500: Local 192.0.2.71:500: [SEND][NOTIFY] Sending Notify Message - Policy Mismatch"}, rules.IDProposalMismatch},
		{"azure 13868", Record{Source: "azure:IKEDiagnosticLog", Text: "IkeCleanupQMNegotiation called with error 13868"}, rules.IDProposalMismatch},
		{"azure dpd", Record{Source: "azure:TunnelDiagnosticLog", Operation: "TunnelDisconnected", Text: "DPD timeout"}, rules.IDDPDTimeout},
		{"azure maintenance", Record{Source: "azure:GatewayDiagnosticLog", Operation: "HostMaintenanceEvent", Text: "host maintenance"}, rules.IDMaintenance},
		{"azure failover", Record{Source: "azure:GatewayDiagnosticLog", Operation: "GatewayTenantPrimaryChanged"}, rules.IDMaintenance},
		{"azure change", Record{Source: "azure:GatewayDiagnosticLog", Operation: "SetConnectionConfiguration"}, rules.IDGatewayChange},
		{"azure bgp", Record{Source: "azure:RouteDiagnosticLog", Operation: "BgpDisconnectedEvent", Text: "BGP peer 169.254.21.1 disconnected"}, rules.IDBGPSessionDown},

		// Anchors: the phrase must be the cloud's, in the source it comes from.
		{"aws phrase mid-line", Record{Source: SourceAWSTunnelLog, Text: "note: AWS tunnel DPD timed out"}, ""},
		{"aws phrase from azure", Record{Source: "azure:IKEDiagnosticLog", Text: "AWS tunnel DPD timed out"}, ""},
		{"azure keyword inside word", Record{Source: "azure:IKEDiagnosticLog", Text: "PolicyMismatches counter 0"}, ""},
		{"azure 13801 as an address", Record{Source: "azure:IKEDiagnosticLog", Text: "Remote 10.13.80.1:500 sent 13801 bytes"}, ""},
		{"tunnel connected", Record{Source: "azure:TunnelDiagnosticLog", Operation: "TunnelConnected", Text: "DPD"}, ""},
		{"aws healthy", Record{Source: SourceAWSTunnelLog, Text: `{"details":"AWS tunnel is up","ike_phase1_state":"established"}`}, ""},
		{"not json", Record{Source: SourceAWSTunnelLog, Text: `{"details": broken`}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Match(c.rec); got != c.want {
				t.Errorf("Match = %q, want %q (normalized %q)", got, c.want, normalize(c.rec))
			}
		})
	}
}

func TestEveryPatternRuleIsInTheCatalog(t *testing.T) {
	for _, p := range patterns {
		if _, ok := rules.Lookup(p.rule); !ok {
			t.Errorf("pattern rule %q is not in the catalog", p.rule)
		}
		if _, ok := ruleText[p.rule]; !ok {
			t.Errorf("pattern rule %q has no message and fix", p.rule)
		}
	}
}

var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// staticPair is a static VPN whose tunnel 2 is down on both sides.
func staticPair() Input {
	obs := vpn.Observation{
		Connection: vpn.Connection{Name: "azure-prod", Kind: vpn.KindAWSVPN},
		AWS: &vpn.AWSSide{VPNConnections: []vpn.AWSVPNConnection{{ID: "vpn-1", StaticRoutesOnly: true, Tunnels: []vpn.AWSTunnel{
			{OutsideIP: "198.51.100.1", Status: "UP"},
			{OutsideIP: "203.0.113.1", Status: "DOWN", StatusMessage: "IPSEC IS DOWN", LastStatusChange: now.Add(-40 * time.Minute)},
		}}}},
		Azure: &vpn.AzureSide{Connections: []vpn.AzureConnection{
			{Name: "cn1", Found: true, Status: "Connected", LocalNetworkGateway: &vpn.LocalNetworkGateway{GatewayIP: "198.51.100.1"}},
			{Name: "cn2", Found: true, Status: "NotConnected", LocalNetworkGateway: &vpn.LocalNetworkGateway{GatewayIP: "203.0.113.1"}},
		}},
	}
	return Input{Now: now, Observation: obs, Tunnels: vpn.Pair(obs), Health: vpn.Degraded}
}

func TestExplainPSKMismatchBothSides(t *testing.T) {
	in := staticPair()
	in.Records = []Record{
		{Source: SourceAWSTunnelLog, Tunnel: "203.0.113.1", Time: now.Add(-2 * time.Minute), Text: `{"details":"AWS tunnel detected a pre-shared key mismatch with cgw: 192.0.2.1","ike_phase1_state":"down"}`},
		{Source: SourceAWSTunnelLog, Tunnel: "203.0.113.1", Time: now.Add(-7 * time.Minute), Text: `{"details":"AWS tunnel detected a pre-shared key mismatch with cgw: 192.0.2.1"}`},
		{Source: "azure:IKEDiagnosticLog", Time: now.Add(-3 * time.Minute), Text: "Remote 203.0.113.1:500: Local 192.0.2.1:500: Error: Authentication failed. Check shared key."},
		// Another connection on the same gateway: not evidence here.
		{Source: "azure:IKEDiagnosticLog", Time: now.Add(-1 * time.Minute), Text: "Remote 192.0.2.200:500: Local 192.0.2.1:500: Error: Authentication failed."},
		// Tunnel 1 is fine; its noise matches nothing.
		{Source: SourceAWSTunnelLog, Tunnel: "198.51.100.1", Time: now.Add(-1 * time.Minute), Text: `{"details":"AWS tunnel is up"}`},
	}
	a := Explain(in)
	if len(a.Causes) != 1 {
		t.Fatalf("causes = %+v, want exactly psk-mismatch", a.Causes)
	}
	c := a.Causes[0]
	if c.Rule != rules.IDPSKMismatch || c.Tunnel != 2 || c.Severity != vpn.SeverityError {
		t.Fatalf("cause = %+v", c)
	}
	if len(c.Evidence) != 3 || c.Evidence[0].Source != SourceAWSTunnelLog || c.Evidence[0].Time != "2026-12-03T09:58:00Z" {
		t.Errorf("evidence = %+v, want 3 lines newest first", c.Evidence)
	}
	if !strings.Contains(c.Evidence[0].Text, "pre-shared key mismatch") || !strings.Contains(c.Evidence[0].Text, "phase1 state down") {
		t.Errorf("evidence text = %q", c.Evidence[0].Text)
	}
	if !strings.Contains(c.Message, "tunnel 2 (203.0.113.1)") || !strings.Contains(c.Message, "3 records from aws:tunnel-log, azure:IKEDiagnosticLog") {
		t.Errorf("message = %q", c.Message)
	}
}

func TestExplainNoEvidenceFallsBackToAPIFields(t *testing.T) {
	in := staticPair()
	in.NotRead = []NotRead{{Source: SourceAWSTunnelLog, Why: "off", Fix: "enable"}}
	a := Explain(in)
	if len(a.Causes) != 1 || a.Causes[0].Rule != rules.IDTunnelDown || a.Causes[0].Tunnel != 2 {
		t.Fatalf("causes = %+v", a.Causes)
	}
	ev := a.Causes[0].Evidence
	if len(ev) != 2 || ev[0].Source != SourceAzureConnection && ev[1].Source != SourceAzureConnection {
		t.Errorf("evidence = %+v, want telemetry and connection", ev)
	}
	if !strings.Contains(a.Causes[0].Fix, "not read") {
		t.Errorf("fix should point at not_read: %q", a.Causes[0].Fix)
	}
}

func TestExplainTunnelFilter(t *testing.T) {
	in := staticPair()
	in.Tunnel = 1
	in.Records = []Record{{Source: SourceAWSTunnelLog, Tunnel: "203.0.113.1", Time: now, Text: "AWS tunnel DPD timed out after 3 retransmits"}}
	if a := Explain(in); len(a.Causes) != 0 {
		t.Errorf("tunnel 1 asked, causes = %+v", a.Causes)
	}
}

func TestExplainMaintenance(t *testing.T) {
	in := staticPair()
	in.Maintenance = []Maintenance{
		{Tunnel: "203.0.113.1", LastApplied: now.Add(-41 * time.Minute)},
		{Tunnel: "198.51.100.1", Pending: "Tunnel endpoint replacement", AutoAppliedAfter: now.Add(72 * time.Hour)},
		{Tunnel: "198.51.100.1", LastApplied: now.Add(-30 * 24 * time.Hour)}, // long ago: no cause
	}
	a := Explain(in)
	if len(a.Causes) != 2 {
		t.Fatalf("causes = %+v", a.Causes)
	}
	if c := a.Causes[0]; c.Rule != rules.IDMaintenance || c.Tunnel != 2 || c.Severity != vpn.SeverityWarning || c.Evidence[0].Source != SourceAWSMaintenance {
		t.Errorf("first = %+v", c)
	}
	if c := a.Causes[1]; c.Rule != rules.IDMaintenance || c.Severity != vpn.SeverityInfo || !strings.Contains(c.Message, "2026-12-06T10:00:00Z") {
		t.Errorf("second = %+v", c)
	}
}

func TestExplainAzureFailover(t *testing.T) {
	in := staticPair()
	in.Records = []Record{
		{Source: "azure:TunnelDiagnosticLog", Operation: "TunnelDisconnected", Instance: "GatewayTenantWorker_IN_0", Tunnel: "203.0.113.1", Time: now.Add(-10 * time.Minute)},
		{Source: "azure:TunnelDiagnosticLog", Operation: "TunnelConnected", Instance: "GatewayTenantWorker_IN_1", Tunnel: "203.0.113.1", Time: now.Add(-10*time.Minute + 20*time.Second)},
	}
	a := Explain(in)
	if len(a.Causes) == 0 || a.Causes[0].Rule != rules.IDMaintenance || len(a.Causes[0].Evidence) != 2 {
		t.Fatalf("causes = %+v", a.Causes)
	}
	// The same instance reconnecting is the peer going quiet.
	in.Records[1].Instance = "GatewayTenantWorker_IN_0"
	if a := Explain(in); a.Causes[0].Rule != rules.IDDPDTimeout {
		t.Errorf("same instance: causes = %+v", a.Causes)
	}
	// A reconnect is matched by tunnel however its address is spelled,
	// and a reconnect of the other tunnel is no failover of this one.
	in.Records[1].Instance = "GatewayTenantWorker_IN_1"
	in.Records[1].Tunnel = "::ffff:203.0.113.1"
	if a := Explain(in); a.Causes[0].Rule != rules.IDMaintenance || len(a.Causes[0].Evidence) != 2 {
		t.Errorf("IPv4-mapped reconnect: causes = %+v", a.Causes)
	}
	in.Records[1].Tunnel = "198.51.100.1"
	if a := Explain(in); len(a.Causes) > 0 && a.Causes[0].Rule == rules.IDMaintenance {
		t.Errorf("other tunnel's reconnect paired: causes = %+v", a.Causes)
	}
}

func TestExplainBGPSessionDown(t *testing.T) {
	obs := vpn.Observation{
		Connection: vpn.Connection{Name: "bgp"},
		AWS: &vpn.AWSSide{VPNConnections: []vpn.AWSVPNConnection{{ID: "vpn-2", Tunnels: []vpn.AWSTunnel{
			{OutsideIP: "198.51.100.1", Status: "UP", StatusMessage: "1 BGP ROUTES"},
			{OutsideIP: "203.0.113.1", Status: "DOWN", StatusMessage: "IPSEC IS UP"},
		}}}},
		Azure: &vpn.AzureSide{
			Connections: []vpn.AzureConnection{
				{Name: "cn1", Found: true, Status: "Connected", EnableBGP: true, LocalNetworkGateway: &vpn.LocalNetworkGateway{GatewayIP: "198.51.100.1", BGPPeerAddress: "169.254.21.1"}},
				{Name: "cn2", Found: true, Status: "Connecting", EnableBGP: true, LocalNetworkGateway: &vpn.LocalNetworkGateway{GatewayIP: "203.0.113.1", BGPPeerAddress: "169.254.22.1"}},
			},
			BGPPeers: []vpn.BGPPeer{{Neighbor: "169.254.21.1", State: "Connected", ASN: 64512}, {Neighbor: "169.254.22.1", State: "Connecting", ASN: 64512}},
		},
	}
	in := Input{Now: now, Observation: obs, Tunnels: vpn.Pair(obs), RoutesRead: true,
		Routes: []Route{{Network: "172.31.0.0/16", SourcePeer: "169.254.21.1"}}}
	a := Explain(in)
	if len(a.Causes) != 1 || a.Causes[0].Rule != rules.IDBGPSessionDown || a.Causes[0].Tunnel != 2 {
		t.Fatalf("causes = %+v", a.Causes)
	}
	var srcs []string
	for _, e := range a.Causes[0].Evidence {
		srcs = append(srcs, e.Source)
	}
	if got := strings.Join(srcs, ","); got != "aws:telemetry,azure:bgp-peers,azure:learned-routes" {
		t.Errorf("evidence sources = %s", got)
	}
}

func TestAnswerJSONShape(t *testing.T) {
	in := staticPair()
	b, err := json.Marshal(Explain(in))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"connection", "causes", "not_read"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %q in %s", k, b)
		}
	}
	if _, ok := m["not_read"].([]any); !ok {
		t.Errorf("not_read must be an array: %s", b)
	}
	cause := m["causes"].([]any)[0].(map[string]any)
	for _, k := range []string{"rule", "severity", "message", "fix", "reference", "evidence"} {
		if _, ok := cause[k]; !ok {
			t.Errorf("cause lacks %q: %v", k, cause)
		}
	}
	ev := cause["evidence"].([]any)[0].(map[string]any)
	for _, k := range []string{"source", "time", "text"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("evidence lacks %q: %v", k, ev)
		}
	}
}

func TestCleanRedactsAndCuts(t *testing.T) {
	cases := []struct{ in, want string }{
		{"psk=Sup3rSecret.Key_99 rejected", "psk=[redacted] rejected"},
		{`"PreSharedKey": "abcdefgh"`, `"PreSharedKey": "[redacted]"`},
		{"shared key: hunter22 mismatch", "shared key: [redacted] mismatch"},
		{"got Sim.PSK.pskmismatch.tunnel2.ABCdef123 from cgw", "got [redacted] from cgw"},
		{"GatewayTenantWorker_IN_0 vpn-0f3c9a1b2d4e5f601 SetGatewayConfiguration", "GatewayTenantWorker_IN_0 vpn-0f3c9a1b2d4e5f601 SetGatewayConfiguration"},
		{"line\none\ttabs\x00nul", "line one tabsnul"},
		{"bad \xff byte", "bad ? byte"},
	}
	for _, c := range cases {
		if got := Clean(c.in); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("é", 400)
	got := Clean(long)
	if utf8.RuneCountInString(got) != MaxText || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("cut to %d runes, valid %v", utf8.RuneCountInString(got), utf8.ValidString(got))
	}
}

// FuzzExplain feeds arbitrary log text through the matcher: it must never
// panic, every quoted line stays one valid line within MaxText, and a key
// planted in the text never comes out.
func FuzzExplain(f *testing.F) {
	f.Add("aws:tunnel-log", "", `{"details":"AWS tunnel detected a pre-shared key mismatch with cgw: 192.0.2.1"}`)
	f.Add("aws:bgp-log", "", `{"type":"BGPStatus","status":"DOWN","message":{"details":"Hold Timer Expired"}}`)
	f.Add("aws:bgp-log", "", `{"type":"RouteStatus","message":"x"}`)
	f.Add("azure:IKEDiagnosticLog", "", "Remote 203.0.113.1:500: Local 192.0.2.1:500: Policy Mismatch")
	f.Add("azure:TunnelDiagnosticLog", "TunnelDisconnected", "DPD")
	f.Add("azure:GatewayDiagnosticLog", "HostMaintenanceEvent", "")
	f.Add("aws:tunnel-log", "", "{\"details\":\"\xff\"}")
	const planted = "Zq9.Key_Planted_77xY"
	f.Fuzz(func(t *testing.T, source, op, text string) {
		in := staticPair()
		for _, tun := range []string{"203.0.113.1", "", "198.51.100.1"} {
			in.Records = append(in.Records, Record{Source: source, Operation: op, Tunnel: tun, Time: now, Text: text + " psk=" + planted},
				Record{Source: source, Operation: op, Tunnel: tun, Time: now, Text: text})
		}
		a := Explain(in)
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), planted) {
			t.Fatalf("planted key leaked: %s", b)
		}
		for _, c := range a.Causes {
			for _, e := range c.Evidence {
				if utf8.RuneCountInString(e.Text) > MaxText || strings.ContainsAny(e.Text, "\n\r") || !utf8.ValidString(e.Text) {
					t.Fatalf("evidence text not one short valid line: %q", e.Text)
				}
			}
		}
	})
}
