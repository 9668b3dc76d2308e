package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/internal/sim"
)

// TestDoorbotProcess is doorbot as a process of its own, for the tests
// that need a fresh environment (Go reads SSL_CERT_FILE once per
// process): DOORBOT_PROCESS_ARGS holds its arguments, one per line.
func TestDoorbotProcess(t *testing.T) {
	args := os.Getenv("DOORBOT_PROCESS_ARGS")
	if args == "" {
		t.Skip("run by tests that need doorbot as a process")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\n"), os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// doorbot demo --serve keeps the simulated clouds up and writes a config
// and env.sh with which another doorbot process, started the way a user
// would after `. env.sh`, reads every demo connection from both sides.
func TestDemoServe(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--serve", "--dir", dir}, strings.NewReader(""), w, io.Discard, os.Getenv)
		w.Close()
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("demo --serve exited %d when stopped, want 0", code)
		}
	}()
	lines := bufio.NewScanner(out)
	var printed strings.Builder
	for lines.Scan() {
		printed.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "stay up until") {
			break
		}
	}
	go io.Copy(io.Discard, out)
	envPath := filepath.Join(dir, "env.sh")
	if !strings.Contains(printed.String(), ". "+envPath) {
		t.Fatalf("demo --serve does not say to source %s:\n%s", envPath, printed.String())
	}
	script, err := os.ReadFile(envPath)
	if err != nil {
		t.Fatal(err)
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		if out, err := exec.Command(bash, "-n", envPath).CombinedOutput(); err != nil {
			t.Errorf("env.sh is not valid shell: %v\n%s", err, out)
		}
	}
	env := os.Environ()
	for _, line := range strings.Split(string(script), "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, k+"="+strings.Trim(v, "'"))
	}

	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	cmd := exec.CommandContext(cctx, os.Args[0], "-test.run=^TestDoorbotProcess$")
	cmd.Env = append(env, "DOORBOT_PROCESS_ARGS=status\n--output\njson")
	stdout, err := cmd.Output()
	var report struct {
		Connections []struct {
			Name     string          `json:"name"`
			Observed map[string]bool `json:"observed"`
			Errors   []struct {
				Cloud   string `json:"cloud"`
				Message string `json:"message"`
			} `json:"errors"`
		} `json:"connections"`
	}
	if jerr := json.Unmarshal(stdout, &report); jerr != nil {
		t.Fatalf("status with the demo's env: %v / %v\n%s", err, jerr, stdout)
	}
	_, scenarios := sim.DemoWorld()
	if len(report.Connections) != len(scenarios) {
		t.Fatalf("status reported %d connections, the demo has %d", len(report.Connections), len(scenarios))
	}
	// Every side is read with the demo's credentials; the only errors are
	// the ones a scenario stages (aws-throttled), never credentials, TLS
	// or an endpoint the env failed to name.
	for _, c := range report.Connections {
		if !c.Observed["azure"] {
			t.Errorf("%s: Azure not observed: %+v", c.Name, c.Errors)
		}
		if c.Name == "healthy-static" && !c.Observed["aws"] {
			t.Errorf("%s: AWS not observed: %+v", c.Name, c.Errors)
		}
		for _, e := range c.Errors {
			if m := strings.ToLower(e.Message); strings.Contains(m, "credential") || strings.Contains(m, "certificate") ||
				strings.Contains(m, "x509") || strings.Contains(m, "token") || strings.Contains(m, "refused") {
				t.Errorf("%s: %s: %s", c.Name, e.Cloud, e.Message)
			}
		}
	}
}

func TestDemoServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--serve", "--scenario", "healthy-static"},
		{"demo", "--dir", "/tmp/x"},
	} {
		r := runCLI(t, "", args...)
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, r.code, r.stderr)
		}
	}
}
