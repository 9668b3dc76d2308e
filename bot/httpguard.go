package bot

import (
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Bounds on what an HTTP-mode client can make doorbot hold before its
// signature has been checked. Slack itself sends a few small requests a
// second; anything near these bounds is somebody else.
const (
	// DefaultHTTPBodies is how many request bodies may be read and held
	// at once (Options.HTTPBodies): with MaxBodyBytes each, the most the
	// bodies of unverified requests can cost.
	DefaultHTTPBodies = 16
	// DefaultHTTPConns is how many connections the Slack endpoint serves at
	// once (Options.HTTPConns); more wait in the kernel's accept queue.
	DefaultHTTPConns = 256
	// bodySlotWait is how long a request waits for a body slot before it
	// is answered 503: well inside Slack's 3 s, so Slack retries rather
	// than shows a timeout.
	bodySlotWait = time.Second
	// bodyReadTime bounds reading one body, so a slow sender cannot keep
	// a slot (Slack sends its few kilobytes at once).
	bodyReadTime = 5 * time.Second
)

// LimitListener bounds the connections served at once on ln to
// Options.HTTPConns; a connection past the bound is accepted only when
// another closes. Wrap the listener of the Slack endpoint with it.
func (b *Bot) LimitListener(ln net.Listener) net.Listener {
	n := b.opts.HTTPConns
	if n <= 0 {
		n = DefaultHTTPConns
	}
	return netutil.LimitListener(ln, n)
}

// bodyGate bounds the request bodies read and held at once. Each slot
// is a buffer that is reused, so a flood of bodies costs at most the
// slots' buffers, not a megabyte of garbage per request.
type bodyGate struct{ slots chan *[]byte }

func newBodyGate(n int) *bodyGate {
	if n <= 0 {
		n = DefaultHTTPBodies
	}
	g := &bodyGate{slots: make(chan *[]byte, n)}
	for range n {
		g.slots <- new([]byte)
	}
	return g
}

// read takes a body slot and reads the body within limit into the slot's
// buffer. With http.StatusOK the caller holds the slot until release and
// must not keep the body past it; any other status is the answer to
// refuse the request with, and no slot is held.
func (g *bodyGate) read(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *[]byte, int) {
	if r.ContentLength > limit {
		return nil, nil, http.StatusRequestEntityTooLarge
	}
	t := time.NewTimer(bodySlotWait)
	defer t.Stop()
	var buf *[]byte
	select {
	case buf = <-g.slots:
	case <-t.C:
		return nil, nil, http.StatusServiceUnavailable
	case <-r.Context().Done():
		return nil, nil, http.StatusServiceUnavailable
	}
	// Not every ResponseWriter supports deadlines (a test recorder); the
	// server's own ReadTimeout still applies then.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTime))
	body, err := readInto(buf, http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
	if err != nil {
		g.release(buf)
		if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
			return nil, nil, http.StatusRequestEntityTooLarge
		}
		return nil, nil, http.StatusBadRequest
	}
	return body, buf, http.StatusOK
}

func (g *bodyGate) release(buf *[]byte) { g.slots <- buf }

// readInto reads the body into *buf, growing it as needed: exactly
// Content-Length bytes when the client says how many, else to EOF.
func readInto(buf *[]byte, body io.Reader, length int64) ([]byte, error) {
	b := (*buf)[:0]
	if length >= 0 {
		if int64(cap(b)) < length {
			b = make([]byte, 0, length)
		}
		b = b[:length]
		*buf = b
		if _, err := io.ReadFull(body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		*buf = b
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// refuseUnsigned answers 401 with no detail and closes the connection:
// whatever the client still sends is never read.
func (b *Bot) refuseUnsigned(w http.ResponseWriter, r *http.Request, why error) {
	b.opts.Metrics.HTTPRefused.WithLabelValues("unsigned").Inc()
	b.log.Debug("refused unsigned Slack request", "path", r.URL.Path, "reason", why.Error(), "remote", r.RemoteAddr)
	w.Header().Set("Connection", "close")
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

// refuseBody answers a body that was too large, too slow or could not
// be read, or that found every body slot taken.
func (b *Bot) refuseBody(w http.ResponseWriter, status int) {
	w.Header().Set("Connection", "close")
	switch status {
	case http.StatusRequestEntityTooLarge:
		b.opts.Metrics.HTTPRefused.WithLabelValues("too_large").Inc()
		http.Error(w, "request body too large", status)
	case http.StatusServiceUnavailable:
		b.opts.Metrics.HTTPRefused.WithLabelValues("busy").Inc()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", status)
	default:
		b.opts.Metrics.HTTPRefused.WithLabelValues("unreadable").Inc()
		http.Error(w, "cannot read request", status)
	}
}
