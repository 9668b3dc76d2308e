package strictyaml

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Handler decodes one value at a key path. n is already alias-resolved.
type Handler func(n *yaml.Node, path string)

// Field is one allowed key of a mapping.
type Field struct {
	Key string
	Set Handler
}

// Decoder walks a node tree against field tables, collecting problems and
// recording where each key was so that later validation can point at it.
type Decoder struct {
	Problems
	// Refuse, when set, sees every key before the field table does and
	// may reject it with a problem; the value is then never read. The
	// config uses it so that no secret key can ever be accepted, whatever
	// keys are added later.
	Refuse func(parent, key string) (problem string, refused bool)
	// MaxSteps, when positive, bounds the keys and list items a walk may
	// visit. Aliases let a small document stand for a huge one (a list of
	// a thousand aliases to a list of a thousand items); input from
	// people other than the operator needs the bound.
	MaxSteps int

	pos   map[string]int  // key path → line of the key or list item
	bad   map[string]bool // paths that already have a decode problem
	steps int
	spent bool // MaxSteps reached and reported: stop walking
}

// NewDecoder returns a decoder whose messages name source.
func NewDecoder(source string) *Decoder {
	return &Decoder{
		Problems: Problems{Source: source},
		pos:      map[string]int{},
		bad:      map[string]bool{},
	}
}

// Mark records that path is at line, for values built in code whose
// messages should still point into a file.
func (d *Decoder) Mark(path string, line int) { d.pos[path] = line }

// Line finds the line of path, or of its nearest ancestor that is in the
// file: a missing required key is reported where its parent is.
func (d *Decoder) Line(path string) int {
	for p := path; ; p = Parent(p) {
		if l, ok := d.pos[p]; ok {
			return l
		}
		if p == "" {
			return 0
		}
	}
}

// Has reports whether the key at path is written in the file.
func (d *Decoder) Has(path string) bool {
	_, ok := d.pos[path]
	return ok
}

