package bot

import (
	"context"
	"errors"
	"log/slog"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/watch"
)

// AlertEventType is the message metadata event_type of alert roots
// (docs/alerts.md), so that other tools can find doorbot's alerts.
const AlertEventType = "doorbot_alert"

// AlertNotifier sends the watcher's alert messages (watch.Notifier):
// roots with chat.postMessage and metadata, edits with chat.update,
// history as thread replies (broadcast to the channel for recoveries and
// repeats). A 429 that outlasts the client's own retries is handed back
// with its Retry-After: the watcher's outbox retries it later without
// holding up the other alerts.
type AlertNotifier struct{ w *web }

// NewAlertNotifier builds the notifier on a Web API client from NewAPI.
func NewAlertNotifier(api *slack.Client, m *Metrics, log *slog.Logger) *AlertNotifier {
	return &AlertNotifier{w: newWeb(api, m, log)}
}

func alertOptions(m watch.Message) []slack.MsgOption {
	// An alert fits one message; Render keeps it within Slack's limits.
	msg := Render(m.Reply)[0]
	return []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...)}
}

func retryable(err error) error {
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return &watch.RetryError{After: rl.RetryAfter, Err: err}
	}
	return err
}

// Post posts an alert's root message with its metadata.
func (n *AlertNotifier) Post(ctx context.Context, channel string, m watch.Message) (string, string, error) {
	opts := append(alertOptions(m), slack.MsgOptionMetadata(slack.SlackMetadata{
		EventType:    AlertEventType,
		EventPayload: map[string]any{"alert_id": m.AlertID, "connection": m.Connection, "kind": m.Kind},
	}))
	ch, ts, err := n.w.api.PostMessageContext(ctx, channel, opts...)
	n.w.metrics.slackCall("chat.postMessage", err)
	return ch, ts, retryable(err)
}

// Update edits the root in place.
func (n *AlertNotifier) Update(ctx context.Context, channel, ts string, m watch.Message) error {
	return retryable(n.w.update(ctx, channel, ts, Render(m.Reply)[0]))
}

// Reply posts in a thread (or, without one, in the channel).
func (n *AlertNotifier) Reply(ctx context.Context, channel, threadTS string, m watch.Message, broadcast bool) error {
	opts := alertOptions(m)
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
		if broadcast {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	_, err := n.w.post(ctx, channel, opts...)
	return retryable(err)
}
