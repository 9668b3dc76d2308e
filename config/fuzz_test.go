package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("testdata", "doorbot.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, seed := range []string{
		"",
		"---\n---\n",
		"- a\n",
		"slack:\n  mode: socket\n  mood: x\n",
		"slack:\n  bot_token: xoxb-1\n",
		"timeouts: {cloud_call: 8, status: 1s}\n",
		"connections:\n  - name: a\n    kind: aws-vpn\n    aws: {vpn_connection_ids: [vpn-0123456789abcdef0]}\n",
		"connections: &c\n  - *c\n",
		"a: &a [*a, *a]\nslack: *a\n",
		"slack:\n  <<: {mode: http}\n",
		"? [a]\n: b\n",
		"store: {driver: postgres, dsn: 'postgres://u:p@h/d'}\n",
		"slack:\n\tmode: x\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "doorbot.yaml")
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("multi-line error: %q", msg)
			}
			if !strings.HasPrefix(msg, "doorbot.yaml") {
				t.Fatalf("error does not name the file: %q", msg)
			}
			// Parse recovers panics so users never see one; the fuzzer
			// must still hear about them.
			if strings.Contains(msg, "parser failure") {
				t.Fatalf("panic: %s", msg)
			}
			if c != nil {
				t.Fatal("config returned with an error")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
		all := c.VPNConnections()
		if len(all) != len(c.Connections) {
			t.Fatalf("VPNConnections lost entries: %d of %d", len(all), len(c.Connections))
		}
	})
}
