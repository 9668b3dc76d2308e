package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/proposal"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/vpn"
)

// Identifiers of the /door change modal and the rejection form (design.md
// §6; the first four are interface).
const (
	changeCallbackID = "door_change"
	reasonBlockID    = "reason"
	windowBlockID    = "window"
	textActionID     = "text"
	rejectCallbackID = "door_change_reject"
)

// Approvals configure change approval; nil disables /door change.
type Approvals struct {
	Store    store.Store
	Channel  string        // slack.approvals_channel
	Approver []string      // user IDs (U…, W…) and user-group IDs (S…)
	Required int           // distinct approvals needed
	TTL      time.Duration // until a pending request expires
	// GroupCacheTTL bounds how stale user-group membership may be; clicks
	// do not each call usergroups.users.list.
	GroupCacheTTL time.Duration
}

type groupCache struct {
	mu      sync.Mutex
	members map[string][]string
	at      map[string]time.Time
}

func (b *Bot) acceptChange(cmd slack.SlashCommand, args []string) Ack {
	a := b.opts.Approvals
	switch {
	case a == nil || a.Store == nil || a.Channel == "" || len(a.Approver) == 0:
		return usageAck("change approval is not configured: set slack.approvals_channel and slack.approvers")
	case len(args) != 1:
		return usageAck("usage: /door change NAME")
	}
	if _, err := b.router.Service.Select(args); err != nil {
		return usageAck(err.Error())
	}
	if cmd.TriggerID == "" {
		return usageAck("this Slack request carried no trigger_id, so no form can open")
	}
	b.opts.Metrics.Commands.WithLabelValues("change", "ok").Inc()
	go b.openChangeModal(cmd, args[0])
	return Ack{}
}

func (b *Bot) openChangeModal(cmd slack.SlashCommand, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.CommandTimeout)
	defer cancel()
	loading := changeModalBase(name)
	loading.Blocks = slack.Blocks{BlockSet: []slack.Block{section(Escape(fmt.Sprintf(":hourglass_flowing_sand: Reading the live state of %s to start the proposal…", name)))}}
	resp, err := b.api.OpenViewContext(ctx, cmd.TriggerID, loading)
	b.opts.Metrics.slackCall("views.open", err)
	if err != nil {
		b.log.Error("cannot open the change form", "user", cmd.UserID, "err", err)
		return
	}
	prefill := "connection: " + name + "\n"
	if live, err := b.router.Service.LiveProposal(ctx, name); err == nil {
		prefill = string(proposal.Marshal(live))
	}
	_, err = b.api.UpdateViewContext(ctx, changeModal(name, prefill), "", resp.View.Hash, resp.View.ID)
	b.opts.Metrics.slackCall("views.update", err)
	if err != nil {
		b.log.Error("cannot fill the change form", "connection", name, "err", err)
	}
}

func changeModalBase(name string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      changeCallbackID,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Request a VPN change", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		PrivateMetadata: name,
	}
}

// textInput is a modal's plain-text input block. An initial value longer
// than the input allows is left out rather than refused by Slack.
func textInput(blockID, actionID, label, placeholder string, multiline, optional bool, initial string, maxLen int) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, placeholder, false, false), actionID)
	el.Multiline = multiline
	el.MaxLength = maxLen
	if len(initial) <= maxLen {
		el.InitialValue = initial
	}
	in := slack.NewInputBlock(blockID, slack.NewTextBlockObject(slack.PlainTextType, label, false, false), nil, el)
	in.Optional = optional
	return in
}

func changeModal(name, prefill string) slack.ModalViewRequest {
	v := changeModalBase(name)
	v.Submit = slack.NewTextBlockObject(slack.PlainTextType, "Submit for approval", false, false)
	v.Blocks = slack.Blocks{BlockSet: []slack.Block{
		section(Escape(fmt.Sprintf("The live state of *%s* as a proposal: edit it into the end state you intend. doorbot validates it, posts it for approval with the diff and the runbook, and never shows keys.", name))),
		textInput(proposalBlockID, proposalActionID, "Proposal", "routing: static", true, false, prefill, maxProposalInput),
		textInput(reasonBlockID, textActionID, "Reason", "why, and the ticket", true, false, "", 1000),
		textInput(windowBlockID, textActionID, "Planned window", "e.g. 2026-12-01 02:00-03:00 JST", false, true, "", 200),
	}}
	return v
}

