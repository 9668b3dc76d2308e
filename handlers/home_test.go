package handlers_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/alerts"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/vpn"
)

func TestHomeView(t *testing.T) {
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	rep := vpn.NewReport(now, []vpn.ConnectionStatus{
		{Name: "a-ok", Health: vpn.Healthy, Summary: "2 of 2 up", Observed: vpn.ObservedSides{AWS: true, Azure: true}},
		{Name: "b-down", Health: vpn.Down, Summary: "0 of 2 up", Observed: vpn.ObservedSides{AWS: true, Azure: true}},
	})
	open := []alerts.Alert{{ID: "AL-1", Connection: "b-down", Kind: alerts.KindDown, State: alerts.Firing, Since: now.Add(-90 * time.Minute)}}
	out := renderText(t, handlers.Reply{Blocks: handlers.HomeView(rep, nil, open, nil, now)})
	for _, w := range []string{"2 connections: 1 down, 1 healthy", "✗ b-down — DOWN", "Open alerts (1)", "b-down — ", "Since: 2026-11-25T01:30:00Z", "For: 1h30m"} {
		if !strings.Contains(out, w) {
			t.Errorf("home lacks %q:\n%s", w, out)
		}
	}
	if strings.Index(out, "b-down — DOWN") > strings.Index(out, "a-ok — HEALTHY") {
		t.Errorf("not worst first:\n%s", out)
	}
	failed := renderText(t, handlers.Reply{Blocks: handlers.HomeView(vpn.Report{}, errors.New("status deadline passed"), nil, nil, now)})
	if !strings.Contains(failed, "could not be read: status deadline passed") || !strings.Contains(failed, "No open alerts") {
		t.Errorf("home with a failed read:\n%s", failed)
	}
	// A store that cannot be read says so instead of an all-clear.
	noStore := renderText(t, handlers.Reply{Blocks: handlers.HomeView(rep, nil, nil, errors.New("store: connection refused"), now)})
	if !strings.Contains(noStore, "The alerts could not be read: store: connection refused") || strings.Contains(noStore, "No open alerts") ||
		!strings.Contains(noStore, "b-down — DOWN") {
		t.Errorf("home with a failed alerts read:\n%s", noStore)
	}
}
