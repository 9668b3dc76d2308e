package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/internal/sim"
)

// Every runbook for every simulated scenario, as text: against golden files
// too (the terminal is where on-call copies from when Slack is down), and
// every printed command must parse as bash exactly as it would be pasted.
func TestRunbookTextPastes(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed: cannot check that commands paste")
	}
	srv, scenarios := startDemoWorld(t)
	realCloudEnv(t, srv)
	cfg := writeConfig(t, srv, scenarios)
	for _, s := range scenarios {
		if slices.Contains(sim.WhyScenarios, s.Name) {
			continue // the evidence scenarios' runbooks are tunnel2-down's, with other IDs
		}
		for _, kind := range []string{"static", "migrate"} {
			t.Run(s.Name+"/"+kind, func(t *testing.T) {
				text := runCLI(t, "", "runbook", kind, s.Name, "--config", cfg)
				if text.code != 0 {
					t.Fatalf("exit %d: %s", text.code, text.stderr)
				}
				got := timestamps.ReplaceAllString(text.stdout, "<time>")
				golden(t, filepath.Join("testdata", "golden", s.Name+"-"+kind+".txt"), got)
				cmds := textCommands(got)
				if kind == "migrate" && strings.Contains(got, "already static: nothing to migrate") {
					return // no steps: said and nothing more (TestRunbookGolden)
				}
				if len(cmds) < 5 {
					t.Fatalf("found only %d commands in the text runbook", len(cmds))
				}
				md := runCLI(t, "", "runbook", kind, s.Name, "--config", cfg, "--output", "markdown")
				cmds = append(cmds, markdownCommands(md.stdout)...)
				for _, c := range cmds {
					if out, err := exec.Command(bash, "-n", "-c", c).CombinedOutput(); err != nil {
						t.Errorf("does not paste into bash (%s):\n%s", strings.TrimSpace(string(out)), c)
					}
					if strings.Contains(c, "\\ ") && !strings.Contains(c, "'") && !strings.Contains(c, `"`) {
						t.Errorf("an escaped space outside quotes (a flattened line continuation):\n%s", c)
					}
				}
			})
		}
	}
}

func TestTextCommandsExtraction(t *testing.T) {
	out := "Step 1\n      $ aws ec2 a \\\n          --b c\n  expect: x\n      $ az d\n"
	got := textCommands(out)
	want := []string{"aws ec2 a \\\n  --b c", "az d"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// textCommands reads the commands back as a person would select them: the
// "$ " line and the lines that continue it.
func textCommands(out string) []string {
	var cmds []string
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "      $ ") {
			continue
		}
		cmd := strings.TrimPrefix(l, "      $ ")
		for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "        ") {
			i++
			cmd += "\n" + strings.TrimPrefix(lines[i], "        ")
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

var shFence = regexp.MustCompile("(?s)```sh\n(.*?)```")

func markdownCommands(md string) []string {
	var cmds []string
	for _, m := range shFence.FindAllStringSubmatch(md, -1) {
		cmds = append(cmds, m[1])
	}
	return cmds
}

// golden compares got with the file at path, rewriting it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/doorbot -run 'Golden|Pastes' -update, then read the files)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s; rerun with -update and review the diff", path)
	}
}