// submitChange checks the form in the ack (malformed YAML or a missing
// reason shows on the form); a readable request is created and posted by
// a worker.
func (b *Bot) submitChange(cb slack.InteractionCallback) any {
	text := inputValue(cb, proposalBlockID, proposalActionID)
	reason := strings.TrimSpace(inputValue(cb, reasonBlockID, textActionID))
	window := strings.TrimSpace(inputValue(cb, windowBlockID, textActionID))
	name := cb.View.PrivateMetadata
	errs := map[string]string{}
	p, err := proposal.Parse([]byte(text), "proposal")
	switch {
	case strings.TrimSpace(text) == "":
		errs[proposalBlockID] = "The proposal is empty."
	case err != nil:
		errs[proposalBlockID] = truncate(err.Error(), 300)
	case p.Connection != "" && p.Connection != name:
		errs[proposalBlockID] = fmt.Sprintf("This form is for %s; the proposal names %s.", name, p.Connection)
	}
	if reason == "" {
		errs[reasonBlockID] = "Say why: reviewers decide on it."
	}
	if _, err := b.router.Service.Select([]string{name}); err != nil {
		errs[proposalBlockID] = truncate(err.Error(), 300)
	}
	if len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	p.Connection = name
	user, team := cb.User.ID, cb.Team.ID
	if !b.enqueue(func(ctx context.Context) { b.createChange(ctx, user, team, p, reason, window) }) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{proposalBlockID: "doorbot is busy; submit again in a moment."})
	}
	return nil
}

func newRequestID() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "CR-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

func (b *Bot) createChange(ctx context.Context, user, team string, p vpn.Proposal, reason, window string) {
	a := b.opts.Approvals
	res, err := b.router.Service.Validate(ctx, p)
	if err != nil {
		b.tellUser(ctx, user, "Your change for "+p.Connection+" could not be validated: "+err.Error())
		return
	}
	// Validate read the live state once; the diff and the runbook choice
	// use that same reading.
	live, merged := res.Current, res.End
	now := b.opts.Now()
	req := approval.Request{
		ID: newRequestID(), Connection: p.Connection, State: approval.Pending, Requester: user,
		Reason: reason, Window: window, Proposal: string(proposal.Marshal(merged)),
		Verdict: res.Verdict, Findings: res.Findings,
		Diff:              handlers.Diff(proposal.Marshal(live), proposal.Marshal(merged)),
		RequiredApprovals: a.Required, Approvals: []string{},
		CreatedAt: now, ExpiresAt: now.Add(a.TTL), TeamID: team, Channel: a.Channel,
	}
	if err := a.Store.Create(ctx, req, approval.Event{RequestID: req.ID, Kind: "created", Actor: user, At: now, TeamID: team, Channel: a.Channel,
		Detail: fmt.Sprintf("connection %s, verdict %s", req.Connection, req.Verdict)}); err != nil {
		b.log.Error("change request not stored", "err", err)
		b.tellUser(ctx, user, "Your change for "+p.Connection+" could not be recorded; nothing was posted. Try again.")
		return
	}
	root := Render(handlers.ChangeReply(req))[0]
	ts, err := b.post(ctx, a.Channel, slack.MsgOptionText(root.Text, false), slack.MsgOptionBlocks(root.Blocks...))
	if err != nil {
		b.log.Error("change request not posted", "request", req.ID, "channel", a.Channel, "err", err)
		b.tellUser(ctx, user, fmt.Sprintf("Change %s is recorded but could not be posted in the approvals channel (%v): invite doorbot there.", req.ID, err))
		return
	}
	// Without the thread's ts stored, no button of this request would be
	// accepted: retry briefly, then say so rather than leave a dead thread.
	var posted approval.Request
	for attempt := 0; attempt < 3; attempt++ {
		posted, err = a.Store.Update(ctx, req.ID, func(r *approval.Request) ([]approval.Event, error) {
			r.ThreadTS = ts
			return []approval.Event{{RequestID: r.ID, Kind: "posted", Actor: "doorbot", At: b.opts.Now(), TeamID: team, Channel: a.Channel, Detail: "thread " + ts}}, nil
		})
		if err == nil {
			break
		}
	}
	if err != nil {
		b.log.Error("change thread not recorded", "request", req.ID, "err", err)
		_, _ = b.post(ctx, a.Channel, slack.MsgOptionText(Escape("doorbot could not record this thread for change "+req.ID+"; its buttons will not work. Submit the change again."), false), slack.MsgOptionTS(ts))
		b.tellUser(ctx, user, fmt.Sprintf("Change %s was posted but could not be recorded, so it cannot be approved; submit it again.", req.ID))
		return
	}
	req = posted
	kind := "static"
	if live.Routing == vpn.RoutingBGP && merged.Routing == vpn.RoutingStatic {
		kind = "migrate"
	}
	if rb, err := b.router.Service.Runbook(ctx, kind, p.Connection); err == nil {
		for _, m := range Render(handlers.RunbookReply(rb)) {
			if _, err := b.post(ctx, a.Channel, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...), slack.MsgOptionTS(ts)); err != nil {
				b.log.Error("runbook not posted in the change thread", "request", req.ID, "err", err)
				break
			}
		}
	}
	b.tellUser(ctx, user, fmt.Sprintf("Change %s for %s is posted for approval (%s).", req.ID, req.Connection, strings.ToUpper(req.Verdict)))
}

