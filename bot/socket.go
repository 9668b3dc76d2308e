package bot

import (
	"context"
	"errors"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode connects to Slack over Socket Mode (api must carry the
// app-level token) and serves until ctx ends or Slack refuses the tokens.
// The event loop only acks and hands off: slack-go's client wedges if its
// event channel is not drained, so nothing slow ever runs here.
func (b *Bot) RunSocketMode(ctx context.Context, opts ...socketmode.Option) error {
	client := socketmode.New(b.api, opts...)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	connections := 0
	for {
		select {
		case err := <-done:
			b.SetReady(false)
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			return err
		case evt := <-client.Events:
			switch evt.Type {
			case socketmode.EventTypeConnecting:
				b.SetReady(false)
				b.log.Info("socket mode connecting")
			case socketmode.EventTypeConnected:
				connections++
				b.SetReady(true)
				if connections > 1 {
					b.log.Info("socket mode reconnected", "connections", connections)
				} else {
					b.log.Info("socket mode connected")
				}
			case socketmode.EventTypeDisconnect:
				reason := ""
				if evt.Request != nil {
					reason = evt.Request.Reason
				}
				// slack-go redials by itself; a link_disabled means Socket
				// Mode was switched off in the app's settings.
				b.log.Warn("socket mode disconnect requested", "reason", reason)
			case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
				b.log.Warn("socket mode connection problem", "event", string(evt.Type))
			case socketmode.EventTypeInvalidAuth:
				b.log.Error("socket mode: Slack refused the app-level token (SLACK_APP_TOKEN)")
			case socketmode.EventTypeSlashCommand:
				b.socketSlash(ctx, client, evt)
			case socketmode.EventTypeInteractive:
				b.socketInteractive(ctx, client, evt)
			case socketmode.EventTypeEventsAPI:
				if evt.Request != nil {
					_ = client.Ack(*evt.Request)
				}
				if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
					b.event(ev)
				}
			}
		}
	}
}

func (b *Bot) socketSlash(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	if evt.Request == nil {
		return
	}
	cmd, ok := evt.Data.(slack.SlashCommand)
	if !ok || checkSlash(cmd) != nil {
		b.log.Warn("malformed slash command envelope", "envelope", evt.Request.EnvelopeID)
		_ = client.Ack(*evt.Request)
		return
	}
	ack := b.Accept(ctx, cmd)
	if ack.empty() {
		_ = client.Ack(*evt.Request)
		return
	}
	if err := client.Ack(*evt.Request, ack); err != nil {
		// Slack drops acks of 20 KB or more: keep the text, lose the blocks.
		b.log.Warn("ack with blocks refused; acking with text", "err", err)
		_ = client.Ack(*evt.Request, Ack{ResponseType: ack.ResponseType, Text: ack.Text})
	}
}

func (b *Bot) socketInteractive(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	if evt.Request == nil {
		return
	}
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok {
		_ = client.Ack(*evt.Request)
		return
	}
	resp, sent := b.Interact(ctx, cb)
	defer sent()
	if resp != nil {
		_ = client.Ack(*evt.Request, resp)
		return
	}
	_ = client.Ack(*evt.Request)
}
