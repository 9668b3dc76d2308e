package main

import (
	"regexp"
	"strings"
	"testing"
)

// The alert demo runs the real watcher on the simulated clouds and shows
// what the channel would get: one root per incident, edits in place,
// thread replies, the escalation and the recovery broadcast, and nothing
// for throttled reads.
func TestDemoAlerts(t *testing.T) {
	r := runCLI(t, "", "demo", "--scenario", "alert-demo")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out := r.stdout
	assertNoKeys(t, out, r.stderr)
	// Two incidents (the outage, the flapping): two roots, with the metadata.
	posts := regexp.MustCompile(`(?m)▸ new message (\S+) \(chat.postMessage, metadata event_type "doorbot_alert"`).FindAllStringSubmatch(out, -1)
	if len(posts) != 2 {
		t.Fatalf("%d root messages, want 2:\n%s", len(posts), out)
	}
	first := posts[0][1]
	// The acts come in order, each with what the channel got.
	ordered := []string{
		"EC2 throttles every AWS read", "nothing posted: a side that cannot be read is neither down nor recovered",
		"Tunnel 2 goes down", "new message " + first, "DEGRADED: redundancy lost", "Likely cause:", "$ /door status alert-demo", "[Acknowledge] [Silence 1h]",
		"clicks Acknowledge", "message " + first + " edited in place (chat.update)", "acknowledged by @oncall at", "reply in the thread of " + first,
		"Tunnel 1 goes down too", "message " + first + " edited in place", "DOWN: no tunnel up", "reply in the thread of " + first + ", also sent to the channel",
		"Both tunnels come back", "RESOLVED: was down", "resolved after", "also sent to the channel",
		"Tunnel 2 flaps", "new message " + posts[1][1], "FLAPPING (tunnel 2",
		"Tunnel 2 stays up", "message " + posts[1][1] + " edited in place", "RESOLVED: was flapping",
		"#vpn-alerts got 2 root messages", "$ doorbot history alert-demo", "went down 5 time(s)",
		"0 would have changed anything",
	}
	rest := out
	for _, want := range ordered {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("alert demo lacks %q (in order) after:\n%s", want, rest)
		}
		rest = rest[i+len(want):]
	}
	for _, never := range []string{"UNOBSERVED", "nobody has acknowledged"} {
		if strings.Contains(out, never) {
			t.Errorf("alert demo shows %q", never)
		}
	}
	// The resolved roots lose their buttons.
	for _, block := range strings.Split(out, "▸ ")[1:] {
		if strings.Contains(block, "RESOLVED") && strings.Contains(block, "[Acknowledge]") {
			t.Errorf("a resolved root keeps its buttons:\n%s", block)
		}
	}
}

// The simulated AWS stamps LastStatusChange on the demo's clock, so the
// root's "AWS reports the change at" is the minute the tunnel went down.
func TestDemoAlertsCloudTimeAgrees(t *testing.T) {
	r := runCLI(t, "", "demo", "--scenario", "alert-demo")
	act := regexp.MustCompile(`(?m)^(\d\d:\d\d)  AWS answers again\. Tunnel 2 goes down`).FindStringSubmatch(r.stdout)
	aws := regexp.MustCompile(`tunnel 2 \([^)]*\): AWS DOWN \(IPSEC IS DOWN\).*AWS reports the change at \d{4}-\d\d-\d\dT(\d\d:\d\d):00Z`).FindStringSubmatch(r.stdout)
	if act == nil || aws == nil || act[1] != aws[1] {
		t.Errorf("tunnel 2 went down at %v, AWS says %v:\n%s", act, aws, r.stdout)
	}
}
