package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/handlers"
)

func (a *app) runbookCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "runbook KIND NAME",
		Short: "Steps filled from config and live state: static (setup), migrate (BGP → static), verify (post-change checks)",
		Long: "Prints the exact steps for one connection, with its real names, IPs and prefixes; values doorbot\n" +
			"cannot read are named placeholders listed at the top. KIND is static, migrate or verify.\n" +
			"--output text|markdown|json. verify re-reads the live state and exits 1 when any check fails.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name := args[0], args[1]
			if !slices.Contains(handlers.RunbookKinds, kind) {
				return usageErr("unknown runbook %q; use one of %s", kind, strings.Join(handlers.RunbookKinds, ", "))
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			svc, err := a.service(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			// Before the store is opened for verify: a typo is a usage error.
			if _, err := svc.Select([]string{name}); err != nil {
				return asUsage(err)
			}
			if kind == "verify" {
				if cfg.Slack.ApprovalsChannel != "" {
					st, err := a.openStore(cmd.Context(), cfg)
					if err != nil {
						return err
					}
					defer st.Close()
					cs := &changes.Service{Store: st, Log: a.logger}
					svc.Approved, svc.RecordVerification = cs.ApprovedEnd, cs.RecordVerification
				}
				v, err := svc.VerifyApproved(cmd.Context(), name)
				if err != nil {
					return err
				}
				switch a.output {
				case "json":
					if err := a.printJSON(v); err != nil {
						return err
					}
				default:
					if err := handlers.RenderText(a.stdout, handlers.VerifyReply(v)); err != nil {
						return err
					}
				}
				if !v.Passed {
					return &exitError{code: exitFindings, err: fmt.Errorf("verify %s: a check failed", name)}
				}
				return nil
			}
			rb, err := svc.Runbook(cmd.Context(), kind, name)
			if err != nil {
				return err
			}
			switch a.output {
			case "json":
				return a.printJSON(rb)
			case "markdown":
				_, err := fmt.Fprint(a.stdout, handlers.RunbookMarkdown(rb))
				return err
			}
			return handlers.RenderText(a.stdout, handlers.RunbookReply(rb))
		},
	}
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
