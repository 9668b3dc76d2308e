package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/cloud/soracom"
	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/config"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/leader"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/watch"
)

func (a *app) serveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the Slack bot (Socket Mode by default, or signed HTTP)",
		Long: "Answers /door in Slack. Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; HTTP mode\n" +
			"(slack.mode: http) needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET and serves POST /slack/commands\n" +
			"and POST /slack/interactive. /healthz, /readyz and /metrics are served on slack.listen in both modes.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			secrets := config.SecretsFromEnv(a.getenv)
			if err := secrets.Check(cfg.Slack.Mode); err != nil {
				return usageErr("%v", err)
			}
			svc, err := a.service(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			metrics := bot.NewMetrics()
			svc.OnReport = metrics.Report
			svc.Observer.OnCall(metrics.CloudCall)
			svc.Observer.OnCycle(func(r cloud.CycleReport) { metrics.RefreshCycle(r.Took, r.Needed, r.Overran) })
			if a.soracom != nil {
				a.soracom.OnRateLimit(func(op string, rl soracom.RateLimit) {
					metrics.SoracomRateLimitSeen(op, rl.Limit, rl.Remaining, rl.SecondsBeforeRefresh)
				})
			}
			return a.serve(cmd.Context(), cfg, secrets, svc, metrics)
		},
	}
}

// serve runs the bot until ctx ends. It is separate from the command so
// tests can run it against a fake Slack and the simulated clouds.
func (a *app) serve(ctx context.Context, cfg *config.Config, secrets config.Secrets, svc *handlers.Service, metrics *bot.Metrics) error {
	apiOpts := []slack.Option{slack.OptionAppLevelToken(secrets.SlackAppToken)}
	if cfg.Slack.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(withSlash(cfg.Slack.APIURL)))
	}
	api := bot.NewAPI(secrets.SlackBotToken, apiOpts...)
	deps := commands.Deps{Service: svc}
	approvals := cfg.Slack.ApprovalsChannel != "" && len(cfg.Slack.Approvers) > 0
	// PostgreSQL means replicas: they share the live model through the
	// store even when neither approvals nor alerts need it.
	shared := cfg.Store.Driver == config.DriverPostgres
	var st store.Store
	if approvals || cfg.Alerts.Channel != "" || shared {
		if cfg.Store.Driver != config.DriverPostgres {
			release, err := store.ClaimSQLite(cfg.Store.DSNFrom(a.getenv))
			if err != nil {
				return usageErr("store: %v", err)
			}
			defer release()
		}
		var err error
		if st, err = a.openStore(ctx, cfg); err != nil {
			return err
		}
		defer st.Close()
	}
	if approvals {
		notifier := bot.NewNotifier(api, metrics, a.logger)
		deps.Changes = &changes.Service{
			Store: st, Checks: svc, Notify: notifier, Channel: cfg.Slack.ApprovalsChannel,
			Approvers: &changes.Approvers{IDs: cfg.Slack.Approvers, Members: notifier.GroupMembers, Log: a.logger},
			Required:  cfg.Slack.RequiredApprovals, TTL: cfg.Slack.ApprovalTTL,
			Log: a.logger, Count: metrics.Count,
			// A journaled click is left to its worker for longer than
			// the worker may take.
			ReplayGrace: max(changes.DefaultReplayGrace, 2*commandTimeout(cfg)),
		}
		svc.Approved, svc.RecordVerification = deps.Changes.ApprovedEnd, deps.Changes.RecordVerification
	}
	// The live model: Slack status is answered from its latest paced
	// background read; the CLI keeps reading live.
	if svc.Model == nil && svc.Observer != nil && len(svc.Connections) > 0 {
		svc.Model = cloud.NewModel(svc.Observer, svc.Connections, cfg.Alerts.Interval)
		if shared {
			svc.Model.Share(st)
		}
	}
	// With alerts on, the watcher is the model's refresher: one read per
	// interval feeds both the alerts and status.
	var watcher *watch.Watcher
	if cfg.Alerts.Channel != "" {
		watcher = watch.New(watch.Options{
			Connections: svc.Connections, Observer: svc.Observer, Store: st,
			Notifier: bot.NewAlertNotifier(api, metrics, a.logger), Channel: cfg.Alerts.Channel,
			Interval: cfg.Alerts.Interval, Settings: alertSettings(cfg.Alerts),
			ActiveChange: activeChange(deps.Changes), Now: svc.Now, Logger: a.logger,
			OnCycle: metrics.Watch, Explain: svc.WhyOf,
		})
		if svc.Model != nil {
			watcher.OnObserved(svc.Model.Observed)
		}
		deps.Alerts = commands.AlertDeps{Watcher: watcher, Store: st, Now: svc.Now}
	}
	b := bot.New(api, commands.New(deps), bot.Options{
		Reply:          cfg.Slack.Reply,
		CommandTimeout: commandTimeout(cfg),
		Logger:         a.logger,
		Metrics:        metrics,
		SlackAPIURL:    cfg.Slack.APIURL,
	})

	// Listen before any worker starts: a taken port is a usage error to
	// report at once, not a hang.
	ln, err := net.Listen("tcp", cfg.Slack.Listen)
	if err != nil {
		return usageErr("slack.listen %q: %v", cfg.Slack.Listen, err)
	}
	var opsLn net.Listener
	if cfg.Slack.MetricsListen != "" {
		if opsLn, err = net.Listen("tcp", cfg.Slack.MetricsListen); err != nil {
			ln.Close()
			return usageErr("slack.metrics_listen %q: %v", cfg.Slack.MetricsListen, err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	b.Start(ctx)
	jobs := leaderJobs(deps.Changes, watcher, svc.Model)
	var bg sync.WaitGroup
	bg.Go(func() { a.elector(cfg, metrics).Run(ctx, jobs) })
	// Workers and the leader-only jobs stop on cancel; cancel must come
	// first (defers run last in, first out).
	defer func() { cancel(); b.Wait(); bg.Wait() }()

	mux := http.NewServeMux()
	if opsLn == nil {
		mux.Handle("/", b.OpsHandler())
	}
	if cfg.Slack.Mode == config.ModeHTTP {
		mux.Handle("/slack/", b.HTTPHandler(bot.Verifier{Secret: []byte(secrets.SlackSigningSecret)}))
	}
	srv := newHTTPServer(mux)
	served := make(chan error, 1)
	// The Slack endpoint may face the internet: bounded connections.
	go func() { served <- srv.Serve(b.LimitListener(ln)) }()
	if opsLn != nil {
		ops := newHTTPServer(b.OpsHandler())
		go func() { _ = ops.Serve(opsLn) }()
		defer ops.Close()
		a.logger.Info("doorbot metrics and health apart", "listen", opsLn.Addr().String())
	}
	a.logger.Info("doorbot serving", "mode", cfg.Slack.Mode, "listen", ln.Addr().String(), "connections", len(svc.Connections), "secrets", secrets.String())

	var runErr error
	if cfg.Slack.Mode == config.ModeHTTP {
		b.SetReady(true)
		select {
		case <-ctx.Done():
		case runErr = <-served:
		}
	} else {
		runErr = b.RunSocketMode(ctx)
	}
	cancel()
	shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	_ = srv.Shutdown(shutdown)
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
		return fmt.Errorf("slack: %w", runErr)
	}
	return nil
}

// commandTimeout bounds one command's (or click's) work after its ack.
func commandTimeout(cfg *config.Config) time.Duration { return cfg.Timeouts.Status + 10*time.Second }

// newHTTPServer bounds how long a client may take over headers and body
// and how large its headers may be: Slack sends small requests at once.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
}

