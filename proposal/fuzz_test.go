package proposal

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// fuzzKey is a distinctive pre-shared key planted in the seeds.
const fuzzKey = "Door.Psk_4f9Q2z"

func FuzzParse(f *testing.F) {
	example := string(readExample(f))
	f.Add([]byte(strings.ReplaceAll(example, `"..."`, fuzzKey)))
	f.Add([]byte(example))
	for _, seed := range []string{
		"",
		"---\n---\n",
		"- a\n",
		"routing: ospf\n",
		"aws:\n  tunnels:\n    - psk: [" + fuzzKey + "]\n",
		"aws:\n  tunnels:\n    - startup_action: " + fuzzKey + "\n      psk: " + fuzzKey + "\n",
		"aws:\n  tunnels:\n    - {inside_cidr: " + fuzzKey + "/30, psk: '" + fuzzKey + "'}\n",
		"azure:\n  connections: [{shared_key: " + fuzzKey + ", protocol: " + fuzzKey + "}]\n",
		"azure:\n  gateway: {vpn_type: routebased, active_active: yes, apipa_addresses: [169.254.21.2/30]}\n",
		"aws:\n  tunnels:\n    - phase1: {encryption: [AES256], dh_groups: [14, x], lifetime_seconds: 1.5}\n",
		"aws: {asn: 4294967295, customer_asn: 99999999999999999999}\n",
		"aws:\n  tunnels: &t\n    - *t\n",
		"a: &a [*a, *a]\naws: *a\n",
		"aws:\n  <<: {asn: 1}\n",
		"? [a]\n: b\n",
		"aws:\n\tasn: 1\n",
		"aws:\n  tunnels:\n    - psk: &k " + fuzzKey + "\n      outside_ip: *k\n",
		"connection: \"\\x01\\u2028x\"\n",
		"soracom:\n  routing_filter:\n    - {action: allow, ip_range: 10.1.0.0/16}\n    - {action: deny, ip_range: 0.0.0.0/0}\n",
		"soracom: {routing_filter: [{action: " + fuzzKey + ", ip_range: 10.0.0.0}, ~, [deny], {ip_range: *x}]}\n",
		"soracom: {routing_filter: {action: deny}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "proposal.yaml")
		if err == nil {
			checkRoundTrip(t, p)
			return
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("multi-line error: %q", msg)
		}
		if !strings.HasPrefix(msg, "proposal.yaml") {
			t.Fatalf("error does not name the input: %q", msg)
		}
		// Parse recovers panics so users never see one; the fuzzer must
		// still hear about them.
		if strings.Contains(msg, "parser failure") {
			t.Fatalf("panic: %s", msg)
		}
		problems := []string{msg}
		var e *Error
		if errors.As(err, &e) {
			problems = e.Problems
		}
		for _, key := range keysIn(data) {
			for _, pr := range problems {
				// The source and line are the caller's and the count is
				// doorbot's; only the rest comes from the file.
				if rest := reLocation.ReplaceAllString(pr, ""); strings.Contains(rest, key) {
					t.Fatalf("error echoes a key %q: %s", key, pr)
				}
			}
		}
	})
}

var reLocation = regexp.MustCompile(`^proposal\.yaml(:\d+)?:`)

// keysIn lists the values written under psk or shared_key anywhere in
// data, found independently of Parse. Values shorter than 4 bytes, and
// parts of the placeholder, would match ordinary message text and say
// nothing about a leak.
func keysIn(data []byte) []string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil
	}
	var keys []string
	type visit struct {
		n      *yaml.Node
		secret bool
	}
	seen := map[visit]bool{}
	var walk func(n *yaml.Node, secret bool)
	walk = func(n *yaml.Node, secret bool) {
		if n == nil || seen[visit{n, secret}] {
			return
		}
		seen[visit{n, secret}] = true
		switch n.Kind {
		case yaml.AliasNode:
			walk(n.Alias, secret)
		case yaml.ScalarNode:
			if secret && len(n.Value) >= 4 && !strings.Contains("<redacted>", n.Value) {
				keys = append(keys, n.Value)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				walk(k, secret)
				walk(n.Content[i+1], secret || k.Value == "psk" || k.Value == "shared_key")
			}
		default:
			for _, c := range n.Content {
				walk(c, secret)
			}
		}
	}
	walk(&root, false)
	return keys
}
