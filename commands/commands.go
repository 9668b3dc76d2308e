// Package commands is doorbot's one command layer: every /door command,
// every button and every form, described without any platform. Each
// command says its name and usage, whether it is slow, the form it opens
// and how it runs; each button (by action_id) and each form (by
// callback_id) has its handler. Transports ask the Registry: the Slack bot
// acks, queues and renders what it is told, the console runs the same
// commands in a terminal.
//
// This package must never import bot or slack-go: forms, views and replies
// here are neutral and the bot alone renders them to Block Kit.
package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/handlers"
)

// Request is one invocation: a slash command, a form submission or the
// filling of a form. Values and Metadata are set for submitted forms.
type Request struct {
	Args    []string
	User    string
	Team    string
	Channel string
	// Values are a submitted form's inputs: block ID → action ID → value.
	Values map[string]map[string]string
	// Metadata is the form's private metadata, as the form set it.
	Metadata string
	// FormID identifies the submitted form (Slack: the view ID); with the
	// values it makes a submission idempotent. Empty when unknown.
	FormID string
	// Initial are a submitted form's inputs as the form showed them (block
	// ID → action ID → value), which tells an edited input from one left
	// alone. Empty when the platform does not say; like Values, it comes
	// from the client and decides nothing on its own.
	Initial map[string]map[string]string
}

// Value reads a submitted input; absent reads as empty.
func (r Request) Value(blockID, actionID string) string {
	return r.Values[blockID][actionID]
}

// Command is one /door subcommand.
type Command struct {
	Name string
	// Usage is the synopsis ("/door status [NAME...]"); Summary says what
	// it does. Help is made of both.
	Usage   string
	Summary string
	// Slow commands read the clouds: the transport acks at once with
	// Working and answers later with what Run returns.
	Slow    bool
	Working func(req Request) string
	// Check refuses, without reading any cloud, what would be refused
	// anyway (bad arguments, unknown names): a non-nil reply is the whole
	// answer, shown only to the requester.
	Check func(ctx context.Context, req Request) *handlers.Reply
	// Open, when set, makes the command answer with a form rather than a
	// message. It decides the form without reading anything slow (a
	// Slack trigger lives 3 s); a non-nil Filler then reads what the form
	// starts from and returns the full form that replaces the first one.
	Open func(req Request) (Form, Filler)
	// Formless is what to say where no form can open (a terminal, a
	// request without a trigger).
	Formless string
	// Run answers the command once Check has passed (commands that open
	// forms have none).
	Run func(ctx context.Context, req Request) handlers.Reply
}

// Filler completes an opened form after a slow read.
type Filler func(ctx context.Context) Form

// Form is a neutral description of a modal.
type Form struct {
	CallbackID string
	Title      string
	// Submit labels the submit button; empty means the form cannot be
	// submitted yet (it is still being filled).
	Submit string
	// Intro is shown above the inputs.
	Intro    []handlers.Block
	Inputs   []Input
	Metadata string
}

// Input is one text input of a form.
type Input struct {
	BlockID     string
	ActionID    string
	Label       string
	Placeholder string
	Initial     string
	Multiline   bool
	Optional    bool
	// MaxLength bounds the input; an Initial value longer than it is left
	// out rather than refused by the platform. 0 means MaxInput.
	MaxLength int
	// Kind is InputText (the default), InputDateTime, a date and time
	// picker whose value is Unix seconds, shown in the user's time zone,
	// or InputSelect, one of Options (Initial is the chosen one's Value).
	Kind    string
	Options []Option
	// Hint is shown under the input.
	Hint string
}

// Option is one choice of an InputSelect.
type Option struct {
	Value string
	Label string
}

// Input kinds.
const (
	InputText     = ""
	InputDateTime = "datetime"
	InputSelect   = "select"
)

// MaxInput is the longest text input Slack accepts.
const MaxInput = 3000

// Answer is told privately to the person who acted: in Channel when set
// (visible to them alone), else in a direct message.
type Answer struct {
	Reply   handlers.Reply
	Channel string
	// Form, for a submission kept open (Submission.Pending), replaces the
	// pending form with the results. Reply is told as well: it outlasts the
	// form, which the user may already have closed.
	Form *Form
}

// Work is what a form submission or a button does after the ack.
type Work func(ctx context.Context) *Answer

// Submission handles a submitted form, by callback_id.
type Submission struct {
	CallbackID string
	// Name labels the submission in metrics.
	Name string
	// Busy is the block that shows "busy" when no worker is free.
	Busy string
	// Accept checks the values without reading anything slow. Field errors
	// (block ID → message) keep the form open and show them; otherwise the
	// form closes and Work, when not nil, runs after the ack.
	Accept func(ctx context.Context, req Request) (errs map[string]string, work Work)
	// Durable says Accept records what it accepts before the ack (as
	// Action.Record does), telling a failure as a field error: the
	// transport secures a worker before it calls Accept, so that nothing
	// recorded is then refused as busy.
	Durable bool
	// Pending, when set, keeps the form open while Work runs, showing the
	// form it returns (Slack: response_action update); Work's Answer.Form
	// then replaces it with the results.
	Pending func(req Request) Form
}

