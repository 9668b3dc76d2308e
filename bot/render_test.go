package bot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/vpn"
)

var dateToken = regexp.MustCompile(`<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9: -]+UTC>`)

var injections = []string{"<!channel>", "<!here>", "<@U0123ABCD>", "<https://evil.example|click me>", "<#C0123|general>", "&lt;!channel&gt;"}

func blocksJSON(t *testing.T, msgs []Message) string {
	t.Helper()
	var b strings.Builder
	for _, m := range msgs {
		raw, err := json.Marshal(slack.Blocks{BlockSet: m.Blocks})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(raw)
		b.WriteString(m.Text)
	}
	return b.String()
}

func TestEscapingNeutralisesMentionsAndLinks(t *testing.T) {
	for _, inj := range injections {
		conn := vpn.ConnectionStatus{
			Name: "prod", Kind: vpn.KindAWSVPN, Health: vpn.Degraded, Summary: "summary " + inj,
			Routing:  vpn.RoutingPair{AWS: vpn.RoutingStatic, Azure: vpn.RoutingStatic},
			Tunnels:  []vpn.TunnelStatus{{Index: 1, AWSOutsideIP: "198.51.100.1", AWSStatus: "DOWN", AWSMessage: inj, AzureConnection: "cn" + inj, AzureStatus: "NotConnected"}},
			Findings: []vpn.Finding{{Rule: "tunnel-down", Severity: vpn.SeverityError, Message: "down " + inj, Fix: inj, Reference: "https://x/" + inj}},
			Errors:   []vpn.SideError{{Cloud: vpn.CloudAWS, Message: inj}},
		}
		reply := handlers.StatusReply(vpn.NewReport(time.Now(), []vpn.ConnectionStatus{conn}))
		reply.Blocks = append(reply.Blocks, handlers.Block{Kind: handlers.Heading, Lines: []string{"head " + inj}})
		out := blocksJSON(t, Render(reply))
		// JSON escapes < > & as \u003c etc.; decode them back to look for
		// what Slack would see.
		plain := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(out)
		// doorbot's own date tokens are the only "<!" it writes.
		plain = dateToken.ReplaceAllString(plain, "")
		for _, bad := range []string{"<!", "<@", "<http", "<#"} {
			if strings.Contains(plain, bad) {
				t.Errorf("injection %q survived rendering as %q", inj, bad)
			}
		}
	}
}

// checkLimits fails on anything Slack would refuse with invalid_blocks.
func checkLimits(t *testing.T, msgs []Message) {
	t.Helper()
	for i, m := range msgs {
		if len(m.Blocks) == 0 || len(m.Blocks) > 50 {
			t.Errorf("message %d has %d blocks", i, len(m.Blocks))
		}
		if len(m.Text) > 4000 {
			t.Errorf("message %d fallback text is %d chars", i, len(m.Text))
		}
		for _, b := range m.Blocks {
			switch b := b.(type) {
			case *slack.SectionBlock:
				if n := len(b.Text.Text); n == 0 || n > 3000 {
					t.Errorf("section text of %d chars", n)
				}
			case *slack.HeaderBlock:
				if n := len(b.Text.Text); n == 0 || n > 150 {
					t.Errorf("header of %d chars", n)
				}
			case *slack.ContextBlock:
				if n := len(b.ContextElements.Elements); n > 10 {
					t.Errorf("context with %d elements", n)
				}
			}
		}
	}
}

func TestLongRepliesSplitWithinLimits(t *testing.T) {
	var conns []vpn.ConnectionStatus
	for i := range 60 {
		conns = append(conns, vpn.ConnectionStatus{
			Name: fmt.Sprintf("site-%03d", i), Kind: vpn.KindAWSVPN, Health: vpn.Degraded, Summary: strings.Repeat("long summary ", 40),
			Tunnels: []vpn.TunnelStatus{
				{Index: 1, AWSOutsideIP: "198.51.100.1", AWSStatus: "UP", AzureConnection: "cn-1", AzureStatus: "Connected"},
				{Index: 2, AWSOutsideIP: "198.51.100.2", AWSStatus: "DOWN", AWSMessage: strings.Repeat("x", 500), AzureConnection: "cn-2", AzureStatus: "NotConnected"},
			},
			Findings: []vpn.Finding{{Rule: "tunnel-down", Severity: vpn.SeverityError, Message: strings.Repeat("m", 4000), Fix: "fix"}},
		})
	}
	msgs := Render(handlers.StatusReply(vpn.NewReport(time.Now(), conns)))
	if len(msgs) < 2 {
		t.Fatalf("60 connections fit one message of %d blocks?", len(msgs[0].Blocks))
	}
	checkLimits(t, msgs)
	all := blocksJSON(t, msgs)
	for _, c := range conns {
		if !strings.Contains(all, c.Name+" — DEGRADED") {
			t.Errorf("%s lost in the split", c.Name)
		}
	}
	if !strings.HasPrefix(msgs[1].Text, "(2/") {
		t.Errorf("continuation fallback text %q does not say which part it is", msgs[1].Text)
	}
}

func TestHelpFitsOneMessage(t *testing.T) {
	msgs := Render(commands.New(commands.Deps{Service: &handlers.Service{}}).Usage("unknown subcommand \"<!here>\""))
	if len(msgs) != 1 {
		t.Fatalf("help is %d messages", len(msgs))
	}
	checkLimits(t, msgs)
}
