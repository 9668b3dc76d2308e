package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/doorbot/doorbot/vpn"
)

// MaxCommandText bounds slash-command text; Slack itself sends far less.
const MaxCommandText = 2000

// Command is parsed /door text.
type Command struct {
	Name string   // subcommand: status, help
	Args []string // its arguments
}

// ParseCommand parses the text after "/door". It accepts what a person
// types: extra spaces, a leading "/door", upper-case subcommands.
func ParseCommand(text string) (Command, error) {
	if !utf8.ValidString(text) {
		return Command{}, errors.New("the command is not valid UTF-8 text")
	}
	if len(text) > MaxCommandText {
		return Command{}, fmt.Errorf("the command is %d characters long; the limit is %d", len(text), MaxCommandText)
	}
	fields := strings.Fields(text)
	if len(fields) > 0 && strings.EqualFold(fields[0], "/door") {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return Command{Name: "help"}, nil
	}
	return Command{Name: strings.ToLower(fields[0]), Args: fields[1:]}, nil
}

// Router dispatches /door text to the command handlers.
type Router struct {
	Service *Service
}

// Handle answers one /door line. It never fails: a usage problem is an
// answer too, shown only to the person who typed it.
func (rt *Router) Handle(ctx context.Context, text string) Reply {
	cmd, err := ParseCommand(text)
	if err != nil {
		return usage(err.Error())
	}
	switch cmd.Name {
	case "help", "-h", "--help":
		return Help("")
	case "status":
		return rt.status(ctx, cmd.Args)
	case "runbook":
		return rt.runbook(ctx, cmd.Args)
	case "change":
		return usage("/door change opens an approval form in Slack; it has no terminal form. Use doorbot validate FILE to check a proposal here, and doorbot changes list to see requests.")
	case "validate":
		// The form is Slack's; a terminal has files.
		return usage("/door validate opens a form in Slack; here, run: doorbot validate FILE (or - for standard input)")
	}
	return Help(fmt.Sprintf("unknown subcommand %q", cmd.Name))
}

// Refusal answers, without reading any cloud, a command that would be
// refused anyway (unknown subcommand, bad or unknown connection name), so
// that transports can put it in the acknowledgement; ok is false when the
// command needs real work.
func (rt *Router) Refusal(text string) (Reply, bool) {
	cmd, err := ParseCommand(text)
	if err != nil {
		return usage(err.Error()), true
	}
	switch cmd.Name {
	case "status":
		return rt.checkNames(cmd.Args)
	case "runbook":
		if len(cmd.Args) != 2 || !slices.Contains(RunbookKinds, cmd.Args[0]) {
			return usage("usage: /door runbook static|migrate|verify NAME"), true
		}
		return rt.checkNames(cmd.Args[1:])
	}
	return Reply{}, false
}

func (rt *Router) checkNames(names []string) (Reply, bool) {
	for _, a := range names {
		if !vpn.ValidConnectionName(a) {
			return usage(fmt.Sprintf("%q is not a connection name (names are 1-40 of a-z, 0-9 and -)", a)), true
		}
	}
	if _, err := rt.Service.Select(names); err != nil {
		return usage(err.Error()), true
	}
	return Reply{}, false
}

func (rt *Router) status(ctx context.Context, args []string) Reply {
	if r, refused := rt.checkNames(args); refused {
		return r
	}
	report, err := rt.Service.Status(ctx, args)
	if err != nil {
		var unknown *UnknownConnectionError
		if errors.As(err, &unknown) {
			return usage(err.Error())
		}
		return usage("status failed: " + err.Error())
	}
	return StatusReply(report)
}

func (rt *Router) runbook(ctx context.Context, args []string) Reply {
	if r, refused := rt.Refusal("runbook " + strings.Join(args, " ")); refused {
		return r
	}
	kind, name := args[0], args[1]
	if kind == "verify" {
		v, err := rt.Service.VerifyApproved(ctx, name)
		if err != nil {
			return usage("verify failed: " + err.Error())
		}
		return VerifyReply(v)
	}
	rb, err := rt.Service.Runbook(ctx, kind, name)
	if err != nil {
		return usage("runbook failed: " + err.Error())
	}
	return RunbookReply(rb)
}

func usage(problem string) Reply {
	r := Help(problem)
	r.Ephemeral = true
	return r
}

// Help is the usage text, with an optional hint about what went wrong.
func Help(problem string) Reply {
	var r Reply
	if problem != "" {
		r.Blocks = append(r.Blocks, paragraph(ToneWarning, problem))
		r.Ephemeral = true
	}
	r.Blocks = append(r.Blocks,
		heading(ToneNone, "/door — AWS ↔ Azure VPN status and checks"),
		paragraph(ToneNone,
			"/door status [NAME...]   both clouds' view of every tunnel, the verdict and what to do",
			"/door validate [NAME]    check a proposed change against what AWS and Azure permit (opens a form)",
			"/door runbook KIND NAME  the steps, filled in: static (setup), migrate (BGP → static), verify (checks)",
			"/door change NAME        propose a change for approval in the approvals channel (opens a form)",
			"/door help               this text",
		),
		notes("Connection names come from doorbot's config. The same commands run on the CLI: doorbot status NAME."),
	)
	r.Text = "usage: /door status [NAME...] | /door validate [NAME] | /door runbook KIND NAME | /door change NAME | /door help"
	if problem != "" {
		r.Text = problem + " — " + r.Text
	}
	return r
}
