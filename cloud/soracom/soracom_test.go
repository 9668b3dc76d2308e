package soracom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/cloud/soracom"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
)

const vpgID = "5e2c7a90-1b3d-4f6e-8a9c-0d1e2f3a4b99"

func world() *sim.World {
	w := sim.NewWorld()
	w.AddVPG(sim.SoracomVPG{
		ID: vpgID, Type: 15, Name: "door-prod", DeviceSubnet: "10.200.0.0/16", VPGSubnet: "100.64.20.0/28",
		Door: []sim.SoracomDoor{
			{ID: "door-b", Dynamic: true, BGPASN: "64512"},
			{ID: "door-a"},
		},
		Filter: []sim.SoracomFilterEntry{{Action: "deny", IPRange: "10.1.0.0/16"}, {Action: "allow", IPRange: "0.0.0.0/0"}},
		Online: 37,
	})
	return w
}

type fixture struct {
	c   *soracom.Client
	srv *sim.Server
	w   *sim.World
	log *bytes.Buffer
	now *clock
	rl  *rateLog
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type rateLog struct {
	mu  sync.Mutex
	ops []string
	rls []soracom.RateLimit
}

func (r *rateLog) record(op string, rl soracom.RateLimit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops, r.rls = append(r.ops, op), append(r.rls, rl)
}

// newFixture starts the simulator and a client whose debug log is kept,
// so every test can check that no secret reached it.
func newFixture(t *testing.T, w *sim.World, callTimeout time.Duration, creds *soracom.Credentials) *fixture {
	t.Helper()
	srv, err := sim.Start(w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	f := &fixture{srv: srv, w: w, log: &bytes.Buffer{}, now: &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}, rl: &rateLog{}}
	logger := slog.New(slog.NewJSONHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.c = simclient.Soracom(srv, simclient.Options{CallTimeout: callTimeout, Now: f.now.Now, Logger: logger,
		SoracomCredentials: creds, OnRateLimit: f.rl.record})
	t.Cleanup(func() {
		if strings.Contains(f.log.String(), sim.SoracomSecretPrefix) {
			t.Errorf("a SORACOM secret reached the log:\n%s", f.log)
		}
		if m := srv.Mutations(); len(m) > 0 {
			t.Errorf("mutating requests sent: %+v", m)
		}
	})
	return f
}

// ops lists the SORACOM operations the simulator received, in order.
func (f *fixture) ops() []string {
	var out []string
	for _, r := range f.srv.Requests() {
		out = append(out, r.Action)
	}
	return out
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *soracom.Error
	texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	if errors.As(err, &e) {
		texts = append(texts, e.Hint())
	}
	for _, s := range texts {
		if strings.Contains(s, sim.SoracomSecretPrefix) {
			t.Errorf("secret in error text: %s", s)
		}
	}
}

func TestReadVPG(t *testing.T) {
	f := newFixture(t, world(), 2*time.Second, nil)
	v, err := f.c.VPG(context.Background(), vpgID)
	if err != nil {
		t.Fatal(err)
	}
	want := vpn.SoracomVPG{
		ID: vpgID, Status: "running", Type: 15, DeviceSubnet: "10.200.0.0/16", VPGSubnet: "100.64.20.0/28",
		DoorConnections: []vpn.DoorConnection{{ID: "door-a"}, {ID: "door-b", UseDynamicRouting: true, BGPASN: "64512"}},
		RoutingFilter:   []vpn.RoutingFilterEntry{{Action: "deny", IPRange: "10.1.0.0/16"}, {Action: "allow", IPRange: "0.0.0.0/0"}},
		OnlineSessions:  37,
	}
	got, _ := json.Marshal(v)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Errorf("VPG =\n%s\nwant\n%s", got, exp)
	}
	if v.Routing() != vpn.RoutingUnknown || v.TypeName() != "Type-F" || !v.Running() {
		t.Errorf("routing %s, type %s, running %v", v.Routing(), v.TypeName(), v.Running())
	}
	reqs := f.srv.Requests()
	if len(reqs) != 2 || reqs[0].Action != "auth" || reqs[1].Action != "getVirtualPrivateGateway" || !reqs[1].Authorized {
		t.Errorf("requests = %+v", reqs)
	}
	// Every response carries rate-limit headers; they reach the hook.
	if !slices.Equal(f.rl.ops, []string{"auth", "getVirtualPrivateGateway"}) || f.rl.rls[1].Limit != 60 || f.rl.rls[1].Remaining != 59 {
		t.Errorf("rate limits = %v %+v", f.rl.ops, f.rl.rls)
	}
}

func TestVPGSubnetAbsent(t *testing.T) {
	w := sim.NewWorld()
	w.AddVPG(sim.SoracomVPG{ID: "vpg-old", Type: 14})
	f := newFixture(t, w, 2*time.Second, nil)
	v, err := f.c.VPG(context.Background(), "vpg-old")
	if err != nil {
		t.Fatal(err)
	}
	if v.VPGSubnet != "" || v.DeviceSubnet != "10.128.0.0/9" || len(v.DoorConnections) != 0 || v.Routing() != vpn.RoutingUnknown {
		t.Errorf("VPG = %+v", v)
	}
}

func TestTokenCachedUntilShortlyBeforeExpiry(t *testing.T) {
	f := newFixture(t, world(), 2*time.Second, nil)
	ctx := context.Background()
	for range 3 {
		if _, err := f.c.VPG(ctx, vpgID); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.ops(); !slices.Equal(got, []string{"auth", "getVirtualPrivateGateway", "getVirtualPrivateGateway", "getVirtualPrivateGateway"}) {
		t.Fatalf("one auth for three reads; got %v", got)
	}
	// 24h tokens are replaced 5 minutes before they lapse, not after.
	f.now.add(24*time.Hour - 6*time.Minute)
	if _, err := f.c.VPG(ctx, vpgID); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.Join(f.ops(), " "), "auth"); n != 1 {
		t.Errorf("token still valid for 6 minutes was replaced: %v", f.ops())
	}
	f.now.add(2 * time.Minute)
	if _, err := f.c.VPG(ctx, vpgID); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.Join(f.ops(), " "), "auth"); n != 2 {
		t.Errorf("token 4 minutes from expiry was kept: %v", f.ops())
	}
}

