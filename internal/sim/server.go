package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// maxRecorded bounds the request log so a long-running demo console does
// not grow without limit; tests see far fewer requests.
const maxRecorded = 10000

// Server runs the simulated EC2, CloudWatch Logs, ARM, Log Analytics and
// SORACOM endpoints on loopback.
type Server struct {
	// EC2URL is http://127.0.0.1:port: the EC2 Query API over plain HTTP.
	EC2URL string
	// LogsURL is http://127.0.0.1:port: CloudWatch Logs (awsJson1.1).
	LogsURL string
	// ARMURL is https://127.0.0.1:port: ARM over TLS, trusted via CACertPEM.
	ARMURL string
	// LogAnalyticsURL is https://127.0.0.1:port: the Log Analytics query
	// API over TLS, same certificate.
	LogAnalyticsURL string
	// CACertPEM is the self-signed certificate the ARM endpoint presents.
	CACertPEM []byte
	// SoracomURL is http://127.0.0.1:port: the SORACOM API (without /v1).
	SoracomURL string

	world     *World
	ec2       *http.Server
	arm       *http.Server
	soracom   *http.Server
	cwl       *http.Server
	la        *http.Server
	client    *http.Client
	ec2Client *http.Client
	closing   chan struct{}
	once      sync.Once

	// Connections accepted (TLS connections for ARM, whose handshake
	// follows accept) and 429s answered by the ARM budget.
	ec2Conns, armConns, armThrottled atomic.Int64

	mu       sync.Mutex
	requests []Request
	ops      ordered[[]byte] // finished getBgpPeerStatus results by operation ID
}

// Request is one request the server received.
type Request struct {
	Cloud  string // "aws" | "azure" | "soracom" | "aws-logs" | "azure-logs"
	Method string
	Path   string
	// Action is the EC2 form Action, or for ARM a short operation name:
	// GetGateway, ListGateways, ListGatewayConnections, GetConnection,
	// ListConnections, GetSharedKey, GetLocalNetworkGateway,
	// ListLocalNetworkGateways, GetBgpPeerStatus, GetOperationResult,
	// GetPublicIP, ListPublicIPs, a verb+resource name for mutations (e.g.
	// DeleteConnection), or Unknown.
	Action string
	// Region is the EC2 SigV4 signing region ("" when unsigned or ARM).
	Region string
	// Query holds the EC2 form parameters or the ARM URL query.
	Query url.Values
	At    time.Time
	// Authorized reports whether credentials were sent: a SigV4
	// Authorization header for EC2, a bearer token for ARM.
	Authorized bool
	// Subscription, ResourceGroup and Resource locate an ARM request.
	Subscription, ResourceGroup, Resource string
	// Mutation marks requests that would change cloud state.
	Mutation bool
}

// Start serves w on four loopback ports: EC2, CloudWatch Logs, ARM and
// Log Analytics.
func Start(w *World) (*Server, error) {
	if w == nil {
		return nil, errors.New("sim: Start needs a World")
	}
	cert, certPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	ec2Ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sim: listen for EC2: %w", err)
	}
	armLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = ec2Ln.Close()
		return nil, fmt.Errorf("sim: listen for ARM: %w", err)
	}
	soracomLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = ec2Ln.Close()
		_ = armLn.Close()
		return nil, fmt.Errorf("sim: listen for SORACOM: %w", err)
	}
	cwlLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_, _ = ec2Ln.Close(), armLn.Close()
		return nil, fmt.Errorf("sim: listen for CloudWatch Logs: %w", err)
	}
	laLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_, _, _ = ec2Ln.Close(), armLn.Close(), cwlLn.Close()
		return nil, fmt.Errorf("sim: listen for Log Analytics: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	s := &Server{
		SoracomURL: "http://" + soracomLn.Addr().String(),
		EC2URL:     "http://" + ec2Ln.Addr().String(),
		ARMURL:     "https://" + armLn.Addr().String(),
		LogsURL:    "http://" + cwlLn.Addr().String(),
		// Log Analytics is a host of its own, as api.loganalytics.io is.
		LogAnalyticsURL: "https://" + laLn.Addr().String(),
		CACertPEM:       certPEM,
		world:           w,
		closing:         make(chan struct{}),
		ops:             newOrdered[[]byte](),
		client: &http.Client{Transport: &http.Transport{
			// Loopback only: never route through a proxy from the environment.
			Proxy:               nil,
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true, // as azcore's default transport, and as ARM speaks
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     30 * time.Second,
		}},
	}
	s.ec2Client = &http.Client{Transport: bufferedBody{&http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}}}
	// Clients that do not trust the certificate would otherwise fill the
	// demo's terminal with TLS handshake errors.
	quiet := log.New(io.Discard, "", 0)
	s.ec2 = &http.Server{Handler: http.HandlerFunc(s.serveEC2), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet,
		ConnState: countNew(&s.ec2Conns)}
	s.arm = &http.Server{Handler: http.HandlerFunc(s.serveARM), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet,
		ConnState: countNew(&s.armConns)}
	s.soracom = &http.Server{Handler: http.HandlerFunc(s.serveSoracom), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
	s.cwl = &http.Server{Handler: http.HandlerFunc(s.serveCWL), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
	s.la = &http.Server{Handler: http.HandlerFunc(s.serveLogAnalytics), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	tlsLn := tls.NewListener(armLn, tlsConf)
	go func() { _ = s.ec2.Serve(ec2Ln) }()
	go func() { _ = s.arm.Serve(tlsLn) }()
	go func() { _ = s.cwl.Serve(cwlLn) }()
	go func() { _ = s.la.Serve(tls.NewListener(laLn, tlsConf)) }()
	go func() { _ = s.soracom.Serve(soracomLn) }()
	return s, nil
}

// Close stops both endpoints at once. Hung and delayed requests are
// released first; there is no graceful drain because a simulator has no
// one to be graceful to, and a drain would wait on clients' idle TLS
// connections.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		_ = s.ec2.Close()
		_ = s.arm.Close()
		_ = s.soracom.Close()
		_ = s.cwl.Close()
		_ = s.la.Close()
		s.client.CloseIdleConnections()
		s.ec2Client.CloseIdleConnections()
	})
}

