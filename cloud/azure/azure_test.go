package azure_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	azc "github.com/doorbot/doorbot/cloud/azure"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
)

const sub = "00000000-0000-0000-0000-0000000000aa"

func world() *sim.World {
	w := sim.NewWorld()
	w.AddGateway(sim.ARMGateway{Subscription: sub, ResourceGroup: "rg-net", Name: "vgw-aa", Location: "japaneast", SKU: "VpnGw2AZ",
		VPNType: "RouteBased", ActiveActive: true, EnableBGP: true, ASN: 65000, PublicIPs: []string{"192.0.2.1", "192.0.2.2"},
		CustomAPIPA: [][]string{{"169.254.21.2", "169.254.22.2"}, {"169.254.21.6", "169.254.22.6"}}})
	w.AddLocalNetworkGateway(sim.ARMLNG{Subscription: sub, ResourceGroup: "rg-net", Name: "lng-t1", GatewayIP: "198.51.100.1",
		BGPPeerAddress: "169.254.21.1", ASN: 64512})
	w.AddLocalNetworkGateway(sim.ARMLNG{Subscription: sub, ResourceGroup: "rg-other", Name: "lng-far", GatewayIP: "198.51.100.9",
		AddressPrefixes: []string{"172.31.0.0/16"}})
	w.AddConnection(sim.ARMConnection{Subscription: sub, ResourceGroup: "rg-net", Name: "cn-t1", Gateway: "vgw-aa", LocalNetworkGateway: "lng-t1",
		Status: "Connected", IngressBytes: 1234, EgressBytes: 5678, EnableBGP: true, SharedKey: "Azure.Shared.Key.zzz",
		CustomBGPAddresses: []string{"169.254.21.2"}, ConnectionMode: "ResponderOnly", DPDTimeoutSeconds: 30,
		IPsecPolicy: &sim.ARMIPsecPolicy{SALifeTimeSeconds: 27000, SADataSizeKilobytes: 102400000, IPsecEncryption: "GCMAES256",
			IPsecIntegrity: "GCMAES256", IKEEncryption: "AES256", IKEIntegrity: "SHA384", DHGroup: "ECP384", PFSGroup: "PFS2048"}})
	w.AddConnection(sim.ARMConnection{Subscription: sub, ResourceGroup: "rg-net", Name: "cn-default", Gateway: "vgw-aa", LocalNetworkGateway: "lng-t1"})
	w.SetBGPPeers(sub, "rg-net", "vgw-aa", []sim.ARMBGPPeer{{LocalAddress: "10.1.255.4", Neighbor: "169.254.21.1", ASN: 64512, State: "Connected", RoutesReceived: 3}})
	return w
}

