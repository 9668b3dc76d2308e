package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Parse decodes and validates a config. source names the file in messages.
// Decoding walks the yaml.Node tree by hand rather than using struct tags
// so that every problem carries its line and key path, unknown and
// duplicate keys are caught, and a secret is refused before its value is
// ever copied anywhere.
func Parse(data []byte, source string) (cfg *Config, err error) {
	if source == "" {
		source = "config"
	}
	// The YAML library has panicked on crafted input in the past; a config
	// typo must never become a stack trace.
	defer func() {
		if r := recover(); r != nil {
			cfg, err = nil, fmt.Errorf("%s: invalid YAML (parser failure: %s)", source, oneLine(truncate(fmt.Sprint(r), 120)))
		}
	}()
	root, err := parseDocument(data, source)
	if err != nil {
		return nil, err
	}
	d := &decoder{
		problems: problems{source: source},
		pos:      map[string]int{},
		bad:      map[string]bool{},
	}
	c := Default()
	c.Source = source
	d.top(root, c)
	v := &validator{problems: &d.problems, line: d.line, has: d.has, bad: d.bad}
	v.config(c)
	if err := d.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseDocument returns the top-level mapping of the only document.
func parseDocument(data []byte, source string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty config", source)
		}
		return nil, yamlError(source, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(source, err)
	default:
		return nil, fmt.Errorf("%s:%d: multiple YAML documents; put the whole config in one", source, max(next.Line, 1))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty config", source)
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil, fmt.Errorf("%s: empty config", source)
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: top level must be a mapping (slack:, aws:, azure:, connections: ...), not %s", source, max(root.Line, 1), kindName(root))
	}
	return root, nil
}

var reYAMLLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError rewrites "yaml: line 3: ..." into the package's
// "<source>:3: ..." form.
func yamlError(source string, err error) error {
	msg := oneLine(strings.TrimPrefix(err.Error(), "yaml: "))
	if m := reYAMLLine.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: invalid YAML: %s", source, m[1], m[2])
	}
	return fmt.Errorf("%s: invalid YAML: %s", source, msg)
}

// decoder copies the node tree into a Config, recording where each key was
// so validation can point at it.
type decoder struct {
	problems
	pos map[string]int  // key path → line of the key or list item
	bad map[string]bool // paths that already have a decode problem
}

// line finds the line of path, or of its nearest ancestor that is in the
// file: a missing required key is reported where its parent is.
func (d *decoder) line(path string) int {
	for p := path; ; p = parent(p) {
		if l, ok := d.pos[p]; ok {
			return l
		}
		if p == "" {
			return 0
		}
	}
}

func (d *decoder) has(path string) bool {
	_, ok := d.pos[path]
	return ok
}

// parent strips the last key or index: a.b[2].c → a.b[2] → a.b → a → "".
func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// handler decodes one value. n is already alias-resolved.
type handler func(n *yaml.Node, path string)

type field struct {
	key string
	set handler
}

// resolve follows aliases so anchors work like in any YAML tool. The
// schema walk has bounded depth, so even a self-referencing anchor cannot
// make it loop.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func kindName(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "empty"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		switch n.Tag {
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		}
		return "a string"
	}
	return "an alias"
}

func (d *decoder) wrongType(n *yaml.Node, path, want string) {
	d.bad[path] = true
	d.add(n.Line, path, "must be %s, not %s", want, kindName(n))
}

var reSimpleKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// displayKey keeps odd keys (spaces, newlines, huge) readable and on one
// line in a key path.
func displayKey(k string) string {
	if reSimpleKey.MatchString(k) {
		return k
	}
	return quote(k)
}

// mapping decodes a mapping against a fixed set of keys. An empty value
// ("slack:" with nothing under it) counts as absent.
func (d *decoder) mapping(n *yaml.Node, path string, fields []field) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping")
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.add(k.Line, path, "keys must be plain names, not %s", kindName(k))
			continue
		}
		kp := join(path, displayKey(k.Value))
		if k.Tag == "!!merge" {
			d.add(k.Line, join(path, "<<"), "merge keys are not supported; write the keys out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.add(k.Line, kp, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		// Checked before the schema so that no secret key can ever be
		// accepted, whatever keys are added later; the value is not read.
		if env, ok := secretKey(path, k.Value); ok {
			if env != "" {
				env = " (" + env + ")"
			}
			d.add(k.Line, kp, "secrets come only from the environment%s", env)
			continue
		}
		var f *field
		for j := range fields {
			if fields[j].key == k.Value {
				f = &fields[j]
				break
			}
		}
		if f == nil {
			names := make([]string, len(fields))
			for j, f := range fields {
				names[j] = f.key
			}
			d.add(k.Line, kp, "unknown key (known: %s)", strings.Join(names, ", "))
			continue
		}
		d.pos[kp] = k.Line
		f.set(val, kp)
	}
}