// tellUser writes to the user in the app's direct message.
func (b *Bot) tellUser(ctx context.Context, user, text string) {
	if _, err := b.post(ctx, user, slack.MsgOptionText(Escape(text), false)); err != nil {
		b.log.Warn("cannot message user", "user", user, "err", err)
	}
}

// changeAction handles the thread's buttons. The ack carries nothing; the
// decision is made by a worker against the stored request, never against
// what the payload claims.
func (b *Bot) changeAction(cb slack.InteractionCallback, act *slack.BlockAction) any {
	if b.opts.Approvals == nil {
		return nil
	}
	switch act.ActionID {
	case handlers.ActionReject:
		// The reason form needs the click's trigger_id, which lives 3 s;
		// the button is checked against the stored request first.
		c, id := cb, act.Value
		go b.openRejectModal(c, id)
	case handlers.ActionApprove, handlers.ActionVerify:
		c := cb
		action := act.ActionID
		if !b.enqueue(func(ctx context.Context) { b.decide(ctx, c, action, act.Value, "") }) {
			b.log.Warn("decision queue full", "user", cb.User.ID)
		}
	}
	return nil
}

func (b *Bot) openRejectModal(cb slack.InteractionCallback, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := b.opts.Approvals.Store.Get(ctx, id)
	if err != nil {
		b.refuse(ctx, cb, id, "no change request "+id+" exists; nothing was changed")
		return
	}
	if !b.belongs(r, cb.Container.MessageTs, cb.Channel.ID) {
		b.refuse(ctx, cb, id, "this button does not belong to change "+id+"; nothing was changed")
		return
	}
	meta, _ := json.Marshal(rejectMeta{ID: id, ThreadTS: cb.Container.MessageTs, Channel: cb.Channel.ID})
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      rejectCallbackID,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Reject change", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false),
		PrivateMetadata: string(meta),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section(Escape("Rejecting change " + id + ". The reason is posted in its thread.")),
			textInput(reasonBlockID, textActionID, "Reason", "what must change before this can go ahead", true, false, "", 1000),
		}},
	}
	_, err = b.api.OpenViewContext(ctx, cb.TriggerID, v)
	b.opts.Metrics.slackCall("views.open", err)
	if err != nil {
		b.log.Error("cannot open the rejection form", "request", id, "err", err)
	}
}

// rejectMeta binds a rejection form to the message its button was on.
type rejectMeta struct {
	ID       string `json:"id"`
	ThreadTS string `json:"ts"`
	Channel  string `json:"channel"`
}

// belongs reports whether a click came from the request's own thread root.
func (b *Bot) belongs(r approval.Request, ts, channel string) bool {
	return r.ThreadTS != "" && ts == r.ThreadTS && channel == r.Channel
}

