package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/vpn"
)

func (a *app) demoCommand() *cobra.Command {
	var only, serveDir string
	var serve bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run doorbot on built-in simulated clouds (no credentials, no network)",
		Long: "Starts simulated EC2 (Query XML over HTTP), CloudWatch Logs (awsJson1.1), Azure Resource Manager\n" +
			"and Log Analytics (JSON over TLS) endpoints on loopback, points the real AWS and Azure SDK clients at\n" +
			"them, and walks through the built-in scenarios with `doorbot status`, and `doorbot why` where a\n" +
			"tunnel is down. Then it plays the alert scenario (alert-demo): the real alert watcher observes a\n" +
			"VPN whose tunnel drops, flaps and recovers, on a clock that jumps a minute per cycle, and prints\n" +
			"every message the alerts channel would get.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if serve {
				if only != "" {
					return usageErr("--serve keeps every scenario up; drop --scenario")
				}
				return a.demoServe(cmd.Context(), serveDir)
			}
			if serveDir != "" {
				return usageErr("--dir is for --serve")
			}
			world, scenarios := sim.DemoWorld()
			alertScenario := sim.AlertScenario()
			alertScenario.Populate(world)
			// The alert scenario is played in text; in JSON it is one more
			// connection's status.
			playAlerts := a.output == "text" && (only == "" || only == alertScenario.Name)
			if a.output == "json" {
				scenarios = append(scenarios, alertScenario)
			}
			if only != "" {
				var picked []sim.Scenario
				var names []string
				for _, s := range scenarios {
					names = append(names, s.Name)
					if s.Name == only {
						picked = append(picked, s)
					}
				}
				if a.output == "text" {
					names = append(names, alertScenario.Name)
				}
				if len(picked) == 0 && !playAlerts {
					return usageErr("--scenario %q: known scenarios: %s", only, strings.Join(names, ", "))
				}
				scenarios = picked
			}
			srv, err := sim.Start(world)
			if err != nil {
				return fmt.Errorf("start simulated clouds: %w", err)
			}
			defer srv.Close()
			conns := make([]vpn.Connection, len(scenarios))
			for i, s := range scenarios {
				conns[i] = s.Connection
			}
			svc, err := a.demoService(srv, conns)
			if err != nil {
				return err
			}
			out := a.stdout
			if a.output == "text" {
				fmt.Fprintf(out, "doorbot demo: simulated EC2 at %s, CloudWatch Logs at %s, Azure Resource Manager at %s, Log Analytics at %s and SORACOM API at %s\n",
					srv.EC2URL, srv.LogsURL, srv.ARMURL, srv.LogAnalyticsURL, srv.SoracomURL)
				fmt.Fprintln(out, "The real aws-sdk-go-v2, armnetwork and azlogs clients and doorbot's SORACOM client read them exactly as they would read the clouds.")
			}
			var reports []vpn.ConnectionStatus
			for i, s := range scenarios {
				report, err := svc.Status(cmd.Context(), []string{s.Name})
				if err != nil {
					return err
				}
				if a.output == "json" {
					reports = append(reports, report.Connections...)
					continue
				}
				fmt.Fprintf(out, "\n━━ %d/%d  %s ━━\n%s\n\n$ doorbot status %s\n", i+1, len(scenarios), s.Title, s.Description, s.Name)
				if err := handlers.RenderText(out, handlers.StatusReply(report)); err != nil {
					return err
				}
				// The evidence scenarios, and every connection that is not
				// healthy, go on to the clouds' own account of why.
				if !slices.Contains(sim.WhyScenarios, s.Name) && (len(report.Connections) == 0 || report.Connections[0].Health == vpn.Healthy) {
					continue
				}
				ans, err := svc.Why(cmd.Context(), s.Name, "")
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "\n$ doorbot why %s\n", s.Name)
				if err := handlers.RenderText(out, handlers.WhyReply(ans)); err != nil {
					return err
				}
			}
			if a.output == "json" {
				return a.printReport(vpn.NewReport(svc.Now(), reports))
			}
			if playAlerts {
				if err := a.demoAlerts(cmd.Context(), srv, world, alertScenario); err != nil {
					return err
				}
			}
			reqs, muts := srv.Requests(), srv.Mutations()
			fmt.Fprintf(out, "\nThe simulated clouds answered %d requests; %d would have changed anything (doorbot only reads).\n", len(reqs), len(muts))
			fmt.Fprintln(out, "Try it interactively: doorbot console --demo, then type /door status, /door alerts or /door history alert-demo")
			return nil
		},
	}
	cmd.Flags().StringVar(&only, "scenario", "", "run one scenario only")
	cmd.Flags().BoolVar(&serve, "serve", false, "keep the simulated clouds up and write a config and env.sh for them, so that every command can be tried")
	cmd.Flags().StringVar(&serveDir, "dir", "", "with --serve: where to write doorbot.yaml, env.sh and the simulator's CA (default: a new temporary directory)")
	return cmd
}

// demoAlerts plays the alert scenario and prints what the channel got.
func (a *app) demoAlerts(ctx context.Context, srv *sim.Server, world *sim.World, sc sim.Scenario) error {
	out := a.stdout
	fmt.Fprintf(out, "\n━━ alerts  %s ━━\n%s\n", sc.Title, sc.Description)
	fmt.Fprintf(out, "doorbot serve with alerts.channel set runs this watcher; here it posts to a pretend %s, with interval 60s,\n"+
		"debounce 2, repeat 1h, unobserved_after 5 and flap window 21 / high 20%% / low 5%% (the defaults).\n", demoAlertsChannel)
	d, err := a.newAlertDemo(ctx, srv, world, sc, out, false)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.play(ctx, out); err != nil {
		return err
	}
	return d.summary(ctx, out)
}