// elector decides whether this replica runs the leader-only jobs: on
// PostgreSQL the replicas elect one with an advisory lock; SQLite is one
// replica (ClaimSQLite), which always leads.
func (a *app) elector(cfg *config.Config, metrics *bot.Metrics) leader.Elector {
	host, _ := os.Hostname() // the pod name in Kubernetes
	opts := leader.Options{Identity: fmt.Sprintf("%s/%d", host, os.Getpid()), Logger: a.logger, OnChange: metrics.SetLeader}
	if cfg.Store.Driver == config.DriverPostgres {
		return leader.NewPostgres(leader.PostgresConfig{DSN: cfg.Store.DSNFrom(a.getenv)}, opts)
	}
	return leader.NewSolo(opts)
}

// leaderJobs is the work that must happen once, on the leader: the
// approval-expiry sweep, the replay of journaled clicks that a dead
// process acked but never decided (at start and on becoming leader, then
// every minute), and one background reader of the clouds, the
// alert loop when alerts are on (it feeds the live model), else the
// model's own refresher. The reader shares what it read through the store
// (PostgreSQL), and another replica answers Slack status from that; it
// reads live only when the shared model is older than twice the interval.
func leaderJobs(ch *changes.Service, watcher *watch.Watcher, model *cloud.Model) []leader.Job {
	var jobs []leader.Job
	if ch != nil {
		jobs = append(jobs, leader.Job{Name: "approval-expiry", Run: func(ctx context.Context) {
			ch.Sweep(ctx, changes.SweepEvery)
		}}, leader.Job{Name: "click-replay", Run: func(ctx context.Context) {
			ch.ReplayLoop(ctx, changes.ReplayEvery)
		}})
	}
	switch {
	case watcher != nil:
		jobs = append(jobs, leader.Job{Name: "alerts", Run: watcher.Run})
	case model != nil:
		jobs = append(jobs, leader.Job{Name: "live-model", Run: model.Run})
	}
	return jobs
}

func withSlash(u string) string {
	if u != "" && u[len(u)-1] != '/' {
		return u + "/"
	}
	return u
}
