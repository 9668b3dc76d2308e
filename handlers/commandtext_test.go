package handlers

import (
	"strings"
	"testing"
)

func TestSplitSteps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		texts []string
		cmds  []string
	}{
		{
			name:  "check list with backticked commands",
			in:    "Check in order: the key is identical (`az network vpn-connection shared-key show` on cn-2 vs the AWS key); the connection mode is Default, not ResponderOnly.",
			texts: []string{"the key is identical (`az network vpn-connection shared-key show` ↓ on cn-2 vs the AWS key)", "the connection mode is Default, not ResponderOnly."},
			cmds:  []string{"az network vpn-connection shared-key show"},
		},
		{
			name:  "bare command with a JMESPath backtick inside quotes",
			in:    "compare the key with aws ec2 describe-vpn-connections --vpn-connection-ids vpn-1 --query 'VpnConnections[0].Options.TunnelOptions[?OutsideIpAddress==`203.0.113.21`].PreSharedKey' --output text",
			texts: []string{"compare the key with `aws ec2 describe-vpn-connections` ↓"},
			cmds:  []string{"aws ec2 describe-vpn-connections --vpn-connection-ids vpn-1 --query 'VpnConnections[0].Options.TunnelOptions[?OutsideIpAddress==`203.0.113.21`].PreSharedKey' --output text"},
		},
		{
			name:  "sentences; a placeholder with an apostrophe; a bare command in parentheses",
			in:    "Set the same key: az network vpn-connection shared-key update -n cn-2 --value <the tunnel's key>. Later (aws ec2 modify-vpn-tunnel-options --vpn-connection-id vpn-1 --skip-tunnel-replacement) so that you choose.",
			texts: []string{"Set the same key: `az network vpn-connection shared-key update` ↓.", "Later (`aws ec2 modify-vpn-tunnel-options` ↓) so that you choose."},
			cmds:  []string{"az network vpn-connection shared-key update -n cn-2 --value <the tunnel's key>", "aws ec2 modify-vpn-tunnel-options --vpn-connection-id vpn-1 --skip-tunnel-replacement"},
		},
		{
			name:  "commands split by semicolons end at them",
			in:    "az network vpn-connection list-ike-sas -g rg -n cn; AWS Health events for VPN",
			texts: []string{"`az network vpn-connection list-ike-sas` ↓", "AWS Health events for VPN"},
			cmds:  []string{"az network vpn-connection list-ike-sas -g rg -n cn"},
		},
		{
			name:  "a backticked word that is no command stays prose",
			in:    "set `ResponderOnly` off",
			texts: []string{"set `ResponderOnly` off"},
		},
		{name: "nothing", in: "  "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps := splitSteps(tc.in)
			var texts, cmds []string
			for _, s := range steps {
				texts = append(texts, s.Text)
				cmds = append(cmds, s.Commands...)
			}
			if strings.Join(texts, "\n") != strings.Join(tc.texts, "\n") {
				t.Errorf("steps\n%q\nwant\n%q", texts, tc.texts)
			}
			if strings.Join(cmds, "\n") != strings.Join(tc.cmds, "\n") {
				t.Errorf("commands\n%q\nwant\n%q", cmds, tc.cmds)
			}
		})
	}
}

// unwrap undoes wrapCommand: continuations between words, and the
// whitespace put inside a quoted JMESPath or JSON argument.
func unwrap(s string) string {
	s = strings.ReplaceAll(s, " \\\n  ", " ")
	return strings.ReplaceAll(s, "\n  ", "")
}

func TestWrapCommand(t *testing.T) {
	for _, cmd := range []string{
		"aws ec2 describe-vpn-connections --vpn-connection-ids vpn-0f3c9a1b2d4e5f602 --region ap-northeast-1 --query 'VpnConnections[0].Options.TunnelOptions[?OutsideIpAddress==`203.0.113.21`].PreSharedKey' --output text",
		`aws ec2 modify-vpn-tunnel-options --vpn-connection-id vpn-1 --vpn-tunnel-outside-ip-address 203.0.113.21 --tunnel-options '{"LogOptions":{"CloudWatchLogOptions":{"LogEnabled":true,"LogOutputFormat":"json"}}}'`,
		"az network vnet-gateway show -g rg -n vgw --query \"{activeActive:activeActive, bgp:bgpSettings}\" -o json",
		"short command",
	} {
		got := wrapCommand(cmd, PhoneWidth)
		if unwrap(got) != cmd {
			t.Errorf("wrapping changed the command:\n%s\n%s", got, cmd)
		}
		for _, l := range strings.Split(got, "\n") {
			if len(l) > PhoneWidth {
				t.Errorf("line of %d: %q", len(l), l)
			}
		}
	}
	multi := "aws ec2 x \\\n  --y z"
	if wrapCommand(multi, 10) != multi {
		t.Error("a command that already spans lines was rewrapped")
	}
}

func FuzzSplitSteps(f *testing.F) {
	for _, s := range []string{
		"Check in order: a (`az network x --q 'a`b`c'`); b",
		"aws ec2 describe --query '[?x==`1`]' --output text, then more",
		"`aws ec2 x 'unterminated", "az  ", "(aws ec2 x (y) z", "doorbot x <never closed",
		"/door why prod. Then `az a b --c \"d\"`.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, st := range splitSteps(s) {
			if strings.ContainsRune(st.Text, 0) {
				t.Fatalf("placeholder leaked into %q", st.Text)
			}
			for _, c := range st.Commands {
				if !strings.Contains(strings.ReplaceAll(s, "\x00", ""), c) {
					t.Fatalf("command %q is not in the text", c)
				}
				// The same words: spaces between them are the shell's.
				if w := wrapCommand(c, PhoneWidth); !strings.Contains(c, "\n") && strings.Join(shellWords(unwrap(w)), " ") != strings.Join(shellWords(c), " ") {
					t.Fatalf("wrap changed %q into %q", c, w)
				}
			}
		}
	})
}
