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

// MaxConnsPerHost bounds the connections doorbot dials at once to one ARM
// host. ARM speaks HTTP/2, so one connection carries many reads; without
// the bound a fresh process fanning out over a fleet dials (and handshakes)
// once per concurrent read before the first connection is up. With it,
// reads wait for the first handshake and share its connection.
const MaxConnsPerHost = 2

// MaxInFlightPerHost bounds concurrent requests to one ARM host: two
// HTTP/2 connections' worth at the usual 250 streams each. Beyond a
// connection's streams Go's HTTP/2 client dials another connection, so
// this bound is what keeps a 1,000-connection status to a handful of TLS
// connections. ARM's read budget (25 reads/s per subscription) is far
// below what it lets through.
const MaxInFlightPerHost = 500

// NewHTTPClient returns the HTTP client for ARM: HTTP/2, the proxy from the
// environment, TLS 1.2 or later against roots (nil: the system roots),
// MaxConnsPerHost dials and MaxInFlightPerHost requests at a time per host.
func NewHTTPClient(roots *x509.CertPool) *http.Client {
	t := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:   true,
		MaxConnsPerHost:     MaxConnsPerHost,
		MaxIdleConnsPerHost: 10,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
	}
	return &http.Client{Transport: &inFlight{next: t, max: MaxInFlightPerHost, hosts: map[string]chan struct{}{}}}
}

// inFlight holds requests beyond max per host until one finishes.
type inFlight struct {
	next *http.Transport
	max  int

	mu    sync.Mutex
	hosts map[string]chan struct{}
}

func (l *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	sem, ok := l.hosts[r.URL.Host]
	if !ok {
		sem = make(chan struct{}, l.max)
		l.hosts[r.URL.Host] = sem
	}
	l.mu.Unlock()
	select {
	case sem <- struct{}{}:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	resp, err := l.next.RoundTrip(r)
	if err != nil {
		<-sem
		return nil, err
	}
	// The stream stays open until the body is read or closed.
	resp.Body = &releaseOnClose{ReadCloser: resp.Body, release: func() { <-sem }}
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (l *inFlight) CloseIdleConnections() { l.next.CloseIdleConnections() }

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
