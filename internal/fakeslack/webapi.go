package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const maxBodyBytes = 2 << 20

// params gives uniform access to a Web API call's arguments, which slack-go
// sends either form-encoded (blocks as a JSON string) or as a JSON body
// (view as an object).
type params struct {
	form url.Values
	js   map[string]json.RawMessage
}

func readParams(w http.ResponseWriter, r *http.Request) (params, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		if err := r.ParseForm(); err != nil {
			return params{}, err
		}
		return params{form: r.Form}, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return params{}, err
	}
	p := params{form: r.URL.Query()}
	if len(strings.TrimSpace(string(body))) == 0 {
		return p, nil
	}
	if err := json.Unmarshal(body, &p.js); err != nil {
		return params{}, fmt.Errorf("body is not a JSON object: %w", err)
	}
	return p, nil
}

func (p params) has(name string) bool {
	if _, ok := p.js[name]; ok {
		return true
	}
	_, ok := p.form[name]
	return ok
}

func (p params) str(name string) string {
	if v, ok := p.js[name]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return string(v)
	}
	return p.form.Get(name)
}

// raw returns a JSON-valued argument, accepting it embedded as a string too.
func (p params) raw(name string) json.RawMessage {
	if v, ok := p.js[name]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return json.RawMessage(s)
		}
		return append(json.RawMessage(nil), v...)
	}
	if p.form.Has(name) {
		return json.RawMessage(p.form.Get(name))
	}
	return nil
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeOK(w http.ResponseWriter, fields map[string]any) {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	writeJSON(w, http.StatusOK, fields)
}

// writeErr answers the way Slack does: HTTP 200 with ok=false, details in
// response_metadata.messages.
func writeErr(w http.ResponseWriter, code string, reasons []string) {
	body := map[string]any{"ok": false, "error": code}
	if len(reasons) > 0 {
		msgs := make([]string, len(reasons))
		for i, r := range reasons {
			msgs[i] = "[ERROR] " + r
		}
		body["response_metadata"] = map[string]any{"messages": msgs}
	}
	writeJSON(w, http.StatusOK, body)
}

// refuse records c's problems as violations of method and answers with the
// first problem's error code.
func (s *Slack) refuse(w http.ResponseWriter, method string, c *checker) {
	reasons := c.reasons()
	s.mu.Lock()
	for _, r := range reasons {
		s.violateLocked("%s: %s", method, r)
	}
	s.mu.Unlock()
	writeErr(w, c.err(), reasons)
}

func (s *Slack) refuseCode(w http.ResponseWriter, method, code, reason string) {
	c := &checker{}
	c.addf(code, "%s", reason)
	s.refuse(w, method, c)
}

// rateLimited counts the call and, when a RateLimitNext budget is left,
// answers 429 the way Slack does.
func (s *Slack) rateLimited(w http.ResponseWriter, key string) bool {
	s.mu.Lock()
	s.calls[key]++
	rl := s.rateLimits[key]
	if rl == nil {
		s.mu.Unlock()
		return false
	}
	rl.n--
	if rl.n <= 0 {
		delete(s.rateLimits, key)
	}
	retry := rl.retryAfter
	s.mu.Unlock()

	secs := int64(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
	return true
}

func (s *Slack) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if s.rateLimited(w, method) {
		return
	}
	p, err := readParams(w, r)
	if err != nil {
		writeErr(w, "invalid_form_data", []string{err.Error()})
		return
	}
	if method == "apps.connections.open" {
		s.appsConnectionsOpen(w, r)
		return
	}
	tok := bearer(r)
	if tok == "" {
		tok = p.str("token")
	}
	switch tok {
	case s.opts.BotToken:
	case "":
		writeErr(w, "not_authed", nil)
		return
	case s.opts.AppToken:
		writeErr(w, "not_allowed_token_type", nil)
		return
	default:
		writeErr(w, "invalid_auth", nil)
		return
	}

	switch method {
	case "auth.test":
		writeOK(w, map[string]any{
			"url": "https://" + TeamDomain + ".slack.com/", "team": "Fake Team", "user": "doorbot",
			"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID,
		})
	case "chat.postMessage", "chat.postEphemeral":
		s.chatPost(w, p, method)
	case "chat.update":
		s.chatUpdate(w, p)
	case "views.open":
		s.viewsOpen(w, p)
	case "views.update":
		s.viewsUpdate(w, p)
	case "views.publish":
		s.viewsPublish(w, p)
	case "users.info":
		s.usersInfo(w, p)
	case "usergroups.users.list":
		s.mu.Lock()
		members, ok := s.userGroups[p.str("usergroup")]
		s.mu.Unlock()
		if !ok {
			writeErr(w, "no_such_subteam", nil)
			return
		}
		writeOK(w, map[string]any{"users": append([]string{}, members...)})
	default:
		// Recorded so that a test notices doorbot relying on a method the
		// fake would only pretend to support.
		s.refuseCode(w, method, "unknown_method", "the fake does not implement this method")
	}
}

