package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/config"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/vpn"
)

func (a *app) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status [NAME...]",
		Short: "Live status of configured connections from both clouds",
		Long: "Reads AWS and Azure for each named connection (all when none is named), pairs the tunnels\n" +
			"across clouds by outside IP, and prints the verdict, both sides per tunnel, findings and errors.\n" +
			"Exit 0 when the command ran, whatever the tunnels' state; 2 on a usage or config error.",
		RunE: func(cmd *cobra.Command, names []string) error {
			_, svc, err := a.loadService(cmd.Context())
			if err != nil {
				return err
			}
			report, err := svc.Status(cmd.Context(), names)
			if err != nil {
				return asUsage(err)
			}
			return a.printReport(report)
		},
	}
}

// loadService reads the config and builds the service on it.
func (a *app) loadService(ctx context.Context) (*config.Config, *handlers.Service, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	svc, err := a.service(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, svc, nil
}

// asUsage makes an unknown connection name a usage error (exit 2).
func asUsage(err error) error {
	var unknown *handlers.UnknownConnectionError
	if errors.As(err, &unknown) {
		return usageErr("%v", err)
	}
	return err
}

func (a *app) printReport(r vpn.Report) error {
	if a.output == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return handlers.RenderText(a.stdout, handlers.StatusReply(r))
}
