package sim

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func TestHangFaultReturnsWhenClientGivesUp(t *testing.T) {
	w, srv, sc := startDemo(t)
	w.SetFault(CloudAWS, Fault{Hang: true})
	w.SetFault(CloudAzure, Fault{Hang: true})

	c, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(c, &ec2.DescribeVpnConnectionsInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("EC2 under Hang: %v, want deadline exceeded", err)
	}

	c2, cancel2 := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel2()
	az := sc["healthy-static"].Connection.Azure
	_, err = armFactory(t, srv).NewVirtualNetworkGatewaysClient().Get(c2, az.ResourceGroup, az.Gateway, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ARM under Hang: %v, want deadline exceeded", err)
	}
}

func TestCloseReleasesHungRequests(t *testing.T) {
	w := NewWorld()
	w.SetFault(CloudAzure, Fault{Hang: true})
	srv, err := Start(w)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := srv.HTTPClient().Get(srv.ARMURL + rgPath("rg") + "connections?api-version=2025-05-01")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); len(srv.Requests()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the server")
		}
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked on a hung request")
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("hung request never returned after Close")
	}
	srv.Close() // idempotent
}

func TestLatencyRespectsCancellation(t *testing.T) {
	w, srv, _ := startDemo(t)
	w.SetLatency(CloudAWS, time.Hour)
	c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(c, &ec2.DescribeVpnConnectionsInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v", err)
	}

	w.SetLatency(CloudAWS, 20*time.Millisecond)
	began := time.Now()
	if _, err := ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{}); err != nil {
		t.Fatal(err)
	}
	if time.Since(began) < 20*time.Millisecond {
		t.Error("latency not applied")
	}
}

