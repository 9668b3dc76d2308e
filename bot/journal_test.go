package bot_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/changes/changestest"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/internal/pgtest"
	"github.com/doorbot/doorbot/store"
)

// openDriver opens a store of driver on dsn and closes it when t ends.
func openDriver(t testing.TB, driver, dsn string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Issue 15, 3: a process killed between a click's ack and its worker does
// not lose the click. The click is journaled before the ack; the process
// dies with it queued (its workers stopped, as after kill -9); another
// doorbot on the same store replays it, as its leader does at start: the
// request is approved once and the clicker is told. On SQLite and on
// PostgreSQL (CI).
func TestClickKilledAfterItsAckIsReplayedOnce(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			dsn := pgtest.FreshDSN(t, driver)
			st := openDriver(t, driver, dsn)
			h := newHarness(t, setup{changes: approvals(st, 1)})
			h.runSocketMode(t)
			req := submitChange(t, h, st, "healthy-static", "routing: static\n")

			// The doomed process: its own store handle and bot, whose
			// workers are stopped before the click arrives.
			api := bot.NewAPI(botToken, slack.OptionAPIURL(h.slack.APIURL()))
			cmds, _ := wire(api, &handlers.Service{Connections: h.conns}, approvals(openDriver(t, driver, dsn), 1))
			doomed := bot.New(api, cmds, bot.Options{SlackAPIURL: h.slack.APIURL()})
			dead, kill := context.WithCancel(context.Background())
			kill()
			doomed.Start(dead)
			doomed.Wait()
			web := httptest.NewServer(doomed.HTTPHandler(bot.Verifier{Secret: []byte(signingSecret)}))
			defer web.Close()
			form := fakeslack.InteractiveForm(fakeslack.BlockActionsPayload("UAPP1", approvalsChannel, req.ThreadTS, "change_approve", req.ID, h.slack.ResponseURL()))
			if code, body := do(t, signed(t, web.URL, "/slack/interactive", form, time.Now())); code != 200 {
				t.Fatalf("click: %d %s", code, body)
			}
			ctx := wait(t)
			if got, _ := st.Get(ctx, req.ID); got.State != approval.Pending || len(got.Approvals) != 0 {
				t.Fatalf("decided by a process without workers: %s %v", got.State, got.Approvals)
			}

			// The restart: a new bot and change service on the same store.
			api2 := bot.NewAPI(botToken, slack.OptionAPIURL(h.slack.APIURL()))
			cmds2, cs2 := wire(api2, &handlers.Service{Connections: h.conns},
				&changeSetup{store: openDriver(t, driver, dsn), required: 1, replayGrace: time.Millisecond})
			b2 := bot.New(api2, cmds2, bot.Options{SlackAPIURL: h.slack.APIURL()})
			live, stop := context.WithCancel(context.Background())
			b2.Start(live)
			t.Cleanup(func() { stop(); b2.Wait() })
			time.Sleep(2 * time.Millisecond) // past the grace
			if n, err := cs2.ReplayClicks(ctx); n != 1 || err != nil {
				t.Fatalf("replayed %d clicks: %v", n, err)
			}
			if n, err := cs2.ReplayClicks(ctx); n != 0 || err != nil {
				t.Errorf("replayed %d more: %v", n, err)
			}
			got, _ := st.Get(ctx, req.ID)
			if got.State != approval.Approved || len(got.Approvals) != 1 {
				t.Errorf("after the replay: %s %v", got.State, got.Approvals)
			}
			if k := changestest.AuditKinds(t, st, req.ID); k["approved"] != 1 || k["refused"] != 0 {
				t.Errorf("audit %v: want one approval, no refusal", k)
			}
			// The replayed approval tells the requester, once.
			waitText(t, h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS && m.Mentioned("UREQ") },
				"Approved by <@UAPP1>", "<@UREQ>: change "+req.ID+" is approved")
			if n := len(find(h, func(m fakeslack.Message) bool { return m.ThreadTS == req.ThreadTS && m.Mentioned("UREQ") })); n != 1 {
				t.Errorf("the requester was told %d times, want once", n)
			}
			told := waitText(t, h, ephemeralTo("UAPP1"), "Your approval of change "+req.ID, "was interrupted", "has now been completed")
			if told.Channel != approvalsChannel {
				t.Errorf("told in %s, want the approvals channel", told.Channel)
			}
		})
	}
}

