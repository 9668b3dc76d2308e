package aws_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	awsc "github.com/doorbot/doorbot/cloud/aws"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
)

const (
	psk1 = "Psk.Tunnel1.abcDEF123"
	psk2 = "Psk.Tunnel2.ghiJKL456"
)

var changed = time.Date(2026, 11, 25, 2, 47, 12, 0, time.UTC)

func world() *sim.World {
	w := sim.NewWorld()
	w.AddVPN(sim.EC2VPN{
		Region: "ap-northeast-1", ID: "vpn-0123456789abcdef0", StaticRoutesOnly: true,
		Routes:                       []string{"10.1.0.0/16", "10.2.0.0/16"},
		CustomerGatewayConfiguration: "<vpn_connection><ipsec_tunnel><ike><pre_shared_key>" + psk1 + "</pre_shared_key></ike></ipsec_tunnel><ipsec_tunnel><ike><pre_shared_key>" + psk2 + "</pre_shared_key></ike></ipsec_tunnel></vpn_connection>",
		Tunnels: []sim.EC2Tunnel{
			// Lower-case enums: they are compared without case.
			{OutsideIP: "198.51.100.1", Status: "up", AcceptedRouteCount: 2, LastStatusChange: changed, PreSharedKey: psk1,
				InsideCIDR: "169.254.21.0/30", IKEVersions: []string{"ikev2"}, Phase1Encryption: []string{"aes256"},
				Phase1Integrity: []string{"SHA2-256"}, Phase1DHGroups: []int{14, 20}, Phase2LifetimeSeconds: 3600,
				DPDTimeoutSeconds: 30, StartupAction: "Start"},
			// No options at all: AWS defaults.
			{OutsideIP: "198.51.100.2", Status: "DOWN", StatusMessage: "IPSEC IS DOWN", PreSharedKey: psk2},
		},
	})
	w.AddVPN(sim.EC2VPN{Region: "ap-northeast-1", ID: "vpn-00000000000000bb0", Tunnels: []sim.EC2Tunnel{{OutsideIP: "203.0.113.1", Status: "UP"}}})
	w.AddVPN(sim.EC2VPN{Region: "eu-west-1", ID: "vpn-00000000000e0e0e0", Tunnels: []sim.EC2Tunnel{{OutsideIP: "203.0.113.9", Status: "UP"}}})
	return w
}

func client(t *testing.T, w *sim.World) (*awsc.Client, *sim.Server) {
	t.Helper()
	// StartForTest also fails the test if the adapter sent a write.
	srv := simclient.StartForTest(t, w)
	return simclient.AWS(srv, simclient.Options{CallTimeout: 2 * time.Second, MaxAttempts: 1}), srv
}

func TestDescribeConvertsAndDropsKeys(t *testing.T) {
	c, srv := client(t, world())
	got, err := c.DescribeVPNConnections(context.Background(), "ap-northeast-1", []string{"vpn-0123456789abcdef0", "vpn-00000000000000bb0", "vpn-0000000000000dead"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d connections, want the 2 that exist (an unknown ID must not fail the batch)", len(got))
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d EC2 requests for 3 IDs, want 1", n)
	}
	v := got["vpn-0123456789abcdef0"]
	if !v.StaticRoutesOnly || !slices.Equal(v.StaticRoutes, []string{"10.1.0.0/16", "10.2.0.0/16"}) {
		t.Errorf("routing = static %v routes %v", v.StaticRoutesOnly, v.StaticRoutes)
	}
	if len(v.Tunnels) != 2 {
		t.Fatalf("tunnels = %+v", v.Tunnels)
	}
	t1, t2 := v.Tunnels[0], v.Tunnels[1]
	if !t1.Up() || t1.AcceptedRoutes != 2 || !t1.LastStatusChange.Equal(changed) {
		t.Errorf("tunnel 1 telemetry = %+v", t1)
	}
	o := t1.Options
	if o.InsideCIDR != "169.254.21.0/30" || !slices.Equal(o.IKEVersions, []string{"ikev2"}) || !slices.Equal(o.Phase1Encryption, []string{"AES256"}) ||
		!slices.Equal(o.Phase1DHGroups, []int{14, 20}) || o.Phase2Lifetime != 3600 || o.DPDTimeoutSeconds != 30 || o.StartupAction != "start" {
		t.Errorf("tunnel 1 options = %+v", o)
	}
	if t2.Up() || t2.StatusMessage != "IPSEC IS DOWN" {
		t.Errorf("tunnel 2 = %+v", t2)
	}
	if t2.Options.InsideCIDR != "" || t2.Options.IKEVersions != nil || t2.Options.Phase1Lifetime != 0 {
		t.Errorf("absent options must stay empty (AWS default): %+v", t2.Options)
	}
	dump := fmt.Sprintf("%#v", got)
	for _, k := range []string{psk1, psk2} {
		if strings.Contains(dump, k) {
			t.Errorf("pre-shared key %q crossed the adapter boundary", k)
		}
	}
}

func TestRegionScoping(t *testing.T) {
	c, _ := client(t, world())
	got, err := c.DescribeVPNConnections(context.Background(), "eu-west-1", []string{"vpn-00000000000e0e0e0", "vpn-0123456789abcdef0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["vpn-0123456789abcdef0"]; ok || len(got) != 1 {
		t.Errorf("eu-west-1 returned %v", got)
	}
}

func TestErrorHints(t *testing.T) {
	cases := []struct {
		fault sim.Fault
		want  string
	}{
		{sim.Fault{Status: 503, Code: "RequestLimitExceeded"}, "throttling"},
		{sim.Fault{Status: 403, Code: "UnauthorizedOperation"}, "allow ec2:DescribeVpnConnections"},
		{sim.Fault{Status: 401, Code: "AuthFailure"}, "rejected the credentials"},
		{sim.Fault{Hang: true}, "timed out after 2s"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			w := world()
			w.SetFault("aws", tc.fault)
			c, _ := client(t, w)
			_, err := c.DescribeVPNConnections(context.Background(), "ap-northeast-1", []string{"vpn-0123456789abcdef0"})
			var ae *awsc.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *aws.Error", err)
			}
			if h := ae.Hint(); !strings.Contains(h, tc.want) || strings.Contains(h, "\n") {
				t.Errorf("hint %q, want one line containing %q", h, tc.want)
			}
		})
	}
}
