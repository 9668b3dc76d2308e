package commands

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in      string
		want    Parsed
		wantErr string
	}{
		{"", Parsed{Name: "help"}, ""},
		{"   ", Parsed{Name: "help"}, ""},
		{"/door", Parsed{Name: "help"}, ""},
		{"status", Parsed{Name: "status", Args: []string{}}, ""},
		{"/door  STATUS  azure-prod\tdoor-iot ", Parsed{Name: "status", Args: []string{"azure-prod", "door-iot"}}, ""},
		{"help me", Parsed{Name: "help", Args: []string{"me"}}, ""},
		{strings.Repeat("a", MaxText+1), Parsed{}, "limit is 2000"},
		{"status \xff", Parsed{}, "not valid UTF-8"},
	}
	for _, tc := range cases {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%.20q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.Name != tc.want.Name || strings.Join(got.Args, ",") != strings.Join(tc.want.Args, ",") {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "/door status a b", "help", "status <!channel>", "\x00\xff", "/door\u00a0status"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmd, err := Parse(s)
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
		// The registry answers every parsed line without failing.
		r := New(Deps{Service: &handlers.Service{}}).Handle(context.Background(), s, Request{})
		if len(r.Blocks) == 0 || r.Text == "" {
			t.Fatalf("empty reply for %q", s)
		}
	})
}

// simRegistry is doorbot's registry on the demo's simulated clouds.
func simRegistry(t testing.TB) (*Registry, *handlers.Service) {
	t.Helper()
	svc, _ := simclient.DemoService(t, simclient.Options{})
	return New(Deps{Service: svc}), svc
}

// lineCase is one /door line answered where no form can open, and what
// its answer must and must not say.
type lineCase struct {
	line      string
	ephemeral bool
	want      []string
	not       []string
}

func checkLines(t *testing.T, r *Registry, cases []lineCase) {
	t.Helper()
	for _, tc := range cases {
		rep := r.Handle(context.Background(), tc.line, Request{User: "U0ONCALL"})
		out := text(t, rep)
		if rep.Ephemeral != tc.ephemeral {
			t.Errorf("%s: ephemeral = %v", tc.line, rep.Ephemeral)
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
}

func text(t *testing.T, r handlers.Reply) string {
	t.Helper()
	var b bytes.Buffer
	if err := handlers.RenderText(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
