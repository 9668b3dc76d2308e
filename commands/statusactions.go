package commands

import (
	"context"

	"github.com/doorbot/doorbot/handlers"
)

// addStatusActions registers the status reply's buttons. Each reads the
// connection named by the button's value again, never trusting it beyond
// being a configured name.
func addStatusActions(r *Registry, svc *handlers.Service) {
	// A button outlives the config it was rendered from.
	configured := func(run func(context.Context, Click) Outcome) func(context.Context, Click) Outcome {
		return func(ctx context.Context, c Click) Outcome {
			if svc.CheckNames([]string{c.Value}) != nil {
				return tell(c, "that connection is no longer configured")
			}
			return run(ctx, c)
		}
	}
	r.AddAction(Action{ID: handlers.StatusRefreshAction, Slow: true, Run: configured(func(ctx context.Context, c Click) Outcome {
		report, err := svc.StatusRefresh(ctx, []string{c.Value})
		if err != nil {
			return tell(c, "refresh failed: "+err.Error())
		}
		rep := svc.StatusReplyWithActions(report)
		return Outcome{Replace: &rep}
	})})
	r.AddAction(Action{ID: handlers.StatusWhyAction, Slow: true, Run: configured(func(ctx context.Context, c Click) Outcome {
		a, err := svc.Why(ctx, c.Value, "")
		if err != nil {
			return tell(c, "why failed: "+err.Error())
		}
		return Outcome{Answer: &Answer{Channel: c.Channel, Reply: handlers.WhyReply(a)}}
	})})
	r.AddAction(Action{ID: handlers.StatusRunbookAction, Slow: true, Run: configured(func(ctx context.Context, c Click) Outcome {
		rb, kind, err := svc.LiveRunbook(ctx, c.Value)
		if err != nil {
			return tell(c, "runbook failed: "+err.Error())
		}
		return Outcome{Answer: &Answer{Channel: c.Channel, Reply: handlers.LiveRunbookReply(rb, kind, c.Value)}}
	})})
	// Console links open in the browser; their click is only acknowledged.
	for _, id := range []string{handlers.StatusAWSConsoleAction, handlers.StatusAzurePortalAction} {
		r.AddAction(Action{ID: id, Run: func(context.Context, Click) Outcome { return Outcome{} }})
	}
}
