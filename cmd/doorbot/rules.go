package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/vpn/rules"
)

func (a *app) rulesCommand() *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalog: ID, severity, what it checks, reference",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat := rules.Catalog()
			switch {
			case markdown:
				_, err := fmt.Fprint(a.stdout, rules.Markdown())
				return err
			case a.output == "json":
				type entry struct {
					ID        string `json:"id"`
					Severity  string `json:"severity"`
					Title     string `json:"title"`
					Reference string `json:"reference"`
				}
				out := make([]entry, len(cat))
				for i, r := range cat {
					out[i] = entry{r.ID, string(r.Severity), r.Title, r.Reference}
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tSEVERITY\tCHECKS\tREFERENCE")
			for _, r := range cat {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, r.Reference)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the catalog as the Markdown page docs/rules.md")
	return cmd
}
