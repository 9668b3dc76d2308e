package leader

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doorbot/doorbot/internal/pgtest"
)

// recorder is the shared view of several replicas: who runs its job, and
// what each did in which order.
type recorder struct {
	mu      sync.Mutex
	events  []string // "A start", "B dial", …
	running map[string]bool
	// strict: from "settled" on, two jobs running at once is an error.
	strict     bool
	violations []string
}

func newRecorder() *recorder { return &recorder{running: map[string]bool{}} }

func (r *recorder) note(who, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, who+" "+what)
	switch what {
	case "dial":
		if r.running[who] {
			r.violations = append(r.violations, who+" reconnected while its job still ran")
		}
	case "start":
		r.running[who] = true
		if n := r.countRunning(); r.strict && n > 1 {
			r.violations = append(r.violations, fmt.Sprintf("%s started while %d jobs ran", who, n))
		}
	case "stop":
		r.running[who] = false
	}
}

func (r *recorder) countRunning() int {
	n := 0
	for _, on := range r.running {
		if on {
			n++
		}
	}
	return n
}

func (r *recorder) setStrict(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.strict = v
}

// count is how many times who did what so far.
func (r *recorder) count(who, what string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e == who+" "+what {
			n++
		}
	}
	return n
}

func (r *recorder) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.violations) > 0 {
		t.Fatalf("violations: %v\nevents: %v", r.violations, r.events)
	}
}

// job is the leader-only work of replica who: it records when it runs.
func (r *recorder) job(who string) Job {
	return Job{Name: "probe", Run: func(ctx context.Context) {
		r.note(who, "start")
		<-ctx.Done()
		r.note(who, "stop")
	}}
}

// replica is one elector running in the background.
type replica struct {
	name   string
	e      *Postgres
	cancel context.CancelFunc
	done   chan struct{}
}

