// Package soracom is a small read-only client for the SORACOM API: it
// authenticates with a SAM user's auth key (POST /v1/auth), caches the API
// key and token until shortly before they expire, and reads one Virtual
// Private Gateway (GET /v1/virtual_private_gateways/{id}) into a
// vpn.SoracomVPG. Its only other call is POST /v1/auth/logout on shutdown.
//
// It is hand-written on net/http because no Go SDK has VPG calls. The auth
// key, the API key and the token are held in Secret values and never reach
// a log, an error or an output.
package soracom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// Environment variables holding the auth key.
const (
	EnvAuthKeyID = "SORACOM_AUTH_KEY_ID"
	EnvAuthKey   = "SORACOM_AUTH_KEY"
)

// Coverage endpoints (the API lives under /v1 on each).
const (
	CoverageJP = "jp"
	CoverageG  = "g"

	EndpointJP = "https://api.soracom.io"
	EndpointG  = "https://g.api.soracom.io"
)

// Endpoint picks the API base URL: override when set, else the coverage's.
func Endpoint(coverage, override string) (string, error) {
	if override != "" {
		return strings.TrimRight(override, "/"), nil
	}
	switch coverage {
	case CoverageJP, "":
		return EndpointJP, nil
	case CoverageG:
		return EndpointG, nil
	}
	return "", fmt.Errorf("soracom: coverage %q: must be %s or %s", coverage, CoverageJP, CoverageG)
}

// Secret is a credential: every way of printing it prints a placeholder.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string               { return redacted }
func (s Secret) GoString() string             { return redacted }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) reveal() string               { return string(s) }
func (s Secret) set() bool                    { return s != "" }

// Credentials are a SAM user's auth key.
type Credentials struct {
	KeyID string // keyId-…; an identifier, not a secret, but kept out of logs anyway
	Key   Secret // secret-…
}

// CredentialsFromEnv reads SORACOM_AUTH_KEY_ID and SORACOM_AUTH_KEY,
// trimming the newline pasted values often carry. A nil getenv reads
// nothing.
func CredentialsFromEnv(getenv func(string) string) Credentials {
	if getenv == nil {
		return Credentials{}
	}
	return Credentials{KeyID: strings.TrimSpace(getenv(EnvAuthKeyID)), Key: Secret(strings.TrimSpace(getenv(EnvAuthKey)))}
}

// Set reports whether both parts are present.
func (c Credentials) Set() bool { return c.KeyID != "" && c.Key.set() }

// String says which parts are present, never their values.
func (c Credentials) String() string {
	return fmt.Sprintf("%s=%s %s=%s", EnvAuthKeyID, setOrUnset(c.KeyID != ""), EnvAuthKey, setOrUnset(c.Key.set()))
}

// GoString covers %#v.
func (c Credentials) GoString() string { return "soracom.Credentials{" + c.String() + "}" }

// LogValue covers slog.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

func setOrUnset(b bool) string {
	if b {
		return "set"
	}
	return "unset"
}

// RateLimit is what SORACOM said about the caller's budget on one path
// (X-Soracom-Ratelimit-* headers); a field is -1 when the header was
// absent.
type RateLimit struct {
	Limit, Remaining, SecondsBeforeRefresh int
}

// Options tune the client.
type Options struct {
	// Endpoint is the API base URL without /v1 (see Endpoint).
	Endpoint string
	// CallTimeout bounds one read, including authentication and the one
	// retry after a 401 or 429.
	CallTimeout time.Duration
	// TokenTimeout is the lifetime asked for the API key and token
	// (tokenTimeoutSeconds; default 24h, SORACOM's maximum is 48h).
	TokenTimeout time.Duration
	// HTTPClient defaults to a client with no overall timeout (the
	// per-call context bounds each call).
	HTTPClient *http.Client
	// Now is the clock for the token's expiry; nil means time.Now.
	Now func() time.Time
	// OnRateLimit, when set, receives the rate-limit headers of every
	// response with the operation (auth, getVirtualPrivateGateway).
	OnRateLimit func(operation string, rl RateLimit)
	// Logger gets one debug record per request (method, operation,
	// status); nil discards. No header or body is ever logged.
	Logger *slog.Logger
}

// Client reads VPGs. It is safe for concurrent use; concurrent callers
// share one authentication.
type Client struct {
	creds Credentials
	opts  Options
	base  string

	// authSem serialises authentication; a buffered channel rather than a
	// mutex so that a caller waiting on a slow /v1/auth still honours its
	// own deadline.
	authSem chan struct{}
	tok     *token // guarded by authSem
}

type token struct {
	apiKey, token Secret
	expires       time.Time
}

