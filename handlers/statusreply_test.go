package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/shelltest"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
)

func renderText(t *testing.T, r handlers.Reply) string {
	t.Helper()
	var b strings.Builder
	if err := handlers.RenderText(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A gateway or resource group named wrongly in the config is the whole
// story of that side: the reply leads with it, lists no phantom tunnels
// and draws no findings from what was not there.
func TestMisnamedGatewayOrGroupLeadsWithTheConfigurationError(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *vpn.Connection)
		want string
	}{
		{"gateway", func(c *vpn.Connection) { c.Azure.Gateway = "vgw-typo" }, `"vgw-typo" not found`},
		{"resource group", func(c *vpn.Connection) { c.Azure.ResourceGroup = "rg-typo" }, `resource group "rg-typo"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _ := simclient.DemoService(t, simclient.Options{MaxAttempts: 1})
			i := connIndex(t, svc, "tunnel2-down")
			tc.edit(&svc.Connections[i])
			rep, err := svc.Status(context.Background(), []string{"tunnel2-down"})
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Connections[0]
			if c.Observed.Azure {
				t.Errorf("azure observed through a misnamed %s", tc.name)
			}
			for _, tu := range c.Tunnels {
				if tu.AzureStatus == vpn.StatusMissing || (tu.AWSStatus == vpn.StatusMissing) {
					t.Errorf("phantom tunnel row %+v", tu)
				}
			}
			if len(c.Errors) != 1 || !c.Errors[0].Config || !strings.Contains(c.Errors[0].Message, tc.want) {
				t.Fatalf("errors %+v: want one configuration error naming %s", c.Errors, tc.want)
			}
			for _, f := range c.Findings {
				if f.Rule == "peer-ip-mismatch" || f.Rule == "single-tunnel" || strings.Contains(f.Message, "missing") {
					t.Errorf("finding derived from the missing side: %s: %s", f.Rule, f.Message)
				}
			}
			reply := handlers.StatusReply(rep)
			for name, blocks := range map[string][]handlers.Block{"text": reply.Blocks, "compact": reply.Compact} {
				if len(blocks) < 2 || !strings.HasPrefix(blocks[1].Lines[0], "configuration error: azure: ") {
					t.Errorf("%s layout does not lead with the configuration error: %+v", name, blocks[:2])
				}
			}
		})
	}
}

func connIndex(t *testing.T, svc *handlers.Service, name string) int {
	t.Helper()
	for i, c := range svc.Connections {
		if c.Name == name {
			return i
		}
	}
	t.Fatalf("no connection %s", name)
	return -1
}

// Every demo scenario's compact status fits a phone: no preformatted line
// over PhoneWidth, tunnels as fields (never a table), every command in a
// code block that bash parses, times as moments a medium can localise.
func TestCompactStatusFitsAPhone(t *testing.T) {
	svc, _ := simclient.DemoService(t, simclient.Options{MaxAttempts: 1})
	for _, c := range svc.Connections {
		t.Run(c.Name, func(t *testing.T) {
			rep, err := svc.Status(context.Background(), []string{c.Name})
			if err != nil {
				t.Fatal(err)
			}
			reply := handlers.StatusReply(rep)
			if len(reply.Compact) == 0 {
				t.Fatal("no compact layout")
			}
			fields := 0
			for _, b := range reply.Compact {
				switch b.Kind {
				case handlers.Table:
					t.Errorf("a table in the compact layout: %v", b.Columns)
				case handlers.Fields:
					fields++
				case handlers.Code:
					for _, cmd := range b.Lines {
						for _, l := range strings.Split(cmd, "\n") {
							if len(l) > handlers.PhoneWidth && strings.Contains(strings.TrimSpace(l), " ") {
								t.Errorf("code line of %d characters: %q", len(l), l)
							}
						}
						shelltest.Parses(t, cmd)
					}
				case handlers.Paragraph:
					for _, l := range b.Lines {
						if strings.Contains(l, "`") && strings.Count(l, "`")%2 != 0 {
							t.Errorf("an odd backtick left in prose: %q", l)
						}
					}
				}
			}
			if fields != len(rep.Connections[0].Tunnels) {
				t.Errorf("%d field sections for %d tunnels", fields, len(rep.Connections[0].Tunnels))
			}
			last := reply.Compact[len(reply.Compact)-1]
			if last.Kind != handlers.Notes || len(last.Fields) == 0 || last.Fields[0].At != rep.GeneratedAt {
				t.Errorf("generated time is not a moment: %+v", last)
			}
		})
	}
}

// A tunnel AWS has had DOWN for days says for how long in every output:
// the JSON field, the terminal table and the phone's fields; a static
// standby with no bytes is "standby", not "0 B".
func TestDownForAndStandby(t *testing.T) {
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	tunnels := []vpn.TunnelStatus{
		{Index: 1, AWSOutsideIP: "198.51.100.1", AWSStatus: "UP", AWSSince: "2026-11-01T00:00:00Z", AzureConnection: "cn-1", AzureStatus: "Connected", Up: true},
		{Index: 2, AWSOutsideIP: "198.51.100.2", AWSStatus: "DOWN", AWSSince: "2026-11-17T07:30:00Z", AzureConnection: "cn-2", AzureStatus: "NotConnected"},
		{Index: 3, AWSOutsideIP: "198.51.100.3", AWSStatus: "UP", AWSSince: "2026-11-17T07:30:00Z", AzureConnection: "cn-3", AzureStatus: "NotConnected"},
	}
	vpn.SetDownFor(tunnels, now)
	if tunnels[1].DownForSeconds != int64((7*24+19)*3600+30*60) || tunnels[0].DownForSeconds != 0 || tunnels[2].DownForSeconds != 0 {
		t.Fatalf("down_for_seconds %d %d %d", tunnels[0].DownForSeconds, tunnels[1].DownForSeconds, tunnels[2].DownForSeconds)
	}
	rep := vpn.NewReport(now, []vpn.ConnectionStatus{{
		Name: "prod", Kind: vpn.KindAWSVPN, Health: vpn.Degraded, Summary: "1 of 3 up",
		Routing: vpn.RoutingPair{AWS: vpn.RoutingStatic, Azure: vpn.RoutingStatic}, Observed: vpn.ObservedSides{AWS: true, Azure: true},
		Tunnels: tunnels,
	}})
	reply := handlers.StatusReply(rep)
	out := renderText(t, reply)
	if !strings.Contains(out, "7 d 19 h") || !strings.Contains(out, "down for") {
		t.Errorf("text status lacks the down-for column:\n%s", out)
	}
	var cards []handlers.Block
	for _, b := range reply.Compact {
		if b.Kind == handlers.Fields {
			cards = append(cards, b)
		}
	}
	field := func(b handlers.Block, label string) (handlers.Field, bool) {
		for _, f := range b.Fields {
			if f.Label == label {
				return f, true
			}
		}
		return handlers.Field{}, false
	}
	if f, ok := field(cards[1], "Down for"); !ok || f.Value != "7 d 19 h" {
		t.Errorf("tunnel 2 card: %+v", cards[1].Fields)
	}
	if f, ok := field(cards[1], "Since"); !ok || f.At != "2026-11-17T07:30:00Z" {
		t.Errorf("tunnel 2 since is not a moment: %+v", cards[1].Fields)
	}
	if f, _ := field(cards[0], "Traffic"); f.Value != "standby" {
		t.Errorf("idle static tunnel 1 traffic %q, want standby", f.Value)
	}
	if _, ok := field(cards[2], "Down for"); ok {
		t.Errorf("tunnel 3 (AWS UP, Azure down) got a down-for from AWS's up time: %+v", cards[2].Fields)
	}
	if strings.Contains(out, "  0       ") {
		t.Errorf("static routes shown as 0:\n%s", out)
	}
}

// SORACOM Door rows show the Door side, not empty AWS columns.
func TestDoorRowsShowTheDoorSide(t *testing.T) {
	svc, _ := simclient.DemoService(t, simclient.Options{MaxAttempts: 1})
	rep, err := svc.Status(context.Background(), []string{"soracom-door"})
	if err != nil {
		t.Fatal(err)
	}
	reply := handlers.StatusReply(rep)
	out := renderText(t, reply)
	if !strings.Contains(out, "Door outside IP") || strings.Contains(out, "AWS message") || strings.Contains(out, "unknown  -") {
		t.Errorf("door table:\n%s", out)
	}
	for _, b := range reply.Compact {
		if b.Kind != handlers.Fields {
			continue
		}
		for _, f := range b.Fields {
			if f.Label == "AWS" || f.Value == "unknown" {
				t.Errorf("door card shows an empty AWS side: %+v", b.Fields)
			}
		}
	}
}

// Several connections: a roll-up first, worst verdict first; on a phone
// the connections follow in the same order.
func TestRollUpSortsBySeverity(t *testing.T) {
	conns := []vpn.ConnectionStatus{
		{Name: "a-ok", Health: vpn.Healthy}, {Name: "b-down", Health: vpn.Down}, {Name: "c-deg", Health: vpn.Degraded}, {Name: "d-unk", Health: vpn.Unknown},
	}
	reply := handlers.StatusReply(vpn.NewReport(time.Now(), conns))
	head := reply.Compact[0]
	if head.Kind != handlers.Heading || head.Icon != handlers.IconBad || head.Lines[0] != "4 connections: 1 down, 1 degraded, 1 unknown, 1 healthy" {
		t.Errorf("roll-up head %+v", head)
	}
	if got := strings.Join(reply.Compact[1].Lines, " | "); got != "down: b-down | degraded: c-deg | unknown: d-unk | healthy: a-ok" {
		t.Errorf("roll-up lines %q", got)
	}
	var order []string
	for _, b := range reply.Compact[2:] {
		if b.Kind == handlers.Heading {
			order = append(order, strings.Fields(b.Lines[0])[0])
		}
	}
	if strings.Join(order, ",") != "b-down,c-deg,d-unk,a-ok" {
		t.Errorf("compact order %v", order)
	}
}

// A fleet on a phone: beyond CompactDetailLimit connections only those
// that are not healthy get sections; the healthy ones are named in the
// roll-up (at most 40 per verdict, then a count) and a note says how to
// see one. The terminal layout keeps every connection.
func TestCompactFleetShowsWhatIsBroken(t *testing.T) {
	for _, tc := range []struct {
		healthy   int
		sections  int
		note      string
		namesLine string
	}{
		{healthy: handlers.CompactDetailLimit - 1, sections: handlers.CompactDetailLimit, note: ""},
		{healthy: handlers.CompactDetailLimit, sections: 1, note: "5 healthy connections are not shown in detail"},
		{healthy: 99, sections: 1, note: "99 healthy connections are not shown in detail", namesLine: " and 59 more"},
	} {
		conns := []vpn.ConnectionStatus{}
		for i := range tc.healthy {
			conns = append(conns, vpn.ConnectionStatus{Name: fmt.Sprintf("site-%03d", i), Health: vpn.Healthy})
		}
		conns = append(conns, vpn.ConnectionStatus{Name: "site-down", Health: vpn.Down})
		reply := handlers.StatusReply(vpn.NewReport(time.Now(), conns))
		var sections []string
		var notes string
		for _, b := range reply.Compact[2:] {
			if b.Kind == handlers.Heading {
				sections = append(sections, strings.Fields(b.Lines[0])[0])
			}
			notes += strings.Join(b.Lines, " ")
		}
		if len(sections) != tc.sections || sections[0] != "site-down" {
			t.Errorf("%d healthy + 1 down: compact sections %v, want %d starting with site-down", tc.healthy, sections, tc.sections)
		}
		if tc.note != "" && !strings.Contains(notes, tc.note) {
			t.Errorf("%d healthy: no note %q in %q", tc.healthy, tc.note, notes)
		}
		if tc.note == "" && strings.Contains(notes, "not shown in detail") {
			t.Errorf("%d healthy: a note about hidden connections when none is hidden", tc.healthy)
		}
		if !strings.HasSuffix(reply.Compact[1].Lines[len(reply.Compact[1].Lines)-1], tc.namesLine) {
			t.Errorf("%d healthy: roll-up names %q, want the suffix %q", tc.healthy, reply.Compact[1].Lines, tc.namesLine)
		}
		headings := 0
		for _, b := range reply.Blocks {
			if b.Kind == handlers.Heading {
				headings++
			}
		}
		if headings < len(conns) {
			t.Errorf("%d healthy: the terminal layout lost connections (%d headings for %d)", tc.healthy, headings, len(conns))
		}
	}
}
