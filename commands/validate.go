package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/proposal"
	"github.com/doorbot/doorbot/vpn"
)

// Identifiers of the /door validate form (interface: docs/slack.md).
const (
	ValidateCallbackID = "door_validate"
	ProposalBlockID    = "proposal"
	ProposalActionID   = "yaml"
)

// validateMeta travels in the form's private metadata: where to answer.
type validateMeta struct {
	Channel    string `json:"channel,omitempty"`
	Connection string `json:"connection,omitempty"`
}

// validateCommand opens the form at once; with a connection name it opens
// on a "reading" form and is then filled with the live state as a
// proposal.
func validateCommand(r *Registry, svc *handlers.Service) Command {
	return Command{
		Name:     "validate",
		Usage:    "/door validate [NAME]",
		Summary:  "check a proposed change against what AWS and Azure permit (opens a form)",
		Formless: "/door validate opens a form in Slack; here, run: doorbot validate FILE (or - for standard input)",
		Check: func(_ context.Context, req Request) *handlers.Reply {
			if len(req.Args) > 1 {
				return r.usage("usage: /door validate [NAME] — one connection at a time")
			}
			if len(req.Args) == 1 {
				if _, err := svc.Select(req.Args); err != nil {
					return r.usageOf(err)
				}
			}
			return nil
		},
		Open: func(req Request) (Form, Filler) {
			meta := validateMeta{Channel: req.Channel}
			if len(req.Args) == 0 {
				return validateForm(meta, ""), nil
			}
			meta.Connection = req.Args[0]
			loading := validateBase(meta)
			loading.Intro = []handlers.Block{{Kind: handlers.Paragraph, Lines: []string{
				fmt.Sprintf("⏳ Reading the live state of %s from AWS and Azure to fill in the form…", meta.Connection)}}}
			return loading, func(ctx context.Context) Form {
				prefill, _, _ := liveYAML(ctx, svc, meta.Connection)
				return validateForm(meta, prefill)
			}
		},
	}
}

// liveYAML is a connection's live state as a proposal to start from, and
// that state; when the clouds cannot be read, just the connection's name,
// and the error.
func liveYAML(ctx context.Context, svc *handlers.Service, name string) (string, vpn.Proposal, error) {
	live, err := svc.LiveProposal(ctx, name)
	if err != nil {
		return nameOnly(name), live, err
	}
	return string(proposal.Marshal(live)), live, nil
}

// nameOnly is a proposal that states only its connection.
func nameOnly(name string) string {
	return "connection: " + name + "\n"
}

func validateBase(meta validateMeta) Form {
	raw, _ := json.Marshal(meta)
	return Form{CallbackID: ValidateCallbackID, Title: "Validate a VPN change", Metadata: string(raw)}
}

func validateForm(meta validateMeta, prefill string) Form {
	f := validateBase(meta)
	f.Submit = "Validate"
	intro := "Paste the intended end state of one connection (YAML, as in `doorbot validate`). Omitted parts are taken from the live state of the connection it names. Keys you type here are checked and never shown."
	if meta.Connection != "" {
		intro = fmt.Sprintf("The live state of %s, as a proposal. Edit it into the end state you intend; pre-shared keys are not shown.", meta.Connection)
	}
	f.Intro = []handlers.Block{{Kind: handlers.Paragraph, Lines: []string{intro}}}
	if meta.Connection != "" {
		prefill, f.Intro = fitPrefill(meta.Connection, prefill, f.Intro)
	}
	f.Inputs = []Input{proposalInput(prefill)}
	return f
}

// fitPrefill keeps a live state too long for Slack's input (3000
// characters) from leaving the form empty without a word: the input starts
// from the connection's name alone, and the intro says why and offers the
// file route.
func fitPrefill(name, prefill string, intro []handlers.Block) (string, []handlers.Block) {
	if len(prefill) <= MaxInput {
		return prefill, intro
	}
	return nameOnly(name), []handlers.Block{{Kind: handlers.Paragraph, Tone: handlers.ToneWarning, Icon: handlers.IconWarning, Lines: []string{
		fmt.Sprintf("The live state of %s is %d characters, more than the %d a Slack form holds, so it is not filled in.", name, len(prefill), MaxInput),
		"State only what changes: every part you leave out is taken from the live state. For the whole state, use a file: doorbot validate FILE with connection: " + name + " in it.",
	}}}
}

func proposalInput(prefill string) Input {
	return Input{BlockID: ProposalBlockID, ActionID: ProposalActionID, Label: "Proposal", Placeholder: "routing: static", Initial: prefill, Multiline: true}
}

// validateSubmission parses the YAML in the ack: a malformed proposal is
// shown on the form itself; a readable one closes the form and is
// validated after the ack, which may read the clouds. The verdict goes to
// the requester alone, in the channel the form came from.
func validateSubmission(r *Registry, svc *handlers.Service) Submission {
	return Submission{
		CallbackID: ValidateCallbackID,
		Name:       "validate_submit",
		Busy:       ProposalBlockID,
		Accept: func(_ context.Context, req Request) (map[string]string, Work) {
			text := req.Value(ProposalBlockID, ProposalActionID)
			var meta validateMeta
			_ = json.Unmarshal([]byte(req.Metadata), &meta)
			if strings.TrimSpace(text) == "" {
				return fieldError("The proposal is empty: paste the YAML of the intended end state."), nil
			}
			if len(text) > MaxInput {
				return fieldError(fmt.Sprintf("The proposal is %d characters; the form takes %d. Use `doorbot validate FILE` for larger ones.", len(text), MaxInput)), nil
			}
			p, err := proposal.Parse([]byte(text), "proposal")
			if err != nil {
				return fieldError(err.Error()), nil
			}
			if p.Connection == "" {
				p.Connection = meta.Connection
			}
			if p.Connection != "" {
				if _, err := svc.Select([]string{p.Connection}); err != nil {
					return fieldError(err.Error()), nil
				}
			}
			return nil, func(ctx context.Context) *Answer {
				res, err := svc.Validate(ctx, p)
				if err != nil {
					rep := r.UsageOf(fmt.Errorf("validate failed: %w", err))
					return &Answer{Channel: meta.Channel, Reply: rep, Form: validateResult(req.Metadata, "Not validated", rep)}
				}
				rep := handlers.ValidateReply(res)
				return &Answer{Channel: meta.Channel, Reply: rep, Form: validateResult(req.Metadata, "Validation results", rep)}
			}
		},
		// The form stays open and shows the verdict and findings, which an
		// ephemeral message alone would lose from sight.
		Pending: func(req Request) Form {
			return *validateResult(req.Metadata, "Validate a VPN change", handlers.Reply{Blocks: []handlers.Block{{Kind: handlers.Paragraph,
				Lines: []string{"⏳ Validating the proposal against the rule catalog and the live state…"}}}})
		},
	}
}

// ValidateResultCallbackID is the validate form's results view (and the
// view shown while it is validated).
const ValidateResultCallbackID = "door_validate_result"

// validateResult is the validate form's results view: nothing to submit.
func validateResult(meta, title string, rep handlers.Reply) *Form {
	return &Form{CallbackID: ValidateResultCallbackID, Title: title, Metadata: meta, Intro: rep.Blocks}
}

func fieldError(msg string) map[string]string {
	return map[string]string{ProposalBlockID: msg}
}
