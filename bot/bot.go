package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

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
	// CommandTimeout bounds one command's work after its ack.
	CommandTimeout time.Duration
	// HTTPClient posts to response_url; nil means a client with a timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Metrics    *Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Approvals enables /door change; nil leaves it off.
	Approvals *Approvals
}

// Bot answers /door from Slack. It owns no Slack connection itself: the
// Socket Mode loop and the HTTP handlers feed it commands and carry its
// acks back.
type Bot struct {
	api    *slack.Client
	router *handlers.Router
	opts   Options
	log    *slog.Logger
	jobs   chan job
	wg     sync.WaitGroup
	ready  atomic.Bool
	groups groupCache
}

// job is work done after an ack: a command's answer, a submitted
// proposal's validation.
type job func(ctx context.Context)

// New builds a bot. api carries the bot token (and, for Socket Mode, the
// app-level token).
func New(api *slack.Client, router *handlers.Router, opts Options) *Bot {
	if opts.Reply == "" {
		opts.Reply = ReplyInChannel
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Queue <= 0 {
		opts.Queue = 100
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 30 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
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
	return &Bot{api: api, router: router, opts: opts, log: opts.Logger, jobs: make(chan job, opts.Queue)}
}

// Metrics returns the bot's metrics.
func (b *Bot) Metrics() *Metrics { return b.opts.Metrics }

// Ready reports whether the bot can receive commands (Socket Mode
// connected, or the HTTP endpoints serving).
func (b *Bot) Ready() bool { return b.ready.Load() }

// SetReady is flipped by the transports.
func (b *Bot) SetReady(v bool) { b.ready.Store(v) }

// Start runs the workers (and the expiry sweep, with approvals) until ctx
// ends; Wait waits for them.
func (b *Bot) Start(ctx context.Context) {
	b.startExpiry(ctx)
	for range b.opts.Workers {
		b.wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-b.jobs:
					b.run(ctx, j)
				}
			}
		})
	}
}

// Expiry is how often pending change requests are checked for expiry.
const expirySweep = time.Minute

// startExpiry sweeps expired change requests while ctx lives.
func (b *Bot) startExpiry(ctx context.Context) {
	if b.opts.Approvals == nil {
		return
	}
	b.wg.Go(func() {
		t := time.NewTicker(expirySweep)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				b.ExpireDue(ctx)
			}
		}
	})
}

// Wait blocks until every worker has stopped.
func (b *Bot) Wait() { b.wg.Wait() }

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
		return true
	default:
		return false
	}
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

// Accept decides the ack for a slash command without touching a cloud:
// help and usage errors are answered in the ack itself; slow commands are
// queued for a worker and acknowledged with a short "working" note.
func (b *Bot) Accept(cmd slack.SlashCommand) Ack {
	began := b.opts.Now()
	defer func() { b.opts.Metrics.AckSeconds.Observe(b.opts.Now().Sub(began).Seconds()) }()

	parsed, err := handlers.ParseCommand(cmd.Text)
	if err == nil && parsed.Name == "validate" {
		return b.acceptValidate(cmd, parsed.Args)
	}
	if err == nil && parsed.Name == "change" {
		return b.acceptChange(cmd, parsed.Args)
	}
	slow := parsed.Name == "status" || parsed.Name == "runbook"
	if err != nil || !slow {
		// Answered without a cloud: fast enough for the ack itself.
		reply := b.router.Handle(context.Background(), cmd.Text)
		name, outcome := "help", "ok"
		switch {
		case err != nil:
			name, outcome = "invalid", "usage"
		case parsed.Name != "help":
			name, outcome = "unknown", "usage"
		}
		b.opts.Metrics.Commands.WithLabelValues(name, outcome).Inc()
		msgs := Render(reply)
		return Ack{ResponseType: ReplyEphemeral, Text: msgs[0].Text, Blocks: msgs[0].Blocks}
	}
	name := parsed.Name
	if reply, refused := b.router.Refusal(cmd.Text); refused {
		b.opts.Metrics.Commands.WithLabelValues(name, "usage").Inc()
		msgs := Render(reply)
		return Ack{ResponseType: ReplyEphemeral, Text: msgs[0].Text, Blocks: msgs[0].Blocks}
	}
	if !b.enqueue(func(ctx context.Context) { b.answer(ctx, name, cmd, began) }) {
		return b.busy(name, cmd.UserID)
	}
	what := "every configured connection"
	switch {
	case name == "runbook" && len(parsed.Args) == 2:
		what = parsed.Args[1] + " (" + parsed.Args[0] + " runbook)"
	case len(parsed.Args) > 0:
		what = strings.Join(parsed.Args, ", ")
	}
	return Ack{ResponseType: ReplyEphemeral, Text: Escape(fmt.Sprintf("Reading AWS and Azure for %s…", what))}
}

