// Command doorbot is the CLI and the wiring: it reads the config, builds
// the pieces and runs one command. Everything else lives in packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/doorbot/doorbot/cloud"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/cloud/soracom"
)

// Exit codes (docs/commands.md).
const (
	exitOK       = 0
	exitFindings = 1 // validate found an error; runbook verify failed
	exitUsage    = 2 // usage, configuration or credential error
)

// exitError carries an exit code to main; its message is one line.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// app holds the streams and environment, so tests run commands in-process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	configPath string
	output     string
	logLevel   string
	logger     *slog.Logger

	// soracom is the SORACOM client service built, if any: serve hangs
	// its metrics on it, and run logs it out when the command ends.
	soracom *soracom.Client
	// observer is the one service built, closed when the command ends.
	observer *cloud.Observer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code. A user mistake
// is one line on stderr, never a stack trace.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if a.observer != nil {
		a.observer.Close() // before logout: a read in flight may still use the token
	}
	a.logoutSoracom()
	if err == nil {
		return exitOK
	}
	code := exitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintln(stderr, "doorbot: "+firstLine(err.Error()))
	return code
}

// logoutSoracom revokes the SORACOM API key and token the command used, so
// that none outlives the process; a failure only costs the token's natural
// expiry, so it is logged, not reported.
func (a *app) logoutSoracom() {
	if a.soracom == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := a.soracom.Logout(ctx); err != nil && a.logger != nil {
		a.logger.Warn("soracom logout failed", "error", err.Error())
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "doorbot",
		Short:         "Status, validation and runbooks for AWS ↔ Azure site-to-site VPNs (SORACOM Door included)",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case a.output == "markdown" && cmd.Name() != "runbook":
				return usageErr("--output markdown is for runbooks; use text or json")
			case a.output == "jsonl" && cmd.Name() != "audit":
				return usageErr("--output jsonl is for changes audit; use text or json")
			case a.output != "text" && a.output != "json" && a.output != "markdown" && a.output != "jsonl":
				return usageErr("--output %q: use text or json (runbooks also markdown, changes audit also jsonl)", a.output)
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
				return usageErr("--log-level %q: use debug, info, warn or error", a.logLevel)
			}
			// JSON logs on stderr keep stdout clean for --output json.
			a.logger = slog.New(slog.NewJSONHandler(a.stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "config file (default $DOORBOT_CONFIG, else ./doorbot.yaml)")
	root.PersistentFlags().StringVar(&a.output, "output", "text", "output format: text or json (runbooks also markdown)")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "error", "log level on stderr: debug, info, warn or error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%v", err) })
	root.AddCommand(a.statusCommand(), a.whyCommand(), a.validateCommand(), a.rulesCommand(), a.runbookCommand(), a.changesCommand(), a.alertsCommand(), a.historyCommand(), a.watchCommand(), a.serveCommand(), a.demoCommand(), a.consoleCommand(), a.versionCommand())
	return root
}
