package commands

import (
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/handlers"
)

// Deps are what doorbot's commands run on.
type Deps struct {
	Service *handlers.Service
	// Changes is the change-approval workflow; nil leaves /door change
	// refusing with what to configure.
	Changes *changes.Service
	// Alerts serves /door alerts, /door history and the alert buttons.
	Alerts AlertDeps
}

// New registers every command, button and form of doorbot, in the order
// help lists them. Adding one is a file of its own and a line here.
func New(d Deps) *Registry {
	r := NewRegistry()
	if d.Service != nil {
		r.names = func() []string {
			names := make([]string, len(d.Service.Connections))
			for i, c := range d.Service.Connections {
				names[i] = c.Name
			}
			return names
		}
	}
	r.Add(statusCommand(r, d.Service))
	r.Add(whyCommand(r, d.Service))
	r.Add(validateCommand(r, d.Service))
	r.Add(runbookCommand(r, d.Service))
	r.Add(changeCommand(r, d))
	r.Add(alertsCommand(r, d.Alerts))
	r.Add(historyCommand(r, d.Service, d.Alerts))
	r.Add(helpCommand(r))
	r.AddSubmission(validateSubmission(r, d.Service))
	addChangeHandlers(r, d)
	addAlertActions(r, d.Alerts)
	addStatusActions(r, d.Service)
	r.SetHome(home(d.Service, d.Alerts))
	return r
}
