package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit and message limits from docs.slack.dev (blocks, section, header,
// context, actions, button, text object, modal, chat.postMessage pages).
const (
	maxMessageBlocks    = 50
	maxViewBlocks       = 100
	maxTextObject       = 3000
	maxSectionFields    = 10
	maxFieldText        = 2000
	maxHeaderText       = 150
	maxContextElements  = 10
	maxActionsElements  = 25
	maxButtonText       = 75
	maxButtonValue      = 2000
	maxURL              = 3000
	maxBlockID          = 255
	maxActionID         = 255
	maxMessageText      = 4000
	maxMessageTextHard  = 40000
	maxMarkdownTotal    = 12000
	maxModalTitle       = 24
	maxModalButton      = 24
	maxPrivateMetadata  = 3000
	maxCallbackID       = 255
	maxInputLabel       = 2000
	maxPlaceholder      = 150
	maxOptionText       = 75
	maxOptionValue      = 150
	maxSelectOptions    = 100
	maxOverflowOptions  = 5
	maxConfirmTitle     = 100
	maxConfirmText      = 300
	maxConfirmButton    = 30
	maxAltText          = 2000
	maxViewBytes        = 250000
	maxInputValueLength = 3000
)

// problem is one broken rule: code is the Slack error it causes, reason is
// for people.
type problem struct {
	code   string
	reason string
}

type checker struct {
	problems []problem
	code     string // error code for problems found in blocks
	mdTotal  int
}

func (c *checker) addf(code, format string, args ...any) {
	c.problems = append(c.problems, problem{code: code, reason: fmt.Sprintf(format, args...)})
}

// err is the Slack error for the first problem, "" when there is none.
func (c *checker) err() string {
	if len(c.problems) == 0 {
		return ""
	}
	return c.problems[0].code
}

func (c *checker) reasons() []string {
	out := make([]string, len(c.problems))
	for i, p := range c.problems {
		out[i] = p.reason
	}
	return out
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// present treats a JSON null like an absent field, as Slack does and as
// slack-go's nil pointers without omitempty produce.
func present(m map[string]any, key string) (any, bool) {
	v, ok := m[key]
	return v, ok && v != nil
}

// blocksPresent reports whether raw holds a non-empty blocks value; an
// absent, null or empty array means "no blocks".
func blocksPresent(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return false
	}
	var list []json.RawMessage
	if json.Unmarshal(t, &list) == nil {
		return len(list) > 0
	}
	return true // malformed: present, so that validation reports it
}

// checkMessage validates what a message-carrying call would show.
func checkMessage(text string, blocks json.RawMessage) *checker {
	c := &checker{code: "invalid_blocks"}
	if n := runes(text); n > maxMessageTextHard {
		c.addf("msg_too_long", "text is %d characters; Slack truncates beyond %d", n, maxMessageTextHard)
	} else if n > maxMessageText {
		c.addf("msg_too_long", "text is %d characters; keep it within %d", n, maxMessageText)
	}
	if len(bytes.TrimSpace(blocks)) > 0 {
		c.blocks(blocks, maxMessageBlocks, "message")
	}
	return c
}

func (c *checker) blocks(raw json.RawMessage, limit int, surface string) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		c.addf("invalid_blocks_format", "blocks is not a JSON array: %v", err)
		return
	}
	if len(list) > limit {
		c.addf(c.code, "%d blocks; a %s allows at most %d", len(list), surface, limit)
	}
	seen := map[string]bool{}
	for i, r := range list {
		var b map[string]any
		if err := json.Unmarshal(r, &b); err != nil || b == nil {
			c.addf(c.code, "block %d is not a JSON object", i)
			continue
		}
		c.block(i, b, seen, surface)
	}
}

