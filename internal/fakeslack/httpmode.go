package fakeslack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for requests built by this package when the caller leaves the
// field empty.
const (
	DefaultUserID      = "U0FAKEUSER"
	DefaultChannelID   = "C0FAKECHAN"
	DefaultChannelName = "fake-channel"
)

// SignRequest computes Slack's v0 request signature: HMAC-SHA256 keyed with
// the signing secret over "v0:<unix ts>:<raw body>". It returns the values
// for X-Slack-Request-Timestamp and X-Slack-Signature.
func SignRequest(secret string, ts time.Time, body []byte) (timestampHeader, signatureHeader string) {
	timestampHeader = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestampHeader + ":"))
	mac.Write(body)
	return timestampHeader, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// NewSignedRequest builds the form POST Slack sends to an HTTP-mode request
// URL (slash command or interactivity), signed with secret at time ts.
func NewSignedRequest(ctx context.Context, targetURL, secret string, ts time.Time, form url.Values) (*http.Request, error) {
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, targetURL, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	tsh, sig := SignRequest(secret, ts, []byte(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", tsh)
	req.Header.Set("X-Slack-Signature", sig)
	return req, nil
}

func (c SlashCommand) withDefaults() SlashCommand {
	if c.TeamID == "" {
		c.TeamID = TeamID
	}
	if c.UserID == "" {
		c.UserID = DefaultUserID
	}
	if c.UserName == "" {
		c.UserName = strings.ToLower(c.UserID)
	}
	if c.ChannelID == "" {
		c.ChannelID = DefaultChannelID
	}
	if c.ChannelName == "" {
		c.ChannelName = DefaultChannelName
	}
	return c
}

type slashFields struct {
	Token               string `json:"token"`
	TeamID              string `json:"team_id"`
	TeamDomain          string `json:"team_domain"`
	ChannelID           string `json:"channel_id"`
	ChannelName         string `json:"channel_name"`
	UserID              string `json:"user_id"`
	UserName            string `json:"user_name"`
	Command             string `json:"command"`
	Text                string `json:"text"`
	ResponseURL         string `json:"response_url"`
	TriggerID           string `json:"trigger_id"`
	APIAppID            string `json:"api_app_id"`
	IsEnterpriseInstall string `json:"is_enterprise_install"`
}

func slashPayload(c SlashCommand) slashFields {
	return slashFields{
		Token: VerificationToken, TeamID: c.TeamID, TeamDomain: TeamDomain,
		ChannelID: c.ChannelID, ChannelName: c.ChannelName, UserID: c.UserID, UserName: c.UserName,
		Command: c.Command, Text: c.Text, ResponseURL: c.ResponseURL, TriggerID: c.TriggerID,
		APIAppID: AppID, IsEnterpriseInstall: "false",
	}
}

// SlashCommandForm is the form Slack POSTs to a slash command's request URL.
// Empty fields get the SlashCommand defaults; an empty TriggerID gets a
// generated one, an empty ResponseURL stays empty (use Slack.ResponseURL to
// get one the fake will accept).
func SlashCommandForm(cmd SlashCommand) url.Values {
	cmd = cmd.withDefaults()
	if cmd.TriggerID == "" {
		cmd.TriggerID = newTriggerID()
	}
	p := slashPayload(cmd)
	return url.Values{
		"token":                 {p.Token},
		"team_id":               {p.TeamID},
		"team_domain":           {p.TeamDomain},
		"channel_id":            {p.ChannelID},
		"channel_name":          {p.ChannelName},
		"user_id":               {p.UserID},
		"user_name":             {p.UserName},
		"command":               {p.Command},
		"text":                  {p.Text},
		"response_url":          {p.ResponseURL},
		"trigger_id":            {p.TriggerID},
		"api_app_id":            {p.APIAppID},
		"is_enterprise_install": {p.IsEnterpriseInstall},
	}
}

// InteractiveForm is the form Slack POSTs to the interactivity request URL:
// payload=<JSON>. A payload that cannot be marshalled yields payload="".
func InteractiveForm(payload any) url.Values {
	raw, err := json.Marshal(payload)
	if err != nil {
		raw = nil
	}
	return url.Values{"payload": {string(raw)}}
}

// BlockActionsPayload is a block_actions payload for a click on a button
// (actionID, value) in the message messageTS of channelID, shaped like
// Slack's documented example. Its trigger_id is freshly generated; send it
// with Slack.SendInteractive (which starts its 3 s lifetime) or replace it
// with Slack.TriggerID for HTTP mode.
func BlockActionsPayload(userID, channelID, messageTS, actionID, value, responseURL string) map[string]any {
	now := time.Now()
	actionTS := fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
	return map[string]any{
		"type":       "block_actions",
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"user":       map[string]any{"id": userID, "username": strings.ToLower(userID), "name": strings.ToLower(userID), "team_id": TeamID},
		"api_app_id": AppID,
		"token":      VerificationToken,
		"container": map[string]any{
			"type": "message", "message_ts": messageTS, "channel_id": channelID, "is_ephemeral": false,
		},
		"trigger_id": newTriggerID(),
		"channel":    map[string]any{"id": channelID, "name": DefaultChannelName},
		"message": map[string]any{
			"type": "message", "ts": messageTS, "text": "", "user": BotUserID, "bot_id": BotID,
		},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": responseURL,
		"actions": []any{map[string]any{
			"action_id": actionID,
			"block_id":  "actions",
			"text":      map[string]any{"type": "plain_text", "text": actionID, "emoji": true},
			"value":     value,
			"type":      "button",
			"action_ts": actionTS,
		}},
	}
}

// ViewSubmissionPayload is a view_submission as Slack sends it when a user
// submits a modal: values holds, per input block ID and action ID, the
// typed text (plain_text_input), the chosen option's value (static_select)
// or, for a datetimepicker, the chosen moment in Unix seconds, each sent as
// Slack sends it. An input of the view that values leaves out is sent as
// the form showed it (its initial value), as Slack does for an input the
// user did not touch; and the view's blocks go with it, as they do in
// Slack's payload.
func ViewSubmissionPayload(userID string, v View, values map[string]map[string]string) map[string]any {
	inputs := viewInputs(v.View)
	state := map[string]any{}
	for _, in := range inputs {
		if _, given := values[in.blockID]; given || !in.hasInitial {
			continue
		}
		state[in.blockID] = map[string]any{in.actionID: stateValue(in.typ, in.initial, in.optionText)}
	}
	for block, actions := range values {
		m := map[string]any{}
		typ := ""
		for _, in := range inputs {
			if in.blockID == block {
				typ = in.typ
			}
		}
		for action, value := range actions {
			m[action] = stateValue(typ, value, value)
		}
		state[block] = m
	}
	id := v.ID
	if id == "" {
		id = "V" + randHex(8)
	}
	view := map[string]any{
		"id": id, "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
		"hash": v.Hash, "state": map[string]any{"values": state},
	}
	var shown struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	if json.Unmarshal(v.View, &shown) == nil && len(shown.Blocks) > 0 {
		view["blocks"] = shown.Blocks
	}
	return map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"user":       map[string]any{"id": userID, "username": strings.ToLower(userID), "name": strings.ToLower(userID), "team_id": TeamID},
		"api_app_id": AppID,
		"token":      VerificationToken,
		"trigger_id": newTriggerID(),
		"view":       view,
	}
}

// stateValue is one input's entry in a view's state, shaped by its element
// type.
func stateValue(typ, value, optionText string) map[string]any {
	switch typ {
	case "datetimepicker":
		n, _ := strconv.ParseInt(value, 10, 64)
		return map[string]any{"type": "datetimepicker", "selected_date_time": n}
	case "static_select":
		if value == "" {
			return map[string]any{"type": "static_select", "selected_option": nil}
		}
		return map[string]any{"type": "static_select", "selected_option": map[string]any{
			"text": map[string]any{"type": "plain_text", "text": optionText, "emoji": true}, "value": value}}
	}
	return map[string]any{"type": "plain_text_input", "value": value}
}

// viewInput is one input block of a view as the form showed it.
type viewInput struct {
	blockID, actionID, typ string
	initial, optionText    string
	hasInitial             bool
}

// viewInputs lists a view's input blocks with their initial values.
func viewInputs(raw json.RawMessage) []viewInput {
	var v struct {
		Blocks []struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
			Element struct {
				Type          string  `json:"type"`
				ActionID      string  `json:"action_id"`
				InitialValue  *string `json:"initial_value"`
				InitialOption *struct {
					Value string `json:"value"`
					Text  struct {
						Text string `json:"text"`
					} `json:"text"`
				} `json:"initial_option"`
				InitialDateTime int64 `json:"initial_date_time"`
			} `json:"element"`
		} `json:"blocks"`
	}
	_ = json.Unmarshal(raw, &v)
	var out []viewInput
	for _, b := range v.Blocks {
		if b.Type != "input" {
			continue
		}
		in := viewInput{blockID: b.BlockID, actionID: b.Element.ActionID, typ: b.Element.Type}
		switch {
		case b.Element.InitialValue != nil:
			in.initial, in.hasInitial = *b.Element.InitialValue, true
		case b.Element.InitialOption != nil:
			in.initial, in.optionText, in.hasInitial = b.Element.InitialOption.Value, b.Element.InitialOption.Text.Text, true
		case b.Element.InitialDateTime != 0:
			in.initial, in.hasInitial = strconv.FormatInt(b.Element.InitialDateTime, 10), true
		}
		out = append(out, in)
	}
	return out
}