// Issue 15, 3: when the journal cannot be written within its wait (SQLite
// locked by another process; on PostgreSQL the journal table locked), the
// click is acked, nothing is done, and the clicker is told at once
// through response_url; a rejection form says so under its reason and
// stays open.
func TestUnrecordedClickIsToldAtOnce(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) { testUnrecordedClick(t, driver) })
	}
}

func testUnrecordedClick(t *testing.T, driver string) {
	dsn := pgtest.FreshDSN(t, driver)
	st := openDriver(t, driver, dsn)
	metrics := bot.NewMetrics()
	h := newHarness(t, setup{options: bot.Options{Metrics: metrics},
		changes: &changeSetup{store: st, required: 1, recordWait: 100 * time.Millisecond, replayGrace: time.Millisecond, count: metrics.Count}})
	h.runSocketMode(t)
	req := submitChange(t, h, st, "healthy-static", "routing: static\n")
	ctx := wait(t)
	before := len(h.slack.Views())
	click(t, h, "UAPP1", req.ThreadTS, "change_reject", req.ID)
	if _, err := h.slack.WaitViews(ctx, before+1); err != nil {
		t.Fatal(err)
	}
	form := lastForm(t, h, "door_change_reject")

	unlock := lockJournal(t, driver, dsn)
	click(t, h, "UAPP1", req.ThreadTS, "change_approve", req.ID)
	told := waitText(t, h, func(m fakeslack.Message) bool { return m.Via == "response_url" && m.ResponseType == "ephemeral" },
		"could not record your click", "nothing was done", "Click again")
	if strings.Contains(visible(told), "busy answering") {
		t.Errorf("told busy rather than not recorded: %s", visible(told))
	}
	env, err := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UAPP2", form, map[string]map[string]string{"reason": {"text": "not in the freeze"}}))
	if err != nil {
		t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if p := string(ack.Payload); !strings.Contains(p, `"reason"`) || !strings.Contains(p, "could not record your rejection") {
		t.Errorf("the rejection form was closed: %s", p)
	}
	unlock()
	// Each unrecorded click is counted once, as serve wires the
	// workflow's counts and the bot's into one metric.
	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`doorbot_commands_total{command="change_approve",outcome="unrecorded"} 1`,
		`doorbot_commands_total{command="change_reject",outcome="unrecorded"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(rec.Body.String(), "unrecorded"))
		}
	}
	// Nothing runs later either: no worker had the click, and the journal
	// holds nothing to replay.
	time.Sleep(2 * time.Millisecond)
	if n, err := h.changes.ReplayClicks(ctx); n != 0 || err != nil {
		t.Errorf("replayed %d unrecorded clicks: %v", n, err)
	}
	if got, _ := st.Get(ctx, req.ID); got.State != approval.Pending || len(got.Approvals) != 0 {
		t.Errorf("an unrecorded click was decided: %s %v", got.State, got.Approvals)
	}
}

// lockJournal keeps the click journal from being written until unlock:
// SQLite's write lock, or on PostgreSQL a lock on the journal table held
// by another session (reads go on).
func lockJournal(t *testing.T, driver, dsn string) (unlock func()) {
	t.Helper()
	if driver == "sqlite" {
		return changestest.LockSQLite(t, dsn)
	}
	conn, err := pgtest.Open(t, dsn).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"BEGIN", "LOCK TABLE click_journal IN EXCLUSIVE MODE"} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	unlock = func() {
		once.Do(func() {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
		})
	}
	t.Cleanup(unlock)
	return unlock
}

// grepLines is the lines of text that contain sub.
func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