// New builds a client. Missing credentials are not an error here: every
// read then fails with a hint naming the variables, so the Azure side of
// a Door connection is still reported.
func New(creds Credentials, opts Options) *Client {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 8 * time.Second
	}
	if opts.TokenTimeout <= 0 {
		opts.TokenTimeout = 24 * time.Hour
	}
	if opts.TokenTimeout > 48*time.Hour {
		opts.TokenTimeout = 48 * time.Hour
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Endpoint == "" {
		opts.Endpoint = EndpointJP
	}
	return &Client{creds: creds, opts: opts, base: strings.TrimRight(opts.Endpoint, "/") + "/v1", authSem: make(chan struct{}, 1)}
}

// OnRateLimit sets the hook told of every response's rate-limit headers
// (see Options.OnRateLimit); call it before the first read.
func (c *Client) OnRateLimit(fn func(operation string, rl RateLimit)) { c.opts.OnRateLimit = fn }

// refreshMargin is how long before its expiry a token is replaced, so
// that a read never starts with a token about to lapse.
func (c *Client) refreshMargin() time.Duration {
	return min(5*time.Minute, c.opts.TokenTimeout/10)
}

// VPG reads one Virtual Private Gateway.
func (c *Client) VPG(ctx context.Context, id string) (vpn.SoracomVPG, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	const op = "getVirtualPrivateGateway"
	fail := func(err error) (vpn.SoracomVPG, error) {
		return vpn.SoracomVPG{}, c.wrap(ctx, op, id, err)
	}
	if !c.creds.Set() {
		return fail(errNoCredentials)
	}
	body, err := c.get(ctx, op, "/virtual_private_gateways/"+url.PathEscape(id))
	if err != nil {
		return fail(err)
	}
	var w wireVPG
	if err := json.Unmarshal(body, &w); err != nil {
		return fail(fmt.Errorf("decode response: %w", err))
	}
	return w.convert(id), nil
}

var errNoCredentials = errors.New("no SORACOM auth key in the environment")

// get sends an authenticated GET. A 401 means the token was revoked or
// expired early: authenticate again once. A 429 is retried once when
// SORACOM's refresh time fits in the deadline.
func (c *Client) get(ctx context.Context, op, path string) ([]byte, error) {
	reauthed, waited := false, false
	for {
		tok, err := c.token(ctx, nil)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Soracom-Lang", "en")
		req.Header.Set("X-Soracom-API-Key", tok.apiKey.reveal())
		req.Header.Set("X-Soracom-Token", tok.token.reveal())
		body, st, err := c.do(req, op)
		if err != nil {
			return nil, err
		}
		switch {
		case st.status == http.StatusOK:
			return body, nil
		case st.status == http.StatusUnauthorized && !reauthed:
			reauthed = true
			if _, err := c.token(ctx, tok); err != nil {
				return nil, err
			}
			continue
		case st.status == http.StatusTooManyRequests && !waited && c.fits(ctx, st.wait):
			waited = true
			if err := sleep(ctx, st.wait); err != nil {
				return nil, err
			}
			continue
		}
		return nil, st.err(body)
	}
}