func (s *Slack) chatPost(w http.ResponseWriter, p params, method string) {
	ch, text, blocks := p.str("channel"), p.str("text"), p.raw("blocks")
	if ch == "" {
		s.refuseCode(w, method, "channel_not_found", "no channel given")
		return
	}
	user := BotUserID
	if method == "chat.postEphemeral" {
		if user = p.str("user"); user == "" {
			s.refuseCode(w, method, "user_not_in_channel", "no user given for the ephemeral message")
			return
		}
	}
	if c := checkMessage(text, blocks); c.err() != "" {
		s.refuse(w, method, c)
		return
	}
	attachments := p.raw("attachments")
	if text == "" && !blocksPresent(blocks) && !blocksPresent(attachments) {
		s.refuseCode(w, method, "no_text", "neither text nor blocks nor attachments given")
		return
	}
	var atts []json.RawMessage
	if blocksPresent(attachments) && json.Unmarshal(attachments, &atts) == nil && len(atts) > 100 {
		s.refuseCode(w, method, "too_many_attachments", fmt.Sprintf("%d attachments; limit 100", len(atts)))
		return
	}

	metadata := p.raw("metadata")
	if reason := checkMetadata(metadata); reason != "" {
		s.refuseCode(w, method, "invalid_metadata_format", reason)
		return
	}
	broadcast := p.str("reply_broadcast") == "true"
	thread := p.str("thread_ts")

	s.mu.Lock()
	if broadcast && thread == "" {
		s.violateLocked("%s: reply_broadcast without thread_ts (Slack ignores it)", method)
	}
	if _, ok := s.msgIndex[msgKey(ch, thread)]; thread != "" && !ok {
		s.mu.Unlock()
		s.refuseCode(w, method, "thread_not_found", fmt.Sprintf("no message with ts %q in channel %q to reply to", thread, ch))
		return
	}
	ts := s.nextTSLocked()
	m := Message{
		Channel: ch, TS: ts, ThreadTS: thread, Text: text, User: user,
		Blocks: storedBlocks(blocks), Via: method, At: s.now(),
		Metadata: storedBlocks(metadata), Broadcast: broadcast,
	}
	s.addMessageLocked(m)
	s.mu.Unlock()

	if method == "chat.postEphemeral" {
		writeOK(w, map[string]any{"message_ts": ts})
		return
	}
	writeOK(w, map[string]any{"channel": ch, "ts": ts, "message": messageJSON(m)})
}

func (s *Slack) chatUpdate(w http.ResponseWriter, p params) {
	const method = "chat.update"
	ch, ts, text, blocks := p.str("channel"), p.str("ts"), p.str("text"), p.raw("blocks")
	if c := checkMessage(text, blocks); c.err() != "" {
		s.refuse(w, method, c)
		return
	}

	s.mu.Lock()
	i, ok := s.msgIndex[msgKey(ch, ts)]
	var code, reason string
	switch {
	case !ok:
		code, reason = "message_not_found", fmt.Sprintf("no message with ts %q in channel %q", ts, ch)
	case s.messages[i].Via == "chat.postEphemeral" || s.messages[i].Via == "response_url":
		code, reason = "cant_update_message", fmt.Sprintf("message %s was sent via %s; only response_url can replace it", ts, s.messages[i].Via)
	}
	if code == "" {
		m := s.messages[i]
		if p.has("text") {
			m.Text = text
		}
		if p.has("blocks") {
			m.Blocks = storedBlocks(blocks)
		}
		if m.Text == "" && m.Blocks == nil {
			code, reason = "no_text", "the update would leave neither text nor blocks"
		} else {
			m.Updated++
			m.Via = method
			s.messages[i] = m
			s.bumpLocked()
			s.mu.Unlock()
			writeOK(w, map[string]any{"channel": ch, "ts": ts, "text": m.Text, "message": messageJSON(m)})
			return
		}
	}
	s.mu.Unlock()
	s.refuseCode(w, method, code, reason)
}

