package strictyaml

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// IsSecretKey reports whether a key names a credential: a token, password,
// private or pre-shared key. Hyphens count as underscores and case is
// ignored, so bot-token and Bot_Token are caught alike.
func IsSecretKey(key string) bool {
	k := strings.ToLower(strings.ReplaceAll(key, "-", "_"))
	switch k {
	case "token", "password", "passwd", "secret", "secrets", "credential", "credentials",
		"api_key", "apikey", "access_key", "secret_key", "private_key",
		"psk", "pre_shared_key", "preshared_key", "shared_key", "client_secret":
		return true
	}
	for _, suf := range []string{"_token", "_secret", "_password", "_passwd", "_api_key", "_access_key", "_secret_key", "_private_key", "_access_key_id", "_psk"} {
		if strings.HasSuffix(k, suf) {
			return true
		}
	}
	return false
}

// RedactSecrets withholds from every message each scalar found under a
// key that IsSecretKey accepts, anywhere in the tree: wherever a key was
// written (a known key, a misplaced or misspelled one, a list or mapping
// instead of a string) and wherever else its value turns up (an alias, a
// paste into another key). It runs before decoding because a problem can
// quote a value that sits earlier in the file than the key.
func (d *Decoder) RedactSecrets(root *yaml.Node) {
	type visit struct {
		n      *yaml.Node
		secret bool
	}
	// Each node is visited at most twice (outside and inside a secret), so
	// aliases cannot make this exponential.
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
			if secret {
				d.Redact(n.Value)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				walk(k, secret)
				walk(n.Content[i+1], secret || (k.Kind == yaml.ScalarNode && IsSecretKey(k.Value)))
			}
		default:
			for _, c := range n.Content {
				walk(c, secret)
			}
		}
	}
	walk(root, false)
}
