// Package changestest provides in-memory implementations of the change
// workflow's Notifier and Directory, so that the workflow is tested
// without any chat platform.
package changestest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/fakeclock"
)

// Message is one thing the workflow said.
type Message struct {
	// Kind is root, update, thread or private.
	Kind    string
	Channel string
	// TS is the thread root's ts (for root, update and thread).
	TS   string
	User string // private messages
	Text string // the reply as a terminal shows it
	// Named are the people and user groups the reply names as such
	// (handlers.Span), each once: whom Slack would notify.
	Named []string
}

// named lists the people a reply names, in its text and its blocks.
func named(r handlers.Reply) []string {
	var out []string
	add := func(spans []handlers.Span) {
		for _, s := range spans {
			if s.Person != "" && !slices.Contains(out, s.Person) {
				out = append(out, s.Person)
			}
		}
	}
	add(r.TextSpans)
	for _, part := range append([]handlers.Reply{r}, r.Thread...) {
		for _, b := range part.Blocks {
			for _, l := range b.Spans {
				add(l)
			}
		}
	}
	return out
}

// Notifier records messages in memory. Fail, when set, makes calls of a
// kind fail.
type Notifier struct {
	mu   sync.Mutex
	msgs []Message
	n    int
	fail map[string]error
}

// Fail makes every later call of kind (root, update, thread, private)
// return err; nil err heals it.
func (n *Notifier) Fail(kind string, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail == nil {
		n.fail = map[string]error{}
	}
	n.fail[kind] = err
}

// add records m; like a call to Slack, it fails on a spent context (a
// message said on the context of a stopped job never arrives).
func (n *Notifier) add(ctx context.Context, m Message, r handlers.Reply) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := handlers.RenderText(&b, r); err != nil {
		return err
	}
	m.Text = b.String()
	m.Named = named(r)
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.fail[m.Kind]; err != nil {
		return err
	}
	if m.Kind == "root" {
		n.n++
		m.TS = fmt.Sprintf("1700000000.%06d", n.n)
	}
	n.msgs = append(n.msgs, m)
	return nil
}

// PostRoot records a thread root and gives it a ts.
func (n *Notifier) PostRoot(ctx context.Context, channel string, r handlers.Reply) (string, error) {
	m := Message{Kind: "root", Channel: channel}
	if err := n.add(ctx, m, r); err != nil {
		return "", err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.msgs[len(n.msgs)-1].TS, nil
}

// UpdateRoot records an update of a root, which must have been posted.
func (n *Notifier) UpdateRoot(ctx context.Context, channel, ts string, r handlers.Reply) error {
	if !n.posted(channel, ts) {
		return errors.New("message_not_found")
	}
	return n.add(ctx, Message{Kind: "update", Channel: channel, TS: ts}, r)
}

// PostInThread records a thread reply under a posted root.
func (n *Notifier) PostInThread(ctx context.Context, channel, ts string, r handlers.Reply) error {
	if !n.posted(channel, ts) {
		return errors.New("thread_not_found")
	}
	return n.add(ctx, Message{Kind: "thread", Channel: channel, TS: ts}, r)
}

// TellUser records a private message.
func (n *Notifier) TellUser(ctx context.Context, user, channel string, r handlers.Reply) error {
	return n.add(ctx, Message{Kind: "private", Channel: channel, User: user}, r)
}

func (n *Notifier) posted(channel, ts string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.ContainsFunc(n.msgs, func(m Message) bool { return m.Kind == "root" && m.Channel == channel && m.TS == ts })
}

// Messages returns everything said so far.
func (n *Notifier) Messages() []Message {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.msgs)
}

// Find returns the messages of kind (any kind when empty) whose text
// contains every want.
func (n *Notifier) Find(kind string, want ...string) []Message {
	var out []Message
	for _, m := range n.Messages() {
		if kind != "" && m.Kind != kind {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(m.Text, w)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// Directory is a fixed set of approvers.
type Directory []string

// IsApprover reports whether user is in the set.
func (d Directory) IsApprover(_ context.Context, user string) bool { return slices.Contains(d, user) }

// Named lists the set, as configured approvers are.
func (d Directory) Named() []string { return slices.Clone(d) }

// Clock is a clock a test moves by hand (fakeclock.Clock).
type Clock = fakeclock.Clock

// NewClock starts a clock at now.
func NewClock(now time.Time) *Clock { return fakeclock.New(now) }
