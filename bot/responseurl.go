package bot

import (
	"net/url"

	"github.com/slack-go/slack"
)

// slackHooks is where Slack's response_urls point.
const slackHooks = "hooks.slack.com"

// screenResponseURL keeps a command's response_url only when it points at
// Slack: https://hooks.slack.com/, or the scheme and host of
// Options.SlackAPIURL (GovSlack, a proxy, a test). Any other is dropped, so
// that a request signed by a compromised or confused sender cannot make
// doorbot post to an internal address (169.254.169.254, say); the answer
// then goes through the Web API instead.
func (b *Bot) screenResponseURL(cmd slack.SlashCommand) slack.SlashCommand {
	if cmd.ResponseURL == "" || b.responseURLAllowed(cmd.ResponseURL) {
		return cmd
	}
	b.log.Warn("response_url does not point at Slack; answering through the Web API", "user", cmd.UserID, "channel", cmd.ChannelID)
	b.opts.Metrics.HTTPRefused.WithLabelValues("response_url").Inc()
	cmd.ResponseURL = ""
	return cmd
}

func (b *Bot) responseURLAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil {
		return false
	}
	if u.Scheme == "https" && u.Host == slackHooks {
		return true
	}
	if b.opts.SlackAPIURL == "" {
		return false
	}
	api, err := url.Parse(b.opts.SlackAPIURL)
	return err == nil && api.Host != "" && u.Scheme == api.Scheme && u.Host == api.Host
}