// busy is the answer when every worker is taken and the queue is full:
// never silence.
func (b *Bot) busy(command, user string) Ack {
	b.opts.Metrics.Commands.WithLabelValues(command, "busy").Inc()
	b.log.Warn("command queue full", "command", command, "user", user)
	return Ack{ResponseType: ReplyEphemeral, Text: "doorbot is busy answering other requests; try again in a moment."}
}

// answer runs a slow command (status, runbook) and delivers its reply.
func (b *Bot) answer(ctx context.Context, name string, cmd slack.SlashCommand, received time.Time) {
	reply := b.router.Handle(ctx, cmd.Text)
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
		b.log.Error("reply not delivered", "command", name, "user", cmd.UserID, "channel", cmd.ChannelID, "err", err)
	}
	b.opts.Metrics.Commands.WithLabelValues(name, outcome).Inc()
	b.log.Info("command answered", "command", name, "user", cmd.UserID, "channel", cmd.ChannelID,
		"outcome", outcome, "seconds", b.opts.Now().Sub(received).Seconds())
}

// deliver posts the answer. One message goes through response_url, which
// works in any channel, DM included. A longer answer posted in the channel
// becomes a parent message with thread replies (response_url allows only 5
// posts); an ephemeral one uses response_url for as many as it allows.
func (b *Bot) deliver(ctx context.Context, cmd slack.SlashCommand, responseType string, msgs []Message) error {
	if len(msgs) == 1 || responseType == ReplyEphemeral || cmd.ChannelID == "" {
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
			if i == 0 && isChannelAccessError(err) {
				// Not invited to the channel: answer through response_url
				// instead, and say how to get the full thread.
				b.log.Warn("cannot post in channel; answering through response_url", "channel", cmd.ChannelID, "err", err)
				first := msgs[0]
				first.Blocks = append(first.Blocks[:min(len(first.Blocks), maxBlocks-1)], section(fmt.Sprintf(
					"_Answer cut to its first part: invite doorbot to this channel (/invite) to get the other %d parts in a thread._", len(msgs)-1)))
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

func isChannelAccessError(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err == "not_in_channel" || se.Err == "channel_not_found"
	}
	s := err.Error()
	return s == "not_in_channel" || s == "channel_not_found"
}

// post calls chat.postMessage, waiting out 429s for their Retry-After.
func (b *Bot) post(ctx context.Context, channel string, opts ...slack.MsgOption) (string, error) {
	var ts string
	err := retryRateLimited(ctx, func() error {
		var err error
		_, ts, err = b.api.PostMessageContext(ctx, channel, opts...)
		b.opts.Metrics.slackCall("chat.postMessage", err)
		return err
	})
	return ts, err
}

// respond posts to a response_url, waiting out 429s for their Retry-After.
func (b *Bot) respond(ctx context.Context, url, responseType string, m Message) error {
	if url == "" {
		return errors.New("slack: no response_url to answer on")
	}
	blocks := slack.Blocks{BlockSet: m.Blocks}
	msg := &slack.WebhookMessage{Text: m.Text, Blocks: &blocks, ResponseType: responseType}
	return retryRateLimited(ctx, func() error {
		err := slack.PostWebhookCustomHTTPContext(ctx, url, b.opts.HTTPClient, msg)
		b.opts.Metrics.slackCall("response_url", err)
		return err
	})
}

// retryRateLimited retries a Slack call that answered 429, after the
// Retry-After Slack asked for, a few times and never past ctx.
func retryRateLimited(ctx context.Context, call func() error) error {
	const attempts = 4
	var err error
	for i := 0; i < attempts; i++ {
		err = call()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			return err
		}
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up waiting %s for Slack's rate limit)", ctx.Err(), wait)
		case <-time.After(wait):
		}
	}
	return err
}
