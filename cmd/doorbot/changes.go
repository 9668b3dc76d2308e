package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/config"
	"github.com/doorbot/doorbot/store"
)

func (a *app) openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	st, err := store.Open(ctx, cfg.Store.Driver, cfg.Store.DSNFrom(a.getenv))
	if err != nil {
		return nil, usageErr("store: %v", err)
	}
	return st, nil
}

// openStoreReadOnly is openStore for commands that only read: nothing is
// created, migrated or written, so they work on a full disk.
func (a *app) openStoreReadOnly(ctx context.Context, cfg *config.Config) (store.Store, error) {
	st, err := store.OpenReadOnly(ctx, cfg.Store.Driver, cfg.Store.DSNFrom(a.getenv))
	if err != nil {
		return nil, usageErr("store: %v", err)
	}
	return st, nil
}

// withStore runs a command that only reads on the configured store
// (changes list, show and audit; alerts list).
func (a *app) withStore(run func(context.Context, store.Store, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cfg, err := a.loadConfig()
		if err != nil {
			return err
		}
		st, err := a.openStoreReadOnly(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		return run(cmd.Context(), st, args)
	}
}

func (a *app) changesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "changes",
		Short: "Change requests and their audit trail (list, show ID, audit)",
	}
	withStore := a.withStore
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "All change requests, newest first",
		Args:  cobra.NoArgs,
		RunE: withStore(func(ctx context.Context, st store.Store, _ []string) error {
			reqs, err := st.List(ctx)
			if err != nil {
				return err
			}
			if reqs == nil {
				reqs = []approval.Request{}
			}
			if a.output == "json" {
				return a.printJSON(reqs)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCONNECTION\tSTATE\tREQUESTER\tAPPROVALS\tVERDICT\tCREATED")
			for _, r := range reqs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Connection, r.State, r.Requester, strings.Join(r.Approvals, ","), r.Verdict, r.CreatedAt.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		}),
	}, &cobra.Command{
		Use:   "show ID",
		Short: "One change request in full",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(func(ctx context.Context, st store.Store, args []string) error {
			r, err := st.Get(ctx, args[0])
			if errors.Is(err, store.ErrNotFound) {
				return usageErr("no change request %q", args[0])
			}
			if err != nil {
				return err
			}
			return a.printJSON(r)
		}),
	}, &cobra.Command{
		Use:   "audit",
		Short: "The append-only audit log (--output jsonl: one event per line)",
		Args:  cobra.NoArgs,
		RunE: withStore(func(ctx context.Context, st store.Store, _ []string) error {
			evs, err := st.Audit(ctx)
			if err != nil {
				return err
			}
			if a.output == "jsonl" {
				enc := json.NewEncoder(a.stdout)
				for _, e := range evs {
					if err := enc.Encode(e); err != nil {
						return err
					}
				}
				return nil
			}
			if a.output == "json" {
				return a.printJSON(evs)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "AT\tREQUEST\tEVENT\tACTOR\tCHANNEL\tDETAIL")
			for _, e := range evs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.RFC3339), e.RequestID, e.Kind, e.Actor, e.Channel, e.Detail)
			}
			return tw.Flush()
		}),
	})
	return cmd
}
