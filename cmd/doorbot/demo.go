package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/vpn"
)

func (a *app) demoCommand() *cobra.Command {
	var only string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run doorbot on built-in simulated clouds (no credentials, no network)",
		Long: "Starts simulated EC2 (Query XML over HTTP), CloudWatch Logs (awsJson1.1), Azure Resource Manager\n" +
			"and Log Analytics (JSON over TLS) endpoints on loopback, points the real AWS and Azure SDK clients at\n" +
			"them, and walks through the built-in scenarios with `doorbot status`, and `doorbot why` where a\n" +
			"tunnel is down.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			world, scenarios := sim.DemoWorld()
			if only != "" {
				var picked []sim.Scenario
				var names []string
				for _, s := range scenarios {
					names = append(names, s.Name)
					if s.Name == only {
						picked = append(picked, s)
					}
				}
				if len(picked) == 0 {
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
			reqs, muts := srv.Requests(), srv.Mutations()
			fmt.Fprintf(out, "\nThe simulated clouds answered %d requests; %d would have changed anything (doorbot only reads).\n", len(reqs), len(muts))
			fmt.Fprintln(out, "Try it interactively: doorbot console --demo, then type /door status")
			return nil
		},
	}
	cmd.Flags().StringVar(&only, "scenario", "", "run one scenario only")
	return cmd
}
