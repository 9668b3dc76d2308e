package strictyaml

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "none"},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a (and 1 more problem)"},
		{[]string{"a", "b", "c"}, "a (and 2 more problems)"},
	} {
		if got := Summary(tc.in, "none"); got != tc.want {
			t.Errorf("Summary(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestProblemsFormat(t *testing.T) {
	p := &Problems{Source: "f.yaml"}
	p.Add(3, "a.b", "bad %d", 1)
	p.AddValue(1, "a.c", "x\ny", "odd")
	p.Add(0, "", "whole file")
	p.AddValue(2, "", "v", "no path")
	p.AddValue(4, "tok", "xoxb-123", "leaked")
	want := []string{
		"f.yaml: whole file",
		`f.yaml:1: a.c "x\ny": odd`,
		`f.yaml:2: "v": no path`,
		"f.yaml:3: a.b: bad 1",
		`f.yaml:4: tok "<redacted>": leaked`,
	}
	if got := p.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	q := &Problems{}
	q.Add(7, "k", "no source")
	q.Add(0, "k", "nothing")
	if got, want := q.Lines(), []string{"k: nothing", "line 7: k: no source"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if (&Problems{}).Lines() != nil {
		t.Error("no problems should give nil")
	}
}

func TestRedact(t *testing.T) {
	p := &Problems{Source: "f.yaml"}
	p.Redact("Sekrit.Key_1", "Sekrit", "ab", "")
	p.AddValue(1, "a", "Sekrit.Key_1", "exact")
	p.AddValue(2, "b", "pre-Sekrit.Key_1-post", "contained")
	p.AddValue(3, "c", "ab", "short exact")
	p.AddValue(4, "d", "abc", "short secrets are only hidden when they are the whole value")
	p.Add(5, `e."Sekrit.Key_1x"`, "in a key")
	p.Add(6, "f", "in the text: Sekrit.Key_1 and Sekrit")
	want := []string{
		`f.yaml:1: a "<redacted>": exact`,
		`f.yaml:2: b "<redacted>": contained`,
		`f.yaml:3: c "<redacted>": short exact`,
		`f.yaml:4: d "abc": short secrets are only hidden when they are the whole value`,
		`f.yaml:5: e."<redacted>x": in a key`,
		`f.yaml:6: f: in the text: <redacted> and <redacted>`,
	}
	if got := p.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestIsSecretKey(t *testing.T) {
	for _, k := range []string{"psk", "PSK", "shared_key", "shared-key", "bot_token", "client_secret", "db_password", "aws_access_key_id", "tunnel1_psk"} {
		if !IsSecretKey(k) {
			t.Errorf("%s not a secret key", k)
		}
	}
	for _, k := range []string{"name", "tokens_used", "key", "pskx", "secretary"} {
		if IsSecretKey(k) {
			t.Errorf("%s taken for a secret key", k)
		}
	}
}

func TestRedactSecrets(t *testing.T) {
	var doc yaml.Node
	src := strings.Join([]string{
		"a: &x plain",
		"psk: [one1, {two2: three3}]",
		"nested: {deeper: {Client-Secret: four4}}",
		"token: *x",
		"other: five5",
	}, "\n")
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	d := NewDecoder("f")
	d.RedactSecrets(&doc)
	want := map[string]bool{"one1": true, "two2": true, "three3": true, "four4": true, "plain": true}
	if !reflect.DeepEqual(d.secrets, want) {
		t.Errorf("got %v, want %v", d.secrets, want)
	}
}

func TestDocument(t *testing.T) {
	doc := Document{Source: "f.yaml", What: "thing", TopKeys: "a:, b:"}
	for in, want := range map[string]string{
		"":              "f.yaml: empty thing",
		"~\n":           "f.yaml: empty thing",
		"x\n":           "f.yaml:1: top level must be a mapping (a:, b:), not a string",
		"a: 1\n---\n":   "f.yaml:2: multiple YAML documents; put the whole thing in one",
		"a: [1\n":       "f.yaml:1: invalid YAML: did not find expected ',' or ']'",
		"a: *nowhere\n": "f.yaml: invalid YAML: unknown anchor 'nowhere' referenced",
	} {
		_, err := doc.Parse([]byte(in))
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %s", in, err, want)
		}
	}
	if n, err := doc.Parse([]byte("a: 1\n")); err != nil || n.Kind != yaml.MappingNode {
		t.Errorf("mapping: %v", err)
	}
}

func TestGuard(t *testing.T) {
	err := Guard("f.yaml", func() error { panic("boom\nsecond line") })
	if err == nil || err.Error() != "f.yaml: invalid YAML (parser failure: boom second line)" {
		t.Errorf("got %v", err)
	}
	sentinel := errors.New("x")
	if err := Guard("f.yaml", func() error { return sentinel }); err != sentinel {
		t.Errorf("got %v", err)
	}
}

func decode(t *testing.T, src string, fields func(d *Decoder) []Field, maxSteps int) []string {
	t.Helper()
	root, err := Document{Source: "f", What: "x"}.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder("f")
	d.MaxSteps = maxSteps
	d.Mapping(root, "", fields(d))
	return d.Lines()
}

func TestHandlers(t *testing.T) {
	var (
		b   bool
		n   int
		s   string
		ss  []string
		is  []int
		i64 int64
	)
	fields := func(d *Decoder) []Field {
		return []Field{
			{Key: "b", Set: d.Bool(&b)},
			{Key: "n", Set: d.Int(&n)},
			{Key: "s", Set: d.Str(&s)},
			{Key: "ss", Set: d.StrList(&ss)},
			{Key: "is", Set: func(n *yaml.Node, path string) { is, _ = d.IntList(n, path) }},
			{Key: "big", Set: func(n *yaml.Node, path string) { i64, _ = d.Int64Value(n, path) }},
		}
	}
	if ps := decode(t, "b: true\nn: 0x10\ns: 8080\nss: [a, 1]\nis: [1, 2]\nbig: 4294967295\n", fields, 0); ps != nil {
		t.Fatal(ps)
	}
	if !b || n != 16 || s != "8080" || !reflect.DeepEqual(ss, []string{"a", "1"}) || !reflect.DeepEqual(is, []int{1, 2}) || i64 != 4294967295 {
		t.Errorf("got %v %v %q %q %v %v", b, n, s, ss, is, i64)
	}
	got := decode(t, "b: 'true'\nn: 1.5\ns: [x]\nss: [[a]]\nis: [a, ~]\nbig: x\nzz: 1\nb: false\n", fields, 0)
	want := []string{
		`f:1: b "true": must be true or false`,
		`f:2: n "1.5": must be a whole number`,
		"f:3: s: must be a string, not a list",
		"f:4: ss[0]: must be a string, not a list",
		`f:5: is[0] "a": must be a whole number`,
		"f:5: is[1]: must be a whole number, not empty",
		`f:6: big "x": must be a whole number`,
		"f:7: zz: unknown key (known: b, n, s, ss, is, big)",
		"f:8: b: duplicate key (first at line 1)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestMaxSteps(t *testing.T) {
	var ss []string
	fields := func(d *Decoder) []Field {
		return []Field{{Key: "a", Set: d.StrList(&ss)}, {Key: "b", Set: d.StrList(&ss)}}
	}
	if ps := decode(t, "a: &l [1, 2, 3]\nb: *l\n", fields, 20); ps != nil {
		t.Errorf("within the limit: %q", ps)
	}
	got := decode(t, "a: &l [1, 2, 3]\nb: *l\n", fields, 8)
	want := []string{"f:2: b: aliases expand this document to more than 8 keys and items; write the values out"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
