// Package fakeslack is an in-process fake of the parts of Slack that doorbot
// uses: the Web API, response_url webhooks and Socket Mode. The real slack-go
// client talks to it over loopback HTTP and WebSocket.
//
// Unlike slack-go's slacktest, the fake enforces Slack's documented limits
// (Block Kit sizes, response_url uses and lifetime, trigger_id lifetime, the
// 3-second ack) so that a test fails when doorbot would fail against the real
// Slack. Every refusal caused by the client breaking a rule is also recorded
// in Violations, because a refused call inside a goroutine of the code under
// test is otherwise easy to lose.
//
// Everything the fake records can be read at any time and awaited with the
// Wait* methods, which take a context for their deadline.
package fakeslack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Identities the fake answers with. Tests can compare against them.
const (
	DefaultBotToken   = "xoxb-fake-bot-token"
	DefaultAppToken   = "xapp-fake-app-token"
	TeamID            = "T0FAKE"
	TeamDomain        = "fake"
	AppID             = "A0FAKE"
	BotUserID         = "U0FAKEBOT"
	BotID             = "B0FAKEBOT"
	VerificationToken = "fake-verification-token"
)

// Slack's documented limits (docs.slack.dev: interactivity, modals, Socket
// Mode). They are not options: the point of the fake is that they cannot be
// loosened by accident.
const (
	responseURLMaxUses  = 5
	responseURLLifetime = 30 * time.Minute
	triggerLifetime     = 3 * time.Second
	ackDeadline         = 3 * time.Second
	maxAckBytes         = 20 * 1024
	maxSocketConns      = 10
)

// ErrClosed is returned by waits that were still pending when the fake closed.
var ErrClosed = errors.New("fakeslack: closed")

// Options configures a fake. Zero values get usable defaults.
type Options struct {
	// BotToken must accompany every Web API call, as the form field `token`
	// or as `Authorization: Bearer`. Default DefaultBotToken.
	BotToken string
	// AppToken must be sent as Bearer to apps.connections.open. Default
	// DefaultAppToken.
	AppToken string
	// PingInterval is how often the server sends WebSocket PING frames; the
	// slack-go client redials when it sees none for 30 s. Default 1 s.
	PingInterval time.Duration
	// DisconnectGrace is how long after a `disconnect` message the server
	// closes that connection itself, as Slack does. Default 1 s.
	DisconnectGrace time.Duration
}

// Message is one message as Slack would show it.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	// User is the author for posted messages (BotUserID) and the recipient
	// for chat.postEphemeral.
	User            string
	Blocks          json.RawMessage
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	// Via is "chat.postMessage", "chat.postEphemeral", "chat.update" (a
	// posted message that was later updated) or "response_url".
	Via string
	// Updated counts chat.update calls applied to this message.
	Updated int
	At      time.Time
	// Metadata is the message metadata (event_type, event_payload) as
	// posted, nil when none; Broadcast is reply_broadcast on a reply.
	Metadata  json.RawMessage
	Broadcast bool
}

// EventType is the metadata event_type of the message, "" when none.
func (m Message) EventType() string {
	var md struct {
		EventType string `json:"event_type"`
	}
	_ = json.Unmarshal(m.Metadata, &md)
	return md.EventType
}

// View is one views.open, views.update or views.publish call.
type View struct {
	Method          string
	ID              string
	Type            string
	TriggerID       string
	CallbackID      string
	PrivateMetadata string
	ExternalID      string
	UserID          string
	Hash            string
	View            json.RawMessage
	At              time.Time
}

// Ack is the client's acknowledgement of a Socket Mode envelope.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage
	At         time.Time
}

// User is what users.info answers for an ID.
type User struct {
	ID       string
	Name     string
	RealName string
	Email    string
	TZ       string
	IsBot    bool
}

type rateLimit struct {
	n          int
	retryAfter time.Duration
}

type responseURL struct {
	channel string
	issued  time.Time
	uses    int
}

type trigger struct {
	issued time.Time
	used   bool
}

type viewState struct {
	typ        string
	user       string // owner of a home tab
	hash       string
	externalID string
	closed     bool // the user closed the modal
}

type envelope struct {
	typ    string
	sentAt time.Time
	// inputs are a view submission's input block IDs (checkAckPayload).
	inputs map[string]bool
}

