package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/doorbot/doorbot/alerts"
)

// Message states of the alert outbox.
const (
	MessagePending = "pending"
	MessageSending = "sending"
	MessageSent    = "sent"
)

// AlertMessage is one message about an alert, written before it is sent.
type AlertMessage struct {
	// ID is alert ID / transition / delivery: the same transition written
	// twice (a retried step, a second leader) is one row.
	ID       string
	AlertID  string
	Seq      int
	Delivery alerts.Delivery
	Event    alerts.Event
	// Channel and ThreadTS address change-thread replies; root messages go
	// to the alert's channel and replies to its root.
	Channel  string
	ThreadTS string
	// Body is the rendered message (JSON), opaque to the store.
	Body      string
	State     string
	Attempts  int
	LastError string
	CreatedAt time.Time
	NextAt    time.Time
	SentAt    time.Time
	TS        string
}

// MessageID names the message of one transition of an alert.
func MessageID(alertID string, seq int, d alerts.Delivery) string {
	return fmt.Sprintf("%s/%d/%s", alertID, seq, d)
}

// AlertStep is what one decision of the alert engine writes besides the
// connection's state: its messages and the tunnel changes it saw.
type AlertStep struct {
	Messages []AlertMessage
	Changes  []alerts.TunnelChange
}

// TunnelChange is one stored tunnel state change.
type TunnelChange struct {
	Connection string
	alerts.TunnelChange
}

// UpdateAlerts runs step on the stored state of connection (a fresh one
// when there is none) inside one write transaction that no other writer of
// that connection can overtake, and writes the new state, its alerts, the
// step's messages and tunnel changes atomically. If step fails nothing is
// written and its error is returned as is. step may run more than once.
func (s *sqlStore) UpdateAlerts(ctx context.Context, connection string, at time.Time,
	step func(c *alerts.Connection) (AlertStep, error)) (alerts.Connection, error) {
	var out alerts.Connection
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_connections (connection, version, updated_at, body)
			VALUES ($1, 0, $2, $3) ON CONFLICT (connection) DO NOTHING`,
			connection, fmtTime(at), `{"name":`+jsonString(connection)+`}`); err != nil {
			return err
		}
		var body string
		var version int
		if err := tx.QueryRowContext(ctx, `SELECT body, version FROM alert_connections WHERE connection = $1`+s.d.lockRow,
			connection).Scan(&body, &version); err != nil {
			return err
		}
		var c alerts.Connection
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return fmt.Errorf("corrupt alert state of %s: %w", connection, err)
		}
		if err := fillRoots(ctx, tx, &c); err != nil {
			return err
		}
		st, err := step(&c)
		if err != nil {
			return decideError{err}
		}
		nb, err := json.Marshal(c)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE alert_connections SET version = $1, updated_at = $2, body = $3
			WHERE connection = $4 AND version = $5`, version+1, fmtTime(at), string(nb), connection, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("alert state of %s changed underneath the transaction", connection)
		}
		for _, a := range []*alerts.Alert{c.Incident, c.Blind} {
			if a != nil {
				if err := upsertAlert(ctx, tx, *a); err != nil {
					return err
				}
			}
		}
		for i, m := range st.Messages {
			if err := insertMessage(ctx, tx, m, i, at); err != nil {
				return err
			}
		}
		for _, ch := range st.Changes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tunnel_changes (connection, tunnel, label, from_state, to_state, at, source)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				connection, ch.Key, ch.Label, string(ch.From), string(ch.To), fmtTime(ch.At), ch.Source); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	if err := decided(err, "alerts of "+connection); err != nil {
		return alerts.Connection{}, err
	}
	return out, nil
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fillRoots copies the posted root (channel, ts) of the connection's
// alerts from the alerts table: delivery records it there, outside the
// engine's state.
func fillRoots(ctx context.Context, q queryer, c *alerts.Connection) error {
	for _, a := range []*alerts.Alert{c.Incident, c.Blind} {
		if a == nil {
			continue
		}
		var ch, ts string
		err := q.QueryRowContext(ctx, `SELECT channel, ts FROM alerts WHERE id = $1`, a.ID).Scan(&ch, &ts)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		a.Channel, a.TS = ch, ts
	}
	return nil
}

