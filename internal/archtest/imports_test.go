package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/doorbot/doorbot"

// rule forbids the packages under from (a path inside the module, "" for
// the module root) to import anything under one of the prefixes, except the
// prefixes in allow.
type rule struct {
	from   string
	deny   []string
	allow  []string
	reason string
}

// The house rules of the layout (docs and README "Layout"). A new package
// that breaks them fails here, which is cheaper than finding out in review.
var rules = []rule{
	{from: "vpn", deny: []string{module + "/"}, allow: []string{module + "/vpn"},
		reason: "the domain is pure: vpn imports nothing of the project but itself"},
	{from: "vpn", deny: []string{"net/http", "database/sql", "os/exec", "github.com/aws/", "github.com/Azure/", "github.com/slack-go/"},
		reason: "the domain does no I/O"},
	{from: "handlers", deny: []string{module + "/bot", "github.com/slack-go/"},
		reason: "handlers return platform-neutral replies; only bot knows Slack"},
	{from: "commands", deny: []string{module + "/bot", "github.com/slack-go/"},
		reason: "the command layer is platform-neutral: forms, views and replies are rendered by bot"},
	{from: "changes", deny: []string{module + "/bot", "github.com/slack-go/"},
		reason: "the change workflow talks to Slack only through its Notifier and Directory interfaces"},
	{from: "approval", deny: []string{module + "/bot", module + "/handlers", "github.com/slack-go/", "database/sql"},
		reason: "the approval engine decides; it knows nothing of Slack or SQL"},
	{from: "alerts", deny: []string{module + "/bot", "github.com/slack-go/"},
		reason: "the alert engine knows nothing of Slack"},
	{from: "alerts", deny: []string{module + "/store", module + "/cloud", module + "/handlers", "database/sql"},
		reason: "the alert engine decides; it knows nothing of storage or the clouds"},
	{from: "watch", deny: []string{module + "/bot", "github.com/slack-go/"},
		reason: "the watcher talks to Slack only through its Notifier"},
	{from: "cloud", deny: []string{module + "/bot", module + "/handlers", module + "/store", module + "/internal/sim", "github.com/slack-go/"},
		reason: "cloud reads the clouds and returns vpn observations; imports point cmd → bot → handlers → (cloud, vpn, store)"},
	{from: "store", deny: []string{module + "/bot", module + "/handlers", module + "/cloud", "github.com/slack-go/"},
		reason: "store keeps state; it calls nobody"},
	{from: "leader", deny: []string{module + "/"},
		reason: "leader only elects and runs the jobs it is handed; it knows nothing of what they do"},
	{from: "internal/sim", deny: []string{module + "/cloud", module + "/bot", module + "/handlers"},
		reason: "the simulator speaks wire formats; it must not import the clients it is used to test"},
	{from: "", deny: []string{module + "/config"}, allow: []string{},
		reason: "only cmd reads the config file; everything else receives resolved values"},
	{from: "", deny: []string{module + "/cmd/"},
		reason: "nothing imports the command-line wiring"},
}

// exempt lists the packages a rule rooted at "" does not apply to.
var exempt = map[string][]string{
	module + "/config": {"cmd/", "config"},
}

func TestImportDirection(t *testing.T) {
	root := moduleRoot(t)
	imports := packageImports(t, root)
	if len(imports) < 10 {
		t.Fatalf("found only %d packages under %s: the walk is broken", len(imports), root)
	}
	for pkg, imps := range imports {
		for _, r := range rules {
			if !under(pkg, r.from) {
				continue
			}
			for _, imp := range imps {
				if !denied(imp, r) || exemptFrom(pkg, imp) {
					continue
				}
				t.Errorf("%s imports %s: %s", displayPkg(pkg), imp, r.reason)
			}
		}
	}
}

// The rules must be able to fail: a forbidden edge is caught.
func TestRulesCatchForbiddenEdges(t *testing.T) {
	cases := []struct{ pkg, imp string }{
		{"vpn", module + "/cloud"},
		{"vpn/rules", "net/http"},
		{"handlers", "github.com/slack-go/slack"},
		{"internal/sim", module + "/cloud/aws"},
		{"bot", module + "/config"},
	}
	for _, c := range cases {
		caught := false
		for _, r := range rules {
			if under(c.pkg, r.from) && denied(c.imp, r) && !exemptFrom(c.pkg, c.imp) {
				caught = true
			}
		}
		if !caught {
			t.Errorf("%s importing %s is not caught", c.pkg, c.imp)
		}
	}
	if exemptFrom("cmd/doorbot", module+"/config") == false {
		t.Error("cmd/doorbot must be allowed to import config")
	}
}

func under(pkg, from string) bool {
	return from == "" || pkg == from || strings.HasPrefix(pkg, from+"/")
}

func denied(imp string, r rule) bool {
	for _, a := range r.allow {
		if imp == a || strings.HasPrefix(imp, a+"/") {
			return false
		}
	}
	for _, d := range r.deny {
		if imp == d || strings.HasPrefix(imp, d) || imp == strings.TrimSuffix(d, "/") {
			return true
		}
	}
	return false
}

func exemptFrom(pkg, imp string) bool {
	for _, p := range exempt[imp] {
		if pkg == p || strings.HasPrefix(pkg, p) {
			return true
		}
	}
	return false
}

func displayPkg(pkg string) string {
	if pkg == "" {
		return module
	}
	return module + "/" + pkg
}

// packageImports maps each package directory (relative to root) to the
// imports of its non-test files: tests may reach across layers to build
// fixtures, the shipped code may not.
func packageImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = ""
		}
		for _, is := range f.Imports {
			p, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				return err
			}
			out[rel] = append(out[rel], p)
		}
		if _, ok := out[rel]; !ok {
			out[rel] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}