// Failed reports whether path or an ancestor already has a decode
// problem, so that validation does not pile on ("required" after "must be
// a string").
func (d *Decoder) Failed(path string) bool {
	for p := path; ; p = Parent(p) {
		if d.bad[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// Parent strips the last key or index: a.b[2].c → a.b[2] → a.b → a → "".
func Parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// Join appends a key to a path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index appends a list index to a path.
func Index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// WrongType reports a value of the wrong kind. The value itself is not
// shown: it may be a mapping, or a secret in the wrong shape.
func (d *Decoder) WrongType(n *yaml.Node, path, want string) {
	d.bad[path] = true
	d.Add(n.Line, path, "must be %s, not %s", want, KindName(n))
}

// Invalid reports a value of the right kind that cannot be used, quoting
// it.
func (d *Decoder) Invalid(n *yaml.Node, path, value, format string, args ...any) {
	d.bad[path] = true
	d.AddValue(n.Line, path, value, format, args...)
}

var reSimpleKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// displayKey keeps odd keys (spaces, newlines, huge) readable and on one
// line in a key path.
func displayKey(k string) string {
	if reSimpleKey.MatchString(k) {
		return k
	}
	return Quote(k)
}

// step accounts for visiting k keys or items of n, reporting once when
// MaxSteps is exceeded.
func (d *Decoder) step(n *yaml.Node, path string, k int) bool {
	if d.MaxSteps <= 0 {
		return true
	}
	if d.spent {
		return false
	}
	d.steps += k
	if d.steps > d.MaxSteps {
		d.spent = true
		d.bad[path] = true
		// The key's line, not the anchor's: that is where the alias is.
		line := n.Line
		if l, ok := d.pos[path]; ok {
			line = l
		}
		d.Add(line, path, "aliases expand this document to more than %d keys and items; write the values out", d.MaxSteps)
		return false
	}
	return true
}

// Mapping decodes a mapping against a fixed set of keys. An empty value
// ("slack:" with nothing under it) counts as absent.
func (d *Decoder) Mapping(n *yaml.Node, path string, fields []Field) {
	if IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.WrongType(n, path, "a mapping")
		return
	}
	if !d.step(n, path, len(n.Content)/2+1) {
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := Resolve(n.Content[i]), Resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.Add(k.Line, path, "keys must be plain names, not %s", KindName(k))
			continue
		}
		kp := Join(path, displayKey(k.Value))
		if k.Tag == "!!merge" {
			d.Add(k.Line, Join(path, "<<"), "merge keys are not supported; write the keys out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.Add(k.Line, kp, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		if d.Refuse != nil {
			if msg, refused := d.Refuse(path, k.Value); refused {
				d.Add(k.Line, kp, "%s", msg)
				continue
			}
		}
		var f *Field
		for j := range fields {
			if fields[j].Key == k.Value {
				f = &fields[j]
				break
			}
		}
		if f == nil {
			names := make([]string, len(fields))
			for j, f := range fields {
				names[j] = f.Key
			}
			d.Add(k.Line, kp, "unknown key (known: %s)", strings.Join(names, ", "))
			continue
		}
		d.pos[kp] = k.Line
		f.Set(val, kp)
	}
}

// Section is a Handler for a nested mapping.
func (d *Decoder) Section(fields ...Field) Handler {
	return func(n *yaml.Node, path string) { d.Mapping(n, path, fields) }
}

// Items returns the alias-resolved entries of a list, recording where each
// is. ok is false when the value is absent or not a list (reported as not
// want). A present but empty list gives a non-nil empty slice.
func (d *Decoder) Items(n *yaml.Node, path, want string) (items []*yaml.Node, ok bool) {
	if IsNull(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		d.WrongType(n, path, want)
		return nil, false
	}
	if !d.step(n, path, len(n.Content)+1) {
		return nil, false
	}
	items = make([]*yaml.Node, len(n.Content))
	for i, it := range n.Content {
		it = Resolve(it)
		d.pos[Index(path, i)] = it.Line
		items[i] = it
	}
	return items, true
}

// Scalar returns a scalar's text as written, whatever its YAML type: a
// string key given 8080 means "8080". ok is false when absent or not a
// scalar.
func (d *Decoder) Scalar(n *yaml.Node, path string) (string, bool) {
	if IsNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.WrongType(n, path, "a string")
		return "", false
	}
	return n.Value, true
}

// IntValue decodes a whole number. A quoted number is refused: it is a
// string in YAML, and accepting it would hide a typo elsewhere.
func (d *Decoder) IntValue(n *yaml.Node, path string) (int, bool) {
	var v int
	return v, d.number(n, path, &v)
}

// Int64Value is IntValue for values that need 64 bits on every platform,
// such as 4-byte ASNs.
func (d *Decoder) Int64Value(n *yaml.Node, path string) (int64, bool) {
	var v int64
	return v, d.number(n, path, &v)
}

func (d *Decoder) number(n *yaml.Node, path string, dst any) bool {
	if IsNull(n) {
		return false
	}
	if n.Kind != yaml.ScalarNode {
		d.WrongType(n, path, "a whole number")
		return false
	}
	if n.Tag != "!!int" || n.Decode(dst) != nil {
		d.Invalid(n, path, n.Value, "must be a whole number")
		return false
	}
	return true
}

// BoolValue decodes true or false. Quoted and YAML 1.1 spellings (yes,
// on) are refused rather than guessed at.
func (d *Decoder) BoolValue(n *yaml.Node, path string) (bool, bool) {
	if IsNull(n) {
		return false, false
	}
	if n.Kind != yaml.ScalarNode {
		d.WrongType(n, path, "true or false")
		return false, false
	}
	var v bool
	if n.Tag != "!!bool" || n.Decode(&v) != nil {
		d.Invalid(n, path, n.Value, "must be true or false")
		return false, false
	}
	return v, true
}

// DurationValue decodes a Go duration such as 8s or 1m30s.
func (d *Decoder) DurationValue(n *yaml.Node, path string) (time.Duration, bool) {
	if IsNull(n) {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode {
		d.WrongType(n, path, "a duration")
		return 0, false
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		d.Invalid(n, path, n.Value, "not a duration (use e.g. 8s)")
		return 0, false
	}
	return v, true
}

// StringList decodes a list of scalars. check, when set, validates or
// normalises each item and reports its own problems. ok is true whenever a
// list is present, even one with bad items (each already reported), so a
// present but empty list can be told from "not set".
func (d *Decoder) StringList(n *yaml.Node, path string, check func(it *yaml.Node, path, s string) (string, bool)) ([]string, bool) {
	items, ok := d.Items(n, path, "a list")
	if !ok {
		return nil, false
	}
	out := make([]string, len(items))
	for i, it := range items {
		ip := Index(path, i)
		if IsNull(it) || it.Kind != yaml.ScalarNode {
			d.WrongType(it, ip, "a string")
			continue
		}
		out[i] = it.Value
		if check != nil {
			out[i], _ = check(it, ip, it.Value)
		}
	}
	return out, true
}

// IntList decodes a list of whole numbers.
func (d *Decoder) IntList(n *yaml.Node, path string) ([]int, bool) {
	items, ok := d.Items(n, path, "a list")
	if !ok {
		return nil, false
	}
	out := make([]int, len(items))
	for i, it := range items {
		ip := Index(path, i)
		if IsNull(it) {
			d.WrongType(it, ip, "a whole number")
			continue
		}
		out[i], _ = d.IntValue(it, ip)
	}
	return out, true
}

// Str is a Handler storing a scalar's text.
func (d *Decoder) Str(dst *string) Handler {
	return func(n *yaml.Node, path string) {
		if v, ok := d.Scalar(n, path); ok {
			*dst = v
		}
	}
}

// Int is a Handler storing a whole number.
func (d *Decoder) Int(dst *int) Handler {
	return func(n *yaml.Node, path string) {
		if v, ok := d.IntValue(n, path); ok {
			*dst = v
		}
	}
}

// Bool is a Handler storing true or false.
func (d *Decoder) Bool(dst *bool) Handler {
	return func(n *yaml.Node, path string) {
		if v, ok := d.BoolValue(n, path); ok {
			*dst = v
		}
	}
}

// Duration is a Handler storing a duration.
func (d *Decoder) Duration(dst *time.Duration) Handler {
	return func(n *yaml.Node, path string) {
		if v, ok := d.DurationValue(n, path); ok {
			*dst = v
		}
	}
}

// StrList is a Handler storing a list of strings.
func (d *Decoder) StrList(dst *[]string) Handler {
	return func(n *yaml.Node, path string) {
		if v, ok := d.StringList(n, path, nil); ok {
			*dst = v
		}
	}
}

// Float is a Handler storing a number, whole or not (a percentage).
func (d *Decoder) Float(dst *float64) Handler {
	return func(n *yaml.Node, path string) {
		if IsNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode {
			d.WrongType(n, path, "a number")
			return
		}
		var v float64
		if (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&v) != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			d.Invalid(n, path, n.Value, "must be a number")
			return
		}
		*dst = v
	}
}
