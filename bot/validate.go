package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/proposal"
	"github.com/doorbot/doorbot/vpn"
)

// Identifiers of the /door validate modal (design.md §6, interface).
const (
	validateCallbackID = "door_validate"
	proposalBlockID    = "proposal"
	proposalActionID   = "yaml"
	// maxProposalInput is Slack's limit for a plain_text_input.
	maxProposalInput = 3000
)

// validateMeta travels in the modal's private_metadata: where to answer.
type validateMeta struct {
	Channel    string `json:"channel,omitempty"`
	Connection string `json:"connection,omitempty"`
}

// acceptValidate opens the modal at once (a trigger_id lives 3 s, so no
// cloud is read first) and acks with nothing: the modal is the answer.
// With a connection name the modal opens on a "reading" view and is then
// updated with the live state as a proposal.
func (b *Bot) acceptValidate(cmd slack.SlashCommand, args []string) Ack {
	if len(args) > 1 {
		return usageAck("usage: /door validate [NAME] — one connection at a time")
	}
	name := ""
	if len(args) == 1 {
		name = args[0]
		if _, err := b.router.Service.Select([]string{name}); err != nil {
			return usageAck(err.Error())
		}
	}
	if cmd.TriggerID == "" {
		return usageAck("this Slack request carried no trigger_id, so no form can open; use `doorbot validate FILE`")
	}
	meta := validateMeta{Channel: cmd.ChannelID, Connection: name}
	b.opts.Metrics.Commands.WithLabelValues("validate", "ok").Inc()
	// views.open is one quick Web API call; it runs beside the ack rather
	// than before it so the ack never waits on Slack itself.
	go b.openValidateModal(cmd, meta)
	return Ack{}
}

func usageAck(text string) Ack {
	msgs := Render(handlers.Help(text))
	return Ack{ResponseType: ReplyEphemeral, Text: msgs[0].Text, Blocks: msgs[0].Blocks}
}

func (b *Bot) openValidateModal(cmd slack.SlashCommand, meta validateMeta) {
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.CommandTimeout)
	defer cancel()
	var view slack.ModalViewRequest
	if meta.Connection == "" {
		view = validateModal(meta, "")
	} else {
		view = loadingModal(meta)
	}
	resp, err := b.api.OpenViewContext(ctx, cmd.TriggerID, view)
	b.opts.Metrics.slackCall("views.open", err)
	if err != nil {
		b.log.Error("cannot open the validate form", "user", cmd.UserID, "err", err)
		return
	}
	if meta.Connection == "" {
		return
	}
	live, err := b.router.Service.LiveProposal(ctx, meta.Connection)
	prefill := ""
	if err == nil {
		prefill = string(proposal.Marshal(live))
	} else {
		b.log.Warn("live state for the validate form", "connection", meta.Connection, "err", err)
		prefill = "connection: " + meta.Connection + "\n"
	}
	_, err = b.api.UpdateViewContext(ctx, validateModal(meta, prefill), "", resp.View.Hash, resp.View.ID)
	b.opts.Metrics.slackCall("views.update", err)
	if err != nil {
		b.log.Error("cannot fill the validate form", "connection", meta.Connection, "err", err)
	}
}

func modalBase(meta validateMeta) slack.ModalViewRequest {
	raw, _ := json.Marshal(meta)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      validateCallbackID,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Validate a VPN change", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		PrivateMetadata: string(raw),
	}
}

func loadingModal(meta validateMeta) slack.ModalViewRequest {
	v := modalBase(meta)
	v.Blocks = slack.Blocks{BlockSet: []slack.Block{section(Escape(fmt.Sprintf(":hourglass_flowing_sand: Reading the live state of *%s* from AWS and Azure to fill in the form…", meta.Connection)))}}
	return v
}

func validateModal(meta validateMeta, prefill string) slack.ModalViewRequest {
	v := modalBase(meta)
	v.Submit = slack.NewTextBlockObject(slack.PlainTextType, "Validate", false, false)
	intro := "Paste the intended end state of one connection (YAML, as in `doorbot validate`). Omitted parts are taken from the live state of the connection it names. Keys you type here are checked and never shown."
	if meta.Connection != "" {
		intro = fmt.Sprintf("The live state of *%s*, as a proposal. Edit it into the end state you intend; pre-shared keys are not shown.", Escape(meta.Connection))
	}
	v.Blocks = slack.Blocks{BlockSet: []slack.Block{
		section(intro),
		textInput(proposalBlockID, proposalActionID, "Proposal", "routing: static", true, false, prefill, maxProposalInput),
	}}
	return v
}

// submitValidate parses the submitted YAML in the ack: a malformed
// proposal is shown on the form itself; a readable one closes the form and
// is validated by a worker, which may read the clouds.
func (b *Bot) submitValidate(cb slack.InteractionCallback) any {
	text := inputValue(cb, proposalBlockID, proposalActionID)
	var meta validateMeta
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta)
	if strings.TrimSpace(text) == "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{proposalBlockID: "The proposal is empty: paste the YAML of the intended end state."})
	}
	if len(text) > maxProposalInput {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{proposalBlockID: fmt.Sprintf("The proposal is %d characters; the form takes %d. Use `doorbot validate FILE` for larger ones.", len(text), maxProposalInput)})
	}
	p, err := proposal.Parse([]byte(text), "proposal")
	if err != nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{proposalBlockID: truncate(err.Error(), 300)})
	}
	if p.Connection == "" {
		p.Connection = meta.Connection
	}
	if p.Connection != "" {
		if _, err := b.router.Service.Select([]string{p.Connection}); err != nil {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{proposalBlockID: truncate(err.Error(), 300)})
		}
	}
	user := cb.User.ID
	if !b.enqueue(func(ctx context.Context) { b.answerValidate(ctx, user, meta.Channel, p) }) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{proposalBlockID: "doorbot is busy answering other requests; submit again in a moment."})
	}
	return nil
}

// answerValidate validates and tells the requester privately: in the
// channel the form came from, or in a direct message.
func (b *Bot) answerValidate(ctx context.Context, user, channel string, p vpn.Proposal) {
	res, err := b.router.Service.Validate(ctx, p)
	var msgs []Message
	outcome := "ok"
	if err != nil {
		outcome = "error"
		msgs = Render(handlers.Help("validate failed: " + err.Error()))
	} else {
		msgs = Render(handlers.ValidateReply(res))
	}
	for _, m := range msgs {
		if err := b.tellPrivately(ctx, user, channel, m); err != nil {
			outcome = "error"
			b.log.Error("validation result not delivered", "user", user, "err", err)
			break
		}
	}
	b.opts.Metrics.Commands.WithLabelValues("validate_submit", outcome).Inc()
}

func (b *Bot) tellPrivately(ctx context.Context, user, channel string, m Message) error {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	if channel != "" {
		err := retryRateLimited(ctx, func() error {
			_, err := b.api.PostEphemeralContext(ctx, channel, user, opts...)
			b.opts.Metrics.slackCall("chat.postEphemeral", err)
			return err
		})
		if err == nil || !isChannelAccessError(err) {
			return err
		}
	}
	// Not in that channel (or none): the app's direct message with the user.
	_, err := b.post(ctx, user, opts...)
	return err
}

// inputValue reads a submitted text input; a payload without state (never
// sent by Slack, but possible from anyone else) reads as empty.
func inputValue(cb slack.InteractionCallback, blockID, actionID string) string {
	if cb.View.State == nil {
		return ""
	}
	return cb.View.State.Values[blockID][actionID].Value
}
