package cloud_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/why"
)

// Every scenario read the way status and why read it, with each cloud
// failing in turn and, where the simulator lets it, answering with an
// error message that quotes the secrets (as a proxy echoing a request
// would), logged at debug level: no pre-shared key, SORACOM auth key, API
// key or token, or Azure bearer token reaches a log line, an observation,
// the evidence or the why answer.
func TestNoSecretInLogsObservationsOrEvidence(t *testing.T) {
	tok, err := simclient.Token{}.GetToken(context.Background(), policy.TokenRequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{sim.PSKPrefix, sim.SoracomSecretPrefix, tok.Token}
	echo := "request was: " + strings.Join([]string{sim.PSKPrefix + "x", sim.SoracomAuthKey, tok.Token}, " ")
	cases := []struct {
		cloud string
		fault sim.Fault
	}{
		{"", sim.Fault{}},
		{sim.CloudAWS, sim.Fault{Status: 500, Code: "InternalError", Message: echo}},
		{sim.CloudAWS, sim.Fault{Status: 400, Code: "InvalidParameterValue", Message: echo, Action: "GetVpnTunnelReplacementStatus"}},
		{sim.CloudAWSLogs, sim.Fault{Status: 403, Message: echo}},
		{sim.CloudAzure, sim.Fault{Status: 401}},
		{sim.CloudAzure, sim.Fault{Status: 500, Action: "GetLearnedRoutes"}},
		{sim.CloudAzureLogs, sim.Fault{Status: 400, Message: echo}}, // not retried, unlike a 500
		{sim.CloudSoracom, sim.Fault{Status: 500, Code: "COM0001", Message: echo}},
		{sim.CloudSoracom, sim.Fault{Status: 401, Message: echo}},
	}
	baseline := -1 // failed reads with no fault
	for _, c := range cases {
		t.Run(strings.TrimSpace(fmt.Sprintf("%s %d %s", cmp.Or(c.cloud, "none"), c.fault.Status, c.fault.Action)), func(t *testing.T) {
			world, scenarios := sim.DemoWorld()
			if c.cloud != "" {
				world.AddFault(c.cloud, c.fault)
			}
			srv := start(t, world)
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			obs := whyObserver(t, srv, simclient.Options{Logger: logger, MaxAttempts: 1, CallTimeout: time.Second, StatusTimeout: 3 * time.Second})
			var out strings.Builder
			failed := 0
			for _, s := range scenarios {
				o := obs.Observe(context.Background(), []vpn.Connection{s.Connection})[0]
				in := obs.Evidence(context.Background(), s.Connection)
				in.Tunnels = vpn.Pair(in.Observation)
				b, _ := json.Marshal(why.Explain(in))
				fmt.Fprintf(&out, "%#v\n%#v\n%s\n", o, in, b)
				failed += len(o.Errors) + len(o.Notes) + len(in.NotRead)
			}
			if logs.Len() == 0 {
				t.Fatal("no log records at debug level")
			}
			if c.cloud == "" {
				baseline = failed
			} else if failed <= baseline {
				t.Fatalf("the fault failed no read (%d failed, %d without it)", failed, baseline)
			}
			for _, k := range secrets {
				for name, s := range map[string]string{"logs": logs.String(), "observations, evidence or answers": out.String()} {
					if strings.Contains(s, k) {
						t.Errorf("a secret (%.12s…) reached the %s", k, name)
					}
				}
			}
		})
	}
}
