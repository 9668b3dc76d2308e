package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/doorbot/doorbot/handlers"
)

// whyCommand is /door why NAME [TUNNEL]: the clouds' own evidence of why a
// tunnel is down (docs/why.md).
func whyCommand(r *Registry, svc *handlers.Service) Command {
	return Command{
		Name:    "why",
		Usage:   "/door why NAME [TUNNEL]",
		Summary: "why a tunnel is down, from the clouds' own logs and maintenance records",
		Slow:    true,
		Working: func(req Request) string {
			return "Reading AWS and Azure logs, maintenance and BGP records for " + subject(req.Args[:min(1, len(req.Args))]) + "…"
		},
		Check: func(_ context.Context, req Request) *handlers.Reply {
			if len(req.Args) < 1 || len(req.Args) > 2 || (len(req.Args) == 2 && !handlers.ValidTunnelArg(req.Args[1])) {
				return r.usage("usage: /door why NAME [TUNNEL] (TUNNEL: an index such as 2, or the AWS outside IP)")
			}
			if err := svc.CheckNames(req.Args[:1]); err != nil {
				return r.usageOf(err)
			}
			return nil
		},
		Run: func(ctx context.Context, req Request) handlers.Reply {
			tunnel := ""
			if len(req.Args) == 2 {
				tunnel = req.Args[1]
			}
			a, err := svc.Why(ctx, req.Args[0], tunnel)
			if err != nil {
				var bad *handlers.BadTunnelError
				var unknown *handlers.UnknownConnectionError
				if errors.As(err, &bad) || errors.As(err, &unknown) {
					return r.UsageOf(err)
				}
				return r.UsageOf(fmt.Errorf("why failed: %w", err))
			}
			return handlers.WhyReply(a)
		},
	}
}
