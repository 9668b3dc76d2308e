package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/proposal"
)

// maxProposalBytes bounds a proposal file; real ones are a few KB.
const maxProposalBytes = 256 << 10

func (a *app) validateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a proposed design against what AWS and Azure permit",
		Long: "Checks the proposal (docs/proposal.md YAML; - reads standard input) against every rule of\n" +
			"`doorbot rules`. When it names a configured connection, the live state fills in what it\n" +
			"omits. Exit 0 when no finding is an error, 1 when one is, 2 on a usage or input error.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := a.readProposal(args[0])
			if err != nil {
				return err
			}
			p, err := proposal.Parse(data, displayName(args[0]))
			if err != nil {
				return usageErr("%v", err)
			}
			svc := &handlers.Service{}
			if p.Connection != "" {
				cfg, err := a.loadConfig()
				if err != nil {
					return usageErr("the proposal names connection %q, which needs the config: %v", p.Connection, err)
				}
				if svc, err = a.service(cmd.Context(), cfg); err != nil {
					return err
				}
			}
			res, err := svc.Validate(cmd.Context(), p)
			if err != nil {
				return asUsage(err)
			}
			if a.output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else if err := handlers.RenderText(a.stdout, handlers.ValidateReply(res)); err != nil {
				return err
			}
			if res.Failed() {
				return &exitError{code: exitFindings, err: fmt.Errorf("validate: %s has error findings", displayName(args[0]))}
			}
			return nil
		},
	}
}

func (a *app) readProposal(path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = a.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, usageErr("cannot read proposal: %v", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, usageErr("%s is a directory, not a proposal file", path)
		}
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxProposalBytes+1))
	if err != nil {
		return nil, usageErr("cannot read proposal %s: %v", displayName(path), err)
	}
	if len(data) > maxProposalBytes {
		return nil, usageErr("%s: larger than %d KiB; a proposal describes one connection", displayName(path), maxProposalBytes>>10)
	}
	return data, nil
}

func displayName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return path
}
