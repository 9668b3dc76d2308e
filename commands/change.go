package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/proposal"
	"github.com/doorbot/doorbot/vpn"
)

// Identifiers of the change forms (interface: docs/slack.md).
const (
	ChangeCallbackID = "door_change"
	RejectCallbackID = "door_change_reject"
	ReasonBlockID    = "reason"
	WindowBlockID    = "window"
	// WindowStartBlockID is the change form's date and time picker for the
	// window's start (action DateTimeActionID), beside the free text.
	WindowStartBlockID = "window_start"
	DateTimeActionID   = "datetime"
	TextActionID       = "text"
)

// Lengths of the change forms' free text, enforced on submission too: a
// forged payload is not bound by the form.
const (
	maxReason = 1000
	maxWindow = 200
)

// changeCommand opens the change form, filled with the connection's live
// state as a proposal.
func changeCommand(r *Registry, d Deps) Command {
	return Command{
		Name:     "change",
		Usage:    "/door change NAME",
		Summary:  "propose a change for approval in the approvals channel (opens a form)",
		Formless: "/door change opens an approval form in Slack; it has no terminal form. Use doorbot validate FILE to check a proposal here, and doorbot changes list to see requests.",
		Check: func(_ context.Context, req Request) *handlers.Reply {
			switch {
			case d.Changes == nil:
				return r.usage("change approval is not configured: set slack.approvals_channel and slack.approvers")
			case len(req.Args) != 1:
				return r.usage("usage: /door change NAME")
			}
			if _, err := d.Service.Select(req.Args); err != nil {
				return r.usageOf(err)
			}
			return nil
		},
		Open: func(req Request) (Form, Filler) {
			name := req.Args[0]
			loading := changeBase(name)
			loading.Intro = []handlers.Block{{Kind: handlers.Paragraph, Lines: []string{
				fmt.Sprintf("⏳ Reading the live state of %s to start the proposal…", name)}}}
			return loading, func(ctx context.Context) Form {
				prefill, live, err := liveYAML(ctx, d.Service, name)
				f := changeForm(name, prefill)
				if err != nil {
					return f
				}
				// The structured fields sit under the YAML, above the
				// reason and the window.
				inputs, left := structuredInputs(live)
				f.Inputs = slices.Insert(f.Inputs, 1, inputs...)
				if len(left) > 0 {
					f.Intro = append(f.Intro, handlers.Block{Kind: handlers.Paragraph, Lines: []string{leftOutNote(left)}})
				}
				return f
			}
		},
	}
}

func changeBase(name string) Form {
	return Form{CallbackID: ChangeCallbackID, Title: "Request a VPN change", Metadata: name}
}

func changeForm(name, prefill string) Form {
	f := changeBase(name)
	f.Submit = "Submit for approval"
	f.Intro = []handlers.Block{{Kind: handlers.Paragraph, Lines: []string{fmt.Sprintf(
		"The live state of %s as a proposal: edit it into the end state you intend, or use the fields under it for the common changes (a field you change there is applied on top of the YAML). doorbot validates it, posts it for approval with the diff and the runbook, and never shows keys.", name)}}}
	prefill, f.Intro = fitPrefill(name, prefill, f.Intro)
	f.Inputs = []Input{
		proposalInput(prefill),
		{BlockID: ReasonBlockID, ActionID: TextActionID, Label: "Reason", Placeholder: "why, and the ticket", Multiline: true, MaxLength: maxReason},
		{BlockID: WindowStartBlockID, ActionID: DateTimeActionID, Label: "Window starts (in your time zone)", Optional: true, Kind: InputDateTime},
		{BlockID: WindowBlockID, ActionID: TextActionID, Label: "Planned window", Placeholder: "e.g. 2026-12-01 02:00-03:00 JST, or how long from the start", Optional: true, MaxLength: maxWindow},
	}
	return f
}

// rejectMeta binds a rejection form to the message its button was on.
type rejectMeta struct {
	ID       string `json:"id"`
	ThreadTS string `json:"ts"`
	Channel  string `json:"channel"`
}

