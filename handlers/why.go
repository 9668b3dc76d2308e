package handlers

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/why"
)

// BadTunnelError is a TUNNEL argument that names no tunnel of the
// connection.
type BadTunnelError struct {
	Connection, Arg string
	Known           []string
}

func (e *BadTunnelError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("tunnel %q: connection %s has no tunnels to choose from", e.Arg, e.Connection)
	}
	return fmt.Sprintf("tunnel %q is not a tunnel of %s; use an index or outside IP: %s", e.Arg, e.Connection, strings.Join(e.Known, ", "))
}

// ValidTunnelArg says whether a TUNNEL argument can be an index or an IP,
// before any cloud is read.
func ValidTunnelArg(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n >= 1 && n <= 16
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// Why reads the clouds' own evidence for one connection and judges it
// (docs/why.md). tunnel is "" for every tunnel, else an index or an AWS
// outside IP.
func (s *Service) Why(ctx context.Context, name, tunnel string) (why.Answer, error) {
	conns, err := s.Select([]string{name})
	if err != nil {
		return why.Answer{}, err
	}
	if s.Observer == nil {
		return why.Answer{}, errNoObserver
	}
	return explain(s.Observer.Evidence(ctx, conns[0]), name, tunnel)
}

// WhyOf is Why, for every tunnel, of an observation already read (the
// alert watcher's): the connection is not read again, only the evidence.
func (s *Service) WhyOf(ctx context.Context, o vpn.Observation) (why.Answer, error) {
	if s.Observer == nil {
		return why.Answer{}, errNoObserver
	}
	return explain(s.Observer.EvidenceOf(ctx, o), o.Connection.Name, "")
}

func explain(in why.Input, name, tunnel string) (why.Answer, error) {
	st := Assess(in.Observation)
	in.Tunnels, in.Health = st.Tunnels, st.Health
	if tunnel != "" {
		idx, err := pickTunnel(name, tunnel, st.Tunnels)
		if err != nil {
			return why.Answer{}, err
		}
		in.Tunnel = idx
	}
	return why.Explain(in), nil
}

func pickTunnel(conn, arg string, tunnels []vpn.TunnelStatus) (int, error) {
	var known []string
	for _, t := range tunnels {
		if strconv.Itoa(t.Index) == arg || (t.AWSOutsideIP != "" && t.AWSOutsideIP == arg) {
			return t.Index, nil
		}
		known = append(known, fmt.Sprintf("%d (%s)", t.Index, dash(t.AWSOutsideIP)))
	}
	return 0, &BadTunnelError{Connection: conn, Arg: arg, Known: known}
}

// WhyReply renders an answer for people: each cause with its evidence
// lines, then the sources that were not read and how to enable them.
func WhyReply(a why.Answer) Reply {
	var r Reply
	subject := a.Connection
	if a.Tunnel > 0 {
		subject = fmt.Sprintf("%s tunnel %d", a.Connection, a.Tunnel)
	}
	head := heading(healthTone(a.Health), fmt.Sprintf("Why: %s — %s", subject, strings.ToUpper(string(a.Health))))
	head.Icon = healthIcon(a.Health)
	r.Blocks = append(r.Blocks, head)
	if len(a.Causes) == 0 {
		msg, tone := "No cause found in the evidence read; /door status "+a.Connection+" lists the configuration findings.", ToneMuted
		switch {
		case a.Health == vpn.Unknown:
			msg = "Neither cloud could be read: see what was not read below."
		case a.Tunnel > 0:
			msg, tone = "This tunnel is up on every side read; nothing in the evidence needs explaining.", ToneGood
		case a.Health == vpn.Healthy:
			msg, tone = "Every tunnel is up on every side read; nothing in the evidence needs explaining.", ToneGood
		}
		r.Blocks = append(r.Blocks, paragraph(tone, msg))
	}
	for i, c := range a.Causes {
		b := findingBlock(c.Finding)
		b.Lines[0] = fmt.Sprintf("%d. %s", i+1, b.Lines[0])
		b.Narrow[0].Lines[0] = fmt.Sprintf("%d. %s", i+1, b.Narrow[0].Lines[0])
		var seen []string
		for _, e := range c.Evidence {
			seen = append(seen, fmt.Sprintf("seen %s %s: “%s”", dash(e.Time), e.Source, e.Text))
		}
		b.Lines = append(b.Lines, seen...)
		if len(seen) > 0 {
			b.Narrow = slices.Insert(b.Narrow, 1, paragraph(ToneNone, seen...))
		}
		r.Blocks = append(r.Blocks, b)
	}
	if len(a.NotRead) > 0 {
		r.Blocks = append(r.Blocks, heading(ToneNone, "Not read (doorbot never enables anything)"))
		for _, n := range a.NotRead {
			b := detail(ToneMuted, fmt.Sprintf("%s: %s", n.Source, n.Why), "to read it: "+n.Fix)
			b.Narrow = append([]Block{paragraph(ToneMuted, b.Lines[0])}, checkBlocks("to read it", n.Fix)...)
			r.Blocks = append(r.Blocks, b)
		}
	}
	read := "nothing"
	if len(a.Read) > 0 {
		read = strings.Join(a.Read, ", ")
	}
	r.Blocks = append(r.Blocks, notes("read: "+read+" · logs of the last hour", "generated "+a.GeneratedAt))
	r.Text = fmt.Sprintf("%s: no cause found", subject)
	if len(a.Causes) > 0 {
		c := a.Causes[0]
		r.Text = fmt.Sprintf("%s: %s %s", subject, c.Rule, c.Message)
	}
	return r
}
