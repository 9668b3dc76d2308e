package handlers

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
)

func TestParseCommand(t *testing.T) {
	cases := []struct {
		in      string
		want    Command
		wantErr string
	}{
		{"", Command{Name: "help"}, ""},
		{"   ", Command{Name: "help"}, ""},
		{"/door", Command{Name: "help"}, ""},
		{"status", Command{Name: "status", Args: []string{}}, ""},
		{"/door  STATUS  azure-prod\tdoor-iot ", Command{Name: "status", Args: []string{"azure-prod", "door-iot"}}, ""},
		{"help me", Command{Name: "help", Args: []string{"me"}}, ""},
		{strings.Repeat("a", MaxCommandText+1), Command{}, "limit is 2000"},
		{"status \xff", Command{}, "not valid UTF-8"},
	}
	for _, tc := range cases {
		got, err := ParseCommand(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseCommand(%.20q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.Name != tc.want.Name || strings.Join(got.Args, ",") != strings.Join(tc.want.Args, ",") {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "/door status a b", "help", "status <!channel>", "\x00\xff", "/door\u00a0status"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmd, err := ParseCommand(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if cmd.Name == "" || !utf8.ValidString(cmd.Name) {
			t.Fatalf("empty or invalid subcommand from %q", s)
		}
		for _, a := range cmd.Args {
			if a == "" || strings.ContainsAny(a, " \t\n") {
				t.Fatalf("bad argument %q from %q", a, s)
			}
		}
		// The router answers every parsed line without failing.
		r := (&Router{Service: &Service{}}).Handle(context.Background(), s)
		if len(r.Blocks) == 0 || r.Text == "" {
			t.Fatalf("empty reply for %q", s)
		}
	})
}

func text(t *testing.T, r Reply) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderText(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRouterAgainstSimulatedClouds(t *testing.T) {
	world, scenarios := sim.DemoWorld()
	srv, err := sim.Start(world)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	obs, err := simclient.Observer(srv, simclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var conns []vpn.Connection
	for _, s := range scenarios {
		conns = append(conns, s.Connection)
	}
	rt := &Router{Service: &Service{Connections: conns, Observer: obs}}

	cases := []struct {
		line      string
		ephemeral bool
		want      []string
		not       []string
	}{
		{"/door status tunnel2-down", false, []string{"tunnel2-down — DEGRADED", "IPSEC IS DOWN", "fix:"}, []string{"healthy-static"}},
		{"/door status", false, []string{"healthy-static — HEALTHY", "bgp-single-ip — DEGRADED", "soracom-door — HEALTHY", "aws-throttled"}, nil},
		{"/door status nope", true, []string{`unknown connection "nope"; known: healthy-static`}, []string{"HEALTHY"}},
		{"/door status Bad_Name", true, []string{`"Bad_Name" is not a connection name`}, nil},
		{"/door frob", true, []string{`unknown subcommand "frob"`, "/door status [NAME...]"}, nil},
		{"/door", false, []string{"/door status [NAME...]"}, []string{"unknown"}},
	}
	for _, tc := range cases {
		r := rt.Handle(context.Background(), tc.line)
		out := text(t, r)
		if r.Ephemeral != tc.ephemeral {
			t.Errorf("%s: ephemeral = %v", tc.line, r.Ephemeral)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: reply lacks %q:\n%s", tc.line, w, out)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(out, w) {
				t.Errorf("%s: reply must not contain %q", tc.line, w)
			}
		}
		if strings.Contains(out, sim.PSKPrefix) {
			t.Errorf("%s: a pre-shared key reached the reply", tc.line)
		}
	}
	if m := srv.Mutations(); len(m) > 0 {
		t.Errorf("mutating calls: %+v", m)
	}
}

func TestStatusReplyShowsBothSidesAndFindings(t *testing.T) {
	rep := vpn.NewReport(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC), []vpn.ConnectionStatus{{
		Name: "azure-prod", Kind: vpn.KindAWSVPN, Health: vpn.Degraded, Summary: "1 of 2 tunnels up",
		Routing: vpn.RoutingPair{AWS: vpn.RoutingStatic, Azure: vpn.RoutingStatic},
		Tunnels: []vpn.TunnelStatus{
			{Index: 1, AWSOutsideIP: "198.51.100.1", AWSStatus: "UP", AzureConnection: "cn-1", AzureStatus: "Connected", AzureIngressBytes: 3 << 20},
			{Index: 2, AWSOutsideIP: "198.51.100.2", AWSStatus: "DOWN", AWSMessage: "IPSEC IS DOWN\x1b[31m\nforged line", AzureConnection: "cn-2", AzureStatus: "NotConnected"},
		},
		Findings: []vpn.Finding{{Rule: "tunnel-down", Severity: vpn.SeverityError, Message: "tunnel 2 is down", Fix: "check the key", Reference: "https://example.org/x"}},
		Errors:   []vpn.SideError{{Cloud: vpn.CloudAzure, Message: "throttled"}},
	}})
	r := StatusReply(rep)
	out := text(t, r)
	for _, w := range []string{"▲ azure-prod — DEGRADED", "198.51.100.2", "DOWN", "NotConnected", "3.0 MiB / 0 B", "✗ error tunnel-down: tunnel 2 is down",
		"fix: check the key", "ref: https://example.org/x", "⚠ azure: throttled", "routing: AWS static, Azure static"} {
		if !strings.Contains(out, w) {
			t.Errorf("reply lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\nforged line") {
		t.Errorf("cloud text broke the layout or smuggled an escape sequence:\n%q", out)
	}
	if !strings.Contains(r.Text, "azure-prod degraded") {
		t.Errorf("fallback text %q", r.Text)
	}
}