// addChangeHandlers registers the change form, the thread's buttons and
// the rejection form. Every decision is made by the change service
// against the stored request, never against what a payload claims.
func addChangeHandlers(r *Registry, d Deps) {
	cs := d.Changes
	if cs == nil {
		return
	}
	r.AddSubmission(Submission{
		CallbackID: ChangeCallbackID,
		Name:       "change_submit",
		Busy:       ProposalBlockID,
		Accept: func(_ context.Context, req Request) (map[string]string, Work) {
			// Malformed YAML or a missing reason shows on the form.
			text := req.Value(ProposalBlockID, ProposalActionID)
			reason := strings.TrimSpace(req.Value(ReasonBlockID, TextActionID))
			window := strings.TrimSpace(req.Value(WindowBlockID, TextActionID))
			name := req.Metadata
			errs := map[string]string{}
			// ParseInput: a forged submission gets no more than the form
			// allows (the form's own limits bind only Slack's client).
			p, err := proposal.ParseInput(text, "proposal")
			switch {
			case strings.TrimSpace(text) == "":
				errs[ProposalBlockID] = "The proposal is empty."
			case err != nil:
				errs[ProposalBlockID] = err.Error()
			case p.Connection != "" && p.Connection != name:
				errs[ProposalBlockID] = fmt.Sprintf("This form is for %s; the proposal names %s.", name, p.Connection)
			}
			switch {
			case reason == "":
				errs[ReasonBlockID] = "Say why: reviewers decide on it."
			case utf8.RuneCountInString(reason) > maxReason:
				errs[ReasonBlockID] = fmt.Sprintf("The reason takes at most %d characters.", maxReason)
			}
			if start := strings.TrimSpace(req.Value(WindowStartBlockID, DateTimeActionID)); start != "" {
				// The picker gives Unix seconds; the request keeps the
				// moment in UTC, which every reader can convert.
				n, err := strconv.ParseInt(start, 10, 64)
				if err != nil || n <= 0 {
					errs[WindowStartBlockID] = "Pick the date and time the window starts."
				} else {
					window = strings.TrimSuffix("starts "+time.Unix(n, 0).UTC().Format("2006-01-02 15:04 UTC")+"; "+window, "; ")
				}
			}
			if utf8.RuneCountInString(window) > maxWindow {
				errs[WindowBlockID] = fmt.Sprintf("The window takes at most %d characters.", maxWindow)
			}
			if _, err := d.Service.Select([]string{name}); err != nil {
				errs[ProposalBlockID] = err.Error()
			}
			changed, ferrs := structuredEdits(req, p, err == nil)
			maps.Copy(errs, ferrs)
			if len(errs) > 0 {
				return errs, nil
			}
			p.Connection = name
			key := submissionKey(req)
			return nil, func(ctx context.Context) *Answer {
				return submitChange(ctx, d, name, changes.Proposed{User: req.User, Team: req.Team, Proposal: p, Reason: reason, Window: window, Key: key}, changed)
			}
		},
		Pending: func(req Request) Form {
			return Form{CallbackID: ResultCallbackID, Title: "Request a VPN change", Metadata: req.Metadata,
				Intro: []handlers.Block{{Kind: handlers.Paragraph, Lines: []string{
					fmt.Sprintf("⏳ Validating your change for %s against the live state and posting it for approval…", req.Metadata),
					"The results show here, and doorbot sends them to you in a direct message too.",
				}}}}
		},
	})
	decide := func(ctx context.Context, c Click) Outcome {
		_, _ = cs.Decide(ctx, decision(c))
		return Outcome{}
	}
	// Approve and Verify are journaled before their ack (changes.Record).
	record := func(ctx context.Context, c Click) (func(context.Context) Outcome, error) {
		d := decision(c)
		id, err := cs.Record(ctx, d)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) Outcome {
			_, _ = cs.DecideRecorded(ctx, id, d)
			return Outcome{}
		}, nil
	}
	r.AddAction(Action{ID: handlers.ActionApprove, Slow: true, Run: decide, Record: record})
	r.AddAction(Action{ID: handlers.ActionVerify, Slow: true, Run: decide, Record: record})
	// Reject asks for a reason first: the form opens with the click's
	// trigger, once the click is checked against the stored request.
	r.AddAction(Action{ID: handlers.ActionReject, Run: func(ctx context.Context, c Click) Outcome {
		if cs.CheckClick(ctx, decision(c)) != nil {
			return Outcome{}
		}
		meta, _ := json.Marshal(rejectMeta{ID: c.Value, ThreadTS: c.MessageTS, Channel: c.Channel})
		return Outcome{Form: &Form{
			CallbackID: RejectCallbackID, Title: "Reject change", Submit: "Reject", Metadata: string(meta),
			Intro:  []handlers.Block{{Kind: handlers.Paragraph, Lines: []string{"Rejecting change " + c.Value + ". The reason is posted in its thread."}}},
			Inputs: []Input{{BlockID: ReasonBlockID, ActionID: TextActionID, Label: "Reason", Placeholder: "what must change before this can go ahead", Multiline: true, MaxLength: maxReason}},
		}}
	}})
	r.AddSubmission(Submission{
		CallbackID: RejectCallbackID,
		Name:       "change_reject_submit",
		Busy:       ReasonBlockID,
		Durable:    true,
		Accept: func(ctx context.Context, req Request) (map[string]string, Work) {
			reason := strings.TrimSpace(req.Value(ReasonBlockID, TextActionID))
			switch {
			case reason == "":
				return map[string]string{ReasonBlockID: "A rejection needs a reason."}, nil
			case utf8.RuneCountInString(reason) > maxReason:
				return map[string]string{ReasonBlockID: fmt.Sprintf("The reason takes at most %d characters.", maxReason)}, nil
			}
			var meta rejectMeta
			if err := json.Unmarshal([]byte(req.Metadata), &meta); err != nil || meta.ID == "" {
				return map[string]string{ReasonBlockID: "This form is not tied to a change request; reject from the request's thread."}, nil
			}
			// The submission carries no message: it is checked against the
			// one the form was opened from.
			d := changes.Decision{Action: handlers.ActionReject, RequestID: meta.ID, User: req.User, Team: req.Team,
				Channel: meta.Channel, MessageTS: meta.ThreadTS, Reason: reason}
			// Journaled before the ack; a failure keeps the form open.
			id, err := cs.Record(ctx, d)
			if err != nil {
				return map[string]string{ReasonBlockID: "doorbot could not record your rejection (its change store is busy or failing), so nothing was done. Submit again in a moment."}, nil
			}
			return nil, func(ctx context.Context) *Answer {
				_, _ = cs.DecideRecorded(ctx, id, d)
				return nil
			}
		},
	})
}

