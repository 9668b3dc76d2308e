package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	writeTimeout = 5 * time.Second
	// Larger than Slack's ack limit so an oversized ack is seen and reported
	// rather than failing the read.
	readLimit = 1 << 20
)

// SlashCommand is what a user typed. Empty fields get defaults: TeamID,
// DefaultUserID, DefaultChannelID, a user name derived from the ID, and (when
// sent through SendSlashCommand) a fresh ResponseURL and TriggerID.
type SlashCommand struct {
	Command     string
	Text        string
	UserID      string
	UserName    string
	ChannelID   string
	ChannelName string
	TeamID      string
	ResponseURL string
	TriggerID   string
}

type wsConn struct {
	ws        *websocket.Conn
	writeMu   sync.Mutex // gorilla allows one concurrent writer of data frames
	done      chan struct{}
	closeOnce sync.Once

	// Guarded by Slack.mu.
	draining bool // a disconnect was sent; no new envelopes go here
	dead     bool
}

func (c *wsConn) write(data []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

func (c *wsConn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// currentConnLocked is the connection new envelopes go to: the newest one
// that is alive and not being disconnected.
func (s *Slack) currentConnLocked() *wsConn {
	for i := len(s.conns) - 1; i >= 0; i-- {
		if c := s.conns[i]; !c.dead && !c.draining {
			return c
		}
	}
	return nil
}

func (s *Slack) appsConnectionsOpen(w http.ResponseWriter, r *http.Request) {
	const method = "apps.connections.open"
	// Slack wants the app-level token in the header only.
	switch tok := bearer(r); tok {
	case s.opts.AppToken:
	case "":
		writeErr(w, "not_authed", nil)
		return
	case s.opts.BotToken:
		writeErr(w, "not_allowed_token_type", nil)
		return
	default:
		writeErr(w, "invalid_auth", nil)
		return
	}
	s.mu.Lock()
	if n := len(s.conns); n >= maxSocketConns {
		s.mu.Unlock()
		s.refuseCode(w, method, "too_many_websockets", fmt.Sprintf("%d connections open; Slack allows %d", n, maxSocketConns))
		return
	}
	s.seq++
	ticket := fmt.Sprintf("%d-%s", s.seq, randHex(8))
	s.tickets[ticket] = true
	s.opened++
	s.bumpLocked()
	s.mu.Unlock()
	writeOK(w, map[string]any{"url": "ws://" + s.srv.Listener.Addr().String() + "/link/?ticket=" + ticket})
}

func (s *Slack) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	if !s.tickets[ticket] {
		s.violateLocked("socket mode: dial with a ticket that apps.connections.open did not issue or that was already used")
		s.mu.Unlock()
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	delete(s.tickets, ticket)
	s.wg.Add(1) // under mu while open, so it cannot race Close's Wait
	s.mu.Unlock()
	defer s.wg.Done()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the HTTP request
	}
	ws.SetReadLimit(readLimit)
	c := &wsConn{ws: ws, done: make(chan struct{})}
	ws.SetPongHandler(func(string) error {
		s.mu.Lock()
		s.pongs++
		s.bumpLocked()
		s.mu.Unlock()
		return nil
	})

	s.mu.Lock()
	live := 1
	for _, o := range s.conns {
		if !o.dead {
			live++
		}
	}
	s.mu.Unlock()
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": live,
		"debug_info":      map[string]any{"host": "fake", "approximate_connection_time": 3600},
		"connection_info": map[string]any{"app_id": AppID},
	})
	// hello goes out before the connection is registered, so no envelope
	// can overtake it.
	if err := c.write(hello); err != nil {
		c.close()
		return
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.close()
		return
	}
	s.conns = append(s.conns, c)
	s.wg.Add(1)
	s.bumpLocked()
	s.mu.Unlock()
	go s.pingLoop(c)

	s.readLoop(c)

	c.close()
	s.mu.Lock()
	c.dead = true
	for i, o := range s.conns {
		if o == c {
			s.conns = append(s.conns[:i], s.conns[i+1:]...)
			break
		}
	}
	s.bumpLocked()
	s.mu.Unlock()
}