func (c *checker) block(i int, b map[string]any, seen map[string]bool, surface string) {
	typ, _ := b["type"].(string)
	where := fmt.Sprintf("block %d (%s)", i, typ)
	if typ == "" {
		c.addf(c.code, "block %d has no type", i)
		return
	}
	if v, ok := present(b, "block_id"); ok {
		id, _ := v.(string)
		switch {
		case id == "":
			c.addf(c.code, "%s: block_id is empty", where)
		case runes(id) > maxBlockID:
			c.addf(c.code, "%s: block_id is %d characters; limit %d", where, runes(id), maxBlockID)
		case seen[id]:
			c.addf(c.code, "%s: block_id %q repeats; block_id must be unique in a %s", where, id, surface)
		}
		seen[id] = true
	}
	switch typ {
	case "section":
		fields, _ := b["fields"].([]any)
		_, hasText := present(b, "text")
		if !hasText && len(fields) == 0 {
			c.addf(c.code, "%s: needs text or fields", where)
		}
		if hasText {
			c.text(where+" text", b["text"], maxTextObject, false)
		}
		if _, ok := present(b, "fields"); ok && fields == nil {
			c.addf(c.code, "%s: fields is not an array", where)
		}
		if len(fields) > maxSectionFields {
			c.addf(c.code, "%s: %d fields; limit %d", where, len(fields), maxSectionFields)
		}
		for j, f := range fields {
			c.text(fmt.Sprintf("%s field %d", where, j), f, maxFieldText, false)
		}
		if acc, ok := present(b, "accessory"); ok {
			c.element(where+" accessory", acc)
		}
	case "header":
		c.text(where+" text", b["text"], maxHeaderText, true)
	case "context":
		elems, _ := b["elements"].([]any)
		if len(elems) == 0 {
			c.addf(c.code, "%s: needs at least one element", where)
		}
		if len(elems) > maxContextElements {
			c.addf(c.code, "%s: %d elements; limit %d", where, len(elems), maxContextElements)
		}
		for j, e := range elems {
			ew := fmt.Sprintf("%s element %d", where, j)
			if m, _ := e.(map[string]any); m != nil && m["type"] == "image" {
				c.image(ew, m)
				continue
			}
			c.text(ew, e, maxTextObject, false)
		}
	case "actions":
		elems, _ := b["elements"].([]any)
		if len(elems) == 0 {
			c.addf(c.code, "%s: needs at least one element", where)
		}
		if len(elems) > maxActionsElements {
			c.addf(c.code, "%s: %d elements; limit %d", where, len(elems), maxActionsElements)
		}
		ids := map[string]bool{}
		for j, e := range elems {
			ew := fmt.Sprintf("%s element %d", where, j)
			c.element(ew, e)
			if m, _ := e.(map[string]any); m != nil {
				if id, _ := m["action_id"].(string); id != "" {
					if ids[id] {
						c.addf(c.code, "%s: action_id %q repeats within the block", ew, id)
					}
					ids[id] = true
				}
			}
		}
	case "image":
		c.image(where, b)
		if t, ok := present(b, "title"); ok {
			c.text(where+" title", t, maxAltText, true)
		}
	case "input":
		c.text(where+" label", b["label"], maxInputLabel, true)
		if h, ok := present(b, "hint"); ok {
			c.text(where+" hint", h, maxInputLabel, true)
		}
		if e, ok := present(b, "element"); ok {
			c.element(where+" element", e)
		} else {
			c.addf(c.code, "%s: needs an element", where)
		}
	case "markdown":
		t, _ := b["text"].(string)
		c.mdTotal += runes(t)
		if t == "" {
			c.addf(c.code, "%s: text is empty", where)
		} else if c.mdTotal > maxMarkdownTotal {
			c.addf(c.code, "%s: markdown blocks total %d characters; limit %d per payload", where, c.mdTotal, maxMarkdownTotal)
		}
	case "divider":
	default:
		// slack-go knows many more block types than the fake models; an
		// unknown type is let through rather than refused wrongly.
	}
}

// text checks a text object: type plain_text or mrkdwn, 1..max characters.
func (c *checker) text(where string, v any, max int, plainOnly bool) {
	m, _ := v.(map[string]any)
	if m == nil {
		c.addf(c.code, "%s: missing or not a text object", where)
		return
	}
	typ, _ := m["type"].(string)
	switch {
	case typ != "plain_text" && typ != "mrkdwn":
		c.addf(c.code, "%s: type %q is not plain_text or mrkdwn", where, typ)
	case plainOnly && typ != "plain_text":
		c.addf(c.code, "%s: must be plain_text, not %s", where, typ)
	}
	s, _ := m["text"].(string)
	if n := runes(s); n == 0 {
		c.addf(c.code, "%s: text is empty; Slack requires at least 1 character", where)
	} else if n > max {
		c.addf(c.code, "%s: text is %d characters; limit %d", where, n, max)
	}
}

func (c *checker) image(where string, m map[string]any) {
	u, _ := m["image_url"].(string)
	_, hasFile := m["slack_file"]
	if u == "" && !hasFile {
		c.addf(c.code, "%s: needs image_url or slack_file", where)
	}
	if runes(u) > maxURL {
		c.addf(c.code, "%s: image_url is %d characters; limit %d", where, runes(u), maxURL)
	}
	alt, _ := m["alt_text"].(string)
	if alt == "" {
		c.addf(c.code, "%s: alt_text is required", where)
	} else if runes(alt) > maxAltText {
		c.addf(c.code, "%s: alt_text is %d characters; limit %d", where, runes(alt), maxAltText)
	}
}

func (c *checker) maxString(where, field string, m map[string]any, max int) {
	if s, _ := m[field].(string); runes(s) > max {
		c.addf(c.code, "%s: %s is %d characters; limit %d", where, field, runes(s), max)
	}
}