func client(t *testing.T, w *sim.World) (*azc.Client, *sim.Server) {
	t.Helper()
	// StartForTest also fails the test if the adapter sent a write.
	srv := simclient.StartForTest(t, w)
	c, err := simclient.Azure(srv, simclient.Options{CallTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestReads(t *testing.T) {
	c, srv := client(t, world())
	ctx := context.Background()
	g, err := c.Gateway(ctx, sub, "rg-net", "vgw-aa")
	if err != nil {
		t.Fatal(err)
	}
	if !g.ActiveActive || !g.EnableBGP || g.ASN != 65000 || g.PublicIPCount != 2 || g.SKU != "VpnGw2AZ" || g.VPNType != "RouteBased" ||
		!slices.Equal(g.CustomAPIPA, []string{"169.254.21.2", "169.254.22.2", "169.254.21.6", "169.254.22.6"}) {
		t.Errorf("gateway = %+v", g)
	}
	cr, err := c.Connection(ctx, sub, "rg-net", "cn-t1")
	if err != nil {
		t.Fatal(err)
	}
	a := cr.Connection
	if !a.Found || !a.Connected() || a.IngressBytes != 1234 || a.EgressBytes != 5678 || !a.EnableBGP || a.ConnectionMode != "ResponderOnly" ||
		a.DPDTimeoutSeconds != 30 || !slices.Equal(a.CustomBGPAddresses, []string{"169.254.21.2"}) {
		t.Errorf("connection = %+v", a)
	}
	// The custom IPsec policy is read, so live rules can compare it with
	// the AWS tunnel's options; a connection without one has none.
	if p := a.IPsecPolicy; p == nil || p.IKEEncryption != "AES256" || p.IKEIntegrity != "SHA384" || p.DHGroup != "ECP384" ||
		p.IPsecEncryption != "GCMAES256" || p.IPsecIntegrity != "GCMAES256" || p.PFSGroup != "PFS2048" ||
		p.SALifetimeSeconds == nil || *p.SALifetimeSeconds != 27000 {
		t.Errorf("ipsec policy = %+v", p)
	}
	if def, err := c.Connection(ctx, sub, "rg-net", "cn-default"); err != nil || def.Connection.IPsecPolicy != nil {
		t.Errorf("default-policy connection = %+v, %v", def.Connection.IPsecPolicy, err)
	}
	lngs, err := c.LocalNetworkGateways(ctx, sub, "rg-net")
	if err != nil {
		t.Fatal(err)
	}
	l, ok := lngs[strings.ToLower(cr.LocalNetworkGatewayID)]
	if !ok || l.GatewayIP != "198.51.100.1" || l.BGPPeerAddress != "169.254.21.1" || l.ASN != 64512 {
		t.Errorf("LNG by the connection's ID %q: %+v (ok=%v)", cr.LocalNetworkGatewayID, l, ok)
	}
	far, err := c.LocalNetworkGateway(ctx, "/subscriptions/"+sub+"/resourceGroups/rg-other/providers/Microsoft.Network/localNetworkGateways/lng-far")
	if err != nil || far.GatewayIP != "198.51.100.9" || !slices.Equal(far.AddressPrefixes, []string{"172.31.0.0/16"}) {
		t.Errorf("LNG by ID = %+v, %v", far, err)
	}
	peers, err := c.BGPPeers(ctx, sub, "rg-net", "vgw-aa")
	if err != nil || len(peers) != 1 || peers[0].State != "Connected" || peers[0].RoutesReceived != 3 {
		t.Errorf("peers = %+v, %v", peers, err)
	}
	for _, r := range srv.Requests() {
		if !r.Authorized {
			t.Errorf("%s %s sent without a bearer token", r.Method, r.Path)
		}
	}
}

func TestErrorHints(t *testing.T) {
	cases := []struct {
		name  string
		fault sim.Fault
		read  string
		want  string
	}{
		{"throttled", sim.Fault{Status: 429, Code: "SubscriptionRequestsThrottled", RetryAfter: 30}, "gateway", "throttling"},
		{"denied names the action", sim.Fault{Status: 403, Code: "AuthorizationFailed"}, "connection", "grant Microsoft.Network/connections/read"},
		{"bgp denied names the action", sim.Fault{Status: 403, Code: "AuthorizationFailed"}, "bgp", "getBgpPeerStatus/action"},
		{"not found names the resource", sim.Fault{Status: 404, Code: "ResourceNotFound"}, "gateway", `virtual network gateway "vgw-aa" not found in resource group "rg-net"`},
		{"token", sim.Fault{Status: 401, Code: "InvalidAuthenticationToken"}, "connection", "rejected doorbot's token"},
		{"hang", sim.Fault{Hang: true}, "connection", "did not answer within 2s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := world()
			w.SetFault("azure", tc.fault)
			c, _ := client(t, w)
			var err error
			switch tc.read {
			case "gateway":
				_, err = c.Gateway(context.Background(), sub, "rg-net", "vgw-aa")
			case "connection":
				_, err = c.Connection(context.Background(), sub, "rg-net", "cn-t1")
			case "bgp":
				_, err = c.BGPPeers(context.Background(), sub, "rg-net", "vgw-aa")
			}
			var ae *azc.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *azure.Error", err)
			}
			if h := ae.Hint(); !strings.Contains(h, tc.want) || strings.Contains(h, "\n") {
				t.Errorf("hint %q, want one line containing %q", h, tc.want)
			}
		})
	}
}

func TestCustomEndpointMustBeHTTPS(t *testing.T) {
	if _, err := azc.ClientOptionsFor("public", "http://127.0.0.1:1", nil); err == nil {
		t.Error("an http ARM endpoint must be refused: bearer tokens would travel in clear")
	}
	if _, err := azc.ClientOptionsFor("mars", "", nil); err == nil {
		t.Error("an unknown cloud must be refused")
	}
	for _, c := range []string{"public", "china", "usgov"} {
		if _, err := azc.ClientOptionsFor(c, "", nil); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}
