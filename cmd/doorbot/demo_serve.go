package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/vpn"
)

// demoServe keeps the simulated clouds up and writes, into dir, what
// another doorbot needs to use them as it would use real accounts: a
// config naming the demo connections, the simulator's CA, a stand-in
// `az` that hands the Azure SDK a token, and env.sh exporting the
// standard credential and endpoint variables. Every command can then be
// tried without an account: status, why, runbook, validate, changes,
// watch, serve.
func (a *app) demoServe(ctx context.Context, dir string) error {
	world, scenarios := sim.DemoWorld()
	srv, err := sim.Start(world)
	if err != nil {
		return fmt.Errorf("start simulated clouds: %w", err)
	}
	defer srv.Close()
	if dir == "" {
		if dir, err = os.MkdirTemp("", "doorbot-demo-"); err != nil {
			return fmt.Errorf("demo --serve: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("demo --serve: %w", err)
	}
	env, err := demoEnv(srv, dir)
	if err != nil {
		return fmt.Errorf("demo --serve: %w", err)
	}
	cfgPath := filepath.Join(dir, "doorbot.yaml")
	if err := os.WriteFile(cfgPath, []byte(demoConfigYAML(srv, scenarios)), 0o600); err != nil {
		return fmt.Errorf("demo --serve: %w", err)
	}
	env["DOORBOT_CONFIG"] = cfgPath
	envPath := filepath.Join(dir, "env.sh")
	if err := os.WriteFile(envPath, []byte(envScript(env)), 0o600); err != nil {
		return fmt.Errorf("demo --serve: %w", err)
	}
	out := a.stdout
	fmt.Fprintf(out, "doorbot demo --serve: simulated EC2 at %s, Azure Resource Manager at %s, SORACOM API at %s\n", srv.EC2URL, srv.ARMURL, srv.SoracomURL)
	fmt.Fprintf(out, "Config and environment for them in %s. In another shell:\n\n", dir)
	fmt.Fprintf(out, "  . %s\n", envPath)
	fmt.Fprintln(out, "  doorbot status")
	fmt.Fprintln(out, "  doorbot status --output json")
	fmt.Fprintf(out, "  doorbot why %s\n", demoExample(scenarios))
	fmt.Fprintf(out, "  doorbot runbook static %s\n", scenarios[0].Name)
	fmt.Fprintln(out, "  doorbot changes list")
	fmt.Fprintln(out, "\nThe clouds stay up until this process is stopped (Ctrl-C).")
	<-ctx.Done()
	return nil
}

// demoExample is a demo connection worth asking why about.
func demoExample(scenarios []sim.Scenario) string {
	for _, s := range scenarios {
		if slices.Contains(sim.WhyScenarios, s.Name) {
			return s.Name
		}
	}
	return scenarios[0].Name
}

// demoConfigYAML is a config for the demo connections on srv.
func demoConfigYAML(srv *sim.Server, scenarios []sim.Scenario) string {
	var b strings.Builder
	fmt.Fprintf(&b, "aws:\n  region: ap-northeast-1\nazure:\n  subscription_id: %s\n  resource_manager_endpoint: %s\n  logs_endpoint: %s\n",
		sim.SubscriptionID, srv.ARMURL, srv.LogAnalyticsURL)
	fmt.Fprintf(&b, "soracom:\n  endpoint: %s\n", srv.SoracomURL)
	// Generous: a loaded machine (the stand-in az is a process per token)
	// must not turn a healthy read into a timeout.
	b.WriteString("timeouts:\n  cloud_call: 8s\n  status: 15s\nconnections:\n")
	for _, s := range scenarios {
		c := s.Connection
		fmt.Fprintf(&b, "  - name: %s\n    kind: %s\n", c.Name, c.Kind)
		if c.Kind == vpn.KindAWSVPN {
			fmt.Fprintf(&b, "    aws:\n      vpn_connection_ids: [%s]\n      region: %s\n", strings.Join(c.AWS.VPNConnectionIDs, ", "), c.AWS.Region)
		}
		fmt.Fprintf(&b, "    azure:\n      resource_group: %s\n      gateway: %s\n      connections: [%s]\n", c.Azure.ResourceGroup, c.Azure.Gateway, strings.Join(c.Azure.Connections, ", "))
		if c.Soracom.VPGID != "" {
			fmt.Fprintf(&b, "    soracom:\n      vpg_id: %s\n", c.Soracom.VPGID)
		}
	}
	return b.String()
}

// demoEnv writes the simulator's CA and a stand-in `az` into dir and
// returns the environment that points the standard AWS, Azure and SORACOM
// credential chains at srv, as a user points doorbot at real accounts.
func demoEnv(srv *sim.Server, dir string) (map[string]string, error) {
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM, 0o600); err != nil {
		return nil, err
	}
	// AzureCLICredential runs `az account get-access-token`; this one
	// answers with a token the simulated ARM accepts.
	az := filepath.Join(dir, "az")
	script := "#!/bin/sh\necho '{\"accessToken\":\"demo-az-token\",\"expiresOn\":\"2099-01-01 00:00:00.000000\",\"expires_on\":4070908800,\"tokenType\":\"Bearer\"}'\n"
	if err := os.WriteFile(az, []byte(script), 0o755); err != nil {
		return nil, err
	}
	return map[string]string{
		"SSL_CERT_FILE":                    ca,
		"PATH":                             dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"AZURE_TOKEN_CREDENTIALS":          "AzureCLICredential",
		"AWS_ACCESS_KEY_ID":                "AKIADOORBOTDEMO",
		"AWS_SECRET_ACCESS_KEY":            "demo-secret",
		"AWS_SESSION_TOKEN":                "",
		"AWS_PROFILE":                      "",
		"AWS_CONFIG_FILE":                  filepath.Join(dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE":      filepath.Join(dir, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_ENDPOINT_URL_EC2":             srv.EC2URL,
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": srv.LogsURL,
		"SORACOM_AUTH_KEY_ID":              sim.SoracomAuthKeyID,
		"SORACOM_AUTH_KEY":                 sim.SoracomAuthKey,
	}, nil
}

// envScript is env as sh exports, in a stable order, each value quoted.
func envScript(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("# doorbot demo --serve: source this file to point doorbot at the simulated clouds.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s='%s'\n", k, strings.ReplaceAll(env[k], "'", `'\''`))
	}
	return b.String()
}
