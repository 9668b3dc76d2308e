// Package strictyaml decodes doorbot's hand-written YAML files (the config,
// proposals) by walking the yaml.Node tree against fixed field tables
// instead of using struct tags. That is what lets every problem carry its
// line and key path, catches unknown and duplicate keys, and keeps secret
// values out of messages; the packages that use it keep their own field
// tables and validation rules.
package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Document describes the kind of file being read, for its messages.
type Document struct {
	Source  string // names the input: "doorbot.yaml:3: ..."
	What    string // "config", "proposal": "empty config"
	TopKeys string // hint after "top level must be a mapping", e.g. "slack:, aws:, ..."
}

// Parse returns the top-level mapping of the only document in data.
func (doc Document) Parse(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var node yaml.Node
	if err := dec.Decode(&node); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty %s", doc.Source, doc.What)
		}
		return nil, yamlError(doc.Source, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(doc.Source, err)
	default:
		return nil, fmt.Errorf("%s:%d: multiple YAML documents; put the whole %s in one", doc.Source, max(next.Line, 1), doc.What)
	}
	if len(node.Content) == 0 {
		return nil, fmt.Errorf("%s: empty %s", doc.Source, doc.What)
	}
	root := Resolve(node.Content[0])
	if IsNull(root) {
		return nil, fmt.Errorf("%s: empty %s", doc.Source, doc.What)
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: top level must be a mapping (%s), not %s", doc.Source, max(root.Line, 1), doc.TopKeys, KindName(root))
	}
	return root, nil
}

// Guard runs fn and turns a panic into an error naming source. The YAML
// library has panicked on crafted input in the past; a typo in a file must
// never become a stack trace.
func Guard(source string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: invalid YAML (parser failure: %s)", source, OneLine(truncate(fmt.Sprint(r), 120)))
		}
	}()
	return fn()
}

var reYAMLLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError rewrites "yaml: line 3: ..." into the "<source>:3: ..." form.
func yamlError(source string, err error) error {
	msg := OneLine(strings.TrimPrefix(err.Error(), "yaml: "))
	if m := reYAMLLine.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: invalid YAML: %s", source, m[1], m[2])
	}
	return fmt.Errorf("%s: invalid YAML: %s", source, msg)
}

// Resolve follows aliases so anchors work like in any YAML tool. A schema
// walk has bounded depth, so even a self-referencing anchor cannot make it
// loop.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// IsNull reports an absent or empty value ("key:" or "key: ~").
func IsNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// KindName says what a node is, for "must be X, not Y".
func KindName(n *yaml.Node) string {
	switch {
	case IsNull(n):
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