// HTTPClient returns a client that trusts the ARM endpoint's certificate,
// for use as the ARM client's Transport.
func (s *Server) HTTPClient() *http.Client { return s.client }

// EC2HTTPClient returns a client for aws.Config.HTTPClient when talking to
// the simulated EC2. The SDK's own client races with a server as fast as
// loopback: smithy-go closes the request body as soon as response headers
// arrive, and its closed body then reports io.EOF from WriteTo, which makes
// net/http's write loop close the connection under the response still being
// read ("use of closed network connection", aws/aws-sdk-go-v2#2737). The
// SDK retries that by default, but not with RetryMaxAttempts=1 as in tests.
// This client hands net/http its own copy of the body instead.
func (s *Server) EC2HTTPClient() *http.Client { return s.ec2Client }

// bufferedBody gives each request a body only the transport owns.
type bufferedBody struct{ next http.RoundTripper }

func (b bufferedBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.next.RoundTrip(r)
	}
	data, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(data))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	c.ContentLength = int64(len(data))
	return b.next.RoundTrip(c)
}

func countNew(n *atomic.Int64) func(net.Conn, http.ConnState) {
	return func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.Add(1)
		}
	}
}

// Stats counts what the server saw since Start or Reset: connections
// opened to each endpoint (each ARM one a TLS handshake) and requests the
// ARM budget answered 429.
type Stats struct {
	EC2Conns, ARMConns, ARMThrottled int
}

// Stats returns the counters since Start or Reset.
func (s *Server) Stats() Stats {
	return Stats{EC2Conns: int(s.ec2Conns.Load()), ARMConns: int(s.armConns.Load()), ARMThrottled: int(s.armThrottled.Load())}
}

// Requests returns every request received since Start or Reset, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Query = cloneValues(r.Query)
		out[i] = r
	}
	return out
}

// Mutations returns the recorded requests that would change cloud state.
// doorbot is read-only toward the clouds, so tests expect none.
func (s *Server) Mutations() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Mutation {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the recorded requests and zeroes Stats.
func (s *Server) Reset() {
	s.ec2Conns.Store(0)
	s.armConns.Store(0)
	s.armThrottled.Store(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) record(r Request) {
	r.At = time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRecorded {
		s.requests = append(s.requests[:0], s.requests[len(s.requests)-maxRecorded+1:]...)
	}
	s.requests = append(s.requests, r)
}

// delay applies the cloud's latency and fault to a request. It returns the
// fault to answer with, if any, and answer=false when nothing may be
// written: the client gave up or the server is closing.
func (s *Server) delay(ctx context.Context, cloud, matchOn, action string) (f *Fault, answer bool) {
	d, f := s.world.behaviour(cloud, matchOn, action)
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, false
		case <-s.closing:
			return nil, false
		}
	}
	if f != nil && f.Hang {
		select {
		case <-ctx.Done():
		case <-s.closing:
		}
		return nil, false
	}
	return f, true
}

// guard turns a handler panic into a 500 in the cloud's own error format,
// because a malformed request must never take the simulation down.
func guard(w http.ResponseWriter, fail func(http.ResponseWriter)) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		fail(w)
	}
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