func upsertAlert(ctx context.Context, tx *sql.Tx, a alerts.Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	// channel and ts are set by SetAlertRoot only.
	_, err = tx.ExecContext(ctx, `INSERT INTO alerts (id, connection, kind, state, since, opened_at, resolved_at, acked_by, channel, ts, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', '', $9)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, state = excluded.state, since = excluded.since,
			resolved_at = excluded.resolved_at, acked_by = excluded.acked_by, body = excluded.body`,
		a.ID, a.Connection, string(a.Kind), string(a.State), fmtTime(a.Since), fmtTime(a.OpenedAt),
		optTime(a.ResolvedAt), a.AckedBy, string(body))
	return err
}

func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtTime(t)
}

func insertMessage(ctx context.Context, tx *sql.Tx, m AlertMessage, pos int, at time.Time) error {
	if m.ID == "" {
		m.ID = MessageID(m.AlertID, m.Seq, m.Delivery)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_messages
		(id, alert_id, seq, delivery, pos, event, channel, thread_ts, body, state, attempts, last_error, created_at, next_at, sent_at, ts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, '', $11, $11, '', '')
		ON CONFLICT (id) DO NOTHING`,
		m.ID, m.AlertID, m.Seq, string(m.Delivery), pos, string(m.Event), m.Channel, m.ThreadTS, m.Body, MessagePending, fmtTime(at))
	return err
}

// AlertStates returns the stored state of every connection.
func (s *sqlStore) AlertStates(ctx context.Context) ([]alerts.Connection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT connection, body FROM alert_connections ORDER BY connection`)
	if err != nil {
		return nil, fmt.Errorf("store: alert states: %w", err)
	}
	defer rows.Close()
	var out []alerts.Connection
	for rows.Next() {
		var name, body string
		if err := rows.Scan(&name, &body); err != nil {
			return nil, fmt.Errorf("store: alert states: %w", err)
		}
		var c alerts.Connection
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return nil, fmt.Errorf("store: alert states: corrupt state of %s: %w", name, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: alert states: %w", err)
	}
	for i := range out {
		if err := fillRoots(ctx, s.db, &out[i]); err != nil {
			return nil, fmt.Errorf("store: alert states: %w", err)
		}
	}
	return out, nil
}

// Alerts returns alerts opened at or after since, and every open one,
// newest first.
func (s *sqlStore) Alerts(ctx context.Context, since time.Time) ([]alerts.Alert, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body, channel, ts FROM alerts
		WHERE opened_at >= $1 OR state <> $2 ORDER BY opened_at DESC, id DESC`, fmtTime(since), string(alerts.Resolved))
	if err != nil {
		return nil, fmt.Errorf("store: alerts: %w", err)
	}
	defer rows.Close()
	out := []alerts.Alert{}
	for rows.Next() {
		var body, ch, ts string
		if err := rows.Scan(&body, &ch, &ts); err != nil {
			return nil, fmt.Errorf("store: alerts: %w", err)
		}
		var a alerts.Alert
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, fmt.Errorf("store: alerts: corrupt alert: %w", err)
		}
		a.Channel, a.TS = ch, ts
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: alerts: %w", err)
	}
	return out, nil
}

// AlertConnection returns the connection an alert belongs to.
func (s *sqlStore) AlertConnection(ctx context.Context, id string) (string, error) {
	var conn string
	err := s.db.QueryRowContext(ctx, `SELECT connection FROM alerts WHERE id = $1`, id).Scan(&conn)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: alert %s: %w", id, ErrAlertNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: alert %s: %w", id, err)
	}
	return conn, nil
}

// ErrAlertNotFound is returned (wrapped) for an unknown alert ID.
var ErrAlertNotFound = errors.New("alert not found")

// ClaimMessages marks up to limit due messages as being sent and returns
// them, oldest first, at most one per alert (its oldest unsent one). A message left "sending" by a process that died is
// claimed again after stale: never lost, at worst sent twice after a crash
// in the middle of a post.
func (s *sqlStore) ClaimMessages(ctx context.Context, now time.Time, stale time.Duration, limit int) ([]AlertMessage, error) {
	var out []AlertMessage
	err := s.write(ctx, func(tx *sql.Tx) error {
		out = nil
		// Only the first unsent message of each alert: an edit never
		// overtakes the post it edits, a resolution never the escalation.
		rows, err := tx.QueryContext(ctx, `SELECT id, alert_id, seq, delivery, event, channel, thread_ts, body, state, attempts, last_error, created_at, next_at
			FROM alert_messages m
			WHERE ((state = $1 AND next_at <= $2) OR (state = $3 AND next_at <= $4))
			AND NOT EXISTS (SELECT 1 FROM alert_messages e WHERE e.alert_id = m.alert_id AND e.state <> $6
				AND (e.seq < m.seq OR (e.seq = m.seq AND e.pos < m.pos)))
			ORDER BY created_at, alert_id, seq, pos LIMIT $5`+s.d.lockRow,
			MessagePending, fmtTime(now), MessageSending, fmtTime(now.Add(-stale)), limit, MessageSent)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m AlertMessage
			var created, next, delivery, event string
			if err := rows.Scan(&m.ID, &m.AlertID, &m.Seq, &delivery, &event, &m.Channel, &m.ThreadTS, &m.Body, &m.State, &m.Attempts, &m.LastError, &created, &next); err != nil {
				rows.Close()
				return err
			}
			m.Delivery, m.Event = alerts.Delivery(delivery), alerts.Event(event)
			m.CreatedAt, _ = parseTime(created)
			m.NextAt, _ = parseTime(next)
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE alert_messages SET state = $1, next_at = $2 WHERE id = $3`,
				MessageSending, fmtTime(now), m.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim alert messages: %w", err)
	}
	return out, nil
}

