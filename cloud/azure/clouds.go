package azure

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// cloudConfig maps azure.cloud and azure.resource_manager_endpoint to an
// azcore cloud configuration. A custom endpoint keeps the named cloud's
// authority and audience, so tokens are still requested for ARM.
func cloudConfig(name, endpoint string) (cloud.Configuration, error) {
	var base cloud.Configuration
	switch name {
	case "", "public":
		base = cloud.AzurePublic
	case "china":
		base = cloud.AzureChina
	case "usgov":
		base = cloud.AzureGovernment
	default:
		return base, fmt.Errorf("azure: unknown cloud %q (use public, china or usgov)", name)
	}
	if endpoint == "" {
		return base, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return base, fmt.Errorf("azure: resource_manager_endpoint %q must be an https URL", endpoint)
	}
	audience := "https://management.core.windows.net/"
	if rm, ok := base.Services[cloud.ResourceManager]; ok && rm.Audience != "" {
		audience = rm.Audience
	}
	cfg := cloud.Configuration{
		ActiveDirectoryAuthorityHost: base.ActiveDirectoryAuthorityHost,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: endpoint, Audience: audience},
		},
	}
	return cfg, nil
}

// ConnsPerHost is how many HTTP/2 connections doorbot means to keep to
// one ARM host, and streamsPerLane how many reads each carries at once:
// Go's server default and a common front-end setting. Go's HTTP/2 client
// alone would dial one more connection whenever every connection is at the
// server's stream limit (its MaxConnsPerHost only bounds dials in
// progress), so a 1,000-connection status opened a dozen or more TLS
// connections; its StrictMaxConcurrentRequests, which queues instead,
// deadlocks once more requests wait than the server grants streams (Go
// 1.26: reserved streams count against the limit they wait for). So the
// bound is ours: eight lanes of 250 are 2,000 reads in flight, more than a
// 1,000-site fleet asks at once, in at most eight connections. A server
// granting fewer streams makes a lane dial ceil(250/limit) connections
// rather than wait.
const (
	ConnsPerHost   = 8
	streamsPerLane = 250
	// fillFirst is how many reads a lane takes before the next lane is
	// used: the stream limit RFC 9113 advises every server to grant at
	// least, so a small status stays on one connection.
	fillFirst = 100
)

// NewHTTPClient returns the HTTP client for ARM: HTTP/2, the proxy from the
// environment, TLS 1.2 or later against roots (nil: the system roots), and
// requests spread over ConnsPerHost connections per host.
func NewHTTPClient(roots *x509.CertPool) *http.Client {
	p := &connPool{lanes: make([]*lane, ConnsPerHost)}
	for i := range p.lanes {
		p.lanes[i] = newLane(&http.Transport{
			Proxy:             http.ProxyFromEnvironment,
			DialContext:       (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2: true,
			// One dial at a time per lane: the reads that start together
			// with the first handshake wait for it and share its
			// connection instead of each dialing one.
			MaxConnsPerHost:     1,
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		})
	}
	return &http.Client{Transport: p}
}

// connPool spreads requests over lanes, each an HTTP/2 transport holding
// one connection per host. A request takes the first lane with fewer than
// fillFirst reads in flight, else the least busy lane, and waits there for
// one of its streamsPerLane slots.
type connPool struct {
	lanes []*lane
}

type lane struct {
	t        *http.Transport
	slots    chan struct{}
	inFlight atomic.Int64
	// Until the server's SETTINGS arrive, Go assumes 100 streams and dials
	// again past them: a lane takes fillFirst reads until its first answer
	// (which follows the SETTINGS), the rest of its slots held till then.
	warm sync.Once
}

func newLane(t *http.Transport) *lane {
	l := &lane{t: t, slots: make(chan struct{}, streamsPerLane)}
	for range streamsPerLane - fillFirst {
		l.slots <- struct{}{}
	}
	return l
}

func (l *lane) warmed() {
	l.warm.Do(func() {
		for range streamsPerLane - fillFirst {
			<-l.slots
		}
	})
}

func (p *connPool) RoundTrip(r *http.Request) (*http.Response, error) {
	l := p.pick()
	l.inFlight.Add(1)
	select {
	case l.slots <- struct{}{}:
	case <-r.Context().Done():
		l.inFlight.Add(-1)
		return nil, r.Context().Err()
	}
	release := func() { <-l.slots; l.inFlight.Add(-1) }
	resp, err := l.t.RoundTrip(r)
	if err != nil {
		release()
		return nil, err
	}
	l.warmed()
	// The stream stays open until the body is read or closed.
	resp.Body = &releaseOnClose{ReadCloser: resp.Body, release: release}
	return resp, nil
}

func (p *connPool) pick() *lane {
	least := p.lanes[0]
	for _, l := range p.lanes {
		n := l.inFlight.Load()
		if n < fillFirst {
			return l
		}
		if n < least.inFlight.Load() {
			least = l
		}
	}
	return least
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transports.
func (p *connPool) CloseIdleConnections() {
	for _, l := range p.lanes {
		l.t.CloseIdleConnections()
	}
}

type releaseOnClose struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