func (d *decoder) section(fields ...field) handler {
	return func(n *yaml.Node, path string) { d.mapping(n, path, fields) }
}

func (d *decoder) str(dst *string) handler {
	return func(n *yaml.Node, path string) {
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode {
			d.wrongType(n, path, "a string")
			return
		}
		*dst = n.Value
	}
}

func (d *decoder) duration(dst *time.Duration) handler {
	return func(n *yaml.Node, path string) {
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode {
			d.wrongType(n, path, "a duration")
			return
		}
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			d.bad[path] = true
			d.addValue(n.Line, path, n.Value, "not a duration (use e.g. 8s)")
			return
		}
		*dst = v
	}
}

func (d *decoder) integer(dst *int) handler {
	return func(n *yaml.Node, path string) {
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode {
			d.wrongType(n, path, "a whole number")
			return
		}
		var v int
		if n.Tag != "!!int" || n.Decode(&v) != nil {
			d.bad[path] = true
			d.addValue(n.Line, path, n.Value, "must be a whole number")
			return
		}
		*dst = v
	}
}

// strList decodes a list of strings. A present but empty list stays
// non-nil so validation can tell "[]" from "not set".
func (d *decoder) strList(dst *[]string) handler {
	return func(n *yaml.Node, path string) {
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.wrongType(n, path, "a list")
			return
		}
		out := make([]string, len(n.Content))
		for i, it := range n.Content {
			it = resolve(it)
			ip := index(path, i)
			d.pos[ip] = it.Line
			if isNull(it) || it.Kind != yaml.ScalarNode {
				d.wrongType(it, ip, "a string")
				continue
			}
			out[i] = it.Value
		}
		*dst = out
	}
}

func (d *decoder) top(root *yaml.Node, c *Config) {
	s, z := &c.Slack, &c.Azure
	d.mapping(root, "", []field{
		{"slack", d.section(
			field{"mode", d.str(&s.Mode)},
			field{"listen", d.str(&s.Listen)},
			field{"api_url", d.str(&s.APIURL)},
			field{"reply", d.str(&s.Reply)},
			field{"approvals_channel", d.str(&s.ApprovalsChannel)},
			field{"approvers", d.strList(&s.Approvers)},
			field{"required_approvals", d.integer(&s.RequiredApprovals)},
		)},
		{"aws", d.section(
			field{"region", d.str(&c.AWS.Region)},
		)},
		{"azure", d.section(
			field{"subscription_id", d.str(&z.SubscriptionID)},
			field{"cloud", d.str(&z.Cloud)},
			field{"resource_manager_endpoint", d.str(&z.ResourceManagerEndpoint)},
		)},
		{"timeouts", d.section(
			field{"cloud_call", d.duration(&c.Timeouts.CloudCall)},
			field{"status", d.duration(&c.Timeouts.Status)},
		)},
		{"cache_ttl", d.duration(&c.CacheTTL)},
		{"store", d.section(
			field{"driver", d.str(&c.Store.Driver)},
			field{"dsn", d.str(&c.Store.DSN)},
		)},
		{"connections", func(n *yaml.Node, path string) { d.connections(n, path, c) }},
	})
}

func (d *decoder) connections(n *yaml.Node, path string, c *Config) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, path, "a list of connections")
		return
	}
	c.Connections = make([]Connection, len(n.Content))
	for i, it := range n.Content {
		it = resolve(it)
		ip := index(path, i)
		d.pos[ip] = it.Line
		cc := &c.Connections[i]
		cc.Line = it.Line
		if it.Kind != yaml.MappingNode {
			d.wrongType(it, ip, "a mapping (name, kind, aws, azure)")
			continue
		}
		d.mapping(it, ip, []field{
			{"name", d.str(&cc.Name)},
			{"kind", d.str(&cc.Kind)},
			{"aws", d.section(
				field{"vpn_connection_id", d.str(&cc.AWS.VPNConnectionID)},
				field{"vpn_connection_ids", d.strList(&cc.AWS.VPNConnectionIDs)},
				field{"region", d.str(&cc.AWS.Region)},
			)},
			{"azure", d.section(
				field{"subscription_id", d.str(&cc.Azure.SubscriptionID)},
				field{"resource_group", d.str(&cc.Azure.ResourceGroup)},
				field{"gateway", d.str(&cc.Azure.Gateway)},
				field{"connections", d.strList(&cc.Azure.Connections)},
			)},
		})
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
