package commands

import (
	"context"
	"fmt"
	"slices"

	"github.com/doorbot/doorbot/handlers"
)

func runbookCommand(r *Registry, svc *handlers.Service) Command {
	check := func(_ context.Context, req Request) *handlers.Reply {
		if len(req.Args) != 2 || !slices.Contains(handlers.RunbookKinds, req.Args[0]) {
			return r.usage("usage: /door runbook static|migrate|verify NAME")
		}
		if err := svc.CheckNames(req.Args[1:]); err != nil {
			return r.usageOf(err)
		}
		return nil
	}
	return Command{
		Name:    "runbook",
		Usage:   "/door runbook KIND NAME",
		Summary: "the steps, filled in: static (setup), migrate (BGP → static), verify (checks)",
		Slow:    true,
		Working: func(req Request) string {
			if len(req.Args) == 2 {
				return "Reading AWS and Azure for " + req.Args[1] + " (" + req.Args[0] + " runbook)…"
			}
			return "Reading AWS and Azure for " + subject(req.Args) + "…"
		},
		Check: check,
		Run: func(ctx context.Context, req Request) handlers.Reply {
			kind, name := req.Args[0], req.Args[1]
			if kind == "verify" {
				v, err := svc.VerifyApproved(ctx, name)
				if err != nil {
					return r.UsageOf(fmt.Errorf("verify failed: %w", err))
				}
				return handlers.VerifyReply(v)
			}
			rb, err := svc.Runbook(ctx, kind, name)
			if err != nil {
				return r.UsageOf(fmt.Errorf("runbook failed: %w", err))
			}
			return handlers.RunbookReply(rb)
		},
	}
}