// checkMetadata holds message metadata to Slack's shape
// (docs.slack.dev/messaging/message-metadata): an object with a non-empty
// event_type of letters, digits and underscores and an event_payload
// object.
func checkMetadata(raw json.RawMessage) string {
	if !blocksPresent(raw) {
		return ""
	}
	var md struct {
		EventType    string          `json:"event_type"`
		EventPayload json.RawMessage `json:"event_payload"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		return "metadata is not a JSON object: " + err.Error()
	}
	if md.EventType == "" || len(md.EventType) > 255 || strings.Trim(md.EventType, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
		return fmt.Sprintf("metadata event_type %q must be 1-255 letters, digits and underscores", md.EventType)
	}
	var payload map[string]any
	if json.Unmarshal(md.EventPayload, &payload) != nil || payload == nil {
		return "metadata event_payload must be a JSON object"
	}
	return ""
}

func storedBlocks(raw json.RawMessage) json.RawMessage {
	if !blocksPresent(raw) {
		return nil
	}
	return append(json.RawMessage(nil), raw...)
}

// messageJSON is the message object chat.postMessage and chat.update
// return. Blocks are left out: slack-go would have to decode them again and
// doorbot never reads them back.
func messageJSON(m Message) map[string]any {
	out := map[string]any{"type": "message", "text": m.Text, "user": m.User, "bot_id": BotID, "ts": m.TS}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	return out
}

func (s *Slack) viewsOpen(w http.ResponseWriter, p params) {
	const method = "views.open"
	tid, raw := p.str("trigger_id"), p.raw("view")
	c, v := checkView(raw, "modal")
	if c.err() != "" {
		s.refuse(w, method, c)
		return
	}
	s.mu.Lock()
	now := s.now()
	var code, reason string
	if tid == "" {
		code, reason = "invalid_trigger_id", "no trigger_id given"
	} else if t := s.triggers[tid]; t != nil {
		switch age := now.Sub(t.issued); {
		case t.used:
			code, reason = "exchanged_trigger_id", fmt.Sprintf("trigger_id %s was already used; it is single-use", tid)
		case age > triggerLifetime:
			code, reason = "expired_trigger_id", fmt.Sprintf("trigger_id used %s after it was issued; Slack allows %s", age, triggerLifetime)
		default:
			t.used = true
		}
	}
	if code != "" {
		s.mu.Unlock()
		s.refuseCode(w, method, code, reason)
		return
	}
	resp := s.recordViewLocked(method, "", v, raw, tid, "")
	s.mu.Unlock()
	writeOK(w, map[string]any{"view": resp})
}

func (s *Slack) viewsUpdate(w http.ResponseWriter, p params) {
	const method = "views.update"
	vid, ext, hash, raw := p.str("view_id"), p.str("external_id"), p.str("hash"), p.raw("view")
	s.mu.Lock()
	if vid == "" {
		for id, st := range s.viewStates {
			if ext != "" && st.externalID == ext {
				vid = id
			}
		}
	}
	st := s.viewStates[vid]
	if st == nil {
		s.mu.Unlock()
		s.refuseCode(w, method, "not_found", fmt.Sprintf("no view with view_id %q / external_id %q", p.str("view_id"), ext))
		return
	}
	if st.closed {
		s.mu.Unlock()
		writeErr(w, "not_found", nil)
		return
	}
	if hash != "" && hash != st.hash {
		// A stale hash is a legitimate race Slack reports, not a misuse.
		s.mu.Unlock()
		writeErr(w, "hash_conflict", nil)
		return
	}
	c, v := checkView(raw, st.typ)
	if c.err() != "" {
		s.mu.Unlock()
		s.refuse(w, method, c)
		return
	}
	resp := s.recordViewLocked(method, vid, v, raw, "", "")
	s.mu.Unlock()
	writeOK(w, map[string]any{"view": resp})
}

func (s *Slack) viewsPublish(w http.ResponseWriter, p params) {
	const method = "views.publish"
	user, raw := p.str("user_id"), p.raw("view")
	if user == "" {
		s.refuseCode(w, method, "invalid_arguments", "no user_id given")
		return
	}
	c, v := checkView(raw, "home")
	if c.err() != "" {
		s.refuse(w, method, c)
		return
	}
	s.mu.Lock()
	id := ""
	for vid, st := range s.viewStates {
		if st.typ == "home" && st.user == user {
			id = vid
		}
	}
	resp := s.recordViewLocked(method, id, v, raw, "", user)
	s.mu.Unlock()
	writeOK(w, map[string]any{"view": resp})
}

// recordViewLocked stores the call and returns the view object Slack
// answers with: the submitted view plus the fields Slack assigns.
func (s *Slack) recordViewLocked(method, id string, v map[string]any, raw json.RawMessage, triggerID, userID string) map[string]any {
	s.seq++
	if id == "" {
		id = fmt.Sprintf("V0FAKE%06d", s.seq)
	}
	hash := fmt.Sprintf("%d.%s", 1700000000+s.seq, randHex(4))
	typ, _ := v["type"].(string)
	ext, _ := v["external_id"].(string)
	if old := s.viewStates[id]; old != nil && userID == "" {
		userID = old.user
	}
	s.viewStates[id] = &viewState{typ: typ, user: userID, hash: hash, externalID: ext}
	str := func(k string) string { x, _ := v[k].(string); return x }
	s.views = append(s.views, View{
		Method: method, ID: id, Type: typ, TriggerID: triggerID, CallbackID: str("callback_id"),
		PrivateMetadata: str("private_metadata"), ExternalID: ext, UserID: userID, Hash: hash,
		View: append(json.RawMessage(nil), raw...), At: s.now(),
	})
	s.bumpLocked()

	resp := make(map[string]any, len(v)+8)
	for k, x := range v {
		resp[k] = x
	}
	resp["id"], resp["team_id"], resp["app_id"], resp["bot_id"] = id, TeamID, AppID, BotID
	resp["hash"], resp["root_view_id"] = hash, id
	resp["state"] = map[string]any{"values": map[string]any{}}
	return resp
}

func (s *Slack) usersInfo(w http.ResponseWriter, p params) {
	var resp map[string]any
	s.mu.Lock()
	if id := p.str("user"); id != "" {
		resp = map[string]any{"user": s.userJSONLocked(id)}
	} else if ids := p.str("users"); ids != "" {
		var out []map[string]any
		for _, id := range strings.Split(ids, ",") {
			out = append(out, s.userJSONLocked(strings.TrimSpace(id)))
		}
		resp = map[string]any{"users": out}
	}
	s.mu.Unlock()
	if resp == nil {
		writeErr(w, "user_not_found", nil)
		return
	}
	writeOK(w, resp)
}

func (s *Slack) userJSONLocked(id string) map[string]any {
	u, ok := s.users[id]
	if !ok {
		u = User{ID: id, Name: strings.ToLower(id), RealName: "User " + id}
	}
	if u.TZ == "" {
		u.TZ = "UTC"
	}
	return map[string]any{
		"id": u.ID, "team_id": TeamID, "name": u.Name, "real_name": u.RealName, "tz": u.TZ,
		"is_bot": u.IsBot, "deleted": false,
		"profile": map[string]any{"real_name": u.RealName, "display_name": u.Name, "email": u.Email},
	}
}

// serveResponseURL receives posts to URLs issued by ResponseURL.
func (s *Slack) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method_not_allowed", http.StatusMethodNotAllowed)
		return
	}
	if s.rateLimited(w, "response_url") {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		http.Error(w, "request_too_large", http.StatusRequestEntityTooLarge)
		return
	}
	status, code := s.acceptResponse(r.URL.Path, body)
	if status != http.StatusOK {
		// Slack's webhooks answer errors as a bare code in text.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, code)
		return
	}
	writeOK(w, nil)
}

func (s *Slack) acceptResponse(path string, body []byte) (int, string) {
	const via = "response_url"
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		Attachments     json.RawMessage `json:"attachments"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	jsonErr := json.Unmarshal(body, &msg)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ru := s.respURLs[path]
	switch {
	case ru == nil:
		s.violateLocked("%s: POST to %s, which the fake never issued", via, path)
		return http.StatusNotFound, "no_service"
	case now.Sub(ru.issued) > responseURLLifetime:
		s.violateLocked("%s: used %s after it was issued; Slack allows %s", via, now.Sub(ru.issued), responseURLLifetime)
		return http.StatusNotFound, "expired_url"
	case ru.uses >= responseURLMaxUses:
		s.violateLocked("%s: post number %d; Slack allows %d per response_url", via, ru.uses+1, responseURLMaxUses)
		return http.StatusNotFound, "used_url"
	case jsonErr != nil:
		s.violateLocked("%s: body is not a JSON message: %v", via, jsonErr)
		return http.StatusBadRequest, "invalid_payload"
	}
	switch msg.ResponseType {
	case "", "ephemeral", "in_channel":
	default:
		s.violateLocked("%s: response_type %q is not ephemeral or in_channel", via, msg.ResponseType)
		return http.StatusBadRequest, "invalid_payload"
	}
	if c := checkMessage(msg.Text, msg.Blocks); c.err() != "" {
		for _, r := range c.reasons() {
			s.violateLocked("%s: %s", via, r)
		}
		return http.StatusBadRequest, c.err()
	}
	if !msg.DeleteOriginal && msg.Text == "" && !blocksPresent(msg.Blocks) && !blocksPresent(msg.Attachments) {
		s.violateLocked("%s: neither text nor blocks given", via)
		return http.StatusBadRequest, "no_text"
	}
	ru.uses++
	s.addMessageLocked(Message{
		Channel: ru.channel, TS: s.nextTSLocked(), ThreadTS: msg.ThreadTS, Text: msg.Text, User: BotUserID,
		Blocks: storedBlocks(msg.Blocks), ResponseType: msg.ResponseType,
		ReplaceOriginal: msg.ReplaceOriginal, DeleteOriginal: msg.DeleteOriginal, Via: via, At: now,
	})
	return http.StatusOK, ""
}
