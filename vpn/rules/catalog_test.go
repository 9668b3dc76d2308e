package rules

import (
	"net/url"
	"slices"
	"testing"

	"github.com/doorbot/doorbot/vpn"
)

// designIDs are the twenty rule IDs the interface requires, copied by hand on purpose: the
// test must fail if the catalog drops or renames an interface ID.
var designIDs = []string{
	"bgp-needs-active-active",
	"single-tunnel",
	"tunnel-down",
	"routing-mismatch",
	"apipa-out-of-range",
	"inside-cidr-invalid",
	"inside-cidr-duplicate",
	"bgp-address-mismatch",
	"peer-ip-mismatch",
	"static-route-missing",
	"prefix-overlap",
	"policy-based-selectors",
	"sku-unsupported",
	"psk-invalid",
	"ike-params-incompatible",
	"dpd-timeout-range",
	"asn-invalid",
	"gateway-subnet",
	"responder-only",
	"change-causes-outage",
}

// soracomIDs are the rules about the SORACOM side of a Door connection
// (design.md section 12) beyond the required twenty.
var soracomIDs = []string{"routing-filter-denies", "vpg-not-running", "door-connection-missing"}

// evidenceIDs are the rules `why` raises from the clouds' own evidence
// (docs/why.md names psk-mismatch, bgp-session-down and maintenance).
var evidenceIDs = []string{
	"psk-mismatch", "proposal-mismatch", "dpd-timeout", "peer-unreachable",
	"bgp-session-down", "bgp-prefix-limit", "maintenance", "gateway-change",
}

func TestCatalogHasEveryDesignRule(t *testing.T) {
	if len(designIDs) != 20 {
		t.Fatalf("the interface requires 20 rules, test has %d", len(designIDs))
	}
	for _, id := range designIDs {
		if _, ok := Lookup(id); !ok {
			t.Errorf("catalog lacks design rule %q", id)
		}
	}
	if r, ok := Lookup("bgp-peer-status-unavailable"); !ok || r.Severity != vpn.SeverityWarning {
		t.Errorf("bgp-peer-status-unavailable = %+v, %v; want a warning rule", r, ok)
	}
}

func TestCatalogEntriesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Catalog() {
		if r.ID == "" || r.Title == "" {
			t.Errorf("rule %+v has an empty ID or title", r)
		}
		if seen[r.ID] {
			t.Errorf("duplicate rule ID %q", r.ID)
		}
		seen[r.ID] = true
		switch r.Severity {
		case vpn.SeverityError, vpn.SeverityWarning, vpn.SeverityInfo:
		default:
			t.Errorf("rule %q has severity %q", r.ID, r.Severity)
		}
		u, err := url.Parse(r.Reference)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			t.Errorf("rule %q reference %q is not an https URL", r.ID, r.Reference)
		}
		if got, ok := Lookup(r.ID); !ok || got != r {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", r.ID, got, ok, r)
		}
	}
	if want := len(designIDs) + 1 + len(soracomIDs) + len(evidenceIDs); len(seen) != want {
		t.Errorf("catalog has %d rules, want %d (the required twenty, bgp-peer-status-unavailable, the SORACOM rules and the evidence rules of why)", len(seen), want)
	}
	for _, id := range append(slices.Clone(soracomIDs), evidenceIDs...) {
		if _, ok := Lookup(id); !ok {
			t.Errorf("catalog lacks evidence rule %q", id)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, id := range []string{"", "Tunnel-Down", "no-such-rule"} {
		if r, ok := Lookup(id); ok {
			t.Errorf("Lookup(%q) = %+v, want not found", id, r)
		}
	}
}

func TestCatalogIsACopy(t *testing.T) {
	c := Catalog()
	c[0].ID = "mangled"
	c[0].Severity = vpn.SeverityInfo
	if Catalog()[0].ID == "mangled" {
		t.Error("Catalog exposes its backing array")
	}
	if _, ok := Lookup("mangled"); ok {
		t.Error("mutating Catalog's result changed Lookup")
	}
}

func TestNewFindingUsesCatalog(t *testing.T) {
	f := newFinding(IDSingleTunnel, "m", "f")
	r, _ := Lookup(IDSingleTunnel)
	if f.Severity != r.Severity || f.Reference != r.Reference || f.Rule != r.ID {
		t.Errorf("newFinding = %+v, want catalog severity/reference of %+v", f, r)
	}
	defer func() {
		if recover() == nil {
			t.Error("newFinding with an unknown ID did not panic")
		}
	}()
	newFinding("no-such-rule", "m", "f")
}