// element checks interactive elements (accessories, actions, inputs).
func (c *checker) element(where string, v any) {
	m, _ := v.(map[string]any)
	if m == nil {
		c.addf(c.code, "%s: not a JSON object", where)
		return
	}
	typ, _ := m["type"].(string)
	where = fmt.Sprintf("%s (%s)", where, typ)
	c.maxString(where, "action_id", m, maxActionID)
	if p, ok := present(m, "placeholder"); ok {
		c.text(where+" placeholder", p, maxPlaceholder, true)
	}
	if cf, ok := present(m, "confirm"); ok {
		c.confirm(where+" confirm", cf)
	}
	switch typ {
	case "button":
		c.text(where+" text", m["text"], maxButtonText, true)
		c.maxString(where, "value", m, maxButtonValue)
		c.maxString(where, "url", m, maxURL)
		c.maxString(where, "accessibility_label", m, maxButtonText)
		if st, _ := m["style"].(string); st != "" && st != "primary" && st != "danger" {
			c.addf(c.code, "%s: style %q is not primary or danger", where, st)
		}
	case "static_select", "multi_static_select", "radio_buttons", "checkboxes":
		opts, _ := m["options"].([]any)
		if len(opts) > maxSelectOptions {
			c.addf(c.code, "%s: %d options; limit %d", where, len(opts), maxSelectOptions)
		}
		c.options(where, opts)
		if init, ok := present(m, "initial_option"); ok && typ == "static_select" && !hasOption(opts, init) {
			c.addf(c.code, "%s: initial_option is not one of its options", where)
		}
	case "overflow":
		opts, _ := m["options"].([]any)
		if len(opts) > maxOverflowOptions {
			c.addf(c.code, "%s: %d options; limit %d", where, len(opts), maxOverflowOptions)
		}
		c.options(where, opts)
	case "plain_text_input":
		c.maxString(where, "initial_value", m, maxInputValueLength)
		for _, f := range []string{"min_length", "max_length"} {
			if n, ok := m[f].(float64); ok && (n < 0 || n > maxInputValueLength) {
				c.addf(c.code, "%s: %s is %v; allowed 0..%d", where, f, n, maxInputValueLength)
			}
		}
	case "image":
		c.image(where, m)
	}
}

// hasOption reports whether an initial option is one of opts (Slack
// matches it by value).
func hasOption(opts []any, init any) bool {
	im, _ := init.(map[string]any)
	for _, o := range opts {
		if m, _ := o.(map[string]any); m != nil && im != nil && m["value"] == im["value"] {
			return true
		}
	}
	return false
}

func (c *checker) options(where string, opts []any) {
	for j, o := range opts {
		ow := fmt.Sprintf("%s option %d", where, j)
		m, _ := o.(map[string]any)
		if m == nil {
			c.addf(c.code, "%s: not a JSON object", ow)
			continue
		}
		c.text(ow+" text", m["text"], maxOptionText, false)
		c.maxString(ow, "value", m, maxOptionValue)
	}
}

func (c *checker) confirm(where string, v any) {
	m, _ := v.(map[string]any)
	if m == nil {
		c.addf(c.code, "%s: not a JSON object", where)
		return
	}
	c.text(where+" title", m["title"], maxConfirmTitle, true)
	c.text(where+" text", m["text"], maxConfirmText, false)
	c.text(where+" confirm", m["confirm"], maxConfirmButton, true)
	c.text(where+" deny", m["deny"], maxConfirmButton, true)
}

// checkView validates a view for views.open/update (modal) or views.publish
// (home). Slack reports view problems as invalid_arguments.
func checkView(raw json.RawMessage, wantType string) (*checker, map[string]any) {
	c := &checker{code: "invalid_arguments"}
	if len(raw) > maxViewBytes {
		c.addf("view_too_large", "view is %d bytes; limit %d", len(raw), maxViewBytes)
		return c, nil
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil || v == nil {
		c.addf("invalid_arguments", "view is not a JSON object")
		return c, nil
	}
	typ, _ := v["type"].(string)
	if typ != wantType {
		c.addf(c.code, "view type is %q; expected %q", typ, wantType)
	}
	if typ == "modal" {
		c.text("view title", v["title"], maxModalTitle, true)
		for _, f := range []string{"submit", "close"} {
			if b, ok := present(v, f); ok {
				c.text("view "+f, b, maxModalButton, true)
			}
		}
		if _, ok := present(v, "submit"); !ok && hasInputBlock(v["blocks"]) {
			c.addf(c.code, "view has input blocks but no submit button")
		}
	}
	if id, _ := v["callback_id"].(string); id == "" && typ == "modal" {
		// Slack itself tolerates a missing callback_id, but then a
		// view_submission cannot be routed, which is always a bug here.
		c.addf(c.code, "view callback_id is missing")
	} else if runes(id) > maxCallbackID {
		c.addf(c.code, "view callback_id is %d characters; limit %d", runes(id), maxCallbackID)
	}
	if pm, _ := v["private_metadata"].(string); runes(pm) > maxPrivateMetadata {
		c.addf(c.code, "view private_metadata is %d characters; limit %d", runes(pm), maxPrivateMetadata)
	}
	c.maxString("view", "external_id", v, maxCallbackID)
	if b, ok := present(v, "blocks"); ok {
		raw, _ := json.Marshal(b)
		c.blocks(raw, maxViewBlocks, typ)
	} else {
		c.addf(c.code, "view has no blocks")
	}
	return c, v
}

func hasInputBlock(v any) bool {
	list, _ := v.([]any)
	for _, b := range list {
		if m, _ := b.(map[string]any); m != nil && m["type"] == "input" {
			return true
		}
	}
	return false
}
