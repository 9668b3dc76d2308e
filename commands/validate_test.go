package commands

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestValidateForm(t *testing.T) {
	r, _ := simRegistry(t)
	ctx := context.Background()
	if ans := r.Route(ctx, "validate a b", Request{}).Answer; ans == nil || !strings.Contains(text(t, *ans), "one connection at a time") {
		t.Errorf("two names: %+v", ans)
	}
	if ans := r.Route(ctx, "validate nope", Request{}).Answer; ans == nil || !strings.Contains(text(t, *ans), `unknown connection "nope"`) {
		t.Errorf("unknown name: %+v", ans)
	}

	// Without a name the form opens empty and complete.
	call := r.Route(ctx, "validate", Request{User: "U1", Channel: "C0CHANGES"})
	form, fill := call.Command.Open(call.Request)
	if form.CallbackID != "door_validate" || fill != nil || form.Submit == "" || len(form.Inputs) != 1 ||
		form.Inputs[0].BlockID != "proposal" || form.Inputs[0].ActionID != "yaml" || form.Inputs[0].Initial != "" {
		t.Errorf("empty form %+v", form)
	}

	// With a name it opens at once, then fills with the live state.
	call = r.Route(ctx, "validate bgp-single-ip", Request{User: "U1", Channel: "C0CHANGES"})
	form, fill = call.Command.Open(call.Request)
	if form.Submit != "" || len(form.Inputs) != 0 || fill == nil {
		t.Fatalf("the first form is a placeholder while the clouds are read: %+v", form)
	}
	full := fill(ctx)
	var meta map[string]string
	if err := json.Unmarshal([]byte(full.Metadata), &meta); err != nil || meta["connection"] != "bgp-single-ip" || meta["channel"] != "C0CHANGES" {
		t.Errorf("metadata %q", full.Metadata)
	}
	for _, want := range []string{"routing: bgp", "active_active: false", "169.254.21.2"} {
		if !strings.Contains(full.Inputs[0].Initial, want) {
			t.Errorf("prefilled proposal lacks %q:\n%s", want, full.Inputs[0].Initial)
		}
	}
	if got := r.Handle(ctx, "/door validate", Request{}); !strings.Contains(text(t, got), "doorbot validate FILE") || !got.Ephemeral {
		t.Errorf("where no form can open: %s", text(t, got))
	}
}

func TestValidateSubmission(t *testing.T) {
	r, _ := simRegistry(t)
	ctx := context.Background()
	sub, ok := r.Submission("door_validate")
	if !ok {
		t.Fatal("door_validate has no handler")
	}
	meta := `{"channel":"C0CHANGES"}`
	submit := func(yaml string) (map[string]string, Work) {
		return sub.Accept(ctx, Request{User: "U1", Metadata: meta, Values: map[string]map[string]string{"proposal": {"yaml": yaml}}})
	}
	for _, bad := range []struct{ yaml, want string }{
		{"routing: [static", "proposal"},
		{"routing: sideways\n", "routing"},
		{"connection: nope\n", `unknown connection "nope"`},
		{"   ", "empty"},
		{"aws:\n  tunnels:\n    - {outside_ip: 198.51.100.300}\n", "198.51.100.300"},
		{strings.Repeat("#", MaxInput+1), "the form takes 3000"},
	} {
		errs, work := submit(bad.yaml)
		if work != nil || !strings.Contains(errs["proposal"], bad.want) {
			t.Errorf("%.30q: errors %v, want one on the proposal mentioning %q", bad.yaml, errs, bad.want)
		}
	}
	// The BGP-over-one-public-IP trap, as a person would paste it.
	trap, err := os.ReadFile("../examples/bgp-single-ip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	errs, work := submit(string(trap))
	if len(errs) > 0 || work == nil {
		t.Fatalf("a readable proposal was refused: %v", errs)
	}
	ans := work(ctx)
	if ans == nil || ans.Channel != "C0CHANGES" {
		t.Fatalf("the verdict goes privately to the channel the form came from: %+v", ans)
	}
	for _, want := range []string{"FAIL", "bgp-needs-active-active"} {
		if !strings.Contains(text(t, ans.Reply), want) {
			t.Errorf("verdict lacks %q", want)
		}
	}
}
