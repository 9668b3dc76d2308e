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
// prefixes in allow. The packages under except are not bound by it.
type rule struct {
	from   string
	deny   []string
	allow  []string
	except []string
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
	{from: "", deny: []string{module + "/config"}, allow: []string{}, except: []string{"cmd", "config"},
		reason: "only cmd reads the config file; everything else receives resolved values"},
	{from: "", deny: []string{module + "/cmd/"},
		reason: "nothing imports the command-line wiring"},

	// Layers: imports point cmd → bot → commands → (changes, watch) →
	// handlers → (cloud, vpn, store); nothing imports upward.
	{from: "", deny: []string{"github.com/slack-go/"}, except: []string{"cmd", "bot"},
		reason: "only bot knows Slack (cmd wires its client)"},
	{from: "handlers", deny: []string{module + "/commands", module + "/changes", module + "/watch", module + "/leader"},
		reason: "handlers sit below commands, changes and watch: imports point down"},
	{from: "changes", deny: []string{module + "/commands", module + "/watch"},
		reason: "the change workflow sits below the command layer: imports point down"},
	{from: "watch", deny: []string{module + "/commands", module + "/changes"},
		reason: "the watcher sits below the command layer: imports point down"},
	{from: "alerts", deny: []string{module + "/"}, allow: []string{module + "/vpn"},
		reason: "the alert engine decides over vpn values only"},
	{from: "cloud", deny: []string{module + "/"}, allow: []string{module + "/cloud", module + "/vpn"},
		reason: "cloud → vpn: the observer and its adapters read the clouds into vpn values and call nothing above"},
	{from: "cloud/aws", deny: []string{module + "/"}, allow: []string{module + "/vpn"},
		reason: "an adapter reads one cloud; only the observer (cloud) fans out over them"},
	{from: "cloud/azure", deny: []string{module + "/"}, allow: []string{module + "/vpn"},
		reason: "an adapter reads one cloud; only the observer (cloud) fans out over them"},
	{from: "cloud/soracom", deny: []string{module + "/"}, allow: []string{module + "/vpn"},
		reason: "an adapter reads one cloud; only the observer (cloud) fans out over them"},
	{from: "internal/sim", deny: []string{module + "/"}, allow: []string{module + "/vpn"},
		reason: "the simulator speaks wire formats; it knows nothing of doorbot but the vpn values its scenarios describe"},
	{from: "internal/fakeslack", deny: []string{module + "/"},
		reason: "the fake Slack speaks Slack's wire format; it must not import the bot it is used to test"},
	{from: "internal/pgtest", deny: []string{module + "/"},
		reason: "a test helper for PostgreSQL knows nothing of doorbot"},
	{from: "internal/fakeclock", deny: []string{module + "/"},
		reason: "the hand-moved clock is a leaf: test helpers and the demo share it"},
	{from: "internal/shelltest", deny: []string{module + "/"},
		reason: "the shell-paste check is a leaf test helper: it knows nothing of doorbot"},
	{from: "internal/strictyaml", deny: []string{module + "/"},
		reason: "the YAML decoder is a leaf: config and proposal build on it"},

	// Test helpers never ship; the simulator ships only in cmd's demo.
	{from: "", deny: []string{module + "/internal/fakeslack", module + "/internal/pgtest", module + "/vpn/vpntest", module + "/changes/changestest", module + "/internal/shelltest"},
		reason: "test helpers are for _test.go files; shipped code must not import them"},
	{from: "", deny: []string{module + "/internal/sim"}, except: []string{"cmd", "internal/simclient"},
		reason: "the simulated clouds are for tests and cmd's demo and console only"},
	{from: "", deny: []string{module + "/internal/simclient"}, except: []string{"cmd"},
		reason: "the adapters pointed at the simulator are for tests and cmd's demo and console only"},
}

func TestImportDirection(t *testing.T) {
	root := moduleRoot(t)
	imports := packageImports(t, root)
	if len(imports) < 10 {
		t.Fatalf("found only %d packages under %s: the walk is broken", len(imports), root)
	}
	for pkg, imps := range imports {
		for _, r := range rules {
			for _, imp := range imps {
				if violates(pkg, imp, r) {
					t.Errorf("%s imports %s: %s", displayPkg(pkg), imp, r.reason)
				}
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
		{"vpn/why", module + "/cloud"},
		{"vpn/triage", "net/http"},
		{"commands", "github.com/slack-go/slack/slackevents"},
		{"changes", module + "/commands"},
		{"watch", "github.com/slack-go/slack"},
		{"leader", module + "/store"},
		{"alerts", module + "/watch"},
		{"handlers", module + "/commands"},
		{"cloud", module + "/watch"},
		{"cloud/soracom", module + "/cloud"},
		{"cloud/aws", module + "/cloud/azure"},
		{"store", "github.com/slack-go/slack"},
		{"internal/sim", module + "/internal/simclient"},
		{"internal/fakeslack", module + "/bot"},
		{"internal/fakeclock", module + "/vpn"},
		{"handlers", module + "/internal/sim"},
		{"watch", module + "/internal/simclient"},
		{"bot", module + "/internal/fakeslack"},
		{"store", module + "/internal/pgtest"},
		{"commands", module + "/changes/changestest"},
	}
	for _, c := range cases {
		if !caught(c.pkg, c.imp) {
			t.Errorf("%s importing %s is not caught", c.pkg, c.imp)
		}
	}
	// The layout's own edges must stay allowed.
	allowed := []struct{ pkg, imp string }{
		{"cmd/doorbot", module + "/config"},
		{"cmd/doorbot", module + "/internal/sim"},
		{"cmd/doorbot", "github.com/slack-go/slack"},
		{"bot", "github.com/slack-go/slack/socketmode"},
		{"internal/simclient", module + "/internal/sim"},
		{"cloud", module + "/cloud/aws"},
		{"cloud/aws", module + "/vpn/why"},
		{"commands", module + "/changes"},
		{"watch", module + "/handlers"},
		{"config", module + "/internal/strictyaml"},
	}
	for _, c := range allowed {
		if caught(c.pkg, c.imp) {
			t.Errorf("%s must be allowed to import %s", c.pkg, c.imp)
		}
	}
}

func caught(pkg, imp string) bool {
	for _, r := range rules {
		if violates(pkg, imp, r) {
			return true
		}
	}
	return false
}

// violates reports whether pkg importing imp breaks r.
func violates(pkg, imp string, r rule) bool {
	if !under(pkg, r.from) || !denied(imp, r) {
		return false
	}
	for _, e := range r.except {
		if under(pkg, e) {
			return false
		}
	}
	return true
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
