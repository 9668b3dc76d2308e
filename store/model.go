package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// ModelStore shares the live model between replicas: the leader's
// background reader writes every connection's latest observation and the
// other replicas answer status from it instead of reading the clouds
// themselves, so that N replicas cost the clouds one reader's reads.
type ModelStore interface {
	PutObservations(ctx context.Context, obs []vpn.Observation, at time.Time) error
	// EachObservation calls fn with every stored observation and the time
	// it was read, in order of connection name.
	EachObservation(ctx context.Context, fn func(o vpn.Observation, at time.Time)) error
}

// PutObservations records obs, read at at. A row already newer than at
// is kept: a replica's explicit read that finished after the leader's
// cycle must not be overwritten by that older cycle, nor the reverse.
func (s *sqlStore) PutObservations(ctx context.Context, obs []vpn.Observation, at time.Time) error {
	if len(obs) == 0 {
		return nil
	}
	bodies := make([]string, len(obs))
	for i, o := range obs {
		b, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("store: put observation of %s: %w", o.Connection.Name, err)
		}
		bodies[i] = string(b)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		for i, o := range obs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO live_observations (connection, observed_at, body) VALUES ($1, $2, $3)
				ON CONFLICT (connection) DO UPDATE SET observed_at = excluded.observed_at, body = excluded.body
				WHERE live_observations.observed_at < excluded.observed_at`,
				o.Connection.Name, fmtTime(at), bodies[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: put observations: %w", err)
	}
	return nil
}

// EachObservation calls fn with every stored observation. A row that does
// not decode fails the whole read: a replica answers from a model it can
// trust or reads the clouds itself.
func (s *sqlStore) EachObservation(ctx context.Context, fn func(o vpn.Observation, at time.Time)) error {
	rows, err := s.db.QueryContext(ctx, `SELECT connection, observed_at, body FROM live_observations ORDER BY connection`)
	if err != nil {
		return fmt.Errorf("store: observations: %w", err)
	}
	defer rows.Close()
	type row struct {
		obs vpn.Observation
		at  time.Time
	}
	var out []row
	for rows.Next() {
		var name, at, body string
		if err := rows.Scan(&name, &at, &body); err != nil {
			return fmt.Errorf("store: observations: %w", err)
		}
		var r row
		if r.at, err = parseTime(at); err != nil {
			return fmt.Errorf("store: observations: bad time of %s: %w", name, err)
		}
		if err := json.Unmarshal([]byte(body), &r.obs); err != nil {
			return fmt.Errorf("store: observations: corrupt observation of %s: %w", name, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: observations: %w", err)
	}
	for _, r := range out {
		fn(r.obs, r.at)
	}
	return nil
}
