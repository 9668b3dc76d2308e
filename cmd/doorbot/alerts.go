package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/config"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/watch"
)

// alertSettings are the engine's settings from the alerts: keys.
func alertSettings(a config.Alerts) alerts.Settings {
	return alerts.Settings{
		Debounce: a.Debounce, Repeat: a.Repeat, UnobservedAfter: a.UnobservedAfter,
		FlapWindow: a.Flap.Window, FlapHigh: a.Flap.High, FlapLow: a.Flap.Low, SilenceFor: time.Hour,
	}
}

// activeChange routes alerts of a connection under change to the change's
// thread (changes.Service.ActiveChange).
func activeChange(cs *changes.Service) func(ctx context.Context, conn string, now time.Time) (*alerts.Change, error) {
	if cs == nil {
		return nil
	}
	return func(ctx context.Context, conn string, now time.Time) (*alerts.Change, error) {
		r, ok, err := cs.ActiveChange(ctx, conn, now)
		if err != nil || !ok {
			return nil, err
		}
		return &alerts.Change{ID: r.ID, Channel: r.Channel, ThreadTS: r.ThreadTS}, nil
	}
}

func (a *app) watchCommand() *cobra.Command {
	var cycles int
	cmd := &cobra.Command{
		Use:   "watch [NAME...]",
		Short: "The alert loop in the foreground, without Slack: one line per alert event",
		Long: "Observes the named connections (all when none is named) every alerts.interval, applies the\n" +
			"alert rules (debounce, flapping, unobserved sides, repeat) and prints one line per alert event\n" +
			"(--output json: one JSON object a line). It keeps its state in memory and posts nothing: a\n" +
			"running doorbot serve is not disturbed. Stops on Ctrl-C (or after --cycles observations).",
		RunE: func(cmd *cobra.Command, names []string) error {
			cfg, svc, err := a.loadService(cmd.Context())
			if err != nil {
				return err
			}
			return a.watch(cmd.Context(), cfg.Alerts, svc, names, cycles)
		},
	}
	cmd.Flags().IntVar(&cycles, "cycles", 0, "stop after this many observations (0: run until interrupted)")
	return cmd
}

// watch runs the alert loop without Slack, printing events.
func (a *app) watch(ctx context.Context, ac config.Alerts, svc *handlers.Service, names []string, cycles int) error {
	conns, err := svc.Select(names)
	if err != nil {
		return asUsage(err)
	}
	if len(conns) == 0 {
		return usageErr("no connections are configured: nothing to watch")
	}
	enc := json.NewEncoder(a.stdout)
	w := watch.New(watch.Options{
		Connections: conns, Observer: svc.Observer, Interval: ac.Interval, Settings: alertSettings(ac),
		Logger: a.logger, Now: svc.Now, Explain: svc.WhyOf,
		OnEvent: func(e watch.Event) {
			if a.output == "json" {
				_ = enc.Encode(e)
				return
			}
			fmt.Fprintf(a.stdout, "%s %s %s %s %s: %s\n", e.At.UTC().Format(time.RFC3339), e.Connection, e.Kind, e.Event, e.State, e.Text)
		},
	})
	if cycles > 0 {
		for i := range cycles {
			if i > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(ac.Interval):
				}
			}
			w.RunCycle(ctx)
		}
		return nil
	}
	w.Run(ctx)
	return nil
}

// alertsCommand is doorbot alerts list.
func (a *app) alertsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Alerts the watcher raised (list)",
	}
	var since time.Duration
	list := &cobra.Command{
		Use:   "list",
		Short: "Open alerts and those of the last --since (default 7 days), newest first",
		Args:  cobra.NoArgs,
		RunE: a.withStore(func(ctx context.Context, st store.Store, _ []string) error {
			list, err := st.Alerts(ctx, time.Now().Add(-since))
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(list)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCONNECTION\tKIND\tSTATE\tSINCE\tACKED BY\tTUNNELS")
			for _, al := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", al.ID, al.Connection, al.Kind, al.State,
					al.Since.UTC().Format(time.RFC3339), orDash(al.AckedBy), orDash(strings.Join(al.Tunnels, ", ")))
			}
			return tw.Flush()
		}),
	}
	list.Flags().DurationVar(&since, "since", commands.RecentAlerts, "how far back to list resolved alerts")
	cmd.AddCommand(list)
	return cmd
}

func (a *app) historyCommand() *cobra.Command {
	var since time.Duration
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "Each tunnel's state changes over --since (default 168h), with durations and flap counts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if since <= 0 {
				return usageErr("--since must be positive (got %s)", since)
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if !vpn.ValidConnectionName(args[0]) {
				return usageErr("%q is not a connection name (names are 1-40 of a-z, 0-9 and -)", args[0])
			}
			if _, err := (&handlers.Service{Connections: cfg.VPNConnections()}).Select(args); err != nil {
				return asUsage(err)
			}
			st, err := a.openStoreReadOnly(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now()
			h, err := commands.History(cmd.Context(), st, args[0], since, now)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(h)
			}
			return handlers.RenderText(a.stdout, handlers.HistoryReply(h, now))
		},
	}
	cmd.Flags().DurationVar(&since, "since", commands.DefaultHistory, "how far back to show")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