// Click is one button press.
type Click struct {
	ActionID string
	Value    string
	User     string
	Team     string
	// Channel and MessageTS name the message the button was on.
	Channel   string
	MessageTS string
}

// Outcome is what a button does for the clicker: open a form (the click's
// trigger is used), and/or tell them something privately, and/or replace
// the message the button was on (a refreshed status).
type Outcome struct {
	Form    *Form
	Answer  *Answer
	Replace *handlers.Reply
}

// Action handles a button, by action_id. Every action runs after the ack;
// slow ones (they read the clouds) wait for a worker.
type Action struct {
	ID   string
	Slow bool
	Run  func(ctx context.Context, c Click) Outcome
	// Record, when set, makes the click durable before its ack (the
	// change workflow's click journal), so that a process killed between
	// the ack and the work still completes the click when it next starts.
	// The transport first secures a worker, then calls Record, which
	// bounds its own time; the returned work replaces Run. An error means
	// nothing was recorded: nothing runs, and the clicker is told
	// NotRecorded at once.
	Record func(ctx context.Context, c Click) (func(ctx context.Context) Outcome, error)
}

// NotRecorded is told to a clicker whose click could not be recorded
// before its ack (Action.Record, Submission.Durable).
const NotRecorded = changes.NotRecordedText

// View is a neutral description of a published view (the App Home tab).
type View struct {
	Blocks []handlers.Block
}

// HomeFunc returns the App Home view for a user.
type HomeFunc func(ctx context.Context, user string) View

// Registry holds the commands, actions and form submissions, each
// registered once; transports look them up and keep no list of their own.
type Registry struct {
	commands    []*Command
	byName      map[string]*Command
	actions     map[string]Action
	submissions map[string]Submission
	home        HomeFunc
	// names lists the configured connections for help and usage errors;
	// nil when there are none to tell.
	names func() []string
}

// NewRegistry is an empty registry; New fills one with doorbot's commands.
func NewRegistry() *Registry {
	return &Registry{byName: map[string]*Command{}, actions: map[string]Action{}, submissions: map[string]Submission{}}
}

// Add registers a command; help lists commands in the order added. A name
// registered twice is a programming error.
func (r *Registry) Add(c Command) {
	if _, dup := r.byName[c.Name]; dup || c.Name == "" {
		panic(fmt.Sprintf("commands: command %q registered twice or unnamed", c.Name))
	}
	cp := c
	r.commands = append(r.commands, &cp)
	r.byName[c.Name] = &cp
}

// AddAction registers a button handler.
func (r *Registry) AddAction(a Action) {
	if _, dup := r.actions[a.ID]; dup || a.ID == "" {
		panic(fmt.Sprintf("commands: action %q registered twice or unnamed", a.ID))
	}
	r.actions[a.ID] = a
}

// AddSubmission registers a form handler.
func (r *Registry) AddSubmission(s Submission) {
	if _, dup := r.submissions[s.CallbackID]; dup || s.CallbackID == "" {
		panic(fmt.Sprintf("commands: form %q registered twice or unnamed", s.CallbackID))
	}
	r.submissions[s.CallbackID] = s
}

// SetHome registers the App Home view.
func (r *Registry) SetHome(h HomeFunc) { r.home = h }

// Action returns the handler of a button.
func (r *Registry) Action(actionID string) (Action, bool) {
	a, ok := r.actions[actionID]
	return a, ok
}

// Submission returns the handler of a form.
func (r *Registry) Submission(callbackID string) (Submission, bool) {
	s, ok := r.submissions[callbackID]
	return s, ok
}

// Home returns the App Home view builder, nil when there is none.
func (r *Registry) Home() HomeFunc { return r.home }

// MaxText bounds slash-command text; Slack itself sends far less.
const MaxText = 2000

// Parsed is /door text split into its subcommand and arguments.
type Parsed struct {
	Name string
	Args []string
}

// Parse splits the text after "/door". It accepts what a person types:
// extra spaces, a leading "/door", upper-case subcommands.
func Parse(text string) (Parsed, error) {
	if !utf8.ValidString(text) {
		return Parsed{}, errors.New("the command is not valid UTF-8 text")
	}
	if len(text) > MaxText {
		return Parsed{}, fmt.Errorf("the command is %d characters long; the limit is %d", len(text), MaxText)
	}
	fields := strings.Fields(text)
	if len(fields) > 0 && strings.EqualFold(fields[0], "/door") {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return Parsed{Name: "help"}, nil
	}
	return Parsed{Name: strings.ToLower(fields[0]), Args: fields[1:]}, nil
}

// Call is a routed /door line.
type Call struct {
	// Command is nil when Answer is set for a line that names none.
	Command *Command
	Request Request
	// Answer, when set, is the whole answer, decided without reading a
	// cloud (a parse error, an unknown subcommand, a refusal): transports
	// show it at once, to the requester alone.
	Answer *handlers.Reply
	// Label names the call in metrics: the command's name, or "invalid"
	// and "unknown" for lines that name no command.
	Label string
}