// pingLoop sends the PING frames slack-go's dead-man timer relies on.
func (s *Slack) pingLoop(c *wsConn) {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-s.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				c.close()
				return
			}
		}
	}
}

func (s *Slack) readLoop(c *wsConn) {
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ != websocket.TextMessage {
			s.mu.Lock()
			s.violateLocked("socket mode: client sent a non-text frame (type %d)", typ)
			s.mu.Unlock()
			continue
		}
		s.handleClientFrame(data)
	}
}

func (s *Slack) handleClientFrame(data []byte) {
	var f struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	err := json.Unmarshal(data, &f)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if err != nil || f.EnvelopeID == "" {
		s.violateLocked("socket mode: client frame is not an ack: %.200s", data)
		return
	}
	id := f.EnvelopeID
	if len(data) >= maxAckBytes {
		// Slack drops these without telling the app, so the ack is lost.
		s.violateLocked("socket mode: ack for %s is %d bytes; Slack silently drops acks of %d bytes or more", id, len(data), maxAckBytes)
		return
	}
	env, ok := s.envelopes[id]
	if !ok {
		s.violateLocked("socket mode: ack for envelope %s, which the fake never sent", id)
		return
	}
	if _, dup := s.acks[id]; dup {
		s.violateLocked("socket mode: envelope %s acked twice", id)
		return
	}
	if lat := now.Sub(env.sentAt); lat > ackDeadline {
		s.violateLocked("socket mode: %s envelope %s acked after %s; Slack requires %s", env.typ, id, lat, ackDeadline)
	}
	payload := json.RawMessage(nil)
	if t := strings.TrimSpace(string(f.Payload)); t != "" && t != "null" {
		payload = append(json.RawMessage(nil), f.Payload...)
		if c := checkAckPayload(env.typ, payload, env.inputs); c.err() != "" {
			for _, r := range c.reasons() {
				s.violateLocked("socket mode: ack payload for %s: %s", id, r)
			}
		}
	}
	s.acks[id] = Ack{EnvelopeID: id, Payload: payload, At: now}
	s.ackOrder = append(s.ackOrder, id)
	s.bumpLocked()
}

