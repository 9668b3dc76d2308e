package bot_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/bot"
	"github.com/doorbot/doorbot/internal/fakeslack"
	"github.com/doorbot/doorbot/internal/sim"
)

// workGauge reads one series of a bot's doorbot_work.
func workGauge(t *testing.T, b *bot.Bot, pool string) float64 {
	t.Helper()
	mfs, err := b.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "doorbot_work" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "pool" && l.GetValue() == pool {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}

// waitWork waits until the bot holds exactly running, queued and beside.
func waitWork(t *testing.T, b *bot.Bot, running, queued, beside float64) {
	t.Helper()
	ctx := wait(t)
	for {
		r, q, s := workGauge(t, b, "running"), workGauge(t, b, "queued"), workGauge(t, b, "beside")
		if r == running && q == queued && s == beside {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("work running %v queued %v beside %v; want %v %v %v", r, q, s, running, queued, beside)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Issue 15, 10: with every worker and form slot held by work waiting on
// hung clouds and the queue full, each further command, form, click and
// submission is answered "busy" — exactly one answer each — and the
// process holds no goroutine per refused request.
func TestEveryRequestIsBoundedAndBusyIsSaid(t *testing.T) {
	const workers, queue, forms = 2, 3, 2
	st := openStore(t, filepath.Join(t.TempDir(), "doorbot.db"))
	h := newHarness(t, setup{changes: approvals(st, 1), cloudTimeout: 10 * time.Minute, noCache: true,
		options: bot.Options{Workers: workers, Queue: queue, Forms: forms, CommandTimeout: 10 * time.Minute}})
	h.runSocketMode(t)
	ctx := wait(t)
	req := submitChange(t, h, st, "healthy-static", "routing: static\n")
	changeForm := lastForm(t, h, "door_change")
	waitText(t, h, func(m fakeslack.Message) bool { return m.Channel == "UREQ" }, req.ID, "posted for approval")
	waitWork(t, h.bot, 0, 0, 0)

	// From here every cloud read hangs until the bot stops.
	h.world.SetFault("aws", sim.Fault{Hang: true})
	h.world.SetFault("azure", sim.Fault{Hang: true})
	goroutines := runtime.NumGoroutine()

	busyAcks := 0
	slash := func(text string) {
		t.Helper()
		if ack := h.slash(t, ctx, "U0ONCALL", "C0INCIDENT", text); strings.Contains(string(ack.Payload), "busy") {
			busyAcks++
		}
	}
	// The workers take a status each and hang; the next ones fill the queue.
	for range workers {
		slash("status healthy-static")
	}
	waitWork(t, h.bot, workers, 0, 0)
	for range queue {
		slash("status tunnel2-down")
	}
	// Forms open beside the workers and hang filling themselves.
	for range forms {
		slash("validate bgp-single-ip")
	}
	waitWork(t, h.bot, workers, queue, forms)
	if busyAcks != 0 {
		t.Fatalf("%d busy answers before the pools were full", busyAcks)
	}

	// Now every pool is full: k more of each kind.
	const k = 20
	for i := range k {
		slash("status healthy-static")
		slash(fmt.Sprintf("validate %s", []string{"healthy-static", "soracom-door"}[i%2]))
		slash("change healthy-static")
	}
	busyFields := 0
	for i := range k {
		// A quick click (Reject opens a form, beside the workers) and a
		// slow one (Approve waits for a worker).
		click(t, h, "UAPP1", req.ThreadTS, "change_reject", req.ID)
		click(t, h, "UAPP1", req.ThreadTS, "change_approve", req.ID)
		env, err := h.slack.SendInteractive(ctx, fakeslack.ViewSubmissionPayload("UREQ", changeForm, map[string]map[string]string{
			"proposal": {"yaml": "routing: static\n"}, "reason": {"text": fmt.Sprintf("CHG-%d", i)}}))
		if err != nil {
			t.Fatal(err)
		}
		ack, err := h.slack.WaitAck(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(ack.Payload), "busy") {
			busyFields++
		}
	}
	if busyAcks != 3*k || busyFields != k {
		t.Errorf("%d busy acks for %d commands, %d busy form errors for %d submissions; want every one busy", busyAcks, 3*k, busyFields, k)
	}
	// Clicks are told through their response_url, one answer a click.
	busyClicks := func(m fakeslack.Message) bool {
		return m.Via == "response_url" && m.ResponseType == "ephemeral" && strings.Contains(visible(m), "busy")
	}
	waitCount(t, h, 2*k, busyClicks)
	if n := len(find(h, busyClicks)); n != 2*k {
		t.Errorf("%d busy answers to %d clicks", n, 2*k)
	}
	// Nothing more was taken on, and nothing was decided.
	waitWork(t, h.bot, workers, queue, forms)
	if got, _ := st.Get(ctx, req.ID); len(got.Approvals) != 0 {
		t.Errorf("a click refused as busy was recorded: %+v", got.Approvals)
	}
	// 200 refused requests later the process holds only what the held
	// work needs (its cloud reads and connections), not a goroutine per
	// request.
	const bound = 30 * (workers + forms)
	if grown := runtime.NumGoroutine() - goroutines; grown > bound {
		t.Errorf("goroutines grew by %d for %d held and %d refused requests; want at most %d", grown, workers+queue+forms, 6*k, bound)
	}
}
