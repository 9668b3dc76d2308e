package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/doorbot/doorbot/handlers"
)

func statusCommand(r *Registry, svc *handlers.Service) Command {
	return Command{
		Name:    "status",
		Usage:   "/door status [NAME...]",
		Summary: "both clouds' view of every tunnel, the verdict and what to do",
		Slow:    true,
		Working: func(req Request) string {
			return "Reading AWS and Azure for " + subject(req.Args) + "…"
		},
		Check: func(_ context.Context, req Request) *handlers.Reply {
			if err := svc.CheckNames(req.Args); err != nil {
				return r.usageOf(err)
			}
			return nil
		},
		Run: func(ctx context.Context, req Request) handlers.Reply {
			report, err := svc.Status(ctx, req.Args)
			if err != nil {
				var unknown *handlers.UnknownConnectionError
				if errors.As(err, &unknown) {
					return r.UsageOf(err)
				}
				return r.UsageOf(fmt.Errorf("status failed: %w", err))
			}
			return svc.StatusReplyWithActions(report)
		},
	}
}

func subject(names []string) string {
	if len(names) == 0 {
		return "every configured connection"
	}
	return strings.Join(names, ", ")
}