// checkAckPayload validates what Slack would show or do with an ack's
// payload: a message for slash commands, a response_action for view
// submissions. inputs are the submitted view's input block IDs (nil when
// the payload carried no blocks): Slack refuses errors on any other block.
func checkAckPayload(envType string, payload json.RawMessage, inputs map[string]bool) *checker {
	var m struct {
		Text           string            `json:"text"`
		Blocks         json.RawMessage   `json:"blocks"`
		ResponseType   string            `json:"response_type"`
		ResponseAction string            `json:"response_action"`
		View           json.RawMessage   `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(payload, &m); err != nil {
		c := &checker{}
		c.addf("invalid_payload", "not a JSON object: %v", err)
		return c
	}
	switch {
	case envType == "slash_commands":
		c := checkMessage(m.Text, m.Blocks)
		switch m.ResponseType {
		case "", "ephemeral", "in_channel":
		default:
			c.addf("invalid_payload", "response_type %q is not ephemeral or in_channel", m.ResponseType)
		}
		return c
	case m.ResponseAction == "update" || m.ResponseAction == "push":
		c, _ := checkView(m.View, "modal")
		return c
	case m.ResponseAction == "errors":
		c := &checker{}
		if len(m.Errors) == 0 {
			c.addf("invalid_payload", "response_action errors names no block")
		}
		for _, id := range slices.Sorted(maps.Keys(m.Errors)) {
			if inputs != nil && !inputs[id] {
				c.addf("invalid_payload", "response_action errors names block %q, which is not an input block of the submitted view", id)
			}
		}
		return c
	}
	return &checker{}
}

// submittedInputs are the input block IDs of a view_submission's view,
// nil when it is no view submission or carries no blocks.
func submittedInputs(payload json.RawMessage) map[string]bool {
	var p struct {
		Type string          `json:"type"`
		View json.RawMessage `json:"view"`
	}
	if json.Unmarshal(payload, &p) != nil || p.Type != "view_submission" {
		return nil
	}
	var out map[string]bool
	for _, in := range viewInputs(p.View) {
		if out == nil {
			out = map[string]bool{}
		}
		out[in.blockID] = true
	}
	return out
}

func (s *Slack) sendEnvelope(ctx context.Context, typ string, payload json.RawMessage, accepts bool, triggerID string) (string, error) {
	id := newUUID()
	frame, err := json.Marshal(map[string]any{
		"envelope_id":              id,
		"type":                     typ,
		"accepts_response_payload": accepts,
		"payload":                  payload,
	})
	if err != nil {
		return "", err
	}
	for {
		var c *wsConn
		err := s.waitFor(ctx, func() bool { c = s.currentConnLocked(); return c != nil })
		if err != nil {
			return "", fmt.Errorf("fakeslack: no socket mode connection for a %s envelope: %w", typ, err)
		}
		// Registered before the write: a fast client may ack before
		// WriteMessage returns.
		s.mu.Lock()
		now := s.now()
		s.envelopes[id] = envelope{typ: typ, sentAt: now, inputs: submittedInputs(payload)}
		if t := s.triggers[triggerID]; triggerID != "" && (t == nil || !t.used) {
			s.triggers[triggerID] = &trigger{issued: now}
		}
		s.bumpLocked()
		s.mu.Unlock()
		if err := c.write(frame); err == nil {
			return id, nil
		}
		s.mu.Lock()
		delete(s.envelopes, id)
		c.dead = true
		s.bumpLocked()
		s.mu.Unlock()
		c.close()
	}
}

// SendSlashCommand delivers cmd as a slash_commands envelope to the current
// Socket Mode connection, waiting for one if needed, and returns the
// envelope ID.
func (s *Slack) SendSlashCommand(ctx context.Context, cmd SlashCommand) (string, error) {
	cmd = cmd.withDefaults()
	if cmd.ResponseURL == "" {
		s.mu.Lock()
		cmd.ResponseURL = s.newResponseURLLocked(cmd.ChannelID)
		s.mu.Unlock()
	}
	if cmd.TriggerID == "" {
		cmd.TriggerID = newTriggerID()
	}
	raw, err := json.Marshal(slashPayload(cmd))
	if err != nil {
		return "", err
	}
	return s.sendEnvelope(ctx, "slash_commands", raw, true, cmd.TriggerID)
}

// SendInteractive delivers payload (anything that marshals to a JSON object,
// e.g. BlockActionsPayload's result) as an interactive envelope. A
// trigger_id in it becomes valid for views.open from now; a response_url
// issued by this fake is bound to the payload's channel.
func (s *Slack) SendInteractive(ctx context.Context, payload any) (string, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return "", errors.New("fakeslack: interactive payload must be a JSON object")
	}
	typ, _ := m["type"].(string)
	tid, _ := m["trigger_id"].(string)
	if ru, _ := m["response_url"].(string); strings.HasPrefix(ru, s.srv.URL+"/") {
		s.mu.Lock()
		if r := s.respURLs[strings.TrimPrefix(ru, s.srv.URL)]; r != nil && r.channel == "" {
			r.channel = payloadChannel(m)
		}
		s.mu.Unlock()
	}
	// Slack lets only view submissions answer through the ack.
	return s.sendEnvelope(ctx, "interactive", raw, typ == "view_submission", tid)
}

// SendEvent delivers an Events API event (the inner "event" object, e.g.
// AppHomeOpened's result) in an events_api envelope, as Slack wraps it.
func (s *Slack) SendEvent(ctx context.Context, event map[string]any) (string, error) {
	raw, err := json.Marshal(map[string]any{
		"type": "event_callback", "team_id": "T0FAKE", "api_app_id": "A0FAKE",
		"event_id": "Ev" + randHex(5), "event_time": s.now().Unix(), "event": event,
	})
	if err != nil {
		return "", err
	}
	return s.sendEnvelope(ctx, "events_api", raw, false, "")
}

// AppHomeOpened is the app_home_opened event of user opening the Home tab.
func AppHomeOpened(user string) map[string]any {
	return map[string]any{"type": "app_home_opened", "user": user, "channel": "D0" + user, "tab": "home", "event_ts": "1700000000.000100"}
}

func payloadChannel(m map[string]any) string {
	if ch, _ := m["channel"].(map[string]any); ch != nil {
		if id, _ := ch["id"].(string); id != "" {
			return id
		}
	}
	if ct, _ := m["container"].(map[string]any); ct != nil {
		id, _ := ct["channel_id"].(string)
		return id
	}
	return ""
}

// SendDisconnect sends a disconnect message (reason e.g. "refresh_requested",
// "warning", "link_disabled") on the current connection and closes it after
// Options.DisconnectGrace. New envelopes wait for the next connection.
func (s *Slack) SendDisconnect(reason string) error {
	s.mu.Lock()
	c := s.currentConnLocked()
	if c == nil || s.closed {
		s.mu.Unlock()
		return errors.New("fakeslack: no socket mode connection to disconnect")
	}
	c.draining = true
	s.bumpLocked()
	s.wg.Add(1) // under mu while open, so it cannot race Close's Wait
	s.mu.Unlock()

	frame, _ := json.Marshal(map[string]any{
		"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "fake"},
	})
	err := c.write(frame)
	go func() {
		defer s.wg.Done()
		grace := time.NewTimer(s.opts.DisconnectGrace)
		defer grace.Stop()
		select {
		case <-grace.C:
		case <-c.done:
		case <-s.done:
		}
		c.close()
	}()
	return err
}

// WaitConnected waits until a Socket Mode client is connected (hello sent)
// on a connection that is not being disconnected.
func (s *Slack) WaitConnected(ctx context.Context) error {
	err := s.waitFor(ctx, func() bool { return s.currentConnLocked() != nil })
	if err != nil {
		return fmt.Errorf("fakeslack: waiting for a socket mode connection (%d opened so far): %w", s.ConnectionsOpened(), err)
	}
	return nil
}

// ConnectionsOpened counts successful apps.connections.open calls.
func (s *Slack) ConnectionsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// WaitAck waits for the client's ack of envelopeID.
func (s *Slack) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var a Ack
	err := s.waitFor(ctx, func() bool {
		var ok bool
		a, ok = s.acks[envelopeID]
		return ok
	})
	if err != nil {
		return Ack{}, fmt.Errorf("fakeslack: waiting for the ack of %s: %w", envelopeID, err)
	}
	return a, nil
}

// Acks returns every accepted ack in arrival order.
func (s *Slack) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ack, 0, len(s.ackOrder))
	for _, id := range s.ackOrder {
		out = append(out, s.acks[id])
	}
	return out
}

// SentAt is when the envelope was written (per the fake's clock), or the
// zero time for an unknown ID. Ack.At minus SentAt is the ack latency.
func (s *Slack) SentAt(envelopeID string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.envelopes[envelopeID].sentAt
}

// Pongs counts PONG frames received from clients.
func (s *Slack) Pongs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pongs
}

// WaitPongs waits until clients have answered at least n PINGs.
func (s *Slack) WaitPongs(ctx context.Context, n int) error {
	err := s.waitFor(ctx, func() bool { return s.pongs >= n })
	if err != nil {
		return fmt.Errorf("fakeslack: waiting for %d pongs, have %d: %w", n, s.Pongs(), err)
	}
	return nil
}