// ResultCallbackID is the change form's results view (and the view shown
// while it is submitted): nothing to submit, only to read.
const ResultCallbackID = "door_change_result"

// submitChange applies the structured fields onto the end state (the
// proposal merged with the live state, where every tunnel and connection
// is listed), submits it, and answers with the results: in the form, which
// is still open, and in a direct message that outlasts it.
func submitChange(ctx context.Context, d Deps, name string, p changes.Proposed, changed edits) *Answer {
	var said []string
	p.Tell = func(_ context.Context, r handlers.Reply) { said = append(said, r.Text) }
	if len(changed) > 0 {
		live, err := d.Service.LiveProposal(ctx, name)
		if err != nil {
			said = append(said, "Your change for "+name+" could not be validated: "+err.Error())
			return changeResults(name, nil, said)
		}
		end := vpn.Merge(p.Proposal, live)
		changed.apply(&end)
		p.Proposal = end
	}
	req, err := d.Changes.Submit(ctx, p)
	if err != nil && req.ID == "" && !errors.Is(err, changes.ErrDuplicate) {
		return changeResults(name, nil, said)
	}
	return changeResults(name, &req, said)
}

// changeResults is the answer to a submitted change form: the results view
// (with the diff) and the same results, without it, for a direct message.
func changeResults(name string, req *approval.Request, said []string) *Answer {
	title := "Change submitted"
	if req == nil {
		title = "Change not submitted"
	}
	form := Form{CallbackID: ResultCallbackID, Title: title, Metadata: name,
		Intro: handlers.SubmitResultReply(name, req, said, true).Blocks}
	return &Answer{Reply: handlers.SubmitResultReply(name, req, said, false), Form: &form}
}

// submissionKey identifies one submission of one form: its ID and a hash
// of who submitted what. A replayed submission has the same key and so
// the same change request ID (changes.Proposed.Key). Empty without a form
// ID.
func submissionKey(req Request) string {
	if req.FormID == "" {
		return ""
	}
	h := sha256.New()
	raw, _ := json.Marshal(struct {
		User, Team, Metadata string
		Values               map[string]map[string]string
	}{req.User, req.Team, req.Metadata, req.Values})
	h.Write(raw)
	return req.FormID + ":" + hex.EncodeToString(h.Sum(nil))
}

func decision(c Click) changes.Decision {
	return changes.Decision{Action: c.ActionID, RequestID: c.Value, User: c.User, Team: c.Team, Channel: c.Channel, MessageTS: c.MessageTS}
}
