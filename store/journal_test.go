package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestClickJournal(t *testing.T) { eachDriver(t, testClickJournal) }

// A journaled click is taken by one worker or one replay at a time, taken
// again by a replay only once its taker's take is stale, and gone when
// done; oversize rows are refused before the database sees them.
func testClickJournal(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	s := openTest(t, driver, dsn)
	t0 := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	c := Click{ID: "K1", Action: "change_approve", RequestID: "CR-0123456789", User: "UAPP1", Team: "T1",
		Channel: "C0APPROVALS", MessageTS: "1700000000.000001", At: t0}
	if err := s.JournalClick(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.JournalClick(ctx, c); !errors.Is(err, ErrExists) {
		t.Errorf("the same click twice: %v, want ErrExists", err)
	}
	// Too young for a replay.
	if got, err := s.ClaimClicks(ctx, t0.Add(time.Second), t0, 10); err != nil || len(got) != 0 {
		t.Fatalf("claimed a click younger than the grace: %+v %v", got, err)
	}
	// Its worker takes it; a second take within the grace fails.
	if ok, err := s.TakeClick(ctx, "K1", t0.Add(time.Second), t0); !ok || err != nil {
		t.Fatalf("worker's take: %v %v", ok, err)
	}
	if ok, _ := s.TakeClick(ctx, "K1", t0.Add(2*time.Second), t0); ok {
		t.Error("taken twice within the grace")
	}
	if got, _ := s.ClaimClicks(ctx, t0.Add(time.Minute), t0.Add(time.Second/2), 10); len(got) != 0 {
		t.Errorf("a replay took a click its worker holds: %+v", got)
	}
	// The worker died: past the grace a replay takes it, once.
	got, err := s.ClaimClicks(ctx, t0.Add(5*time.Minute), t0.Add(3*time.Minute), 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("replay claimed %+v, %v", got, err)
	}
	want := c
	want.Attempts = 2
	if g := got[0]; g.ID != want.ID || g.Action != want.Action || g.RequestID != want.RequestID || g.User != want.User ||
		g.Team != want.Team || g.Channel != want.Channel || g.MessageTS != want.MessageTS || !g.At.Equal(t0) || g.Attempts != 2 {
		t.Errorf("claimed %+v, want %+v", g, want)
	}
	if again, _ := s.ClaimClicks(ctx, t0.Add(5*time.Minute), t0.Add(3*time.Minute), 10); len(again) != 0 {
		t.Errorf("claimed twice: %+v", again)
	}
	if ok, _ := s.TakeClick(ctx, "K1", t0.Add(6*time.Minute), t0.Add(3*time.Minute)); ok {
		t.Error("a late worker took a click a replay holds")
	}
	if err := s.ClickDone(ctx, "K1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClickDone(ctx, "K1"); err != nil {
		t.Errorf("done twice: %v", err)
	}
	if got, _ := s.ClaimClicks(ctx, t0.Add(time.Hour), t0.Add(time.Hour), 10); len(got) != 0 {
		t.Errorf("a done click came back: %+v", got)
	}

	for _, bad := range []Click{
		{ID: "K2", Action: "change_reject", User: "UAPP1", RequestID: "CR-0123456789", Reason: strings.Repeat("x", 3001)},
		{ID: strings.Repeat("K", 41), Action: "change_approve", User: "UAPP1"},
		{ID: "K3", Action: "change_approve", User: strings.Repeat("U", 200000)},
		{Action: "change_approve", User: "UAPP1"},
	} {
		if err := s.JournalClick(ctx, bad); err == nil {
			t.Errorf("journaled an unbounded click (id %.10q)", bad.ID)
		}
	}
	// The table bounds a row even when written around the store.
	db := rawDB(t, driver, dsn)
	if _, err := db.ExecContext(ctx, `INSERT INTO click_journal (id, action, request_id, user_id, team_id, channel, message_ts, reason, clicked_at)
		VALUES ('K4', 'change_approve', 'CR-0123456789', $1, '', '', '', '', '2026-12-03T15:00:00.000000000Z')`, strings.Repeat("U", 1000)); err == nil {
		t.Error("the table took a 1000-character user ID")
	}
}

func TestClickClaimsRace(t *testing.T) { eachDriver(t, testClickClaimsRace) }

// Replicas replaying one journal at once (each its own connection pool,
// PostgreSQL's row locks or SQLite's one writer between them), and
// workers racing for one click: every click is taken exactly once.
func testClickClaimsRace(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	replicas := []Store{openTest(t, driver, dsn), openTest(t, driver, dsn), openTest(t, driver, dsn)}
	t0 := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	const clicks = 30
	for i := range clicks {
		c := Click{ID: fmt.Sprintf("K%02d", i), Action: "change_approve", RequestID: "CR-0123456789", User: "UAPP1", At: t0.Add(time.Duration(i) * time.Millisecond)}
		if err := replicas[0].JournalClick(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	now, stale := t0.Add(5*time.Minute), t0.Add(3*time.Minute)
	var mu sync.Mutex
	taken := map[string]int{}
	var wg sync.WaitGroup
	for _, s := range replicas {
		for range 2 {
			wg.Go(func() {
				for {
					got, err := s.ClaimClicks(ctx, now, stale, 4)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, c := range got {
						taken[c.ID]++
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for i := range clicks {
		if id := fmt.Sprintf("K%02d", i); taken[id] != 1 {
			t.Errorf("click %s taken %d times", id, taken[id])
		}
	}

	// Workers of three replicas race for one new click: one takes it.
	if err := replicas[0].JournalClick(ctx, Click{ID: "W1", Action: "change_approve", RequestID: "CR-0123456789", User: "UAPP1", At: now}); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	for _, s := range replicas {
		for range 3 {
			wg.Go(func() {
				ok, err := s.TakeClick(ctx, "W1", now, stale)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("the click was taken by %d workers, want 1", n)
	}
}