func (b *Bot) submitReject(cb slack.InteractionCallback) any {
	reason := strings.TrimSpace(inputValue(cb, reasonBlockID, textActionID))
	if reason == "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{reasonBlockID: "A rejection needs a reason."})
	}
	var meta rejectMeta
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta); err != nil || meta.ID == "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{reasonBlockID: "This form is not tied to a change request; reject from the request's thread."})
	}
	// The submission carries no message: check against the one the form
	// was opened from.
	c := cb
	c.Container.MessageTs, c.Channel.ID = meta.ThreadTS, meta.Channel
	if !b.enqueue(func(ctx context.Context) { b.decide(ctx, c, handlers.ActionReject, meta.ID, reason) }) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{reasonBlockID: "doorbot is busy; submit again in a moment."})
	}
	return nil
}

// decide applies one click to the stored request in one transaction, then
// says what happened in the thread and updates the root in place. A
// refusal changes nothing, is audited, and is told to the clicker alone.
func (b *Bot) decide(ctx context.Context, cb slack.InteractionCallback, action, id, reason string) {
	a := b.opts.Approvals
	user := cb.User.ID
	d := approval.Decider{User: user, IsApprover: b.isApprover(ctx, user), TeamID: cb.Team.ID, Channel: cb.Channel.ID}
	now := b.opts.Now()
	current, err := a.Store.Get(ctx, id)
	if err != nil {
		b.refuse(ctx, cb, id, "no change request "+id+" exists; nothing was changed")
		return
	}
	// A button must come from its own request's thread root (a rejection
	// form carries the message it was opened from).
	if !b.belongs(current, cb.Container.MessageTs, cb.Channel.ID) {
		b.refuse(ctx, cb, id, "this button does not belong to change "+id+"; nothing was changed")
		return
	}
	var verification string
	var verified *bool
	if action == handlers.ActionVerify {
		// Read the clouds and post a result only for an approved change;
		// the transaction below checks the state again.
		if current.State != approval.Approved {
			b.refuse(ctx, cb, id, fmt.Sprintf("change %s is %s; only an approved change is verified", id, current.State))
			return
		}
		p, err := proposal.Parse([]byte(current.Proposal), current.ID)
		var pp *vpn.Proposal
		if err == nil {
			pp = &p
		}
		v, err := b.router.Service.Verify(ctx, current.Connection, pp)
		if err != nil {
			b.refuse(ctx, cb, id, "verification could not run: "+err.Error())
			return
		}
		ok := v.Passed
		verified = &ok
		verification = v.Failed()
		for _, m := range Render(handlers.VerifyReply(v)) {
			_, _ = b.post(ctx, current.Channel, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...), slack.MsgOptionTS(current.ThreadTS))
		}
	}
	updated, err := a.Store.Update(ctx, id, func(r *approval.Request) ([]approval.Event, error) {
		switch action {
		case handlers.ActionApprove:
			return approval.Approve(r, d, now)
		case handlers.ActionReject:
			return approval.Reject(r, d, reason, now)
		default:
			return approval.RecordVerification(r, d, *verified, verification, now)
		}
	})
	var refusal *approval.Refusal
	switch {
	case errors.As(err, &refusal):
		b.refuse(ctx, cb, id, refusal.Reason)
		return
	case err != nil:
		b.log.Error("decision not stored", "request", id, "user", user, "err", err)
		b.refuse(ctx, cb, id, "your decision could not be recorded; try again")
		return
	}
	b.opts.Metrics.Commands.WithLabelValues(action, "ok").Inc()
	var note string
	switch {
	case updated.State == approval.Expired:
		note = fmt.Sprintf("Change %s expired before this decision; nothing was approved.", id)
		b.refuse(ctx, cb, id, note)
	case action == handlers.ActionApprove:
		note = fmt.Sprintf("Approved by @%s (%d of %d).", user, len(updated.Approvals), max(updated.RequiredApprovals, 1))
		if updated.State == approval.Approved {
			note += " The change is approved; after it, press Verify now or run /door runbook verify " + updated.Connection + "."
		}
	case action == handlers.ActionReject:
		note = fmt.Sprintf("Rejected by @%s: %s", user, reason)
	}
	if note != "" && updated.State != approval.Expired {
		_, _ = b.post(ctx, updated.Channel, slack.MsgOptionText(Escape(note), false), slack.MsgOptionTS(updated.ThreadTS))
	}
	b.updateRoot(ctx, updated)
}

