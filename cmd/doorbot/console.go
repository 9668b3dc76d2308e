package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/vpn"
)

func (a *app) consoleCommand() *cobra.Command {
	var demo bool
	cmd := &cobra.Command{
		Use:   "console",
		Short: "Type /door lines and see the replies the bot would post",
		Long: "Reads /door command lines from standard input and prints each reply as the bot would\n" +
			"post it, rendered for a terminal. Works when Slack is down. With --demo it reads the\n" +
			"built-in simulated clouds instead of the configured ones.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var svc *handlers.Service
			var alertDeps commands.AlertDeps
			if demo {
				world, scenarios := sim.DemoWorld()
				alertScenario := sim.AlertScenario()
				alertScenario.Populate(world)
				srv, err := sim.Start(world)
				if err != nil {
					return fmt.Errorf("start simulated clouds: %w", err)
				}
				defer srv.Close()
				conns := make([]vpn.Connection, 0, len(scenarios)+1)
				for _, s := range scenarios {
					conns = append(conns, s.Connection)
				}
				if svc, err = a.demoService(srv, append(conns, alertScenario.Connection)); err != nil {
					return err
				}
				// The alert scenario plays first, one line per message the
				// alerts channel got; /door alerts and /door history
				// alert-demo then answer from its store.
				fmt.Fprintf(a.stdout, "The alert watcher watched %s on the simulated clouds (an hour in a second); %s got:\n", alertScenario.Name, demoAlertsChannel)
				d, err := a.newAlertDemo(cmd.Context(), srv, world, alertScenario, a.stdout, true)
				if err != nil {
					return err
				}
				defer d.close()
				if err := d.play(cmd.Context(), a.stdout); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout)
				alertDeps = commands.AlertDeps{Store: d.store, Now: d.clock.Now}
			} else {
				cfg, err := a.loadConfig()
				if err != nil {
					return err
				}
				if svc, err = a.service(cmd.Context(), cfg); err != nil {
					return err
				}
			}
			cmds := commands.New(commands.Deps{Service: svc, Alerts: alertDeps})
			interactive := isTerminal(a.stdin)
			if interactive {
				fmt.Fprintln(a.stdout, "doorbot console: type /door help, /door status [NAME...], /door alerts, /door history NAME; Ctrl-D to leave")
			}
			sc := bufio.NewScanner(a.stdin)
			sc.Buffer(make([]byte, 64*1024), 64*1024)
			for {
				if interactive {
					fmt.Fprint(a.stdout, "door> ")
				}
				if !sc.Scan() {
					break
				}
				line := strings.TrimSpace(sc.Text())
				switch {
				case line == "" || strings.HasPrefix(line, "#"):
					continue
				case line == "exit" || line == "quit":
					return nil
				case !strings.HasPrefix(strings.ToLower(line), "/door"):
					fmt.Fprintln(a.stdout, "  lines start with /door; try /door help")
					continue
				}
				if !interactive {
					fmt.Fprintf(a.stdout, "> %s\n", line)
				}
				if err := handlers.RenderText(a.stdout, cmds.Handle(cmd.Context(), line, commands.Request{User: "console"})); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout)
			}
			if err := sc.Err(); err != nil {
				return usageErr("reading input: %v", err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&demo, "demo", false, "use the built-in simulated clouds")
	return cmd
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
