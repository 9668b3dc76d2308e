package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// MaxBodyBytes bounds a Slack request body. Slash commands are a few
// hundred bytes; view submissions with a YAML proposal a few tens of KB.
const MaxBodyBytes = 1 << 20

// HTTPHandler serves Slack's HTTP mode: POST /slack/commands and POST
// /slack/interactive, every request verified against the signing secret.
func (b *Bot) HTTPHandler(v Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", b.verified(v, b.serveCommand))
	mux.Handle("POST /slack/interactive", b.verified(v, b.serveInteractive))
	return mux
}

// verified reads the body within the limit, answers Slack's ssl_check, and
// refuses anything not signed by Slack with a bare 401.
func (b *Bot) verified(v Verifier, next func(http.ResponseWriter, *http.Request, url.Values)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read request", http.StatusBadRequest)
			return
		}
		form, formErr := url.ParseQuery(string(body))
		// Slack's certificate check carries no command; answering it needs
		// no signature (as Slack's own Bolt frameworks do) and does nothing.
		if formErr == nil && form.Get("ssl_check") == "1" {
			w.WriteHeader(http.StatusOK)
			return
		}
		if err := v.Verify(r.Header, body); err != nil {
			b.log.Warn("refused unsigned Slack request", "path", r.URL.Path, "reason", err.Error(), "remote", r.RemoteAddr)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		if formErr != nil {
			http.Error(w, "malformed form body", http.StatusBadRequest)
			return
		}
		next(w, r, form)
	})
}

func (b *Bot) serveCommand(w http.ResponseWriter, _ *http.Request, form url.Values) {
	cmd, err := ParseSlashForm(form)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ack := b.Accept(cmd)
	if ack.empty() {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, ack)
}

func (b *Bot) serveInteractive(w http.ResponseWriter, _ *http.Request, form url.Values) {
	cb, err := ParseInteraction([]byte(form.Get("payload")))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if resp := b.Interact(cb); resp != nil {
		writeJSON(w, resp)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// ParseSlashForm decodes a slash command from Slack's form body.
func ParseSlashForm(form url.Values) (slack.SlashCommand, error) {
	cmd := slack.SlashCommand{
		Token: form.Get("token"), TeamID: form.Get("team_id"), TeamDomain: form.Get("team_domain"),
		EnterpriseID: form.Get("enterprise_id"), ChannelID: form.Get("channel_id"), ChannelName: form.Get("channel_name"),
		UserID: form.Get("user_id"), UserName: form.Get("user_name"), Command: form.Get("command"), Text: form.Get("text"),
		ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id"),
	}
	return cmd, checkSlash(cmd)
}

// checkSlash refuses a command doorbot could not answer: it needs who
// asked and where to answer.
func checkSlash(cmd slack.SlashCommand) error {
	switch {
	case cmd.UserID == "":
		return errors.New("slash command without user_id")
	case cmd.Command == "":
		return errors.New("slash command without command")
	case cmd.ResponseURL != "":
		u, err := url.Parse(cmd.ResponseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("slash command with a malformed response_url")
		}
	}
	return nil
}

// ParseInteraction decodes an interactivity payload (block_actions,
// view_submission, …).
func ParseInteraction(payload []byte) (slack.InteractionCallback, error) {
	var cb slack.InteractionCallback
	if len(strings.TrimSpace(string(payload))) == 0 {
		return cb, errors.New("interaction without payload")
	}
	if err := json.Unmarshal(payload, &cb); err != nil {
		return cb, fmt.Errorf("interaction payload is not valid JSON: %s", firstLine(err.Error()))
	}
	if cb.Type == "" {
		return cb, errors.New("interaction payload without type")
	}
	return cb, nil
}

// Interact decides an interaction's ack without touching a cloud and
// queues any slow work. The returned value, when not nil, is the ack's
// payload (a modal's response_action).
func (b *Bot) Interact(cb slack.InteractionCallback) (resp any) {
	began := b.opts.Now()
	defer func() { b.opts.Metrics.AckSeconds.Observe(b.opts.Now().Sub(began).Seconds()) }()
	// A payload doorbot cannot make sense of is acked and dropped: it must
	// never take the event loop down.
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("interaction handler panicked; payload dropped", "type", string(cb.Type), "panic", fmt.Sprint(r))
			resp = nil
		}
	}()
	changes := b.opts.Approvals != nil && b.opts.Approvals.Store != nil
	switch {
	case cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == validateCallbackID:
		return b.submitValidate(cb)
	case changes && cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == changeCallbackID:
		return b.submitChange(cb)
	case changes && cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == rejectCallbackID:
		return b.submitReject(cb)
	case changes && cb.Type == slack.InteractionTypeBlockActions && len(cb.ActionCallback.BlockActions) > 0:
		act := cb.ActionCallback.BlockActions[0]
		if act != nil && strings.HasPrefix(act.ActionID, "change_") {
			return b.changeAction(cb, act)
		}
	}
	b.opts.Metrics.Commands.WithLabelValues("interaction", "ignored").Inc()
	b.log.Info("interaction ignored", "type", string(cb.Type), "user", cb.User.ID)
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
