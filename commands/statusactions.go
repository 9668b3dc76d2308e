package commands

import (
	"context"

	"github.com/doorbot/doorbot/handlers"
)

// addStatusActions registers the status reply's buttons. Each reads the
// connection named by the button's value again, never trusting it beyond
// being a configured name.
func addStatusActions(r *Registry, svc *handlers.Service) {
	known := func(c Click) bool { return svc.CheckNames([]string{c.Value}) == nil }
	r.AddAction(Action{ID: handlers.StatusRefreshAction, Slow: true, Run: func(ctx context.Context, c Click) Outcome {
		if !known(c) {
			return tell(c, "that connection is no longer configured")
		}
		report, err := svc.StatusRefresh(ctx, []string{c.Value})
		if err != nil {
			return tell(c, "refresh failed: "+err.Error())
		}
		rep := svc.StatusReplyWithActions(report)
		return Outcome{Replace: &rep}
	}})
	r.AddAction(Action{ID: handlers.StatusWhyAction, Slow: true, Run: func(ctx context.Context, c Click) Outcome {
		if !known(c) {
			return tell(c, "that connection is no longer configured")
		}
		a, err := svc.Why(ctx, c.Value, "")
		if err != nil {
			return tell(c, "why failed: "+err.Error())
		}
		return Outcome{Answer: &Answer{Channel: c.Channel, Reply: handlers.WhyReply(a)}}
	}})
	r.AddAction(Action{ID: handlers.StatusRunbookAction, Slow: true, Run: func(ctx context.Context, c Click) Outcome {
		if !known(c) {
			return tell(c, "that connection is no longer configured")
		}
		rb, kind, err := svc.LiveRunbook(ctx, c.Value)
		if err != nil {
			return tell(c, "runbook failed: "+err.Error())
		}
		rep := handlers.RunbookReply(rb)
		rep.Blocks = append(rep.Blocks, handlers.Block{Kind: handlers.Notes, Lines: []string{
			"The " + kind + " runbook, for the routing " + c.Value + " runs now. Others: /door runbook static|migrate|verify " + c.Value}})
		return Outcome{Answer: &Answer{Channel: c.Channel, Reply: rep}}
	}})
	// Console links open in the browser; their click is only acknowledged.
	for _, id := range []string{handlers.StatusAWSConsoleAction, handlers.StatusAzurePortalAction} {
		r.AddAction(Action{ID: id, Run: func(context.Context, Click) Outcome { return Outcome{} }})
	}
}