// Slack is a running fake. Create it with New and stop it with Close.
type Slack struct {
	opts     Options
	srv      *httptest.Server
	upgrader websocket.Upgrader
	done     chan struct{}
	wg       sync.WaitGroup

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every recorded change
	closed  bool
	now     func() time.Time
	seq     int64

	messages   []Message
	msgIndex   map[string]int // channel + "\x00" + ts → index into messages
	views      []View
	viewStates map[string]*viewState
	violations []string
	calls      map[string]int
	rateLimits map[string]*rateLimit
	respURLs   map[string]*responseURL // by URL path
	triggers   map[string]*trigger
	userGroups map[string][]string
	users      map[string]User

	tickets   map[string]bool
	opened    int
	conns     []*wsConn
	envelopes map[string]envelope
	acks      map[string]Ack
	ackOrder  []string
	pongs     int
}

// New starts a fake on a loopback port.
func New(opts Options) *Slack {
	if opts.BotToken == "" {
		opts.BotToken = DefaultBotToken
	}
	if opts.AppToken == "" {
		opts.AppToken = DefaultAppToken
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = time.Second
	}
	if opts.DisconnectGrace <= 0 {
		opts.DisconnectGrace = time.Second
	}
	s := &Slack{
		opts: opts,
		// slack-go dials with Origin https://api.slack.com, which the
		// default same-origin check would reject.
		upgrader:   websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		done:       make(chan struct{}),
		changed:    make(chan struct{}),
		now:        time.Now,
		msgIndex:   map[string]int{},
		viewStates: map[string]*viewState{},
		calls:      map[string]int{},
		rateLimits: map[string]*rateLimit{},
		respURLs:   map[string]*responseURL{},
		triggers:   map[string]*trigger{},
		userGroups: map[string][]string{},
		users:      map[string]User{},
		tickets:    map[string]bool{},
		envelopes:  map[string]envelope{},
		acks:       map[string]Ack{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/commands/", s.serveResponseURL)
	mux.HandleFunc("/link/", s.serveSocket)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the server and drops every WebSocket connection. It is safe
// to call more than once.
func (s *Slack) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	conns := append([]*wsConn(nil), s.conns...)
	s.mu.Unlock()

	for _, c := range conns {
		c.close()
	}
	s.srv.Close()
	// Hijacked WebSocket handlers are not tracked by httptest.
	s.wg.Wait()
}

// APIURL is the Web API base with the trailing slash slack.OptionAPIURL needs.
func (s *Slack) APIURL() string { return s.srv.URL + "/api/" }

// URL is the server's root, e.g. http://127.0.0.1:PORT.
func (s *Slack) URL() string { return s.srv.URL }

// SetNow replaces the clock used for Slack's time limits (response_url
// lifetime, trigger_id lifetime, ack deadline) and for recorded times.
// nil restores time.Now.
func (s *Slack) SetNow(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// ResponseURL issues a fresh response_url on this server, shaped like
// https://hooks.slack.com/commands/T/1/abc. It accepts 5 posts within 30
// minutes of being issued.
func (s *Slack) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newResponseURLLocked("")
}

// ResponseURLFor is ResponseURL for a command or click in channelID, so the
// messages posted to it are recorded with that channel.
func (s *Slack) ResponseURLFor(channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newResponseURLLocked(channelID)
}

// TriggerID issues a trigger_id that views.open accepts once within 3 s.
// Trigger IDs the fake did not issue are accepted without those checks, so
// hand-built HTTP-mode requests still work.
func (s *Slack) TriggerID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := newTriggerID()
	s.triggers[id] = &trigger{issued: s.now()}
	return id
}

// SetUserGroup sets the members usergroups.users.list returns for id.
func (s *Slack) SetUserGroup(id string, members []string) {
	s.mu.Lock()
	s.userGroups[id] = append([]string(nil), members...)
	s.mu.Unlock()
}

// SetUser sets what users.info returns for u.ID. Unknown IDs get a
// synthesised user.
func (s *Slack) SetUser(u User) {
	s.mu.Lock()
	s.users[u.ID] = u
	s.mu.Unlock()
}

// RateLimitNext makes the next n calls to method (a Web API method name such
// as "chat.postMessage", or "response_url") answer HTTP 429 with Retry-After
// set to retryAfter in whole seconds, rounded up, at least 1.
func (s *Slack) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.rateLimits, method)
		return
	}
	s.rateLimits[method] = &rateLimit{n: n, retryAfter: retryAfter}
}