func startReplica(t *testing.T, name, dsn string, key int64, every time.Duration, r *recorder) *replica {
	t.Helper()
	e := NewPostgres(PostgresConfig{DSN: dsn, Key: key, Retry: every, Check: every},
		Options{Identity: name, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	e.trace = func(ev string) { r.note(name, ev) }
	ctx, cancel := context.WithCancel(context.Background())
	rep := &replica{name: name, e: e, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rep.done)
		e.Run(ctx, []Job{r.job(name)})
	}()
	t.Cleanup(rep.stop)
	return rep
}

func (rep *replica) stop() {
	rep.cancel()
	<-rep.done
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// waitFor polls cond; the deadline only keeps a broken elector from
// hanging the suite, it asserts nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testKey keeps concurrent test binaries on one server apart.
func testKey() int64 { return DefaultKey + int64(os.Getpid())<<20 + time.Now().UnixNano()%(1<<20) }

// holderPID is the backend that holds key, read from the server's lock
// table as an operator would.
func holderPID(t *testing.T, dsn string, key int64) int {
	t.Helper()
	db := pgtest.Open(t, dsn)
	var pid int
	err := db.QueryRow(`SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND classid::bigint = $1 AND objid::bigint = $2`, key>>32, key&0xffffffff).Scan(&pid)
	if err != nil {
		t.Fatalf("holder of advisory lock %d: %v", key, err)
	}
	return pid
}

func terminate(t *testing.T, dsn string, pid int) {
	t.Helper()
	var ok bool
	if err := pgtest.Open(t, dsn).QueryRow(`SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
}

func leaders(reps ...*replica) []string {
	var out []string
	for _, r := range reps {
		if r.e.Leading() {
			out = append(out, r.name)
		}
	}
	return out
}

// TestFailoverOnTerminatedBackend kills the leader's database session three
// times: another replica takes over each time, the old leader stops its job
// before it reconnects, and once it has rejoined as a follower exactly one
// job runs.
func TestFailoverOnTerminatedBackend(t *testing.T) {
	dsn := pgtest.DSN(t)
	key := testKey()
	rec := newRecorder()
	a := startReplica(t, "A", dsn, key, 50*time.Millisecond, rec)
	b := startReplica(t, "B", dsn, key, 50*time.Millisecond, rec)
	reps := map[string]*replica{"A": a, "B": b}

	waitFor(t, "a first leader", func() bool { return len(leaders(a, b)) == 1 })
	rec.setStrict(true)
	for round := range 3 {
		old := reps[leaders(a, b)[0]]
		next := a
		if old == a {
			next = b
		}
		dials := rec.count(old.name, "dial")

		rec.setStrict(false) // until the old leader notices, both may run
		terminate(t, dsn, holderPID(t, dsn, key))
		waitFor(t, fmt.Sprintf("round %d: %s to take over", round, next.name), func() bool {
			return next.e.Leading() && !old.e.Leading()
		})
		rec.setStrict(true)
		// Settled: the old leader reconnects and tries the lock a few
		// times as a follower.
		tries := rec.count(old.name, "try")
		waitFor(t, fmt.Sprintf("round %d: %s to rejoin as a follower", round, old.name), func() bool {
			return rec.count(old.name, "dial") > dials && rec.count(old.name, "try") >= tries+3
		})
		if got := leaders(a, b); !slices.Equal(got, []string{next.name}) {
			t.Fatalf("round %d: leaders %v, want [%s]", round, got, next.name)
		}
		rec.mu.Lock()
		running := rec.countRunning()
		rec.mu.Unlock()
		if running != 1 {
			t.Fatalf("round %d: %d jobs running, want 1", round, running)
		}
		rec.check(t)
	}
}

// TestShutdownHandsOver: a leader that shuts down stops its job before its
// lock goes, so the next leader's job never overlaps it.
func TestShutdownHandsOver(t *testing.T) {
	dsn := pgtest.DSN(t)
	key := testKey()
	rec := newRecorder()
	a := startReplica(t, "A", dsn, key, 50*time.Millisecond, rec)
	waitFor(t, "A to lead", a.e.Leading)
	b := startReplica(t, "B", dsn, key, 50*time.Millisecond, rec)
	rec.setStrict(true)
	waitFor(t, "B to try the lock", func() bool { return rec.count("B", "try") >= 2 })
	if b.e.Leading() {
		t.Fatal("B leads while A holds the lock")
	}
	a.stop()
	if a.e.Leading() {
		t.Fatal("A still leads after Run returned")
	}
	waitFor(t, "B to take over", b.e.Leading)
	rec.check(t)
}

// TestNoDatabase: without a database the elector keeps retrying, never
// leads, and never logs the password in the DSN.
func TestNoDatabase(t *testing.T) {
	for _, dsn := range []string{
		"host=127.0.0.1 port=1 user=doorbot password=hunter2 dbname=doorbot connect_timeout=1",
		"postgres://doorbot:hunter2@db:notaport/doorbot",
	} {
		var logs syncBuffer
		rec := newRecorder()
		e := NewPostgres(PostgresConfig{DSN: dsn, Retry: 10 * time.Millisecond, Check: 10 * time.Millisecond},
			Options{Identity: "A", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		e.trace = func(ev string) { rec.note("A", ev) }
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); e.Run(ctx, []Job{rec.job("A")}) }()
		waitFor(t, "three connection attempts", func() bool { return rec.count("A", "dial") >= 3 })
		cancel()
		<-done
		out := logs.String()
		if rec.count("A", "start") != 0 || e.Leading() {
			t.Errorf("%q: led without a database", dsn)
		}
		if !strings.Contains(out, "cannot connect; retrying") || strings.Contains(out, "hunter2") {
			t.Errorf("%q: logs = %s", dsn, out)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSolo: the single replica leads at once; a panicking job stops only
// itself; Run returns after the jobs have stopped, reporting each change.
func TestSolo(t *testing.T) {
	rec := newRecorder()
	var changes []bool
	var mu sync.Mutex
	s := NewSolo(Options{Identity: "only", OnChange: func(v bool) {
		mu.Lock()
		changes = append(changes, v)
		mu.Unlock()
	}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, []Job{{Name: "boom", Run: func(context.Context) { panic("boom") }}, rec.job("A")})
	}()
	waitFor(t, "the job to start", func() bool { return rec.count("A", "start") == 1 })
	if !s.Leading() {
		t.Fatal("Solo does not lead")
	}
	cancel()
	<-done
	if rec.count("A", "stop") != 1 || s.Leading() {
		t.Fatalf("after Run: stops %d, leading %v", rec.count("A", "stop"), s.Leading())
	}
	if !slices.Equal(changes, []bool{true, false}) {
		t.Fatalf("OnChange calls %v, want [true false]", changes)
	}
}

// BenchmarkFailover: from the leader's backend being terminated to the
// other replica's job starting, with the default 5 s retry and check and
// with 1 s.
//
//	DOORBOT_TEST_PG_DSN=… go test -run '^$' -bench Failover -benchtime 3x ./leader/
func BenchmarkFailover(b *testing.B) {
	for _, every := range []time.Duration{time.Second, DefaultRetry} {
		b.Run(every.String(), func(b *testing.B) {
			dsn := pgtest.DSN(b)
			var total time.Duration
			for range b.N {
				key := testKey()
				rec := newRecorder()
				x := startBenchReplica(b, "A", dsn, key, every, rec)
				y := startBenchReplica(b, "B", dsn, key, every, rec)
				for len(leaders(x, y)) != 1 {
					time.Sleep(5 * time.Millisecond)
				}
				next := y
				if y.e.Leading() {
					next = x
				}
				pid := benchHolderPID(b, dsn, key)
				start := time.Now()
				if _, err := pgtest.Open(b, dsn).Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
					b.Fatal(err)
				}
				for !next.e.Leading() {
					time.Sleep(time.Millisecond)
				}
				total += time.Since(start)
				x.stop()
				y.stop()
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/failover")
		})
	}
}

func startBenchReplica(b *testing.B, name, dsn string, key int64, every time.Duration, r *recorder) *replica {
	e := NewPostgres(PostgresConfig{DSN: dsn, Key: key, Retry: every, Check: every}, Options{Identity: name})
	ctx, cancel := context.WithCancel(context.Background())
	rep := &replica{name: name, e: e, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rep.done)
		e.Run(ctx, []Job{r.job(name)})
	}()
	b.Cleanup(rep.stop)
	return rep
}

func benchHolderPID(b *testing.B, dsn string, key int64) int {
	var pid int
	err := pgtest.Open(b, dsn).QueryRow(`SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND classid::bigint = $1 AND objid::bigint = $2`, key>>32, key&0xffffffff).Scan(&pid)
	if err != nil {
		b.Fatal(err)
	}
	return pid
}
