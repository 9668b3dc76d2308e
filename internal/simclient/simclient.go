// Package simclient builds the real cloud adapters (aws-sdk-go-v2 EC2 and
// CloudWatch Logs, armnetwork, azlogs, doorbot's SORACOM client) pointed at the
// simulated clouds of internal/sim, for the demo, the console and tests. It
// lives apart from the simulator so that the simulator never
// imports the clients it is meant to test.
package simclient

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/doorbot/doorbot/cloud"
	awsc "github.com/doorbot/doorbot/cloud/aws"
	azc "github.com/doorbot/doorbot/cloud/azure"
	"github.com/doorbot/doorbot/cloud/soracom"
	"github.com/doorbot/doorbot/internal/sim"
)

// Options tune the real adapters built against a simulator.
type Options struct {
	CallTimeout   time.Duration // default 3s
	StatusTimeout time.Duration // default 6s
	CacheTTL      time.Duration
	MaxAttempts   int // AWS attempts per call, default 3
	Now           func() time.Time
	Logger        *slog.Logger
	// ReadRate paces background cycles' ARM reads per subscription
	// (default cloud.DefaultReadRate).
	ReadRate float64
	// Gate is given to the Azure adapter; Observer sets it to its scheduler.
	Gate azc.Gate
	// SoracomCredentials default to the auth key the simulator accepts.
	SoracomCredentials *soracom.Credentials
	// OnRateLimit receives the SORACOM rate-limit headers.
	OnRateLimit func(operation string, rl soracom.RateLimit)
}

// AWS is the real EC2 adapter pointed at the simulator, with
// made-up static credentials: nothing leaves the machine.
func AWS(s *sim.Server, o Options) *awsc.Client {
	o = o.withDefaults()
	cfg := awssdk.Config{
		Region:      "ap-northeast-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIADOORBOTSIM", "sim-secret", ""),
		HTTPClient:  s.EC2HTTPClient(),
	}
	return awsc.New(cfg, awsc.Options{
		CallTimeout:       o.CallTimeout,
		MaxAttempts:       o.MaxAttempts,
		ClientOptions:     []func(*ec2.Options){func(eo *ec2.Options) { eo.BaseEndpoint = awssdk.String(s.EC2URL) }},
		LogsClientOptions: []func(*cloudwatchlogs.Options){func(lo *cloudwatchlogs.Options) { lo.BaseEndpoint = awssdk.String(s.LogsURL) }},
	})
}

// Azure is the real armnetwork adapter pointed at the simulator over
// TLS, trusting only the simulator's certificate, on production's HTTP
// client (a fresh one per adapter, as a fresh process has). azcore refuses
// poll intervals under a second outside `go test`, hence the interval.
func Azure(s *sim.Server, o Options) (*azc.Client, error) {
	o = o.withDefaults()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(s.CACertPEM) {
		return nil, errors.New("simclient: the simulator's certificate does not parse")
	}
	opts, err := azc.ClientOptionsFor("public", s.ARMURL, azc.NewHTTPClient(roots))
	if err != nil {
		return nil, err
	}
	logs, err := azc.LogsClientOptionsFor("public", s.LogAnalyticsURL, s.HTTPClient())
	if err != nil {
		return nil, err
	}
	return azc.New(Token{}, azc.Options{CallTimeout: o.CallTimeout, ClientOptions: opts, PollFrequency: time.Second, Logs: logs, Gate: o.Gate}), nil
}

// Soracom is doorbot's SORACOM client pointed at the simulated API, with
// the simulator's auth key unless o says otherwise.
func Soracom(s *sim.Server, o Options) *soracom.Client {
	o = o.withDefaults()
	creds := soracom.Credentials{KeyID: sim.SoracomAuthKeyID, Key: soracom.Secret(sim.SoracomAuthKey)}
	if o.SoracomCredentials != nil {
		creds = *o.SoracomCredentials
	}
	return soracom.New(creds, soracom.Options{
		Endpoint: s.SoracomURL, CallTimeout: o.CallTimeout, Now: o.Now, Logger: o.Logger, OnRateLimit: o.OnRateLimit,
	})
}

// Observer is the real observer over the real adapters.
func Observer(s *sim.Server, o Options) (*cloud.Observer, error) {
	o = o.withDefaults()
	sched := cloud.NewScheduler(o.ReadRate)
	o.Gate = sched
	az, err := Azure(s, o)
	if err != nil {
		return nil, err
	}
	return cloud.New(AWS(s, o), az, cloud.Options{StatusTimeout: o.StatusTimeout, CacheTTL: o.CacheTTL, Now: o.Now, Logger: o.Logger, Scheduler: sched,
		Soracom: Soracom(s, o)}), nil
}

func (o Options) withDefaults() Options {
	if o.CallTimeout <= 0 {
		o.CallTimeout = 3 * time.Second
	}
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = 2 * o.CallTimeout
	}
	return o
}

// Token is a bearer token accepted by the simulator only.
type Token struct{}

// GetToken implements azcore.TokenCredential.
func (Token) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "doorbot-sim-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}