// Route parses a /door line, finds its command and runs its Check. base
// carries who asked and where; its Args are replaced by the parsed ones.
func (r *Registry) Route(ctx context.Context, text string, base Request) Call {
	p, err := Parse(text)
	if err != nil {
		ans := r.UsageOf(err)
		return Call{Answer: &ans, Label: "invalid", Request: base}
	}
	base.Args = p.Args
	c := r.lookup(p.Name)
	if c == nil {
		ans := r.unknownSubcommand(p.Name)
		return Call{Answer: &ans, Label: "unknown", Request: base}
	}
	call := Call{Command: c, Request: base, Label: c.Name}
	if c.Check != nil {
		call.Answer = c.Check(ctx, base)
	}
	return call
}

func (r *Registry) lookup(name string) *Command {
	switch name {
	case "-h", "--help":
		name = "help"
	}
	return r.byName[name]
}

// Handle answers one /door line where no form can open (the console): a
// form-opening command says where to go instead. It never fails: a usage
// problem is an answer too.
func (r *Registry) Handle(ctx context.Context, text string, base Request) handlers.Reply {
	p, err := Parse(text)
	if err == nil {
		if c := r.lookup(p.Name); c != nil && c.Open != nil {
			return r.Usage(c.Formless)
		}
	}
	call := r.Route(ctx, text, base)
	if call.Answer != nil {
		return *call.Answer
	}
	return call.Command.Run(ctx, call.Request)
}

// Usage is what went wrong, in one line, for the requester alone, with
// the configured connection names: not the whole help again.
func (r *Registry) Usage(problem string) handlers.Reply {
	return r.usageNaming(problem, true)
}

// UsageOf is Usage for an error; an unknown connection's error already
// lists the known ones, so they are not listed twice.
func (r *Registry) UsageOf(err error) handlers.Reply {
	var unknown *handlers.UnknownConnectionError
	return r.usageNaming(err.Error(), !errors.As(err, &unknown))
}

func (r *Registry) usageNaming(problem string, withNames bool) handlers.Reply {
	small := "/door help lists every command"
	if names := r.connectionNames(); withNames && len(names) > 0 {
		small = "known: " + strings.Join(names, ", ") + " · " + small
	}
	return refusal(problem, problem, small)
}

// unknownSubcommand names the subcommands there are, one line each.
func (r *Registry) unknownSubcommand(name string) handlers.Reply {
	usages := r.usages()
	problem := fmt.Sprintf("unknown subcommand %q", name)
	return refusal(problem+"; known: "+strings.Join(usages, " | "), problem, "known: "+strings.Join(usages, " · "))
}

// refusal is a problem line and a small note under it, for the requester
// alone; text is its notification text.
func refusal(text, problem, note string) handlers.Reply {
	return handlers.Reply{Ephemeral: true, Text: text, Blocks: []handlers.Block{
		{Kind: handlers.Paragraph, Tone: handlers.ToneWarning, Icon: handlers.IconWarning, Lines: []string{problem}},
		{Kind: handlers.Notes, Lines: []string{note}},
	}}
}

// usages is every registered command's usage line, in order.
func (r *Registry) usages() []string {
	usages := make([]string, 0, len(r.commands))
	for _, c := range r.commands {
		usages = append(usages, c.Usage)
	}
	return usages
}

func (r *Registry) connectionNames() []string {
	if r.names == nil {
		return nil
	}
	return r.names()
}

// usage and usageOf are refusals for a Check.
func (r *Registry) usage(problem string) *handlers.Reply {
	rep := r.Usage(problem)
	return &rep
}

func (r *Registry) usageOf(err error) *handlers.Reply {
	rep := r.UsageOf(err)
	return &rep
}

// Help lists every registered command. (A usage error is one line, not
// the help again: see Usage.)
func (r *Registry) Help() handlers.Reply {
	var rep handlers.Reply
	lines := make([]string, 0, len(r.commands))
	for _, c := range r.commands {
		lines = append(lines, fmt.Sprintf("%-24s %s", c.Usage, c.Summary))
	}
	rep.Blocks = append(rep.Blocks,
		handlers.Block{Kind: handlers.Heading, Lines: []string{"/door — AWS ↔ Azure VPN status and checks"}},
		handlers.Block{Kind: handlers.Paragraph, Lines: lines},
		handlers.Block{Kind: handlers.Notes, Lines: []string{"Connection names come from doorbot's config. The same commands run on the CLI: doorbot status NAME."}},
	)
	if names := r.connectionNames(); len(names) > 0 {
		rep.Blocks = append(rep.Blocks, handlers.Block{Kind: handlers.Paragraph, Lines: []string{"Connections: " + strings.Join(names, ", ")}})
	}
	rep.Text = "usage: " + strings.Join(r.usages(), " | ")
	return rep
}