// fits reports whether waiting d still leaves the deadline room for the
// retry itself.
func (c *Client) fits(ctx context.Context, d time.Duration) bool {
	if d < 0 {
		return false
	}
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d+d/2+100*time.Millisecond
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// token returns a cached token, or authenticates. stale, when set, is a
// token the API just refused: it is dropped unless another caller has
// already replaced it.
func (c *Client) token(ctx context.Context, stale *token) (*token, error) {
	select {
	case c.authSem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.authSem }()
	if stale != nil && c.tok == stale {
		c.tok = nil
	}
	if t := c.tok; t != nil && c.opts.Now().Before(t.expires.Add(-c.refreshMargin())) {
		return t, nil
	}
	c.tok = nil
	t, err := c.auth(ctx)
	if err != nil {
		return nil, err
	}
	c.tok = t
	return t, nil
}

func (c *Client) auth(ctx context.Context) (*token, error) {
	const op = "auth"
	timeout := int64(c.opts.TokenTimeout / time.Second)
	payload, err := json.Marshal(struct {
		AuthKeyID           string `json:"authKeyId"`
		AuthKey             string `json:"authKey"`
		TokenTimeoutSeconds int64  `json:"tokenTimeoutSeconds"`
	}{c.creds.KeyID, c.creds.Key.reveal(), timeout})
	if err != nil {
		return nil, err
	}
	began := c.opts.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/auth", bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	body, st, err := c.do(req, op)
	if err != nil {
		return nil, err
	}
	if st.status != http.StatusOK {
		e := st.err(body)
		e.auth = true
		return nil, e
	}
	var r struct {
		APIKey string `json:"apiKey"`
		Token  string `json:"token"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.APIKey == "" || r.Token == "" {
		return nil, &statusError{status: st.status, auth: true, detail: "the auth response carried no API key and token"}
	}
	return &token{apiKey: Secret(r.APIKey), token: Secret(r.Token), expires: began.Add(c.opts.TokenTimeout)}, nil
}

// Logout revokes the cached API key and token, if any. It is best effort:
// a token that cannot be revoked still expires.
func (c *Client) Logout(ctx context.Context) error {
	select {
	case c.authSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.authSem }()
	t := c.tok
	c.tok = nil
	if t == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/auth/logout", nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Soracom-API-Key", t.apiKey.reveal())
	req.Header.Set("X-Soracom-Token", t.token.reveal())
	body, st, err := c.do(req, "logout")
	if err != nil {
		return c.wrap(ctx, "logout", "", err)
	}
	if st.status/100 != 2 {
		return c.wrap(ctx, "logout", "", st.err(body))
	}
	return nil
}

// respStatus is what do learnt from a response besides its body.
type respStatus struct {
	status int
	wait   time.Duration // Seconds-Before-Refresh, -1 when absent
}

func (s respStatus) err(body []byte) *statusError {
	e := &statusError{status: s.status, wait: s.wait}
	var w struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(body, &w) == nil {
		e.code = w.Code
	}
	return e
}

// maxBody bounds a response: a VPG is a few kilobytes.
const maxBody = 4 << 20

func (c *Client) do(req *http.Request, op string) ([]byte, respStatus, error) {
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, respStatus{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, respStatus{}, err
	}
	rl := RateLimit{
		Limit:                headerInt(resp.Header, "X-Soracom-Ratelimit-Limit"),
		Remaining:            headerInt(resp.Header, "X-Soracom-Ratelimit-Remaining"),
		SecondsBeforeRefresh: headerInt(resp.Header, "X-Soracom-Ratelimit-Seconds-Before-Refresh"),
	}
	if c.opts.OnRateLimit != nil && (rl.Limit >= 0 || rl.Remaining >= 0 || rl.SecondsBeforeRefresh >= 0) {
		c.opts.OnRateLimit(op, rl)
	}
	c.opts.Logger.Debug("soracom request", "method", req.Method, "operation", op, "status", resp.StatusCode)
	st := respStatus{status: resp.StatusCode, wait: -1}
	if rl.SecondsBeforeRefresh >= 0 {
		st.wait = time.Duration(rl.SecondsBeforeRefresh) * time.Second
	} else if ra := headerInt(resp.Header, "Retry-After"); ra >= 0 {
		st.wait = time.Duration(ra) * time.Second
	}
	return body, st, nil
}

func headerInt(h http.Header, name string) int {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// wireVPG is the part of SORACOM's VirtualPrivateGateway schema doorbot
// reads.
type wireVPG struct {
	VPGID                 string                 `json:"vpgId"`
	Status                string                 `json:"status"`
	Type                  int                    `json:"type"`
	DeviceSubnetCidrRange string                 `json:"deviceSubnetCidrRange"`
	UESubnetCidrRange     string                 `json:"ueSubnetCidrRange"`
	VPGSubnetCidrRange    string                 `json:"vpgSubnetCidrRange"`
	VPNConnections        map[string]wireVPNConn `json:"vpnConnections"`
	RoutingFilterEntries  []wireFilterEntry      `json:"routingFilterEntries"`
	SessionStats          *struct {
		Online *int `json:"online"`
	} `json:"sessionStats"`
}

type wireFilterEntry struct {
	Action  string `json:"action"`
	IPRange string `json:"ipRange"`
}

type wireVPNConn struct {
	ID                string `json:"id"`
	BGPASN            any    `json:"bgpAsn"` // documented as a string; a number is accepted too
	UseDynamicRouting bool   `json:"useDynamicRouting"`
}

func (w wireVPG) convert(id string) vpn.SoracomVPG {
	v := vpn.SoracomVPG{
		ID: w.VPGID, Status: w.Status, Type: w.Type,
		DeviceSubnet: w.DeviceSubnetCidrRange, VPGSubnet: w.VPGSubnetCidrRange,
		OnlineSessions: -1,
	}
	for _, f := range w.RoutingFilterEntries {
		v.RoutingFilter = append(v.RoutingFilter, vpn.RoutingFilterEntry{Action: f.Action, IPRange: f.IPRange})
	}
	if v.ID == "" {
		v.ID = id
	}
	if v.DeviceSubnet == "" {
		v.DeviceSubnet = w.UESubnetCidrRange
	}
	for key, c := range w.VPNConnections {
		d := vpn.DoorConnection{ID: c.ID, UseDynamicRouting: c.UseDynamicRouting}
		if d.ID == "" {
			d.ID = key // the key's meaning is undocumented; id is preferred
		}
		switch a := c.BGPASN.(type) {
		case string:
			d.BGPASN = a
		case float64:
			d.BGPASN = strconv.FormatFloat(a, 'f', -1, 64)
		}
		v.DoorConnections = append(v.DoorConnections, d)
	}
	sortDoor(v.DoorConnections)
	if w.SessionStats != nil && w.SessionStats.Online != nil {
		v.OnlineSessions = *w.SessionStats.Online
	}
	return v
}