// MessageSent records a sent message; for a root message it also records
// the alert's channel and ts, which every later edit and reply uses.
func (s *sqlStore) MessageSent(ctx context.Context, m AlertMessage, channel, ts string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE alert_messages SET state = $1, sent_at = $2, ts = $3, last_error = '' WHERE id = $4`,
			MessageSent, fmtTime(at), ts, m.ID); err != nil {
			return err
		}
		if m.Delivery == alerts.PostRoot {
			_, err := tx.ExecContext(ctx, `UPDATE alerts SET channel = $1, ts = $2 WHERE id = $3`, channel, ts, m.AlertID)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: message %s sent: %w", m.ID, err)
	}
	return nil
}

// MessageFailed puts a message back in the queue, not before next.
func (s *sqlStore) MessageFailed(ctx context.Context, m AlertMessage, reason string, next time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE alert_messages SET state = $1, attempts = attempts + 1, last_error = $2, next_at = $3 WHERE id = $4`,
			MessagePending, reason, fmtTime(next), m.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: message %s failed: %w", m.ID, err)
	}
	return nil
}

// AlertRoot returns the root message of an alert ("" until posted).
func (s *sqlStore) AlertRoot(ctx context.Context, id string) (channel, ts string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT channel, ts FROM alerts WHERE id = $1`, id).Scan(&channel, &ts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("store: alert %s: %w", id, ErrAlertNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("store: alert %s: %w", id, err)
	}
	return channel, ts, nil
}

// UnsentMessages counts messages not yet sent (pending or sending), and
// the oldest one's last error: a queue that does not drain is visible.
func (s *sqlStore) UnsentMessages(ctx context.Context) (int, string, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM alert_messages WHERE state <> $1`, MessageSent).Scan(&n); err != nil {
		return 0, "", fmt.Errorf("store: unsent messages: %w", err)
	}
	var last string
	err := s.db.QueryRowContext(ctx, `SELECT last_error FROM alert_messages WHERE state <> $1 AND last_error <> '' ORDER BY created_at LIMIT 1`, MessageSent).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("store: unsent messages: %w", err)
	}
	return n, last, nil
}

// TunnelChanges returns a connection's tunnel state changes at or after
// since, oldest first, plus the last change before since (so that the
// state at the start of the window is known).
func (s *sqlStore) TunnelChanges(ctx context.Context, connection string, since time.Time) ([]TunnelChange, error) {
	q := func(query string, args ...any) ([]TunnelChange, error) {
		rows, err := s.db.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []TunnelChange
		for rows.Next() {
			var c TunnelChange
			var from, to, at string
			if err := rows.Scan(&c.Connection, &c.Key, &c.Label, &from, &to, &at, &c.Source); err != nil {
				return nil, err
			}
			c.From, c.To = alerts.TunnelState(from), alerts.TunnelState(to)
			if c.At, err = parseTime(at); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	const cols = `SELECT connection, tunnel, label, from_state, to_state, at, source FROM tunnel_changes`
	before, err := q(cols+` WHERE connection = $1 AND at < $2 AND seq IN
		(SELECT MAX(seq) FROM tunnel_changes WHERE connection = $1 AND at < $2 GROUP BY tunnel) ORDER BY at, seq`, connection, fmtTime(since))
	if err != nil {
		return nil, fmt.Errorf("store: tunnel changes of %s: %w", connection, err)
	}
	after, err := q(cols+` WHERE connection = $1 AND at >= $2 ORDER BY at, seq`, connection, fmtTime(since))
	if err != nil {
		return nil, fmt.Errorf("store: tunnel changes of %s: %w", connection, err)
	}
	return append(before, after...), nil
}
