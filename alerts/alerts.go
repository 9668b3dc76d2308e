// Package alerts is the alert state machine (docs/alerts.md): per connection
// and per tunnel it turns a stream of observations into alerts and the
// messages they need (post a root, edit it, reply in its thread, broadcast
// the recovery, or reply in a change thread instead of paging). It decides;
// it knows nothing of Slack, SQL or the clock: the time of every step comes
// in with the step, so tests drive it with a fake clock.
//
// The rules, in the order they apply to one observation:
//   - A side that could not be read is neither down nor recovered: a tunnel
//     whose read sides all say up while another side is unread is unknown
//     for that observation, and unknown observations neither count toward a
//     change nor enter the flap history. After UnobservedAfter failed reads
//     in a row the side is an "unobserved" alert of its own, naming the
//     error.
//   - Debounce: a tunnel's state changes after Debounce consecutive
//     observations of the new state.
//   - Flapping (Nagios): the weighted percent state change over the last
//     Window raw observations, recent changes weighing more (0.8 to 1.2);
//     a tunnel starts flapping at >= High and stops at <= Low. While any
//     tunnel flaps the connection has one "flapping" alert and its tunnels'
//     changes are not announced one by one.
//   - One incident alert per connection: "down" when every tunnel is down,
//     "degraded" when some are (down covers degraded: never two alerts).
//     Escalation and de-escalation edit the same alert; it resolves when no
//     tunnel is down and none flaps.
//   - A firing alert nobody acknowledged repeats every Repeat; Acknowledge
//     records who and when and stops repeats; Silence mutes for an hour.
//   - While an approved change of the connection is inside its window, the
//     alert's messages go to the change thread instead of paging.
//
// Bytes are no input: a static standby carries none by design.
package alerts

import (
	"time"
)

// Kind of alert (docs/alerts.md, interface).
type Kind string

const (
	KindDown       Kind = "down"
	KindDegraded   Kind = "degraded"
	KindFlapping   Kind = "flapping"
	KindUnobserved Kind = "unobserved"
)

// State of an alert (docs/alerts.md, interface).
type State string

const (
	Firing       State = "firing"
	Acknowledged State = "acknowledged"
	Silenced     State = "silenced"
	Resolved     State = "resolved"
)

// TunnelState is one tunnel's state as observed or as confirmed.
type TunnelState string

const (
	Up   TunnelState = "up"
	Down TunnelState = "down"
	// Unknown: not observed (a side unread), or not yet confirmed.
	Unknown TunnelState = "unknown"
)

// Settings are the alerts: keys of the config (docs/configuration.md).
type Settings struct {
	Debounce        int           // consecutive observations before a change counts (>= 1)
	Repeat          time.Duration // re-notify a firing, unacknowledged alert; 0 never
	UnobservedAfter int           // consecutive failed reads of a side before an unobserved alert
	FlapWindow      int           // observations in the flap history (>= 2)
	FlapHigh        float64       // percent: start flapping at >= High
	FlapLow         float64       // percent: stop flapping at <= Low
	// SilenceFor is how long Silence mutes; 0 means one hour.
	SilenceFor time.Duration
}

// DefaultSettings are the defaults of docs/configuration.md.
func DefaultSettings() Settings {
	return Settings{Debounce: 2, Repeat: time.Hour, UnobservedAfter: 5, FlapWindow: 21, FlapHigh: 20, FlapLow: 5, SilenceFor: time.Hour}
}

func (s Settings) silence() time.Duration {
	if s.SilenceFor <= 0 {
		return time.Hour
	}
	return s.SilenceFor
}

// Sample is one observation of one connection, reduced to what alerting
// looks at, plus the words a message about it needs.
type Sample struct {
	At      time.Time
	Tunnels []TunnelSample
	// Sides are the sides doorbot is expected to read for this connection
	// (a SORACOM Door connection has no AWS side), read or not.
	Sides []SideSample
	// Context is what a message says about the connection right now.
	Context Context
}

// TunnelSample is one tunnel in one observation.
type TunnelSample struct {
	// Key identifies the tunnel across observations (its AWS outside IP,
	// else its Azure connection name).
	Key   string
	Index int
	// Label is how people name it: "tunnel 2 (203.0.113.11)".
	Label string
	State TunnelState
	// Since is when the cloud says the tunnel last changed state (AWS
	// LastStatusChange); zero when no side reports it.
	Since time.Time
	// Detail says what each side reported: "AWS DOWN, Azure NotConnected".
	Detail string
}

// SideSample is one cloud's read in one observation.
type SideSample struct {
	Cloud string
	Read  bool
	Error string // why the read failed (the observer's hint), when !Read
}

// Context is what an alert message says besides its state: the summary
// line, the likely causes and the next command. The engine copies the
// newest context of a connection onto its open alerts.
type Context struct {
	Summary string `json:"summary,omitempty"`
	// Evidence is one line per tunnel not up: what each side says and
	// since when the cloud says so.
	Evidence []string `json:"evidence,omitempty"`
	Causes   []string `json:"causes,omitempty"`
	Next     string   `json:"next,omitempty"`
}

// Change is an approved change request whose window is open: alerts of
// its connection go to its thread instead of paging.
type Change struct {
	ID       string `json:"id"`
	Channel  string `json:"channel,omitempty"`
	ThreadTS string `json:"thread_ts,omitempty"`
}

// Alert is one alert: an incident of a connection (down, degraded,
// flapping) or an unreadable side (unobserved).
type Alert struct {
	ID         string    `json:"id"`
	Connection string    `json:"connection"`
	Kind       Kind      `json:"kind"`
	State      State     `json:"state"`
	Since      time.Time `json:"since"`     // when the problem began
	OpenedAt   time.Time `json:"opened_at"` // when doorbot confirmed it
	// Tunnels are the labels of the tunnels down (or flapping) now.
	Tunnels []string `json:"tunnels"`
	// Error names what could not be read (unobserved alerts).
	Error   string  `json:"error,omitempty"`
	Context Context `json:"context"`

	AckedBy       string    `json:"acked_by"`
	AckedAt       time.Time `json:"acked_at,omitzero"`
	SilencedBy    string    `json:"silenced_by,omitempty"`
	SilencedUntil time.Time `json:"silenced_until,omitzero"`
	LastNotified  time.Time `json:"last_notified,omitzero"`
	ResolvedAt    time.Time `json:"resolved_at,omitzero"`

	// Rooted is true once a root message was asked for; until then (an
	// alert opened inside a change window) its messages go to the change
	// thread only.
	Rooted bool `json:"rooted"`
	// Change is the change whose thread the alert was routed to, if any.
	Change string `json:"change,omitempty"`
	// Channel and TS are the root message, filled in by delivery.
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// Seq counts the alert's transitions; delivery keys messages on it.
	Seq int `json:"seq"`
}

// Open reports whether the alert still fires in some form.
func (a *Alert) Open() bool { return a != nil && a.State != Resolved }

// Duration is how long the problem lasted, up to now or its resolution.
func (a *Alert) Duration(now time.Time) time.Duration {
	end := now
	if !a.ResolvedAt.IsZero() {
		end = a.ResolvedAt
	}
	return end.Sub(a.Since)
}
