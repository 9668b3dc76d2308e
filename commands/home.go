package commands

import (
	"context"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/vpn"
)

// home is the App Home tab, built each time it is opened: every
// configured connection's verdict (from the live model under serve, so
// opening the tab costs no cloud read while it is fresh) and the open
// alerts from the store.
func home(svc *handlers.Service, d AlertDeps) HomeFunc {
	return func(ctx context.Context, _ string) View {
		var report vpn.Report
		var err error
		if svc != nil {
			report, err = svc.Status(ctx, nil)
		}
		var open []alerts.Alert
		var aerr error
		if d.Store != nil {
			// Alerts returns every open alert whatever its age: since now,
			// it reads no resolved ones only to drop them.
			var list []alerts.Alert
			list, aerr = d.Store.Alerts(ctx, d.now())
			for _, a := range list {
				if a.Open() {
					open = append(open, a)
				}
			}
		}
		return View{Blocks: handlers.HomeView(report, err, open, aerr, d.now())}
	}
}
