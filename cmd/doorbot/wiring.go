package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/doorbot/doorbot/cloud"
	awsc "github.com/doorbot/doorbot/cloud/aws"
	azc "github.com/doorbot/doorbot/cloud/azure"
	"github.com/doorbot/doorbot/cloud/soracom"
	"github.com/doorbot/doorbot/config"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
)

// loadConfig reads the config named by --config, $DOORBOT_CONFIG or
// ./doorbot.yaml. Any problem is a usage error.
func (a *app) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(config.Path(a.configPath, a.getenv), a.getenv)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return cfg, nil
}

// service builds the observer on the real credential chains. Missing or
// expired credentials are not an error here: they surface per cloud in the
// status, so the other cloud is still reported.
func (a *app) service(ctx context.Context, cfg *config.Config) (*handlers.Service, error) {
	conns := cfg.VPNConnections()
	var awsClient *awsc.Client
	var azClient *azc.Client
	needAWS := false
	for _, c := range conns {
		needAWS = needAWS || c.ObservesAWS()
	}
	if needAWS {
		// EC2 speaks HTTP/1.1; batched reads need a few connections per
		// regional endpoint, never one per connection.
		httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.MaxConnsPerHost = 10 })
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.AWS.Region), awsconfig.WithHTTPClient(httpClient),
			awsconfig.WithLogger(sdkLogger{a.logger}))
		if err != nil {
			return nil, usageErr("aws: %v", err)
		}
		awsClient = awsc.New(awsCfg, awsc.Options{CallTimeout: cfg.Timeouts.CloudCall})
	}
	// One scheduler per process: it paces background refreshes and holds
	// every ARM read while ARM has asked (Retry-After) not to be called.
	sched := cloud.NewScheduler(cfg.Azure.ReadRate)
	if len(conns) > 0 {
		opts, err := azc.ClientOptionsFor(cfg.Azure.Cloud, cfg.Azure.ResourceManagerEndpoint, nil)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: policy.ClientOptions{Cloud: opts.Cloud},
		})
		if err != nil {
			return nil, usageErr("azure credentials: %v", err)
		}
		logs, err := azc.LogsClientOptionsFor(cfg.Azure.Cloud, cfg.Azure.LogsEndpoint, nil)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		azClient = azc.New(cred, azc.Options{CallTimeout: cfg.Timeouts.CloudCall, ClientOptions: opts, Logs: logs, Gate: sched})
	}
	var sc *soracom.Client
	for _, c := range conns {
		if c.ObservesSoracom() {
			endpoint, err := soracom.Endpoint(cfg.Soracom.Coverage, cfg.Soracom.Endpoint)
			if err != nil {
				return nil, usageErr("%v", err)
			}
			sc = soracom.New(soracom.CredentialsFromEnv(a.getenv), soracom.Options{Endpoint: endpoint, CallTimeout: cfg.Timeouts.CloudCall, Logger: a.logger})
			a.soracom = sc
			break
		}
	}
	obs := cloud.New(awsClient, azClient, cloud.Options{StatusTimeout: cfg.Timeouts.Status, CacheTTL: cfg.CacheTTL, Logger: a.logger, Scheduler: sched, Soracom: sc})
	a.observer = obs
	return &handlers.Service{Connections: conns, Observer: obs, AzurePortal: handlers.AzurePortalFor(cfg.Azure.Cloud)}, nil
}

// demoService points the real SDK clients at the simulated clouds, with
// made-up credentials: nothing leaves the machine. The timeouts keep the
// throttled scenario brisk.
func (a *app) demoService(srv *sim.Server, conns []vpn.Connection) (*handlers.Service, error) {
	obs, err := simclient.Observer(srv, simclient.Options{CallTimeout: 3 * time.Second, StatusTimeout: 6 * time.Second, CacheTTL: 20 * time.Second, Logger: a.logger})
	if err != nil {
		return nil, err
	}
	a.observer = obs
	return &handlers.Service{Connections: conns, Observer: obs}, nil
}

// sdkLogger sends the AWS SDK's own log lines (an IMDS fallback, a
// deprecation) to doorbot's log at their level instead of straight to
// stderr, where they broke the first line of every CLI answer. The SDK
// never logs bodies here (ClientLogMode is 0), so no key can pass.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	l.log.Log(context.Background(), level, "aws sdk: "+fmt.Sprintf(format, v...))
}
