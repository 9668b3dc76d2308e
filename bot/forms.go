package bot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/doorbot/doorbot/commands"
)

// openForm opens a form with a trigger and, when the form has a Filler,
// replaces it with the filled one once that has been read.
func (b *Bot) openForm(ctx context.Context, trigger, user string, f commands.Form, fill commands.Filler) {
	resp, err := b.api.OpenViewContext(ctx, trigger, RenderForm(f))
	b.opts.Metrics.slackCall("views.open", err)
	if err != nil {
		b.log.Error("cannot open a form", "form", f.CallbackID, "user", user, "err", err)
		return
	}
	if fill == nil {
		return
	}
	full := fill(ctx)
	_, err = b.api.UpdateViewContext(ctx, RenderForm(full), "", resp.View.Hash, resp.View.ID)
	b.opts.Metrics.slackCall("views.update", err)
	if err != nil {
		b.log.Error("cannot fill a form", "form", f.CallbackID, "user", user, "err", err)
	}
}

// RenderForm turns a neutral form into a Slack modal.
func RenderForm(f commands.Form) slack.ModalViewRequest {
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      f.CallbackID,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, truncate(f.Title, 24), false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, closeLabel(f), false, false),
		PrivateMetadata: f.Metadata,
	}
	if f.Submit != "" {
		v.Submit = slack.NewTextBlockObject(slack.PlainTextType, truncate(f.Submit, 24), false, false)
	}
	var blocks []slack.Block
	for _, b := range f.Intro {
		blocks = append(blocks, renderBlock(b)...)
	}
	// The inputs come first when the intro is long: a form must keep
	// them, and a results view has none.
	room := maxModalBlocks - len(f.Inputs)
	if len(blocks) > room {
		blocks = append(blocks[:max(room-1, 0)], section("_Cut to fit the form: the rest is in the message doorbot sent you._"))
	}
	for _, in := range f.Inputs {
		switch in.Kind {
		case commands.InputDateTime:
			blocks = append(blocks, dateTimeInput(in))
		case commands.InputSelect:
			blocks = append(blocks, selectInput(in))
		default:
			blocks = append(blocks, textInput(in))
		}
	}
	v.Blocks = slack.Blocks{BlockSet: blocks}
	return v
}

// closeLabel is "Cancel" on a form that takes input, "Close" on one that
// only shows results.
func closeLabel(f commands.Form) string {
	if len(f.Inputs) == 0 && f.Submit == "" && (f.CallbackID == commands.ResultCallbackID || f.CallbackID == commands.ValidateResultCallbackID) {
		return "Close"
	}
	return "Cancel"
}

// maxModalBlocks is Slack's limit for a modal.
const maxModalBlocks = 100

// selectInput is a modal's static select; the input's Initial names the
// option shown first.
func selectInput(in commands.Input) *slack.InputBlock {
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, o := range in.Options {
		opt := slack.NewOptionBlockObject(o.Value, slack.NewTextBlockObject(slack.PlainTextType, truncate(o.Label, 75), false, false), nil)
		if o.Value == in.Initial {
			initial = opt
		}
		opts = append(opts, opt)
	}
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, in.ActionID, opts...)
	el.InitialOption = initial
	block := slack.NewInputBlock(in.BlockID, slack.NewTextBlockObject(slack.PlainTextType, in.Label, false, false), hint(in), el)
	block.Optional = in.Optional
	return block
}

// hint is an input's hint line, nil when it has none.
func hint(in commands.Input) *slack.TextBlockObject {
	if in.Hint == "" {
		return nil
	}
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(in.Hint, 2000), false, false)
}

// dateTimeInput is a modal's date and time picker; Slack shows it in the
// user's time zone and sends Unix seconds.
func dateTimeInput(in commands.Input) *slack.InputBlock {
	block := slack.NewInputBlock(in.BlockID, slack.NewTextBlockObject(slack.PlainTextType, in.Label, false, false), nil, slack.NewDateTimePickerBlockElement(in.ActionID))
	block.Optional = in.Optional
	return block
}

// textInput is a modal's plain-text input block. An initial value longer
// than the input allows is left out rather than refused by Slack.
func textInput(in commands.Input) *slack.InputBlock {
	maxLen := in.MaxLength
	if maxLen <= 0 {
		maxLen = commands.MaxInput
	}
	var placeholder *slack.TextBlockObject
	if in.Placeholder != "" {
		placeholder = slack.NewTextBlockObject(slack.PlainTextType, in.Placeholder, false, false)
	}
	el := slack.NewPlainTextInputBlockElement(placeholder, in.ActionID)
	el.Multiline = in.Multiline
	el.MaxLength = maxLen
	if len(in.Initial) <= maxLen {
		el.InitialValue = in.Initial
	}
	block := slack.NewInputBlock(in.BlockID, slack.NewTextBlockObject(slack.PlainTextType, in.Label, false, false), hint(in), el)
	block.Optional = in.Optional
	return block
}

// maxHomeBlocks is Slack's limit for a Home tab.
const maxHomeBlocks = 100

// RenderHome turns a neutral view into the App Home tab.
func RenderHome(v commands.View) slack.HomeTabViewRequest {
	var blocks []slack.Block
	for _, b := range v.Blocks {
		blocks = append(blocks, renderBlock(b)...)
	}
	if len(blocks) > maxHomeBlocks {
		blocks = blocks[:maxHomeBlocks]
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// homeOpened publishes the App Home view, when the command layer has one,
// for a user who opened the Home tab.
func (b *Bot) homeOpened(ev *slackevents.AppHomeOpenedEvent) {
	home := b.cmds.Home()
	if home == nil || ev.Tab != "home" || ev.User == "" {
		return
	}
	user := ev.User
	if !b.spawn(func(ctx context.Context) {
		view := RenderHome(home(ctx, user))
		_, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view})
		b.opts.Metrics.slackCall("views.publish", err)
		if err != nil {
			b.log.Error("cannot publish the home tab", "user", user, "err", err)
		}
	}) {
		b.log.Warn("no worker free for the home tab", "user", user)
	}
}

// event handles an Events API event; only app_home_opened is subscribed.
func (b *Bot) event(ev slackevents.EventsAPIEvent) {
	if e, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
		b.homeOpened(e)
	}
}