func TestConcurrentReadsShareOneAuth(t *testing.T) {
	f := newFixture(t, world(), 2*time.Second, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := f.c.VPG(context.Background(), vpgID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := slices.Index(f.ops(), "auth"); n != 0 || strings.Count(strings.Join(f.ops(), " "), "auth") != 1 {
		t.Errorf("ops = %v", f.ops())
	}
}

func TestReauthOnceOn401(t *testing.T) {
	f := newFixture(t, world(), 2*time.Second, nil)
	ctx := context.Background()
	if _, err := f.c.VPG(ctx, vpgID); err != nil {
		t.Fatal(err)
	}
	f.w.RevokeSoracomTokens() // as an expiry or a logout elsewhere would
	f.srv.Reset()
	if _, err := f.c.VPG(ctx, vpgID); err != nil {
		t.Fatalf("revoked token not replaced: %v", err)
	}
	if got := f.ops(); !slices.Equal(got, []string{"getVirtualPrivateGateway", "auth", "getVirtualPrivateGateway"}) {
		t.Errorf("ops = %v", got)
	}
}

func TestPersistent401GivesUpAfterOneReauth(t *testing.T) {
	w := world()
	w.AddFault(sim.CloudSoracom, sim.Fault{Status: 401, Match: "/virtual_private_gateways/"})
	f := newFixture(t, w, 2*time.Second, nil)
	_, err := f.c.VPG(context.Background(), vpgID)
	var e *soracom.Error
	if !errors.As(err, &e) || e.Class() != "auth" || e.StatusCode() != 401 {
		t.Fatalf("err = %v", err)
	}
	if got := f.ops(); !slices.Equal(got, []string{"auth", "getVirtualPrivateGateway", "auth", "getVirtualPrivateGateway"}) {
		t.Errorf("ops = %v", got)
	}
	if !strings.Contains(e.Hint(), "SAM user") {
		t.Errorf("hint = %s", e.Hint())
	}
	noSecret(t, err)
}

func TestErrorHints(t *testing.T) {
	bad := soracom.Credentials{KeyID: "keyId-wrong", Key: soracom.Secret(sim.SoracomSecretPrefix + "wrong-key")}
	none := soracom.Credentials{}
	tests := []struct {
		name  string
		fault *sim.Fault
		creds *soracom.Credentials
		id    string
		class string
		want  []string
		nreqs int
	}{
		{"bad key", nil, &bad, vpgID, "auth", []string{"rejected the auth key", "SORACOM_AUTH_KEY_ID", "SORACOM_AUTH_KEY"}, 1},
		{"no key", nil, &none, vpgID, "auth", []string{"SORACOM_AUTH_KEY_ID and SORACOM_AUTH_KEY are not set"}, 0},
		{"missing permission", &sim.Fault{Status: 403, Match: "/virtual_private_gateways/"}, nil, vpgID, "denied",
			[]string{"permission denied reading VPG " + vpgID, "VirtualPrivateGateway:getVirtualPrivateGateway"}, 2},
		{"unknown VPG", nil, nil, "vpg-nope", "not_found", []string{"VPG vpg-nope not found", "connections[].soracom.vpg_id", "soracom.coverage"}, 2},
		{"server error", &sim.Fault{Status: 500, Match: "/virtual_private_gateways/"}, nil, vpgID, "error", []string{"HTTP 500", "COM0001"}, 2},
		{"auth throttled", &sim.Fault{Status: 429, RetryAfter: 40, Match: "/v1/auth"}, nil, vpgID, "throttled", []string{"rate-limiting", "in 40s"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := world()
			if tc.fault != nil {
				w.AddFault(sim.CloudSoracom, *tc.fault)
			}
			f := newFixture(t, w, 2*time.Second, tc.creds)
			_, err := f.c.VPG(context.Background(), tc.id)
			var e *soracom.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v", err)
			}
			if e.Class() != tc.class {
				t.Errorf("class = %s, want %s", e.Class(), tc.class)
			}
			h := e.Hint()
			for _, w := range tc.want {
				if !strings.Contains(h, w) {
					t.Errorf("hint %q lacks %q", h, w)
				}
			}
			if strings.Contains(h, "\n") {
				t.Errorf("hint is not one line: %q", h)
			}
			if n := len(f.srv.Requests()); n != tc.nreqs {
				t.Errorf("%d requests, want %d: %v", n, tc.nreqs, f.ops())
			}
			noSecret(t, err)
		})
	}
}

func Test429RetriedOnceWhenTheRefreshFits(t *testing.T) {
	w := world()
	w.AddFault(sim.CloudSoracom, sim.Fault{Status: 429, RetryAfter: 1, Match: "/virtual_private_gateways/"})
	f := newFixture(t, w, 5*time.Second, nil)
	_, err := f.c.VPG(context.Background(), vpgID)
	var e *soracom.Error
	if !errors.As(err, &e) || e.Class() != "throttled" {
		t.Fatalf("err = %v", err)
	}
	if got := f.ops(); !slices.Equal(got, []string{"auth", "getVirtualPrivateGateway", "getVirtualPrivateGateway"}) {
		t.Errorf("ops = %v (want one retry after Seconds-Before-Refresh)", got)
	}
	if f.rl.rls[len(f.rl.rls)-1].Remaining != 0 {
		t.Errorf("rate limit = %+v", f.rl.rls)
	}
}

func Test429NotWaitedBeyondTheDeadline(t *testing.T) {
	w := world()
	w.AddFault(sim.CloudSoracom, sim.Fault{Status: 429, RetryAfter: 30, Match: "/virtual_private_gateways/"})
	f := newFixture(t, w, 2*time.Second, nil)
	_, err := f.c.VPG(context.Background(), vpgID)
	var e *soracom.Error
	if !errors.As(err, &e) || e.Class() != "throttled" || !strings.Contains(e.Hint(), "refreshes in 30s") {
		t.Fatalf("err = %v", err)
	}
	if got := f.ops(); !slices.Equal(got, []string{"auth", "getVirtualPrivateGateway"}) {
		t.Errorf("ops = %v (a 30 s wait does not fit a 2 s call)", got)
	}
}

func TestHangEndsAtTheCallDeadline(t *testing.T) {
	w := world()
	w.AddFault(sim.CloudSoracom, sim.Fault{Hang: true, Match: "/virtual_private_gateways/"})
	f := newFixture(t, w, 300*time.Millisecond, nil)
	_, err := f.c.VPG(context.Background(), vpgID)
	var e *soracom.Error
	if !errors.As(err, &e) || e.Class() != "timeout" || !strings.Contains(e.Hint(), "did not answer within 300ms") {
		t.Fatalf("err = %v", err)
	}
	noSecret(t, err)
}

func TestLogoutRevokesTheToken(t *testing.T) {
	f := newFixture(t, world(), 2*time.Second, nil)
	ctx := context.Background()
	if err := f.c.Logout(ctx); err != nil {
		t.Fatalf("logout without a token: %v", err)
	}
	if len(f.srv.Requests()) != 0 {
		t.Errorf("logout without a token sent %v", f.ops())
	}
	if _, err := f.c.VPG(ctx, vpgID); err != nil {
		t.Fatal(err)
	}
	if f.w.SoracomTokens() != 1 {
		t.Fatalf("tokens = %d", f.w.SoracomTokens())
	}
	if err := f.c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if f.w.SoracomTokens() != 0 || f.ops()[len(f.ops())-1] != "logout" {
		t.Errorf("tokens = %d, ops = %v", f.w.SoracomTokens(), f.ops())
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	c := soracom.Credentials{KeyID: "keyId-x", Key: soracom.Secret(sim.SoracomAuthKey)}
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	logger.Debug("creds", "c", c, "key", c.Key)
	slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("creds", "c", c, "key", c.Key)
	js, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c.Key), fmt.Sprintf("%#v", c.Key), string(js), buf.String()} {
		if strings.Contains(s, sim.SoracomSecretPrefix) {
			t.Errorf("secret printed: %s", s)
		}
	}
	if !strings.Contains(c.String(), "SORACOM_AUTH_KEY=set") {
		t.Errorf("String = %s", c)
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct{ coverage, override, want, err string }{
		{"jp", "", "https://api.soracom.io", ""},
		{"", "", "https://api.soracom.io", ""},
		{"g", "", "https://g.api.soracom.io", ""},
		{"g", "http://127.0.0.1:9/", "http://127.0.0.1:9", ""},
		{"us", "", "", `coverage "us"`},
	} {
		got, err := soracom.Endpoint(tc.coverage, tc.override)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Endpoint(%q, %q) = %q, %v", tc.coverage, tc.override, got, err)
		}
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	env := map[string]string{soracom.EnvAuthKeyID: " keyId-abc\n", soracom.EnvAuthKey: "secret-x\n"}
	c := soracom.CredentialsFromEnv(func(k string) string { return env[k] })
	if c.KeyID != "keyId-abc" || !c.Set() {
		t.Errorf("creds = %s", c)
	}
	if soracom.CredentialsFromEnv(func(string) string { return "" }).Set() {
		t.Error("empty env counted as set")
	}
}
