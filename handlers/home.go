package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/vpn"
)

// maxHomeConnections and maxHomeAlerts keep the Home tab within Slack's
// 100 blocks.
const (
	maxHomeConnections = 60
	maxHomeAlerts      = 20
)

// HomeView is the App Home tab: every configured connection's verdict,
// worst first, and the open alerts. statusErr and alertsErr, when set,
// are why the verdicts or the alerts could not be read: the other half is
// still shown, and a failed alerts read never passes for "No open alerts".
func HomeView(r vpn.Report, statusErr error, open []alerts.Alert, alertsErr error, now time.Time) []Block {
	blocks := []Block{heading(ToneNone, "doorbot: AWS ↔ Azure VPNs")}
	switch {
	case statusErr != nil:
		b := paragraph(ToneWarning, "The connections could not be read: "+statusErr.Error())
		b.Icon = IconSide
		blocks = append(blocks, b)
	case len(r.Connections) == 0:
		blocks = append(blocks, paragraph(ToneMuted, "No connections are configured."))
	default:
		if len(r.Connections) > 1 {
			blocks = append(blocks, rollUp(r.Connections)...)
		}
		conns := bySeverity(r.Connections)
		for i, c := range conns {
			if i == maxHomeConnections {
				blocks = append(blocks, notes(fmt.Sprintf("%d more: /door status", len(conns)-i)))
				break
			}
			b := detail(healthTone(c.Health), fmt.Sprintf("%s — %s%s", c.Name, strings.ToUpper(string(c.Health)), shortNotRead(c)), c.Summary)
			b.Icon = healthIcon(c.Health)
			blocks = append(blocks, b)
		}
	}
	blocks = append(blocks, Block{Kind: Divider})
	switch {
	case alertsErr != nil:
		b := paragraph(ToneWarning, "The alerts could not be read: "+alertsErr.Error())
		b.Icon = IconSide
		blocks = append(blocks, b)
	case len(open) == 0:
		b := paragraph(ToneGood, "No open alerts.")
		b.Icon = IconGood
		blocks = append(blocks, b)
	default:
		blocks = append(blocks, heading(ToneNone, fmt.Sprintf("Open alerts (%d)", len(open))))
		for i, a := range open {
			if i == maxHomeAlerts {
				blocks = append(blocks, notes(fmt.Sprintf("%d more: /door alerts", len(open)-i)))
				break
			}
			f := Block{Kind: Fields, Tone: alertTone(a), Icon: alertIcon(a), Lines: []string{fmt.Sprintf("%s — %s", a.Connection, alertTitle(a))}, Fields: []Field{
				{Label: "State", Value: string(a.State)},
				{Label: "Since", Value: a.Since.UTC().Format(time.RFC3339), At: a.Since.UTC().Format(time.RFC3339)},
				{Label: "For", Value: alerts.Human(a.Duration(now))},
			}}
			if a.AckedBy != "" {
				f.Fields = append(f.Fields, Field{Label: "Acknowledged by", Value: "@" + a.AckedBy, Person: a.AckedBy})
			}
			blocks = append(blocks, f)
		}
	}
	foot := notes("/door status NAME for tunnels and fixes · /door alerts for recent ones")
	if r.GeneratedAt != "" {
		foot.Fields = reportTime("as of", r)
	}
	return append(blocks, foot)
}
