package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// examples/doorbot.yaml is the configuration users copy: it must load,
// name every key doorbot knows, and be what docs/configuration.md shows.
func TestExampleConfigHasEveryKey(t *testing.T) {
	path := filepath.Join("..", "examples", "doorbot.yaml")
	if _, err := Load(path, nil); err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	example, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("decode.go")
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`Key: "([a-z_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(keys) < 40 {
		t.Fatalf("found only %d keys in decode.go; has its shape changed?", len(keys))
	}
	for _, k := range keys {
		if !regexp.MustCompile(`(?m)^[ #]*(- )?` + k[1] + `:`).Match(example) {
			t.Errorf("examples/doorbot.yaml does not show the key %q", k[1])
		}
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(example), "\nslack:\n")
	if !strings.Contains(string(doc), "```yaml\nslack:\n"+body+"```") {
		t.Error("docs/configuration.md does not show examples/doorbot.yaml (from slack: on) verbatim")
	}
}
