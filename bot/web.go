package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/handlers"
)

// NewAPI is the Slack Web API client doorbot uses. Its 429s are kept per
// method by its transport (rateGate), not by slack-go's retry option: a
// Retry-After of up to MaxRateLimitWait is waited out (a few times, never
// past the call's context), a longer one fails the call at once, and so
// do later calls of the same method until it has passed, without reaching
// Slack; other methods go on.
func NewAPI(botToken string, opts ...slack.Option) *slack.Client {
	all := append([]slack.Option{slack.OptionHTTPClient(rateGatedClient(30 * time.Second))}, opts...)
	return slack.New(botToken, all...)
}

// web is doorbot's side of the Slack Web API and response_url, counted in
// the metrics.
type web struct {
	api     *slack.Client
	http    *http.Client
	metrics *Metrics
	log     *slog.Logger
}

// post calls chat.postMessage; the client waits out 429s (NewAPI).
func (w *web) post(ctx context.Context, channel string, opts ...slack.MsgOption) (string, error) {
	_, ts, err := w.api.PostMessageContext(ctx, channel, opts...)
	w.metrics.slackCall("chat.postMessage", err)
	return ts, err
}

// postMessage posts one rendered message, in a thread when ts is set.
func (w *web) postMessage(ctx context.Context, channel, threadTS string, m Message) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	return w.post(ctx, channel, opts...)
}

func (w *web) update(ctx context.Context, channel, ts string, m Message) error {
	_, _, _, err := w.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
	w.metrics.slackCall("chat.update", err)
	return err
}

// respond posts to a response_url; its client's transport (rateGate)
// waits out short 429s as it does for the Web API.
func (w *web) respond(ctx context.Context, url, responseType string, m Message) error {
	return w.webhook(ctx, url, m, &slack.WebhookMessage{ResponseType: responseType})
}

// respondReplace replaces the message a click came from, through the
// click's response_url.
func (w *web) respondReplace(ctx context.Context, url string, m Message) error {
	return w.webhook(ctx, url, m, &slack.WebhookMessage{ReplaceOriginal: true})
}

// webhook posts m to a response_url as msg says (ephemeral, in place…),
// counted as one response_url call.
func (w *web) webhook(ctx context.Context, url string, m Message, msg *slack.WebhookMessage) error {
	if url == "" {
		return errors.New("slack: no response_url to answer on")
	}
	blocks := slack.Blocks{BlockSet: m.Blocks}
	msg.Text, msg.Blocks = m.Text, &blocks
	err := slack.PostWebhookCustomHTTPContext(ctx, url, w.http, msg)
	w.metrics.slackCall("response_url", err)
	return hideURL(err)
}

// hideURL keeps a response_url out of a transport error, which is logged:
// the URL is a bearer capability (anyone holding it may post as doorbot
// for half an hour), and net/http's errors quote it whole.
func hideURL(err error) error {
	if ue, ok := errors.AsType[*neturl.Error](err); ok {
		// The wrappers' text already holds the URL: keep only the cause.
		return fmt.Errorf("slack: post to response_url: %w", ue.Err)
	}
	return err
}

// tellPrivately shows messages to one user alone: ephemeral in channel,
// or in the app's direct message when there is no channel or doorbot is
// not in it.
func (w *web) tellPrivately(ctx context.Context, user, channel string, msgs []Message) error {
	for _, m := range msgs {
		opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
		if channel != "" {
			_, err := w.api.PostEphemeralContext(ctx, channel, user, opts...)
			w.metrics.slackCall("chat.postEphemeral", err)
			if err == nil {
				continue
			}
			if !isChannelAccessError(err) {
				return err
			}
		}
		if _, err := w.post(ctx, user, opts...); err != nil {
			return err
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

// Notifier is the change workflow's way to Slack (changes.Notifier): thread
// roots in the approvals channel, their updates and replies, and a private
// word to one user. GroupMembers reads user groups for the approver
// directory.
type Notifier struct{ w *web }

// NewNotifier builds the Notifier on a Web API client from NewAPI.
func NewNotifier(api *slack.Client, m *Metrics, log *slog.Logger) *Notifier {
	return &Notifier{w: newWeb(api, m, log)}
}

// newWeb is the Web API side of a notifier; nil metrics or logger get
// private ones.
func newWeb(api *slack.Client, m *Metrics, log *slog.Logger) *web {
	if m == nil {
		m = NewMetrics()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &web{api: api, metrics: m, log: log}
}

// PostRoot posts a reply's first message in channel and returns its ts;
// any further parts follow in its thread.
func (n *Notifier) PostRoot(ctx context.Context, channel string, r handlers.Reply) (string, error) {
	msgs := Render(r)
	ts, err := n.w.postMessage(ctx, channel, "", msgs[0])
	if err != nil {
		return "", err
	}
	for _, m := range msgs[1:] {
		if _, err := n.w.postMessage(ctx, channel, ts, m); err != nil {
			return ts, err
		}
	}
	return ts, nil
}

// UpdateRoot replaces a thread root with the reply's first message.
func (n *Notifier) UpdateRoot(ctx context.Context, channel, ts string, r handlers.Reply) error {
	return n.w.update(ctx, channel, ts, Render(r)[0])
}

// PostInThread posts every message of a reply under ts.
func (n *Notifier) PostInThread(ctx context.Context, channel, ts string, r handlers.Reply) error {
	for _, m := range Render(r) {
		if _, err := n.w.postMessage(ctx, channel, ts, m); err != nil {
			return err
		}
	}
	return nil
}

// TellUser shows a reply to one user alone (see tellPrivately).
func (n *Notifier) TellUser(ctx context.Context, user, channel string, r handlers.Reply) error {
	return n.w.tellPrivately(ctx, user, channel, Render(r))
}

// GroupMembers lists a user group's members (usergroups.users.list).
func (n *Notifier) GroupMembers(ctx context.Context, group string) ([]string, error) {
	members, err := n.w.api.GetUserGroupMembersContext(ctx, group)
	n.w.metrics.slackCall("usergroups.users.list", err)
	return members, err
}
