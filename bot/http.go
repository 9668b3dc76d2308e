package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
)

// MaxBodyBytes bounds an interactivity body: a view submission carries
// the whole modal (Slack refuses views over 250 kB) form-encoded.
const MaxBodyBytes = 1 << 20

// MaxCommandBodyBytes bounds a slash command body: Slack sends a few
// hundred bytes, never more than 4 KB.
const MaxCommandBodyBytes = 8 << 10

// MaxEventBodyBytes bounds an Events API body (app_home_opened is under
// 1 KB).
const MaxEventBodyBytes = 64 << 10

// HTTPHandler serves Slack's HTTP mode: POST /slack/commands, POST
// /slack/interactive and POST /slack/events (the Events API: App Home),
// every request verified against the signing secret.
func (b *Bot) HTTPHandler(v Verifier) http.Handler {
	bodies := newBodyGate(b.opts.HTTPBodies)
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", b.verified(v, bodies, MaxCommandBodyBytes, b.serveCommand))
	mux.Handle("POST /slack/interactive", b.verified(v, bodies, MaxBodyBytes, b.serveInteractive))
	mux.Handle("POST /slack/events", b.verified(v, bodies, MaxEventBodyBytes, b.serveEvents))
	return mux
}

// verified refuses a request without plausible signature headers before
// reading its body, reads the body within limit while holding one of a
// bounded number of body slots, answers Slack's ssl_check, and refuses
// anything not signed by Slack with a bare 401.
func (b *Bot) verified(v Verifier, bodies *bodyGate, limit int64, next func(http.ResponseWriter, *http.Request, []byte, url.Values)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.CheckHeaders(r.Header); err != nil {
			b.refuseUnsigned(w, r, err)
			return
		}
		body, slot, status := bodies.read(w, r, limit)
		if status != http.StatusOK {
			b.refuseBody(w, status)
			return
		}
		defer bodies.release(slot)
		// Slack's certificate check carries no command; it needs no valid
		// signature (as Slack's own Bolt frameworks do) and does nothing.
		// It is a few bytes: nothing larger is parsed before the signature
		// holds.
		if len(body) <= 256 {
			if form, err := url.ParseQuery(string(body)); err == nil && form.Get("ssl_check") == "1" {
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		if err := v.Verify(r.Header, body); err != nil {
			b.refuseUnsigned(w, r, err)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil && r.URL.Path != "/slack/events" {
			http.Error(w, "malformed form body", http.StatusBadRequest)
			return
		}
		// body is the slot's buffer, reused once this returns: the
		// handler gets a copy it may keep (an event handled later).
		next(w, r, slices.Clone(body), form)
	})
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request, _ []byte, form url.Values) {
	cmd, err := ParseSlashForm(form)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ack := b.Accept(r.Context(), cmd)
	if ack.empty() {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, ack)
}

func (b *Bot) serveInteractive(w http.ResponseWriter, r *http.Request, _ []byte, form url.Values) {
	cb, err := ParseInteraction([]byte(form.Get("payload")))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, sent := b.Interact(r.Context(), cb)
	defer sent()
	if resp != nil {
		writeJSON(w, resp)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return
	}
	w.WriteHeader(http.StatusOK)
}

// serveEvents answers the Events API: Slack's URL check, and events
// (app_home_opened), which are acked at once and handled beside the ack.
func (b *Bot) serveEvents(w http.ResponseWriter, _ *http.Request, body []byte, _ url.Values) {
	// The signature was checked; the legacy verification token is not used.
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var c slackevents.EventsAPIURLVerificationEvent
		if err := json.Unmarshal(body, &c); err != nil || c.Challenge == "" {
			http.Error(w, "malformed url_verification", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(c.Challenge))
		return
	}
	if ev.Type == slackevents.CallbackEvent {
		b.event(ev)
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
// payload (a modal's response_action). The caller calls sent once the ack
// is written (or given up): work that updates the acked view waits for it,
// so that the ack's pending view can never arrive after the results.
func (b *Bot) Interact(ctx context.Context, cb slack.InteractionCallback) (resp any, sent func()) {
	out := make(chan struct{})
	var once sync.Once
	sent = func() { once.Do(func() { close(out) }) }
	return b.interact(ctx, cb, out), sent
}

func (b *Bot) interact(ctx context.Context, cb slack.InteractionCallback, sent <-chan struct{}) (resp any) {
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
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		if s, ok := b.cmds.Submission(cb.View.CallbackID); ok {
			return b.submit(ctx, s, cb, sent)
		}
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) > 0 && cb.ActionCallback.BlockActions[0] != nil {
			act := cb.ActionCallback.BlockActions[0]
			if a, ok := b.cmds.Action(act.ActionID); ok {
				b.click(ctx, a, cb, act)
				return nil
			}
		}
	}
	b.opts.Metrics.Commands.WithLabelValues("interaction", "ignored").Inc()
	b.log.Info("interaction ignored", "type", string(cb.Type), "user", cb.User.ID)
	return nil
}

// submit checks a form in the ack (field errors show on the form) and
// queues what it does.
func (b *Bot) submit(ctx context.Context, s commands.Submission, cb slack.InteractionCallback, sent <-chan struct{}) any {
	req := commands.Request{User: cb.User.ID, Team: cb.Team.ID, Values: formValues(cb), Metadata: cb.View.PrivateMetadata, FormID: cb.View.ID,
		Initial: formInitials(cb)}
	busy := func() any {
		b.opts.Metrics.Commands.WithLabelValues(s.Name, "busy").Inc()
		return fieldErrors(map[string]string{s.Busy: "doorbot is busy answering other requests; submit again in a moment."})
	}
	// A durable submission is recorded by Accept: its worker is secured
	// first, so that nothing recorded is then refused as busy.
	var hand func(job)
	if s.Durable {
		var ok bool
		if hand, ok = b.reserve(true); !ok {
			return busy()
		}
		defer func() { hand(nil) }() // frees the worker unless given work (a second hand is ignored)
	}
	errs, work := s.Accept(ctx, req)
	if len(errs) > 0 {
		return fieldErrors(errs)
	}
	if work == nil {
		return nil
	}
	// A form kept open shows its pending view now and its results later,
	// in the same view.
	viewID := ""
	if s.Pending != nil && validViewID(cb.View.ID) {
		viewID = cb.View.ID
	}
	j := func(ctx context.Context) { b.answerForm(ctx, s.Name, req.User, viewID, sent, work(ctx)) }
	if hand != nil {
		hand(j)
	} else if !b.enqueue(j) {
		return busy()
	}
	if viewID != "" {
		pending := RenderForm(s.Pending(req))
		return slack.NewUpdateViewSubmissionResponse(&pending)
	}
	return nil
}

// reserve secures a worker (slow: a place in the queue; else one beside
// it) for work decided afterwards, and returns the hand that gives it:
// a job, or nil to free the worker. Only the first hand counts. A worker
// that starts before it is handed its job waits for it, which the caller
// bounds (a journal write); false when every place is taken.
func (b *Bot) reserve(slow bool) (hand func(job), ok bool) {
	ch := make(chan job, 1)
	wait := func(ctx context.Context) {
		select {
		case j := <-ch:
			if j != nil {
				j(ctx)
			}
		case <-ctx.Done():
		}
	}
	if slow {
		ok = b.enqueue(wait)
	} else {
		ok = b.spawn(wait)
	}
	if !ok {
		return nil, false
	}
	var once sync.Once
	return func(j job) { once.Do(func() { ch <- j }) }, true
}

// answerForm shows a submission's results in its view, still open, and
// tells them privately as well: the view may have been closed, and what
// it says must outlast it.
func (b *Bot) answerForm(ctx context.Context, name, user, viewID string, sent <-chan struct{}, a *commands.Answer) {
	if a != nil && a.Form != nil && viewID != "" {
		// The results go out only after the ack that shows the pending
		// view: sent before it, they would be overwritten by it. The
		// settle time is a margin for Slack applying the ack.
		select {
		case <-sent:
		case <-ctx.Done():
		}
		settle := b.opts.FormSettle
		if settle == 0 {
			settle = DefaultFormSettle
		}
		if settle > 0 {
			t := time.NewTimer(settle)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
		_, err := b.api.UpdateViewContext(ctx, RenderForm(*a.Form), "", "", viewID)
		b.opts.Metrics.slackCall("views.update", err)
		if err != nil {
			// Closed by the user, most likely: the direct message carries it.
			b.log.Info("results not shown in the form", "form", name, "user", user, "err", err)
		}
	}
	b.tell(ctx, name, user, a)
}

// validViewID reports whether id has the form of a Slack view ID.
func validViewID(id string) bool {
	if len(id) < 2 || len(id) > 32 || id[0] != 'V' {
		return false
	}
	for _, r := range id[1:] {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// click runs a button's action after the ack: a slow one waits for a
// worker, any other runs at once so that a form it opens beats the
// click's 3-second trigger.
func (b *Bot) click(ctx context.Context, a commands.Action, cb slack.InteractionCallback, act *slack.BlockAction) {
	c := commands.Click{ActionID: act.ActionID, Value: act.Value, User: cb.User.ID, Team: cb.Team.ID,
		Channel: cb.Channel.ID, MessageTS: cb.Container.MessageTs}
	trigger := cb.TriggerID
	responseURL := cb.ResponseURL
	if !b.responseURLAllowed(responseURL) {
		responseURL = ""
	}
	run := func(ctx context.Context) commands.Outcome { return a.Run(ctx, c) }
	j := func(ctx context.Context) {
		out := run(ctx)
		if out.Form != nil {
			b.openForm(ctx, trigger, c.User, *out.Form, nil)
		}
		if out.Replace != nil {
			b.replace(ctx, a.ID, c, responseURL, *out.Replace)
		}
		b.tell(ctx, a.ID, c.User, out.Answer)
	}
	n := notice{responseURL: responseURL, user: c.User, channel: c.Channel}
	if a.Record != nil {
		// Journaled before the ack: the worker is secured first, so that
		// nothing recorded is then refused as busy; a click that could
		// not be recorded is not run, and its clicker is told at once.
		hand, ok := b.reserve(a.Slow)
		if !ok {
			b.busyClick(a.ID, n)
			return
		}
		defer hand(nil) // frees the worker unless given the job
		recorded, err := a.Record(ctx, c)
		if err != nil {
			b.notRecorded(a.ID, n)
			return
		}
		run = recorded
		hand(j)
		return
	}
	queued := false
	if a.Slow {
		queued = b.enqueue(j)
	} else {
		queued = b.spawn(j)
	}
	if !queued {
		b.busyClick(a.ID, n)
	}
}

// replace puts a reply in place of the message a button was on: through
// the click's response_url (which also reaches ephemeral and
// response_url-posted messages), else with chat.update. Only the reply's
// first message fits in place; a longer one says so.
func (b *Bot) replace(ctx context.Context, name string, c commands.Click, responseURL string, r handlers.Reply) {
	msgs := Render(r)
	m := msgs[0]
	if len(msgs) > 1 {
		m.Blocks = append(m.Blocks[:min(len(m.Blocks), maxBlocks-1)], section(fmt.Sprintf(
			"_Cut to its first part: ask /door status %s for the whole answer._", Escape(c.Value))))
	}
	var err error
	switch {
	case responseURL != "":
		err = b.respondReplace(ctx, responseURL, m)
	case c.Channel != "" && c.MessageTS != "":
		err = b.update(ctx, c.Channel, c.MessageTS, m)
	default:
		err = errors.New("slack: the click names no message to replace")
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
		b.log.Error("message not replaced", "what", name, "user", c.User, "err", err)
	}
	b.opts.Metrics.Commands.WithLabelValues(name, outcome).Inc()
}

// tell delivers an answer to the person who acted, privately.
func (b *Bot) tell(ctx context.Context, name, user string, a *commands.Answer) {
	if a == nil {
		return
	}
	outcome := "ok"
	if err := b.tellPrivately(ctx, user, a.Channel, Render(a.Reply)); err != nil {
		outcome = "error"
		b.log.Error("answer not delivered", "what", name, "user", user, "err", err)
	}
	b.opts.Metrics.Commands.WithLabelValues(name, outcome).Inc()
}

// formValues reads a submitted form's text inputs; a payload without
// state (never sent by Slack, but possible from anyone else) reads as
// empty.
func formValues(cb slack.InteractionCallback) map[string]map[string]string {
	out := map[string]map[string]string{}
	if cb.View.State == nil {
		return out
	}
	for block, actions := range cb.View.State.Values {
		out[block] = map[string]string{}
		for action, v := range actions {
			out[block][action] = v.Value
			switch {
			case string(v.Type) == string(slack.METDatetimepicker) && v.SelectedDateTime != 0:
				out[block][action] = strconv.FormatInt(v.SelectedDateTime, 10)
			case string(v.Type) == string(slack.OptTypeStatic):
				out[block][action] = v.SelectedOption.Value
			}
		}
	}
	return out
}

// formInitials reads what a submitted form's inputs showed when it opened
// (Slack sends the view's blocks with the submission), which tells an
// edited input from one left alone. nil when the payload carries no
// blocks.
func formInitials(cb slack.InteractionCallback) map[string]map[string]string {
	if len(cb.View.Blocks.BlockSet) == 0 {
		return nil
	}
	out := map[string]map[string]string{}
	for _, blk := range cb.View.Blocks.BlockSet {
		in, ok := blk.(*slack.InputBlock)
		if !ok || in == nil {
			continue
		}
		switch el := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			out[in.BlockID] = map[string]string{el.ActionID: el.InitialValue}
		case *slack.SelectBlockElement:
			v := ""
			if el.InitialOption != nil {
				v = el.InitialOption.Value
			}
			out[in.BlockID] = map[string]string{el.ActionID: v}
		case *slack.DateTimePickerBlockElement:
			v := ""
			if el.InitialDateTime != 0 {
				v = strconv.FormatInt(el.InitialDateTime, 10)
			}
			out[in.BlockID] = map[string]string{el.ActionID: v}
		}
	}
	return out
}

// fieldErrors keeps a form open with the messages under their inputs,
// within what Slack shows.
func fieldErrors(errs map[string]string) *slack.ViewSubmissionResponse {
	for k, v := range errs {
		errs[k] = truncate(v, 300)
	}
	return slack.NewErrorsViewSubmissionResponse(errs)
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