// Calls counts the calls method received, including rate-limited and
// refused ones. response_url posts count under "response_url".
func (s *Slack) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Violations lists, in order, every time the client broke one of Slack's
// rules, each with a human-readable reason. A test that expects none can
// assert it is empty.
func (s *Slack) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// WaitViolations waits until at least n violations have been recorded and
// returns all of them.
func (s *Slack) WaitViolations(ctx context.Context, n int) ([]string, error) {
	var out []string
	err := s.waitFor(ctx, func() bool {
		if len(s.violations) < n {
			return false
		}
		out = append([]string(nil), s.violations...)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("fakeslack: waiting for %d violations, have %q: %w", n, s.Violations(), err)
	}
	return out, nil
}

// Messages returns all messages in arrival order. chat.update changes a
// message in place.
func (s *Slack) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Message returns the message at (channel, ts).
func (s *Slack) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.msgIndex[msgKey(channel, ts)]
	if !ok {
		return Message{}, false
	}
	return s.messages[i], true
}

// Thread returns the replies posted with thread_ts = ts in channel.
func (s *Slack) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel && m.ThreadTS == ts && m.TS != ts {
			out = append(out, m)
		}
	}
	return out
}

// WaitMessages waits until at least n messages (posts and response_url
// posts; updates do not add) have arrived and returns all of them.
func (s *Slack) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	var out []Message
	err := s.waitFor(ctx, func() bool {
		if len(s.messages) < n {
			return false
		}
		out = append([]Message(nil), s.messages...)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("fakeslack: waiting for %d messages, have %d: %w", n, len(s.Messages()), err)
	}
	return out, nil
}

// WaitMessage waits for the first message, in arrival order, that match
// accepts. Updated messages are re-examined, so it can wait for an update.
func (s *Slack) WaitMessage(ctx context.Context, match func(Message) bool) (Message, error) {
	for {
		s.mu.Lock()
		msgs := append([]Message(nil), s.messages...)
		ch := s.changed
		s.mu.Unlock()
		// match runs without the lock so that it may call back into s.
		for _, m := range msgs {
			if match(m) {
				return m, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Message{}, fmt.Errorf("fakeslack: waiting for a matching message among %d: %w", len(msgs), ctx.Err())
		case <-s.done:
			return Message{}, ErrClosed
		}
	}
}

// CloseView is the user closing a modal: later views.update calls on it
// fail with not_found, as Slack's do for a view that is gone (a race any
// app meets, not a misuse: it is not recorded as a violation).
func (s *Slack) CloseView(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.viewStates[id]; st != nil {
		st.closed = true
	}
	s.bumpLocked()
}

// Views returns all recorded views calls in arrival order.
func (s *Slack) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]View(nil), s.views...)
}

// WaitViews waits until at least n views calls have been accepted.
func (s *Slack) WaitViews(ctx context.Context, n int) ([]View, error) {
	var out []View
	err := s.waitFor(ctx, func() bool {
		if len(s.views) < n {
			return false
		}
		out = append([]View(nil), s.views...)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("fakeslack: waiting for %d views, have %d: %w", n, len(s.Views()), err)
	}
	return out, nil
}

// waitFor blocks until cond, evaluated with s.mu held, is true.
func (s *Slack) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return ErrClosed
		}
	}
}

// bumpLocked wakes every waiter so it re-checks its condition.
func (s *Slack) bumpLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Slack) violateLocked(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
	s.bumpLocked()
}

func (s *Slack) addMessageLocked(m Message) {
	s.msgIndex[msgKey(m.Channel, m.TS)] = len(s.messages)
	s.messages = append(s.messages, m)
	s.bumpLocked()
}

// nextTSLocked returns message timestamps that are unique, increase, and
// compare correctly as strings, like Slack's.
func (s *Slack) nextTSLocked() string {
	s.seq++
	micros := s.seq * 100
	return fmt.Sprintf("%d.%06d", 1700000000+micros/1_000_000, micros%1_000_000)
}

func (s *Slack) newResponseURLLocked(channel string) string {
	s.seq++
	path := fmt.Sprintf("/commands/%s/%d/%s", TeamID, 1000000+s.seq, randHex(12))
	s.respURLs[path] = &responseURL{channel: channel, issued: s.now()}
	return s.srv.URL + path
}

func msgKey(channel, ts string) string { return channel + "\x00" + ts }

var idCounter atomic.Int64

// newTriggerID mimics Slack's "<n>.<n>.<hex>" shape; it works without a
// server so the package-level HTTP-mode helpers can use it.
func newTriggerID() string {
	return fmt.Sprintf("%d.%d.%s", 1000000000+idCounter.Add(1), 738474920, randHex(16))
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
