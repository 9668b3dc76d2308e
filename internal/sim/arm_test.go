package sim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

func TestARMGatewayDecodesWithSDK(t *testing.T) {
	_, srv, sc := startDemo(t)
	f := armFactory(t, srv)
	az := sc["bgp-single-ip"].Connection.Azure
	resp, err := f.NewVirtualNetworkGatewaysClient().Get(ctx(t), strings.ToUpper(az.ResourceGroup), az.Gateway, nil)
	if err != nil {
		t.Fatalf("Get gateway: %v", err)
	}
	g := resp.VirtualNetworkGateway
	p := g.Properties
	if *g.Name != "vgw-aws" || *g.Type != "Microsoft.Network/virtualNetworkGateways" || *g.Location != "japaneast" ||
		*g.ID != "/subscriptions/"+SubscriptionID+"/resourceGroups/rg-bgp-single-ip/providers/Microsoft.Network/virtualNetworkGateways/vgw-aws" {
		t.Errorf("gateway identity = %s %s %s %s", *g.Name, *g.Type, *g.Location, *g.ID)
	}
	if *p.ProvisioningState != armnetwork.ProvisioningStateSucceeded || *p.GatewayType != armnetwork.VirtualNetworkGatewayTypeVPN ||
		*p.VPNType != armnetwork.VPNTypeRouteBased || *p.Active || !*p.EnableBgp || *p.SKU.Name != "VpnGw1" || *p.SKU.Tier != "VpnGw1" {
		t.Errorf("gateway properties = %+v", p)
	}
	if len(p.IPConfigurations) != 1 || *p.IPConfigurations[0].Name != "default" ||
		!strings.HasSuffix(*p.IPConfigurations[0].Properties.PublicIPAddress.ID, "/publicIPAddresses/vgw-aws-pip1") {
		t.Errorf("ipConfigurations = %+v", p.IPConfigurations)
	}
	b := p.BgpSettings
	if *b.Asn != 65000 || *b.BgpPeeringAddress != "10.1.255.30" || len(b.BgpPeeringAddresses) != 1 {
		t.Fatalf("bgpSettings = %+v", b)
	}
	pa := b.BgpPeeringAddresses[0]
	if *pa.IPConfigurationID != *p.IPConfigurations[0].ID || len(pa.CustomBgpIPAddresses) != 1 || *pa.CustomBgpIPAddresses[0] != "169.254.21.2" ||
		len(pa.TunnelIPAddresses) != 1 || *pa.TunnelIPAddresses[0] != "192.0.2.31" || *pa.DefaultBgpIPAddresses[0] != "10.1.255.30" {
		t.Errorf("bgpPeeringAddresses[0] = %+v", pa)
	}

	// BGP settings are present with BGP off, with Azure's default ASN.
	az = sc["healthy-static"].Connection.Azure
	resp, err = f.NewVirtualNetworkGatewaysClient().Get(ctx(t), az.ResourceGroup, az.Gateway, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.Properties; *p.EnableBgp || p.BgpSettings == nil || *p.BgpSettings.Asn != 65515 || len(p.BgpSettings.BgpPeeringAddresses[0].CustomBgpIPAddresses) != 0 {
		t.Errorf("static gateway bgpSettings = %+v", p.BgpSettings)
	}

	pip, err := f.NewPublicIPAddressesClient().Get(ctx(t), az.ResourceGroup, "vgw-aws-pip1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *pip.Properties.IPAddress != "192.0.2.11" {
		t.Errorf("public IP = %s", *pip.Properties.IPAddress)
	}
}

func TestARMActiveActiveGateway(t *testing.T) {
	w := NewWorld()
	w.AddGateway(ARMGateway{Subscription: SubscriptionID, ResourceGroup: "rg", Name: "gw", ActiveActive: true, EnableBGP: true,
		PublicIPs: []string{"192.0.2.1", "192.0.2.2"}, CustomAPIPA: [][]string{{"169.254.21.2", "169.254.22.2"}, {"169.254.21.6", "169.254.22.6"}}})
	srv := start(t, w)
	resp, err := armFactory(t, srv).NewVirtualNetworkGatewaysClient().Get(ctx(t), "rg", "GW", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := resp.Properties
	if !*p.Active || len(p.IPConfigurations) != 2 || *p.IPConfigurations[1].Name != "activeActive" ||
		*p.BgpSettings.BgpPeeringAddress != "10.1.255.30,10.1.255.29" || len(p.BgpSettings.BgpPeeringAddresses) != 2 ||
		*p.BgpSettings.BgpPeeringAddresses[1].CustomBgpIPAddresses[1] != "169.254.22.6" ||
		*p.BgpSettings.BgpPeeringAddresses[1].TunnelIPAddresses[0] != "192.0.2.2" {
		t.Errorf("active-active gateway = %+v", p)
	}
}

func TestARMConnectionsDecodeWithSDK(t *testing.T) {
	_, srv, sc := startDemo(t)
	f := armFactory(t, srv)
	s := sc["tunnel2-down"]
	az := s.Connection.Azure
	cc := f.NewVirtualNetworkGatewayConnectionsClient()

	c1, err := cc.Get(ctx(t), az.ResourceGroup, az.Connections[0], nil)
	if err != nil {
		t.Fatalf("Get connection: %v", err)
	}
	p := c1.Properties
	if *p.ConnectionStatus != armnetwork.VirtualNetworkGatewayConnectionStatusConnected || *p.IngressBytesTransferred == 0 || *p.EgressBytesTransferred == 0 ||
		*p.ConnectionType != armnetwork.VirtualNetworkGatewayConnectionTypeIPsec || *p.ConnectionProtocol != armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2 ||
		*p.ConnectionMode != armnetwork.VirtualNetworkGatewayConnectionModeDefault || *p.DpdTimeoutSeconds != 45 || *p.EnableBgp || *p.UsePolicyBasedTrafficSelectors {
		t.Errorf("connection 1 = %+v", p)
	}
	if p.SharedKey != nil {
		t.Error("sharedKey was returned")
	}
	if len(p.TunnelConnectionStatus) != 1 || *p.TunnelConnectionStatus[0].Tunnel != "cn-aws-tunnel1_192.0.2.21" ||
		*p.TunnelConnectionStatus[0].ConnectionStatus != armnetwork.VirtualNetworkGatewayConnectionStatusConnected {
		t.Errorf("tunnelConnectionStatus = %+v", p.TunnelConnectionStatus)
	}
	if !strings.HasSuffix(*p.VirtualNetworkGateway1.ID, "/resourceGroups/rg-tunnel2-down/providers/Microsoft.Network/virtualNetworkGateways/vgw-aws") ||
		!strings.HasSuffix(*p.LocalNetworkGateway2.ID, "/localNetworkGateways/lng-aws-tunnel1") {
		t.Errorf("gateway refs = %s %s", *p.VirtualNetworkGateway1.ID, *p.LocalNetworkGateway2.ID)
	}

	c2, err := cc.Get(ctx(t), az.ResourceGroup, az.Connections[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if *c2.Properties.ConnectionStatus != armnetwork.VirtualNetworkGatewayConnectionStatusNotConnected || *c2.Properties.IngressBytesTransferred != 0 {
		t.Errorf("connection 2 = %+v", c2.Properties)
	}

	// Lists carry no runtime state.
	pager := cc.NewListPager(az.ResourceGroup, nil)
	var listed []*armnetwork.VirtualNetworkGatewayConnection
	for pager.More() {
		page, err := pager.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, page.Value...)
	}
	if len(listed) != 2 {
		t.Fatalf("listed %d connections", len(listed))
	}
	for _, c := range listed {
		if c.Properties.ConnectionStatus != nil || c.Properties.TunnelConnectionStatus != nil || *c.Properties.IngressBytesTransferred != 0 {
			t.Errorf("list item %s carries runtime state", *c.Name)
		}
	}

	gwPager := f.NewVirtualNetworkGatewaysClient().NewListConnectionsPager(az.ResourceGroup, az.Gateway, nil)
	page, err := gwPager.NextPage(ctx(t))
	if err != nil || len(page.Value) != 2 || *page.Value[1].Name != "cn-aws-tunnel2" {
		t.Errorf("gateway connections: %v %+v", err, page.Value)
	}
}

func TestARMBGPConnectionAndLNGs(t *testing.T) {
	_, srv, sc := startDemo(t)
	f := armFactory(t, srv)
	az := sc["bgp-single-ip"].Connection.Azure
	c, err := f.NewVirtualNetworkGatewayConnectionsClient().Get(ctx(t), az.ResourceGroup, az.Connections[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Properties
	if !*p.EnableBgp || *p.ConnectionStatus != armnetwork.VirtualNetworkGatewayConnectionStatusConnected ||
		len(p.GatewayCustomBgpIPAddresses) != 1 || *p.GatewayCustomBgpIPAddresses[0].CustomBgpIPAddress != "169.254.21.2" ||
		!strings.HasSuffix(*p.GatewayCustomBgpIPAddresses[0].IPConfigurationID, "/ipConfigurations/default") {
		t.Errorf("bgp connection 2 = %+v", p)
	}

	lc := f.NewLocalNetworkGatewaysClient()
	l, err := lc.Get(ctx(t), az.ResourceGroup, "lng-aws-tunnel2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *l.Properties.GatewayIPAddress != "203.0.113.31" || l.Properties.BgpSettings == nil ||
		*l.Properties.BgpSettings.BgpPeeringAddress != "169.254.22.1" || *l.Properties.BgpSettings.Asn != 64512 {
		t.Errorf("bgp LNG = %+v", l.Properties)
	}

	static := sc["soracom-door"].Connection.Azure
	pager := lc.NewListPager(static.ResourceGroup, nil)
	page, err := pager.NextPage(ctx(t))
	if err != nil || len(page.Value) != 2 {
		t.Fatalf("LNG list: %v %d", err, len(page.Value))
	}
	for _, l := range page.Value {
		if l.Properties.BgpSettings != nil || len(l.Properties.LocalNetworkAddressSpace.AddressPrefixes) != 1 ||
			*l.Properties.LocalNetworkAddressSpace.AddressPrefixes[0] != "100.64.17.0/28" {
			t.Errorf("door LNG = %+v", l.Properties)
		}
	}
}

func TestARMBGPPeerStatusSyncAndAsync(t *testing.T) {
	w, srv, sc := startDemo(t)
	f := armFactory(t, srv)
	az := sc["bgp-single-ip"].Connection.Azure
	gc := f.NewVirtualNetworkGatewaysClient()

	for _, async := range []bool{false, true} {
		w.SetBGPPeerStatusAsync(async)
		srv.Reset()
		poller, err := gc.BeginGetBgpPeerStatus(ctx(t), az.ResourceGroup, az.Gateway, nil)
		if err != nil {
			t.Fatalf("async=%v: BeginGetBgpPeerStatus: %v", async, err)
		}
		res, err := poller.PollUntilDone(ctx(t), &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
		if err != nil {
			t.Fatalf("async=%v: PollUntilDone: %v", async, err)
		}
		if len(res.Value) != 2 {
			t.Fatalf("async=%v: %d peers", async, len(res.Value))
		}
		p0, p1 := res.Value[0], res.Value[1]
		if *p0.Neighbor != "169.254.21.1" || *p0.State != armnetwork.BgpPeerStateConnected || *p0.Asn != 64512 || *p0.RoutesReceived != 1 ||
			p0.ConnectedDuration == nil || *p0.LocalAddress != "169.254.21.2" {
			t.Errorf("async=%v: peer 0 = %+v", async, p0)
		}
		if *p1.Neighbor != "169.254.22.1" || *p1.State != armnetwork.BgpPeerStateIdle || p1.ConnectedDuration != nil {
			t.Errorf("async=%v: peer 1 = %+v", async, p1)
		}
		var actions []string
		for _, r := range srv.Requests() {
			actions = append(actions, r.Action)
		}
		want := "GetBgpPeerStatus"
		if async {
			want += ",GetOperationResult"
		}
		if strings.Join(actions, ",") != want {
			t.Errorf("async=%v: requests %v", async, actions)
		}
		if len(srv.Mutations()) != 0 {
			t.Errorf("async=%v: getBgpPeerStatus counted as a mutation", async)
		}
	}

	peer := "169.254.22.1"
	w.SetBGPPeerStatusAsync(false)
	poller, err := gc.BeginGetBgpPeerStatus(ctx(t), az.ResourceGroup, az.Gateway, &armnetwork.VirtualNetworkGatewaysClientBeginGetBgpPeerStatusOptions{Peer: &peer})
	if err != nil {
		t.Fatal(err)
	}
	res, err := poller.PollUntilDone(ctx(t), &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
	if err != nil || len(res.Value) != 1 || *res.Value[0].Neighbor != peer {
		t.Errorf("peer filter: %v %+v", err, res.Value)
	}
}

func TestARMNotFound(t *testing.T) {
	_, srv, sc := startDemo(t)
	f := armFactory(t, srv)
	az := sc["healthy-static"].Connection.Azure

	_, err := f.NewVirtualNetworkGatewayConnectionsClient().Get(ctx(t), az.ResourceGroup, "cn-nope", nil)
	re := assertARMError(t, err, http.StatusNotFound, "ResourceNotFound")
	if want := "The Resource 'Microsoft.Network/connections/cn-nope' under resource group 'rg-healthy-static' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"; !strings.Contains(re.Error(), want) {
		t.Errorf("message lacks %q: %v", want, re)
	}
	if re.RawResponse.Header.Get("x-ms-failure-cause") != "gateway" {
		t.Error("missing x-ms-failure-cause")
	}

	_, err = f.NewVirtualNetworkGatewaysClient().Get(ctx(t), az.ResourceGroup, "vgw-nope", nil)
	re = assertARMError(t, err, http.StatusNotFound, "ResourceNotFound")
	if !strings.Contains(re.Error(), "'Microsoft.Network/virtualNetworkGateways/vgw-nope'") {
		t.Errorf("gateway 404 message: %v", re)
	}

	_, err = f.NewVirtualNetworkGatewaysClient().Get(ctx(t), "rg-nope", az.Gateway, nil)
	assertARMError(t, err, http.StatusNotFound, "ResourceGroupNotFound")
}

func TestARMFaults(t *testing.T) {
	w, srv, sc := startDemo(t)
	f := armFactory(t, srv)
	az := sc["bgp-single-ip"].Connection.Azure
	gc := f.NewVirtualNetworkGatewaysClient()

	// RBAC without the BGP action: only that call fails.
	w.SetFault(CloudAzure, Fault{Status: http.StatusForbidden, Code: "AuthorizationFailed", Match: "getBgpPeerStatus"})
	_, err := gc.BeginGetBgpPeerStatus(ctx(t), az.ResourceGroup, az.Gateway, nil)
	re := assertARMError(t, err, http.StatusForbidden, "AuthorizationFailed")
	for _, want := range []string{
		"does not have authorization to perform action 'Microsoft.Network/virtualNetworkGateways/getBgpPeerStatus/action' over scope '/subscriptions/" + SubscriptionID + "/resourceGroups/" + az.ResourceGroup + "/providers/Microsoft.Network/virtualNetworkGateways/" + az.Gateway + "'",
		"If access was recently granted, please refresh your credentials.",
	} {
		if !strings.Contains(re.Error(), want) {
			t.Errorf("403 message lacks %q: %v", want, re)
		}
	}
	if _, err := gc.Get(ctx(t), az.ResourceGroup, az.Gateway, nil); err != nil {
		t.Errorf("fault scoped to getBgpPeerStatus hit the gateway read: %v", err)
	}

	w.SetFault(CloudAzure, Fault{Code: "AuthorizationFailed"})
	_, err = f.NewVirtualNetworkGatewayConnectionsClient().Get(ctx(t), az.ResourceGroup, az.Connections[0], nil)
	re = assertARMError(t, err, http.StatusForbidden, "AuthorizationFailed")
	if !strings.Contains(re.Error(), "'Microsoft.Network/connections/read'") {
		t.Errorf("connection 403 names the wrong action: %v", re)
	}

	w.SetFault(CloudAzure, Fault{Status: http.StatusTooManyRequests, Code: "SubscriptionRequestsThrottled", RetryAfter: 7})
	_, err = gc.Get(ctx(t), az.ResourceGroup, az.Gateway, nil)
	re = assertARMError(t, err, http.StatusTooManyRequests, "SubscriptionRequestsThrottled")
	if re.RawResponse.Header.Get("Retry-After") != "7" || !strings.Contains(re.Error(), "Please try again after '7' seconds") {
		t.Errorf("429 = %v / Retry-After %q", re, re.RawResponse.Header.Get("Retry-After"))
	}

	w.SetFault(CloudAzure, Fault{Status: http.StatusUnauthorized})
	_, err = gc.Get(ctx(t), az.ResourceGroup, az.Gateway, nil)
	assertARMError(t, err, http.StatusUnauthorized, "InvalidAuthenticationToken")

	w.SetFault(CloudAzure, Fault{})
	if _, err := gc.Get(ctx(t), az.ResourceGroup, az.Gateway, nil); err != nil {
		t.Errorf("zero Fault did not clear: %v", err)
	}
	for _, r := range srv.Requests() {
		if !r.Authorized {
			t.Errorf("request %s %s carried no bearer token", r.Method, r.Path)
		}
	}
}

func TestARMNeverSendsSharedKey(t *testing.T) {
	_, srv, sc := startDemo(t)
	for _, s := range sc {
		az := s.Connection.Azure
		paths := []string{rgPath(az.ResourceGroup) + "connections?api-version=2025-05-01"}
		for _, c := range az.Connections {
			paths = append(paths, rgPath(az.ResourceGroup)+"connections/"+c+"?api-version=2025-05-01")
		}
		for _, p := range paths {
			status, _, body := armDo(t, srv, http.MethodGet, p)
			if status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", p, status, body)
			}
			if strings.Contains(strings.ToLower(body), "sharedkey") || strings.Contains(body, PSKPrefix) {
				t.Errorf("GET %s leaks the shared key: %s", p, body)
			}
			if !json.Valid([]byte(body)) {
				t.Errorf("GET %s: invalid JSON", p)
			}
		}
		status, _, body := armDo(t, srv, http.MethodGet, rgPath(az.ResourceGroup)+"connections/"+az.Connections[0]+"/sharedkey?api-version=2025-05-01")
		if status != http.StatusForbidden || strings.Contains(body, PSKPrefix) {
			t.Errorf("sharedkey: %d %s", status, body)
		}
	}
}

func TestARMMutationsAreRecordedAndRefused(t *testing.T) {
	_, srv, sc := startDemo(t)
	az := sc["healthy-static"].Connection.Azure
	base := rgPath(az.ResourceGroup)
	for _, c := range []struct{ method, path, action string }{
		{http.MethodDelete, base + "connections/" + az.Connections[0] + "?api-version=2025-05-01", "DeleteConnection"},
		{http.MethodPut, base + "localNetworkGateways/lng-aws-tunnel1?api-version=2025-05-01", "PutLocalNetworkGateway"},
		{http.MethodPost, base + "virtualNetworkGateways/" + az.Gateway + "/reset?api-version=2025-05-01", "PostGatewayReset"},
		{http.MethodPost, base + "connections/" + az.Connections[1] + "/resetconnection?api-version=2025-05-01", "PostConnectionResetconnection"},
	} {
		status, h, body := armDo(t, srv, c.method, c.path)
		if status != http.StatusMethodNotAllowed || h.Get("x-ms-error-code") != "MethodNotAllowed" || !json.Valid([]byte(body)) {
			t.Errorf("%s %s: %d %s", c.method, c.path, status, body)
		}
		m := srv.Mutations()
		if len(m) == 0 || m[len(m)-1].Action != c.action || m[len(m)-1].Cloud != CloudAzure || m[len(m)-1].Authorized {
			t.Errorf("%s %s recorded as %+v", c.method, c.path, m)
		}
	}
	if n := len(srv.Mutations()); n != 4 {
		t.Errorf("%d mutations recorded", n)
	}
	// The world is unchanged.
	status, _, _ := armDo(t, srv, http.MethodGet, base+"connections/"+az.Connections[0]+"?api-version=2025-05-01")
	if status != http.StatusOK {
		t.Errorf("connection gone after refused DELETE: %d", status)
	}
}

func TestARMRouteParsing(t *testing.T) {
	base := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/"
	for _, c := range []struct {
		method, path, op string
		mutation         bool
	}{
		{"GET", base + "virtualNetworkGateways/gw", "GetGateway", false},
		{"GET", strings.ToLower(base) + "VIRTUALNETWORKGATEWAYS/gw", "GetGateway", false},
		{"GET", base + "virtualNetworkGateways", "ListGateways", false},
		{"GET", base + "virtualNetworkGateways/gw/connections", "ListGatewayConnections", false},
		{"POST", base + "virtualNetworkGateways/gw/getbgppeerstatus", "GetBgpPeerStatus", false},
		{"POST", base + "virtualNetworkGateways/gw/getLearnedRoutes", "GetLearnedRoutes", false},
		{"POST", base + "virtualNetworkGateways/gw/getAdvertisedRoutes", "PostGatewayGetAdvertisedRoutes", true},
		{"GET", base + "connections", "ListConnections", false},
		{"GET", base + "connections/c", "GetConnection", false},
		{"GET", base + "connections/c/sharedkey", "GetSharedKey", false},
		{"PUT", base + "connections/c/sharedkey", "PutConnectionSharedkey", true},
		{"GET", base + "localNetworkGateways", "ListLocalNetworkGateways", false},
		{"GET", base + "localNetworkGateways/l", "GetLocalNetworkGateway", false},
		{"GET", base + "publicIPAddresses/p", "GetPublicIP", false},
		{"GET", "/subscriptions/s/providers/Microsoft.Network/locations/japaneast/operationResults/x", "GetOperationResult", false},
		{"GET", base + "virtualNetworks/v", "Unknown", false},
		{"DELETE", base + "virtualNetworks/v", "DeleteResource", true},
		{"POST", "/", "Unknown", true},
		{"GET", "/subscriptions//resourceGroups/rg", "Unknown", false},
		{"GET", base + "connections/c/x/y", "Unknown", false},
	} {
		rt := parseARMRoute(c.method, c.path)
		if rt.op != c.op || rt.mutation != c.mutation {
			t.Errorf("%s %s = %s mutation=%v, want %s %v", c.method, c.path, rt.op, rt.mutation, c.op, c.mutation)
		}
	}
}

func assertARMError(t *testing.T, err error, status int, code string) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want *azcore.ResponseError %s, got %v", code, err)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Errorf("error = %d %s, want %d %s", re.StatusCode, re.ErrorCode, status, code)
	}
	return re
}
