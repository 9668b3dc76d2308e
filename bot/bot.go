package bot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
)

// Reply modes for status answers (slack.reply in the config).
const (
	ReplyInChannel = "in_channel"
	ReplyEphemeral = "ephemeral"
)

// Options configure a Bot.
type Options struct {
	// Reply is in_channel (default) or ephemeral, for status answers.
	Reply string
	// Workers answer commands; Queue bounds the commands waiting for one.
	// A full queue answers "busy" at once rather than making Slack wait.
	Workers int
	Queue   int
	// Forms bounds the forms being opened at once (each is a views.open
	// that must beat its trigger's 3 s, so it does not wait for a worker).
	Forms int
	// HTTPBodies bounds the HTTP-mode request bodies read and held at
	// once; 0 means DefaultHTTPBodies.
	HTTPBodies int
	// HTTPConns bounds the connections LimitListener serves at once; 0
	// means DefaultHTTPConns.
	HTTPConns int
	// SlackAPIURL is slack.api_url when set: its scheme and host may
	// receive response_url posts besides https://hooks.slack.com/.
	SlackAPIURL string
	// CommandTimeout bounds one command's work after its ack.
	CommandTimeout time.Duration
	// HTTPClient posts to response_url; nil means a client with a timeout
	// whose transport waits out Slack's short 429s (rateGate).
	HTTPClient *http.Client
	Logger     *slog.Logger
	Metrics    *Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// FormSettle is how long a form kept open (its pending view sent as
	// response_action update) waits, after its ack is written, before its
	// results replace that view: a margin for Slack applying the ack, as a
	// views.update that Slack applied first would be overwritten by the
	// pending view. 0 means DefaultFormSettle; negative, no margin (the
	// results still wait for the ack to be written).
	FormSettle time.Duration
}

// DefaultFormSettle is Options.FormSettle's default.
const DefaultFormSettle = 250 * time.Millisecond

// Bot answers /door from Slack. It owns no Slack connection itself: the
// Socket Mode loop and the HTTP handlers feed it commands and carry its
// acks back. What each command, button and form does is the command
// layer's (commands.Registry); the bot only acks, queues and renders.
type Bot struct {
	*web
	cmds  *commands.Registry
	opts  Options
	log   *slog.Logger
	jobs  chan job
	forms chan struct{}
	// notices carries "busy" answers to clicks to the one goroutine that
	// posts them (a click's ack carries no message).
	notices chan notice
	ready   atomic.Bool

	// ctx is the bot's lifetime (set by Start): every job runs under it.
	ctx     context.Context
	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

// job is work done after an ack: a command's answer, a submitted form, a
// click.
type job func(ctx context.Context)

// New builds a bot. api carries the bot token (and, for Socket Mode, the
// app-level token): build it with NewAPI.
func New(api *slack.Client, cmds *commands.Registry, opts Options) *Bot {
	if opts.Reply == "" {
		opts.Reply = ReplyInChannel
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Queue <= 0 {
		opts.Queue = 100
	}
	if opts.Forms <= 0 {
		opts.Forms = 32
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 30 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = rateGatedClient(10 * time.Second)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Bot{
		web:  &web{api: api, http: opts.HTTPClient, metrics: opts.Metrics, log: opts.Logger},
		cmds: cmds, opts: opts, log: opts.Logger,
		jobs: make(chan job, opts.Queue), forms: make(chan struct{}, opts.Forms),
		notices: make(chan notice, maxNotices),
		ctx:     context.Background(),
	}
}

// Metrics returns the bot's metrics.
func (b *Bot) Metrics() *Metrics { return b.opts.Metrics }

// Ready reports whether the bot can receive commands (Socket Mode
// connected, or the HTTP endpoints serving).
func (b *Bot) Ready() bool { return b.ready.Load() }

// SetReady is flipped by the transports.
func (b *Bot) SetReady(v bool) { b.ready.Store(v) }

// Start runs the workers until ctx ends; every job, queued or not, runs
// under ctx. Wait waits for them all. Call Start before serving.
func (b *Bot) Start(ctx context.Context) {
	b.ctx = ctx
	work := b.opts.Metrics.Work
	for range b.opts.Workers {
		b.wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-b.jobs:
					work.WithLabelValues("queued").Dec()
					work.WithLabelValues("running").Inc()
					b.run(ctx, j)
					work.WithLabelValues("running").Dec()
				}
			}
		})
	}
	b.wg.Go(func() { b.sendNotices(ctx) })
}

