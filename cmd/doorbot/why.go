package main

import (
	"encoding/json"
	"errors"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/vpn/why"
)

func (a *app) whyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "why NAME [TUNNEL]",
		Short: "Why a tunnel is down, from the clouds' own logs and maintenance records",
		Long: "Reads, within timeouts.status and each under its own deadline: AWS tunnel telemetry, tunnel endpoint\n" +
			"maintenance (GetVpnTunnelReplacementStatus) and the last hour of the tunnels' CloudWatch Logs when tunnel\n" +
			"logging is on; Azure connection state, BGP peers and learned routes, and the gateway's diagnostic logs in\n" +
			"Log Analytics. Prints each cause with its evidence, and each source not read with how to enable it\n" +
			"(doorbot never enables anything). TUNNEL is an index (1, 2) or an AWS outside IP.\n" +
			"Exit 0 when the command ran; 2 on a usage or config error.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			svc, err := a.service(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			tunnel := ""
			if len(args) == 2 {
				tunnel = args[1]
			}
			ans, err := svc.Why(cmd.Context(), args[0], tunnel)
			if err != nil {
				var bad *handlers.BadTunnelError
				if errors.As(err, &bad) {
					return usageErr("%v", err)
				}
				return asUsage(err)
			}
			return a.printWhy(ans)
		},
	}
}

func (a *app) printWhy(ans why.Answer) error {
	if a.output == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ans)
	}
	return handlers.RenderText(a.stdout, handlers.WhyReply(ans))
}
