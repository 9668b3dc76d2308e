package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Click is one decision click in the click journal: written before Slack
// gets the click's ack, removed once the decision is recorded and
// answered. Its fields are identifiers the caller has checked (format and
// length) and a bounded reason.
type Click struct {
	// ID is made by the caller, unique.
	ID        string
	Action    string
	RequestID string
	User      string
	Team      string
	Channel   string
	MessageTS string
	// Reason is a rejection's reason.
	Reason string
	// At is when the click was received.
	At time.Time
	// Attempts counts the times a worker or a replay took the click,
	// this one included (ClaimClicks, TakeClick).
	Attempts int
}

// Bounds of a journal row, also enforced by the table's CHECKs.
const (
	maxClickID     = 40
	maxClickReason = 3000
)

// JournalStore is the click journal. A click is taken (claimed) before it
// is worked on, so that a worker and a replay, in this or another process,
// never both apply it: a take lasts until stale, after which a replay may
// take the click again (its taker is presumed dead).
type JournalStore interface {
	// JournalClick records c; an ID already recorded is ErrExists.
	JournalClick(ctx context.Context, c Click) error
	// TakeClick takes the recorded click id for its worker at now; false
	// when it is gone (done) or was taken after stale (a replay has it).
	TakeClick(ctx context.Context, id string, now, stale time.Time) (bool, error)
	// ClaimClicks takes at now up to limit clicks received before stale
	// and not taken since stale, oldest first.
	ClaimClicks(ctx context.Context, now, stale time.Time, limit int) ([]Click, error)
	// ClickDone removes a click; removing one already gone is no error.
	ClickDone(ctx context.Context, id string) error
}

// checkClick bounds a row before the database sees it, with an error that
// names the field (the CHECKs say the same in each driver's words).
func checkClick(c Click) error {
	fields := []struct {
		name, v string
		max     int
	}{{"id", c.ID, maxClickID}, {"action", c.Action, 40}, {"request ID", c.RequestID, 40}, {"user", c.User, 32},
		{"team", c.Team, 32}, {"channel", c.Channel, 32}, {"message ts", c.MessageTS, 32}, {"reason", c.Reason, maxClickReason}}
	for _, f := range fields {
		if n := utf8.RuneCountInString(f.v); n > f.max {
			return fmt.Errorf("%s of %d characters (at most %d)", f.name, n, f.max)
		}
	}
	switch {
	case c.ID == "":
		return errors.New("empty id")
	case c.Action == "" || c.User == "":
		return errors.New("no action or user")
	}
	return nil
}

func (s *sqlStore) JournalClick(ctx context.Context, c Click) error {
	if err := checkClick(c); err != nil {
		return fmt.Errorf("store: journal click: %w", err)
	}
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO click_journal
			(id, action, request_id, user_id, team_id, channel, message_ts, reason, clicked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (id) DO NOTHING`,
			c.ID, c.Action, c.RequestID, c.User, c.Team, c.Channel, c.MessageTS, c.Reason, fmtTime(at))
		return inserted(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: journal click %s: %w", c.ID, err)
	}
	return nil
}

func (s *sqlStore) TakeClick(ctx context.Context, id string, now, stale time.Time) (bool, error) {
	var taken bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		// '' (never taken) sorts before every time.
		res, err := tx.ExecContext(ctx, `UPDATE click_journal SET claimed_at = $1, attempts = attempts + 1
			WHERE id = $2 AND claimed_at < $3`, fmtTime(now), id, fmtTime(stale))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		taken = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: take click %s: %w", id, err)
	}
	return taken, nil
}

func (s *sqlStore) ClaimClicks(ctx context.Context, now, stale time.Time, limit int) ([]Click, error) {
	var out []Click
	err := s.write(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT id, action, request_id, user_id, team_id, channel, message_ts, reason, clicked_at, attempts
			FROM click_journal WHERE clicked_at < $1 AND claimed_at < $1 ORDER BY clicked_at, id LIMIT $2`+s.d.lockRow,
			fmtTime(stale), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c Click
			var at string
			if err := rows.Scan(&c.ID, &c.Action, &c.RequestID, &c.User, &c.Team, &c.Channel, &c.MessageTS, &c.Reason, &at, &c.Attempts); err != nil {
				rows.Close()
				return err
			}
			if c.At, err = parseTime(at); err != nil {
				rows.Close()
				return fmt.Errorf("bad time of click %s: %w", c.ID, err)
			}
			c.Attempts++
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE click_journal SET claimed_at = $1, attempts = attempts + 1 WHERE id = $2`,
				fmtTime(now), c.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim clicks: %w", err)
	}
	return out, nil
}

func (s *sqlStore) ClickDone(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM click_journal WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: click %s done: %w", id, err)
	}
	return nil
}
