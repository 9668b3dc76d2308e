package sim

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/doorbot/doorbot/vpn"
)

func TestScenariosAreWellFormed(t *testing.T) {
	name := regexp.MustCompile(`^[a-z0-9-]{1,40}$`)
	awsPSK := regexp.MustCompile(`^[A-Za-z1-9._][A-Za-z0-9._]{7,63}$`)
	want := []string{"healthy-static", "tunnel2-down", "bgp-single-ip", "soracom-door", "aws-throttled", "bgp-peers-down", "door-bgp",
		"psk-mismatch", "proposal-mismatch", "dpd-timeout", "maintenance", "no-logs"}
	sc := Scenarios()
	if len(sc) != len(want) {
		t.Fatalf("%d scenarios", len(sc))
	}
	rgs := map[string]bool{}
	for i, s := range sc {
		if s.Name != want[i] || !name.MatchString(s.Name) || s.Connection.Name != s.Name || s.Title == "" || s.Description == "" || s.Populate == nil {
			t.Errorf("scenario %d malformed: %+v", i, s)
		}
		if s.Connection.Azure.SubscriptionID != SubscriptionID || len(s.Connection.Azure.Connections) != 2 {
			t.Errorf("%s: azure ref %+v", s.Name, s.Connection.Azure)
		}
		if rgs[s.Connection.Azure.ResourceGroup] {
			t.Errorf("%s shares resource group %s", s.Name, s.Connection.Azure.ResourceGroup)
		}
		rgs[s.Connection.Azure.ResourceGroup] = true
		if s.Connection.ObservesAWS() && (s.Connection.AWS.Region == "" || len(s.Connection.AWS.VPNConnectionIDs) != 1) {
			t.Errorf("%s: aws ref %+v", s.Name, s.Connection.AWS)
		}
		for _, k := range s.Secrets {
			if !strings.HasPrefix(k, PSKPrefix) || !awsPSK.MatchString(k) {
				t.Errorf("%s: secret %q is not a valid AWS PSK with the marker prefix", s.Name, k)
			}
		}
	}
	if sc[3].Connection.Kind != vpn.KindSoracomDoor || sc[3].Connection.ObservesAWS() {
		t.Errorf("soracom-door kind = %s", sc[3].Connection.Kind)
	}
}

// TestScenariosReadEndToEnd reads every scenario the way doorbot does and
// checks that each shows its intended situation and nothing else.
func TestScenariosReadEndToEnd(t *testing.T) {
	_, srv, sc := startDemo(t)
	f := armFactory(t, srv)
	type want struct {
		aws   []string // tunnel statuses, nil when AWS is not readable
		azure []string // connection statuses
	}
	wants := map[string]want{
		"healthy-static": {[]string{"UP", "UP"}, []string{"Connected", "Connected"}},
		"tunnel2-down":   {[]string{"UP", "DOWN"}, []string{"Connected", "NotConnected"}},
		// IPsec up, BGP down: Azure shows Connected (its BGP peer is not).
		"bgp-single-ip":     {[]string{"UP", "DOWN"}, []string{"Connected", "Connected"}},
		"soracom-door":      {nil, []string{"Connected", "Connected"}},
		"aws-throttled":     {nil, []string{"Connected", "Connected"}},
		"psk-mismatch":      {[]string{"UP", "DOWN"}, []string{"Connected", "NotConnected"}},
		"proposal-mismatch": {[]string{"DOWN", "UP"}, []string{"Connecting", "Connected"}},
		"dpd-timeout":       {[]string{"UP", "DOWN"}, []string{"Connected", "Connecting"}},
		"maintenance":       {[]string{"DOWN", "UP"}, []string{"Connecting", "Connected"}},
		"no-logs":           {[]string{"UP", "DOWN"}, []string{"Connected", "NotConnected"}},
	}
	for name, w := range wants {
		s := sc[name]
		c := s.Connection
		if c.ObservesAWS() {
			out, err := ec2Client(srv, c.AWS.Region).DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{VpnConnectionIds: c.AWS.VPNConnectionIDs})
			var api smithy.APIError
			switch {
			case w.aws == nil:
				if !errors.As(err, &api) || api.ErrorCode() != "RequestLimitExceeded" {
					t.Errorf("%s: want throttling, got %v", name, err)
				}
			case err != nil:
				t.Errorf("%s: %v", name, err)
			default:
				var got []string
				for _, tel := range out.VpnConnections[0].VgwTelemetry {
					got = append(got, string(tel.Status))
				}
				if strings.Join(got, ",") != strings.Join(w.aws, ",") {
					t.Errorf("%s: AWS tunnels %v, want %v", name, got, w.aws)
				}
			}
		}
		az := c.Azure
		gw, err := f.NewVirtualNetworkGatewaysClient().Get(ctx(t), az.ResourceGroup, az.Gateway, nil)
		if err != nil {
			t.Fatalf("%s: gateway: %v", name, err)
		}
		if !*gw.Properties.Active && len(gw.Properties.IPConfigurations) != 1 {
			t.Errorf("%s: gateway should be active-passive with one public IP", name)
		}
		var lngIPs []string
		for i, cn := range az.Connections {
			conn, err := f.NewVirtualNetworkGatewayConnectionsClient().Get(ctx(t), az.ResourceGroup, cn, nil)
			if err != nil {
				t.Fatalf("%s: connection %s: %v", name, cn, err)
			}
			if got := string(*conn.Properties.ConnectionStatus); got != w.azure[i] {
				t.Errorf("%s: %s is %s, want %s", name, cn, got, w.azure[i])
			}
			if i == 1 && *conn.Properties.IngressBytesTransferred != 0 {
				t.Errorf("%s: connection 2 carries bytes", name)
			}
			lngID := *conn.Properties.LocalNetworkGateway2.ID
			lng, err := f.NewLocalNetworkGatewaysClient().Get(ctx(t), az.ResourceGroup, lngID[strings.LastIndex(lngID, "/")+1:], nil)
			if err != nil {
				t.Fatalf("%s: LNG behind %s: %v", name, cn, err)
			}
			lngIPs = append(lngIPs, *lng.Properties.GatewayIPAddress)
		}
		if lngIPs[0] == lngIPs[1] || !strings.HasPrefix(lngIPs[0], "198.51.100.") || !strings.HasPrefix(lngIPs[1], "203.0.113.") {
			t.Errorf("%s: LNG gateway IPs %v should be the two AWS tunnel outside IPs", name, lngIPs)
		}
	}
}
