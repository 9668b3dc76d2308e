package azure

import (
	"context"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// h2Server is an HTTP/2 TLS server granting streams concurrent streams
// per connection; it counts the connections clients open and the most
// requests it saw at once.
type h2Server struct {
	*httptest.Server
	conns, peak atomic.Int64
	now         atomic.Int64
	wide        chan struct{}
	spread      sync.Once
}

// hold keeps each request until more are in flight than one lane carries
// (or a second has passed), so that a burst overlaps as ARM reads do.
func newH2Server(t *testing.T, streams int, hold bool) *h2Server {
	s := &h2Server{wide: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.now.Add(1)
		defer s.now.Add(-1)
		for {
			p := s.peak.Load()
			if n <= p || s.peak.CompareAndSwap(p, n) {
				break
			}
		}
		if !hold {
			_, _ = io.WriteString(w, "{}")
			return
		}
		if n > streamsPerLane {
			s.spread.Do(func() { close(s.wide) })
		}
		select {
		case <-s.wide:
		case <-time.After(time.Second):
		}
		_, _ = io.WriteString(w, "{}")
	}))
	s.EnableHTTP2 = true
	s.Config.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: streams}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *h2Server) client() *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(s.Certificate())
	return NewHTTPClient(roots)
}

func get(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("%s: spoke %s, want HTTP/2", url, resp.Proto)
	}
}

// A status of a few connections must not pay for a handshake per read.
func TestSmallReadsShareOneConnection(t *testing.T) {
	s := newH2Server(t, 250, false)
	c := s.client()
	var wg sync.WaitGroup
	// A cold start: the reads of one site start together.
	get(t, c, s.URL) // the first handshake, then four at once on it
	for range 4 {
		wg.Go(func() { get(t, c, s.URL) })
	}
	wg.Wait()
	if got := s.conns.Load(); got != 1 {
		t.Errorf("opened %d connections for 5 reads, want 1", got)
	}
}

// A fleet's burst fills at most ConnsPerHost connections and spreads
// over them, rather than dialing a connection per full one or queueing
// on the first.
func TestBurstStaysWithinConnsPerHost(t *testing.T) {
	const reads = 1200
	s := newH2Server(t, streamsPerLane, true)
	c := s.client()
	get(t, c, s.URL)
	var wg sync.WaitGroup
	for range reads {
		wg.Go(func() { get(t, c, s.URL) })
	}
	wg.Wait()
	if got := s.conns.Load(); got > ConnsPerHost {
		t.Errorf("opened %d connections, want at most %d", got, ConnsPerHost)
	}
	if got := s.peak.Load(); got > ConnsPerHost*streamsPerLane {
		t.Errorf("%d reads in flight at once, more than %d connections × %d streams", got, ConnsPerHost, streamsPerLane)
	}
	if got := s.peak.Load(); got <= streamsPerLane {
		t.Errorf("at most %d reads in flight at once: the burst queued on one connection", got)
	}
}

// A server granting fewer streams than a lane carries costs connections,
// never a hang: Go's own strict stream limit deadlocked here.
func TestFewStreamsNeverHang(t *testing.T) {
	s := newH2Server(t, 10, true)
	c := s.client()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 400 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
			resp, err := c.Do(req)
			if err != nil {
				failed.Add(1)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of 400 reads failed against a server granting 10 streams (first error at the deadline means they hung)", n)
	}
}