func TestTLSCertificate(t *testing.T) {
	_, srv, _ := startDemo(t)
	block, _ := pem.Decode(srv.CACertPEM)
	if block == nil {
		t.Fatal("CACertPEM is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if err := cert.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if !strings.HasPrefix(srv.ARMURL, "https://127.0.0.1:") || !strings.HasPrefix(srv.EC2URL, "http://127.0.0.1:") {
		t.Errorf("URLs %s %s", srv.ARMURL, srv.EC2URL)
	}
	// An ordinary client must not trust the simulated ARM.
	resp, err := (&http.Client{}).Get(srv.ARMURL + "/")
	if err == nil {
		resp.Body.Close()
		t.Error("default client trusted the self-signed certificate")
	}
}

func TestMalformedRequestsNeverBreakTheServer(t *testing.T) {
	w, srv, _ := startDemo(t)
	auth := "AWS4-HMAC-SHA256 Credential=AKID/20261125/ap-northeast-1/ec2/aws4_request, Signature=0"
	ec2Cases := []struct {
		method, ctype, body, query, auth string
	}{
		{"POST", "application/x-www-form-urlencoded", "%zz=%%", "", auth},
		{"POST", "application/x-www-form-urlencoded", "Action=DescribeVpnConnections&Filter.x.Name=state&Filter.1.Value.1=a", "", auth},
		{"POST", "application/x-www-form-urlencoded", "Action=DescribeVpnConnections&Filter.1.Value.1=a", "", auth},
		{"POST", "application/x-www-form-urlencoded", "Action=DescribeVpnConnections&VpnConnectionId.0=x&VpnConnectionId.-1=y&VpnConnectionId.99999999999999999999=z", "", auth},
		{"POST", "application/x-www-form-urlencoded", "Action=DescribeVpnConnections&DryRun=true", "", auth},
		{"POST", "application/x-www-form-urlencoded", strings.Repeat("a", 2<<20), "", auth},
		{"POST", "text/plain", "garbage", "", auth},
		{"GET", "", "", "Action=DescribeCustomerGateways&Filter.1.Name=nope", auth},
		{"GET", "", "", "Action=DescribeVpnConnections", "AWS4-HMAC-SHA256 Credential=/"},
		{"PUT", "application/x-www-form-urlencoded", "Action=", "", auth},
		{"DELETE", "", "", "", ""},
	}
	for _, c := range ec2Cases {
		u := srv.EC2URL + "/"
		if c.query != "" {
			u += "?" + c.query
		}
		req, _ := http.NewRequest(c.method, u, strings.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		status, body := do(t, http.DefaultClient, req)
		if status < 400 || status >= 500 || !strings.Contains(body, "<Response><Errors><Error><Code>") {
			t.Errorf("EC2 %s %.60q: %d %.200s", c.method, c.body+c.query, status, body)
		}
	}
	for _, p := range []string{
		"/", "//", "/subscriptions", "/subscriptions/" + SubscriptionID + "/resourceGroups//providers/Microsoft.Network/connections",
		rgPath("rg-healthy-static") + "connections/%2e%2e/x?api-version=1",
		rgPath("rg-healthy-static") + "connections?api-version=",
		rgPath("rg-healthy-static") + "nothing/here?api-version=2025-05-01",
		"/subscriptions/x/providers/Microsoft.Network/locations/l/operationResults/nope?api-version=2025-05-01",
		rgPath("rg-healthy-static") + "virtualNetworkGateways/vgw-aws/connections/extra/segments?api-version=2025-05-01",
	} {
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodOptions, http.MethodPatch} {
			status, _, _ := armDo(t, srv, m, p)
			if status < 400 || status >= 500 {
				t.Errorf("ARM %s %s: %d", m, p, status)
			}
		}
	}
	// Still serving.
	w.SetFault(CloudAWS, Fault{})
	if _, err := ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentUseIsRaceFree(t *testing.T) {
	w, srv, sc := startDemo(t)
	s := sc["tunnel2-down"]
	az := s.Connection.Azure
	f := armFactory(t, srv)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				switch (i + j) % 4 {
				case 0:
					_, _ = ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{VpnConnectionIds: s.Connection.AWS.VPNConnectionIDs})
				case 1:
					_, _ = f.NewVirtualNetworkGatewayConnectionsClient().Get(ctx(t), az.ResourceGroup, az.Connections[1], nil)
				case 2:
					w.SetTunnelStatus("ap-northeast-1", s.Connection.AWS.VPNConnectionIDs[0], "203.0.113.21", "UP", "")
					w.SetConnectionStatus(SubscriptionID, az.ResourceGroup, az.Connections[1], "Connected")
				case 3:
					_ = srv.Requests()
					w.SetLatency(CloudAzure, time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	out, err := ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{VpnConnectionIds: s.Connection.AWS.VPNConnectionIDs})
	if err != nil {
		t.Fatal(err)
	}
	if st := out.VpnConnections[0].VgwTelemetry[1].Status; st != "UP" {
		t.Errorf("tunnel 2 status after SetTunnelStatus = %s", st)
	}
}

func TestWorldCopiesInput(t *testing.T) {
	w := NewWorld()
	routes := []string{"10.0.0.0/16"}
	w.AddVPN(EC2VPN{Region: "r", ID: "vpn-1", Routes: routes, Tunnels: []EC2Tunnel{{OutsideIP: "198.51.100.1", IKEVersions: []string{"ikev2"}}}})
	routes[0] = "changed"
	srv := start(t, w)
	_, body := signedForm(t, srv, "r", url.Values{"Action": {"DescribeVpnConnections"}})
	if !strings.Contains(body, "10.0.0.0/16") || !strings.Contains(body, "<state>available</state>") {
		t.Errorf("world shares caller's slice or lacks defaults: %s", body)
	}
}

// FuzzServe drives both handlers with arbitrary requests: whatever arrives,
// the sim answers in the cloud's error format and never panics.
func FuzzServe(f *testing.F) {
	f.Add("POST", "/", "Action=DescribeVpnConnections&VpnConnectionId.1=vpn-0f3c9a1b2d4e5f601&Filter.1.Name=state&Filter.1.Value.1=*")
	f.Add("GET", "/subscriptions/"+SubscriptionID+"/resourceGroups/rg-bgp-single-ip/providers/Microsoft.Network/connections/cn-aws-tunnel1?api-version=2025-05-01", "")
	f.Add("POST", "/subscriptions/"+SubscriptionID+"/resourceGroups/rg-bgp-single-ip/providers/Microsoft.Network/virtualNetworkGateways/vgw-aws/getBgpPeerStatus?api-version=2025-05-01&peer=x", "")
	w, _ := DemoWorld()
	w.SetFault(CloudAWS, Fault{})
	s := &Server{world: w, closing: make(chan struct{}), ops: newOrdered[[]byte](), ARMURL: "https://127.0.0.1:1"}
	f.Fuzz(func(t *testing.T, method, target, body string) {
		if !strings.HasPrefix(target, "/") {
			return
		}
		for _, h := range []http.HandlerFunc{s.serveEC2, s.serveARM} {
			req, err := http.NewRequest(method, "http://sim"+target, strings.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261125/ap-northeast-1/ec2/aws4_request")
			rec := httptest.NewRecorder()
			h(rec, req)
			if rec.Code >= 500 {
				t.Errorf("%s %s: %d %s", method, target, rec.Code, rec.Body)
			}
		}
		s.Reset()
	})
}
