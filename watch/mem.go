package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/store"
)

// memStore keeps the engine's state in memory for doorbot watch, which
// sends nothing and must not step the state a running serve keeps in the
// shared store.
type memStore struct {
	mu    sync.Mutex
	conns map[string][]byte
	conn  map[string]string // alert ID → connection
}

func newMemStore() *memStore {
	return &memStore{conns: map[string][]byte{}, conn: map[string]string{}}
}

func (m *memStore) UpdateAlerts(_ context.Context, connection string, _ time.Time, step func(c *alerts.Connection) (store.AlertStep, error)) (alerts.Connection, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := alerts.Connection{Name: connection}
	if raw, ok := m.conns[connection]; ok {
		if err := json.Unmarshal(raw, &c); err != nil {
			return alerts.Connection{}, err
		}
	}
	if _, err := step(&c); err != nil {
		return alerts.Connection{}, err
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return alerts.Connection{}, err
	}
	m.conns[connection] = raw
	for _, a := range []*alerts.Alert{c.Incident, c.Blind} {
		if a != nil {
			m.conn[a.ID] = connection
		}
	}
	return c, nil
}

func (m *memStore) AlertConnection(_ context.Context, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.conn[id]; ok {
		return c, nil
	}
	return "", fmt.Errorf("alert %s: %w", id, store.ErrAlertNotFound)
}

func (m *memStore) AlertRoot(context.Context, string) (string, string, error) { return "", "", nil }
func (m *memStore) ClaimMessages(context.Context, time.Time, time.Duration, int) ([]store.AlertMessage, error) {
	return nil, nil
}
func (m *memStore) MessageSent(context.Context, store.AlertMessage, string, string, time.Time) error {
	return nil
}
func (m *memStore) MessageFailed(context.Context, store.AlertMessage, string, time.Time) error {
	return nil
}