// Wait blocks until every worker and every form being opened has stopped;
// nothing new starts once it is called.
func (b *Bot) Wait() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.wg.Wait()
}

// run does one job under the command timeout. A job that panics loses
// its answer, not the worker or the process.
func (b *Bot) run(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.CommandTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("job panicked; its answer is lost", "panic", fmt.Sprint(r))
		}
	}()
	j(ctx)
}

// enqueue hands work to the pool; false when the queue is full.
func (b *Bot) enqueue(j job) bool {
	select {
	case b.jobs <- j:
		b.opts.Metrics.Work.WithLabelValues("queued").Inc()
		return true
	default:
		return false
	}
}

// spawn runs work that must not wait for a worker (opening a form: its
// trigger expires in 3 s) on a goroutine of its own, at most Forms at
// once, tracked by Wait and under the bot's lifetime; false when all are
// taken or the bot is stopping.
func (b *Bot) spawn(j job) bool {
	select {
	case b.forms <- struct{}{}:
	default:
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		<-b.forms
		return false
	}
	beside := b.opts.Metrics.Work.WithLabelValues("beside")
	beside.Inc()
	b.wg.Go(func() {
		defer func() { <-b.forms; beside.Dec() }()
		b.run(b.ctx, j)
	})
	return true
}

// Ack is the immediate answer to a slash command: what goes back in the
// HTTP response body or the Socket Mode ack payload.
type Ack struct {
	ResponseType string        `json:"response_type,omitempty"`
	Text         string        `json:"text,omitempty"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

// empty reports an ack with nothing to show (a modal opens instead).
func (a Ack) empty() bool { return a.Text == "" && len(a.Blocks) == 0 }

// ephemeralAck puts a reply in the ack, for the requester alone.
func ephemeralAck(r handlers.Reply) Ack {
	msgs := Render(r)
	return Ack{ResponseType: ReplyEphemeral, Text: msgs[0].Text, Blocks: msgs[0].Blocks}
}

// Accept decides the ack for a slash command without touching a cloud.
// What is answered without one (help, usage errors, refusals) is in the
// ack itself; a form opens beside the ack; a slow command is queued for a
// worker and acknowledged with a short "working" note.
func (b *Bot) Accept(ctx context.Context, cmd slack.SlashCommand) Ack {
	began := b.opts.Now()
	defer func() { b.opts.Metrics.AckSeconds.Observe(b.opts.Now().Sub(began).Seconds()) }()
	cmd = b.screenResponseURL(cmd)

	call := b.cmds.Route(ctx, cmd.Text, commands.Request{User: cmd.UserID, Team: cmd.TeamID, Channel: cmd.ChannelID})
	c, req := call.Command, call.Request
	switch {
	case call.Answer != nil:
		b.opts.Metrics.Commands.WithLabelValues(call.Label, "usage").Inc()
		return ephemeralAck(*call.Answer)
	case c.Open != nil:
		if cmd.TriggerID == "" {
			b.opts.Metrics.Commands.WithLabelValues(c.Name, "usage").Inc()
			return ephemeralAck(b.cmds.Usage("this Slack request carried no trigger_id, so no form can open. " + c.Formless))
		}
		form, fill := c.Open(req)
		trigger, user := cmd.TriggerID, cmd.UserID
		// views.open is one quick Web API call; it runs beside the ack
		// rather than before it so the ack never waits on Slack itself.
		if !b.spawn(func(ctx context.Context) { b.openForm(ctx, trigger, user, form, fill) }) {
			return b.busy(c.Name, cmd.UserID)
		}
		b.opts.Metrics.Commands.WithLabelValues(c.Name, "ok").Inc()
		return Ack{}
	case !c.Slow:
		// Answered without a cloud: fast enough for the ack itself.
		reply := c.Run(ctx, req)
		b.opts.Metrics.Commands.WithLabelValues(c.Name, "ok").Inc()
		return ephemeralAck(reply)
	}
	if !b.enqueue(func(ctx context.Context) { b.answer(ctx, c, req, cmd, began) }) {
		return b.busy(c.Name, cmd.UserID)
	}
	working := "Working…"
	if c.Working != nil {
		working = c.Working(req)
	}
	return Ack{ResponseType: ReplyEphemeral, Text: Escape(working)}
}

// busyText answers work refused because its pool is full: never silence.
const busyText = "doorbot is busy answering other requests; try again in a moment."

// busy is the answer when every worker is taken and the queue is full:
// never silence.
func (b *Bot) busy(command, user string) Ack {
	b.opts.Metrics.Commands.WithLabelValues(command, "busy").Inc()
	b.log.Warn("command queue full", "command", command, "user", user)
	return Ack{ResponseType: ReplyEphemeral, Text: busyText}
}

// maxNotices bounds the "busy" answers to clicks waiting to be posted;
// past it a refused click is counted and logged only.
const maxNotices = 64

// notice is an answer owed to someone whose click found no room
// ("busy") or could not be recorded before its ack (unrecorded).
type notice struct {
	responseURL, user, channel string
	unrecorded                 bool
}

// busyClick answers a click whose pool is full. A click's ack carries no
// message, so the answer is posted, by the one notice sender: a flood of
// refused clicks starts no goroutine of its own. n.responseURL must have
// been screened (responseURLAllowed).
func (b *Bot) busyClick(action string, n notice) {
	b.opts.Metrics.Commands.WithLabelValues(action, "busy").Inc()
	b.log.Warn("no worker free for a click", "action", action, "user", n.user)
	b.queueNotice(action, n)
}

// notRecorded answers a click that could not be recorded before its ack
// (commands.Action.Record): nothing was done, and the clicker is told so
// at once by the notice sender, never left believing it counted.
func (b *Bot) notRecorded(action string, n notice) {
	n.unrecorded = true
	b.queueNotice(action, n)
}

// queueNotice hands n to the notice sender without waiting: the ack must
// not wait on Slack, so a full queue leaves this clicker untold, and says so.
func (b *Bot) queueNotice(action string, n notice) {
	select {
	case b.notices <- n:
	default:
		b.log.Error("too many answers to clicks waiting; this clicker is not told", "answer", n.kind(), "action", action, "user", n.user)
	}
}

func (n notice) kind() string {
	if n.unrecorded {
		return "not recorded"
	}
	return "busy"
}

// sendNotices posts the busy and not-recorded answers to clicks until ctx
// ends: through the click's response_url (ephemeral: the clicked message
// stays), else privately through the Web API.
func (b *Bot) sendNotices(ctx context.Context) {
	busy := Render(handlers.Reply{Text: busyText, Blocks: []handlers.Block{{Kind: handlers.Paragraph, Tone: handlers.ToneWarning,
		Lines: []string{"doorbot is busy answering other requests; nothing was done. Click again in a moment."}}}})
	unrecorded := Render(handlers.Reply{Text: commands.NotRecorded, Blocks: []handlers.Block{{Kind: handlers.Paragraph, Tone: handlers.ToneBad,
		Lines: []string{commands.NotRecorded}}}})
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-b.notices:
			msgs := busy
			if n.unrecorded {
				msgs = unrecorded
			}
			nctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			var err error
			if n.responseURL != "" {
				err = b.respond(nctx, n.responseURL, ReplyEphemeral, msgs[0])
			} else {
				err = b.tellPrivately(nctx, n.user, n.channel, msgs)
			}
			cancel()
			if err != nil {
				b.log.Warn("answer to a click not delivered", "answer", n.kind(), "user", n.user, "err", err)
			}
		}
	}
}

// answer runs a slow command and delivers its reply.
func (b *Bot) answer(ctx context.Context, c *commands.Command, req commands.Request, cmd slack.SlashCommand, received time.Time) {
	reply := c.Run(ctx, req)
	outcome := "ok"
	if reply.Ephemeral {
		outcome = "usage"
	}
	responseType := b.opts.Reply
	if reply.Ephemeral {
		responseType = ReplyEphemeral
	}
	if err := b.deliver(ctx, cmd, responseType, Render(reply)); err != nil {
		outcome = "error"
		b.log.Error("reply not delivered", "command", c.Name, "user", cmd.UserID, "channel", cmd.ChannelID, "err", err)
	}
	b.opts.Metrics.Commands.WithLabelValues(c.Name, outcome).Inc()
	b.log.Info("command answered", "command", c.Name, "user", cmd.UserID, "channel", cmd.ChannelID,
		"outcome", outcome, "seconds", b.opts.Now().Sub(received).Seconds())
}

// deliver posts the answer. One message goes through response_url, which
// works in any channel, DM included. A longer answer posted in the channel
// becomes a parent message with thread replies (response_url allows only 5
// posts); an ephemeral one uses response_url for as many as it allows.
func (b *Bot) deliver(ctx context.Context, cmd slack.SlashCommand, responseType string, msgs []Message) error {
	if cmd.ResponseURL == "" && (responseType == ReplyEphemeral || cmd.ChannelID == "") {
		return b.tellPrivately(ctx, cmd.UserID, cmd.ChannelID, msgs)
	}
	if cmd.ResponseURL != "" && (len(msgs) == 1 || responseType == ReplyEphemeral || cmd.ChannelID == "") {
		const maxResponseURLUses = 5
		if len(msgs) > maxResponseURLUses {
			last := msgs[maxResponseURLUses-1]
			last.Blocks = append(last.Blocks[:min(len(last.Blocks), maxBlocks-1)], section(fmt.Sprintf(
				"_%d more messages not shown: Slack allows %d replies to one command. Name fewer connections, or set slack.reply: in_channel._",
				len(msgs)-maxResponseURLUses, maxResponseURLUses)))
			msgs = append(msgs[:maxResponseURLUses-1], last)
		}
		for _, m := range msgs {
			if err := b.respond(ctx, cmd.ResponseURL, responseType, m); err != nil {
				return err
			}
		}
		return nil
	}
	var parentTS string
	for i, m := range msgs {
		opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
		if i > 0 {
			opts = append(opts, slack.MsgOptionTS(parentTS))
		}
		ts, err := b.post(ctx, cmd.ChannelID, opts...)
		if err != nil {
			if i == 0 && (isChannelAccessError(err) || isRateLimited(err)) && cmd.ResponseURL != "" {
				// Not invited to the channel, or Slack is limiting
				// chat.postMessage: answer through response_url instead,
				// and say how to get the full thread.
				b.log.Warn("cannot post in channel; answering through response_url", "channel", cmd.ChannelID, "err", err)
				why := "invite doorbot to this channel (/invite) to get the other %d parts in a thread"
				if isRateLimited(err) {
					why = "Slack is rate-limiting doorbot's posts; ask again later for the other %d parts"
				}
				first := msgs[0]
				first.Blocks = append(first.Blocks[:min(len(first.Blocks), maxBlocks-1)], section(fmt.Sprintf(
					"_Answer cut to its first part: "+why+"._", len(msgs)-1)))
				return b.respond(ctx, cmd.ResponseURL, responseType, first)
			}
			return fmt.Errorf("slack: post part %d of %d: %w", i+1, len(msgs), err)
		}
		if i == 0 {
			parentTS = ts
		}
	}
	return nil
}