func (b *Bot) updateRoot(ctx context.Context, r approval.Request) {
	root := Render(handlers.ChangeReply(r))[0]
	err := retryRateLimited(ctx, func() error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, r.Channel, r.ThreadTS, slack.MsgOptionText(root.Text, false), slack.MsgOptionBlocks(root.Blocks...))
		b.opts.Metrics.slackCall("chat.update", err)
		return err
	})
	if err != nil {
		b.log.Error("change root not updated", "request", r.ID, "err", err)
	}
}

func (b *Bot) refuse(ctx context.Context, cb slack.InteractionCallback, id, reason string) {
	a := b.opts.Approvals
	b.opts.Metrics.Commands.WithLabelValues("change_click", "refused").Inc()
	if err := a.Store.AppendEvent(ctx, approval.Event{RequestID: id, Kind: "refused", Actor: cb.User.ID, At: b.opts.Now(), TeamID: cb.Team.ID, Channel: cb.Channel.ID, Detail: reason}); err != nil {
		b.log.Error("refusal not audited", "request", id, "err", err)
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = a.Channel
	}
	if err := b.tellPrivately(ctx, cb.User.ID, channel, Message{Text: Escape(reason), Blocks: []slack.Block{section(":no_entry: " + Escape(reason))}}); err != nil {
		b.log.Warn("refusal not delivered", "user", cb.User.ID, "err", err)
	}
}

// ExpireDue closes every pending request whose time is up and updates its
// thread root, so an abandoned request does not look open forever.
func (b *Bot) ExpireDue(ctx context.Context) {
	a := b.opts.Approvals
	if a == nil || a.Store == nil {
		return
	}
	reqs, err := a.Store.List(ctx)
	if err != nil {
		b.log.Warn("cannot list change requests for expiry", "err", err)
		return
	}
	now := b.opts.Now()
	for _, r := range reqs {
		if r.State != approval.Pending || r.ExpiresAt.IsZero() || now.Before(r.ExpiresAt) {
			continue
		}
		updated, err := a.Store.Update(ctx, r.ID, func(req *approval.Request) ([]approval.Event, error) { return approval.Expire(req, now) })
		if err != nil {
			continue // decided or expired by another process meanwhile
		}
		if updated.ThreadTS != "" {
			b.updateRoot(ctx, updated)
			_, _ = b.post(ctx, updated.Channel, slack.MsgOptionText(Escape("Change "+updated.ID+" expired without a decision; submit a new /door change to go ahead."), false), slack.MsgOptionTS(updated.ThreadTS))
		}
	}
}

// isApprover checks the configured user IDs, then the members of the
// configured user groups, read at most once per GroupCacheTTL.
func (b *Bot) isApprover(ctx context.Context, user string) bool {
	a := b.opts.Approvals
	if slices.Contains(a.Approver, user) {
		return true
	}
	for _, g := range a.Approver {
		if !strings.HasPrefix(g, "S") {
			continue
		}
		if slices.Contains(b.groupMembers(ctx, g), user) {
			return true
		}
	}
	return false
}

// groupStaleLimit is how long a failing usergroups.users.list may keep
// serving the last known members before they stop counting.
const groupStaleLimit = time.Hour

func (b *Bot) groupMembers(ctx context.Context, group string) []string {
	ttl := b.opts.Approvals.GroupCacheTTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	c := &b.groups
	now := b.opts.Now()
	c.mu.Lock()
	if c.members == nil {
		c.members, c.at = map[string][]string{}, map[string]time.Time{}
	}
	last, at := c.members[group], c.at[group]
	c.mu.Unlock()
	if !at.IsZero() && now.Sub(at) < ttl {
		return last
	}
	// Read outside the lock: one slow Slack call must not hold up every
	// other decision.
	members, err := b.api.GetUserGroupMembersContext(ctx, group)
	b.opts.Metrics.slackCall("usergroups.users.list", err)
	if err != nil {
		if at.IsZero() || now.Sub(at) > groupStaleLimit {
			b.log.Warn("cannot read user group; its members do not count", "group", group, "err", err)
			return nil
		}
		b.log.Warn("cannot read user group; using the last known members", "group", group, "err", err)
		return last
	}
	c.mu.Lock()
	c.members[group], c.at[group] = members, now
	c.mu.Unlock()
	return members
}
