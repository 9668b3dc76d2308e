package cloud_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/vpn"
)

// BenchmarkVersusMinimalClient measures doorbot's status of a fleet side
// by side with a minimal client that reads the same resources the
// cheapest way there is: EC2 in batches of 200 IDs, ARM over at most two
// HTTP/2 connections, the standard library's JSON and XML decoding into
// structs of only the fields a status needs, no SDK, no retries, no
// rules. Each iteration runs both on the same simulated clouds, so they
// share the machine's load; ratio is doorbot's wall time over the
// minimal client's (goal ≤ 1.2 at 1,000 connections).
func BenchmarkVersusMinimalClient(b *testing.B) {
	for _, latency := range []time.Duration{50 * time.Millisecond, 500 * time.Millisecond} {
		for _, n := range []int{100, 1000} {
			b.Run(fmt.Sprintf("latency=%s/connections=%d", latency, n), func(b *testing.B) {
				srv, obs, conns := fleetAt(b, n, latency)
				minimal := newMinimalClient(b, srv)
				mustObserve(b, obs, conns) // both warm: TLS is the cold-start benchmark's
				ourConns := srv.Stats().ARMConns
				if err := minimal.status(context.Background(), conns); err != nil {
					b.Fatal(err)
				}
				theirConns := srv.Stats().ARMConns - ourConns
				var ours, theirs time.Duration
				var ourCalls, theirCalls int
				for b.Loop() {
					srv.Reset()
					began := time.Now()
					mustObserve(b, obs, conns)
					ours += time.Since(began)
					ourCalls += len(srv.Requests())
					srv.Reset()
					began = time.Now()
					if err := minimal.status(context.Background(), conns); err != nil {
						b.Fatal(err)
					}
					theirs += time.Since(began)
					theirCalls += len(srv.Requests())
				}
				b.ReportMetric(float64(ourConns), "doorbot-tls-conns")
				b.ReportMetric(float64(theirConns), "minimal-tls-conns")
				b.ReportMetric(float64(ourCalls)/float64(b.N), "doorbot-calls/op")
				b.ReportMetric(float64(theirCalls)/float64(b.N), "minimal-calls/op")
				b.ReportMetric(float64(ours)/float64(b.N)/float64(latency), "doorbot-x-latency")
				b.ReportMetric(float64(theirs)/float64(b.N)/float64(latency), "minimal-x-latency")
				b.ReportMetric(float64(ours)/float64(theirs), "ratio")
			})
		}
	}
}

// minimalClient is the baseline: plain net/http against the simulated
// clouds' endpoints.
type minimalClient struct {
	srv     *sim.Server
	ec2     *http.Client
	arm     *http.Client
	version string
	// streams holds ARM requests to what two HTTP/2 connections carry
	// (250 concurrent streams each, Go's server default), which Go's
	// client would otherwise exceed by dialing more connections.
	streams chan struct{}
}

func newMinimalClient(b *testing.B, srv *sim.Server) *minimalClient {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(srv.CACertPEM) {
		b.Fatal("sim CA certificate does not parse")
	}
	return &minimalClient{
		srv: srv,
		ec2: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		arm: &http.Client{Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2: true,
			MaxConnsPerHost:   2,
		}},
		version: "2025-05-01",
		streams: make(chan struct{}, 2*250),
	}
}

// status reads every resource of conns once, all at once, and decodes
// what a status needs.
func (m *minimalClient) status(ctx context.Context, conns []vpn.Connection) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
	}
	byRegion := map[string][]string{}
	gateways := map[string]bool{}
	groups := map[string]bool{}
	for _, c := range conns {
		byRegion[c.AWS.Region] = append(byRegion[c.AWS.Region], c.AWS.VPNConnectionIDs...)
		base := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network", c.Azure.SubscriptionID, c.Azure.ResourceGroup)
		gateways[base+"/virtualNetworkGateways/"+c.Azure.Gateway] = true
		groups[base+"/localNetworkGateways"] = true
		for _, name := range c.Azure.Connections {
			wg.Go(func() {
				var v struct {
					Properties struct {
						ConnectionStatus string `json:"connectionStatus"`
						EnableBGP        bool   `json:"enableBgp"`
						ConnectionMode   string `json:"connectionMode"`
					} `json:"properties"`
				}
				if err := m.armGet(ctx, base+"/connections/"+name, &v); err != nil {
					fail(err)
				}
			})
		}
	}
	for region, ids := range byRegion {
		for i := 0; i < len(ids); i += 200 {
			batch := ids[i:min(i+200, len(ids))]
			wg.Go(func() {
				if err := m.describe(ctx, region, batch); err != nil {
					fail(err)
				}
			})
		}
	}
	for gw := range gateways {
		wg.Go(func() {
			var v struct {
				Properties struct {
					EnableBGP   bool `json:"enableBgp"`
					BGPSettings struct {
						ASN int64 `json:"asn"`
					} `json:"bgpSettings"`
				} `json:"properties"`
			}
			if err := m.armGet(ctx, gw, &v); err != nil {
				fail(err)
			}
		})
		// Peer status started with the gateway read, as doorbot does.
		wg.Go(func() { m.peerStatus(ctx, gw) })
	}
	for g := range groups {
		wg.Go(func() {
			var v struct {
				Value []struct {
					Name       string `json:"name"`
					Properties struct {
						GatewayIPAddress string `json:"gatewayIpAddress"`
					} `json:"properties"`
				} `json:"value"`
			}
			if err := m.armGet(ctx, g, &v); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	return first
}

func (m *minimalClient) armGet(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.srv.ARMURL+path+"?api-version="+m.version, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer minimal")
	m.streams <- struct{}{}
	defer func() { <-m.streams }()
	resp, err := m.arm.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// peerStatus posts getBgpPeerStatus and follows a 202's Location; a
// gateway without BGP answers an error, which a status ignores.
func (m *minimalClient) peerStatus(ctx context.Context, gw string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.srv.ARMURL+gw+"/getBgpPeerStatus?api-version="+m.version, nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer minimal")
	m.streams <- struct{}{}
	defer func() { <-m.streams }()
	resp, err := m.arm.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusAccepted && loc != "" {
		if req, err = http.NewRequestWithContext(ctx, http.MethodGet, loc, nil); err == nil {
			req.Header.Set("Authorization", "Bearer minimal")
			if resp, err := m.arm.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}
}

func (m *minimalClient) describe(ctx context.Context, region string, ids []string) error {
	form := url.Values{"Action": {"DescribeVpnConnections"}, "Version": {"2016-11-15"}, "Filter.1.Name": {"vpn-connection-id"}}
	for i, id := range ids {
		form.Set("Filter.1.Value."+strconv.Itoa(i+1), id)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.srv.EC2URL+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// The simulator reads the region from the credential scope; the
	// signature itself is not what is being measured.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDMINIMAL/20261203/"+region+"/ec2/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := m.ec2.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("DescribeVpnConnections %s: %s", region, resp.Status)
	}
	var v struct {
		Items []struct {
			ID        string `xml:"vpnConnectionId"`
			State     string `xml:"state"`
			Telemetry []struct {
				IP     string `xml:"outsideIpAddress"`
				Status string `xml:"status"`
			} `xml:"vgwTelemetry>item"`
		} `xml:"vpnConnectionSet>item"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&v); err != nil {
		return err
	}
	if len(v.Items) != len(ids) {
		return fmt.Errorf("DescribeVpnConnections %s: %d of %d connections", region, len(v.Items), len(ids))
	}
	return nil
}
