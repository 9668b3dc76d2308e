package handlers

import (
	"fmt"
	"time"

	"github.com/doorbot/doorbot/alerts"
)

// History is doorbot history's answer (--output json): each tunnel's
// observed state changes over a window, how long each state lasted, the
// time spent down and the number of times it went down.
type History struct {
	Connection string          `json:"connection"`
	Since      time.Time       `json:"since"`
	Until      time.Time       `json:"until"`
	Tunnels    []TunnelHistory `json:"tunnels"`
}

// TunnelHistory is one tunnel's part of History.
type TunnelHistory struct {
	Tunnel string `json:"tunnel"` // its key: AWS outside IP, else azure:NAME
	Label  string `json:"label"`
	// State is the last observed state ("unknown" before any).
	State alerts.TunnelState `json:"state"`
	// StateSince is when State began.
	StateSince time.Time     `json:"state_since,omitzero"`
	Changes    []StateChange `json:"changes"`
	Downs      int           `json:"downs"` // times it went down in the window: the flap count
	DownFor    string        `json:"down_for"`
	DownSecs   float64       `json:"down_seconds"`
	Flapping   bool          `json:"flapping,omitempty"`
	downTotal  time.Duration
}

// StateChange is one observed change and how long the new state lasted.
type StateChange struct {
	At     time.Time          `json:"at"`
	From   alerts.TunnelState `json:"from"`
	To     alerts.TunnelState `json:"to"`
	Source string             `json:"source"`
	Lasted string             `json:"lasted"`
	Secs   float64            `json:"lasted_seconds"`
}

// BuildHistory folds stored changes (the last change before since per
// tunnel, then every change in the window, oldest first) into History.
func BuildHistory(connection string, changes []alerts.TunnelChange, since, now time.Time) History {
	h := History{Connection: connection, Since: since.UTC(), Until: now.UTC(), Tunnels: []TunnelHistory{}}
	idx := map[string]int{}
	for _, c := range changes {
		i, ok := idx[c.Key]
		if !ok {
			i = len(h.Tunnels)
			idx[c.Key] = i
			h.Tunnels = append(h.Tunnels, TunnelHistory{Tunnel: c.Key, Label: c.Label, State: alerts.Unknown, Changes: []StateChange{}})
		}
		t := &h.Tunnels[i]
		t.Label = c.Label
		if c.At.Before(since) {
			// The state the window starts in.
			t.State, t.StateSince = c.To, c.At
			continue
		}
		t.close(c.At, since)
		t.State, t.StateSince = c.To, c.At
		if c.To == alerts.Down {
			t.Downs++
		}
		t.Changes = append(t.Changes, StateChange{At: c.At.UTC(), From: c.From, To: c.To, Source: c.Source})
	}
	for i := range h.Tunnels {
		t := &h.Tunnels[i]
		t.close(now, since)
		if n := len(t.Changes); n > 0 {
			d := now.Sub(t.Changes[n-1].At)
			t.Changes[n-1].Lasted = alerts.Human(d) + " (so far)"
			t.Changes[n-1].Secs = d.Seconds()
		}
		t.DownFor, t.DownSecs = alerts.Human(t.downTotal), t.downTotal.Seconds()
	}
	return h
}

// close ends the current state at end: the previous change's duration and
// the time down inside the window.
func (t *TunnelHistory) close(end, since time.Time) {
	start := t.StateSince
	if start.Before(since) {
		start = since
	}
	if t.State == alerts.Down && end.After(start) {
		t.downTotal += end.Sub(start)
	}
	if n := len(t.Changes); n > 0 && t.Changes[n-1].Lasted == "" {
		d := end.Sub(t.Changes[n-1].At)
		t.Changes[n-1].Lasted, t.Changes[n-1].Secs = alerts.Human(d), d.Seconds()
	}
}

// HistoryReply renders History for people: per tunnel a line with the
// current state, the flap count and the time down, then its changes.
func HistoryReply(h History, now time.Time) Reply {
	title := fmt.Sprintf("%s: tunnel history since %s (%s)", h.Connection, h.Since.Format("2006-01-02 15:04 MST"), alerts.Human(now.Sub(h.Since)))
	rep := Reply{Text: title, Blocks: []Block{heading(ToneNone, title)}}
	if len(h.Tunnels) == 0 {
		rep.Blocks = append(rep.Blocks, paragraph(ToneMuted, "No observations stored yet: the watcher records them (doorbot serve with alerts.channel set)."))
		return rep
	}
	for _, t := range h.Tunnels {
		line := fmt.Sprintf("%s: %s", t.Label, t.State)
		if !t.StateSince.IsZero() {
			line += fmt.Sprintf(" for %s", alerts.Human(now.Sub(t.StateSince)))
		}
		line += fmt.Sprintf(" · went down %d time(s) · down %s in the window", t.Downs, t.DownFor)
		tone := ToneGood
		if t.State == alerts.Down {
			tone = ToneBad
		} else if t.Downs > 0 {
			tone = ToneWarning
		}
		rep.Blocks = append(rep.Blocks, paragraph(tone, line))
		if len(t.Changes) > 0 {
			tb := Block{Kind: Table, Columns: []string{"at", "change", "lasted", "seen"}}
			for _, c := range t.Changes {
				tb.Rows = append(tb.Rows, []string{c.At.Format("01-02 15:04:05"), fmt.Sprintf("%s → %s", c.From, c.To), c.Lasted, dash(c.Source)})
			}
			rep.Blocks = append(rep.Blocks, tb)
		}
	}
	return rep
}
