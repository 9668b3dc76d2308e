package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/approval"
	"github.com/doorbot/doorbot/changes"
	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/store"
	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/runbook"
)

func TestChangesCLI(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "doorbot.db")
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	req := approval.Request{ID: "CR-0001", Connection: "azure-prod", State: approval.Pending, Requester: "UREQ", Reason: "CHG-1",
		Verdict: "warn", Findings: []vpn.Finding{{Rule: "single-tunnel", Severity: vpn.SeverityWarning}}, RequiredApprovals: 1,
		Approvals: []string{}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.Create(ctx, req, approval.Event{Kind: "created", Actor: "UREQ", At: now, Channel: "C0APPROVALS"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, req.ID, func(r *approval.Request) ([]approval.Event, error) {
		return approval.Approve(r, approval.Decider{User: "UAPP", IsApprover: true, Channel: "C0APPROVALS"}, now)
	}); err != nil {
		t.Fatal(err)
	}
	// `runbook verify` finds the approved request and records on it.
	svc := &handlers.Service{}
	cs := &changes.Service{Store: st, Now: func() time.Time { return now }}
	svc.Approved, svc.RecordVerification = cs.ApprovedEnd, cs.RecordVerification
	id, _, ok := svc.Approved(ctx, "azure-prod")
	if !ok || id != "CR-0001" {
		t.Fatalf("approved request for azure-prod: %q %v", id, ok)
	}
	svc.RecordVerification(ctx, id, runbook.Verification{Passed: false, Items: []runbook.CheckItem{{Name: "tunnel 2 up on Azure", OK: false}}})
	st.Close()

	cfg := writeFile(t, "doorbot.yaml", fmt.Sprintf("store:\n  driver: sqlite\n  dsn: %s\n", dsn))
	r := runCLI(t, "", "changes", "list", "--config", cfg, "--output", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 {
		t.Fatalf("changes list: %v %s %s", err, r.stdout, r.stderr)
	}
	for _, key := range []string{"id", "connection", "state", "requester", "approvals", "findings"} {
		if _, ok := list[0][key]; !ok {
			t.Errorf("changes list lacks %q", key)
		}
	}
	if list[0]["state"] != "approved" || fmt.Sprint(list[0]["approvals"]) != "[UAPP]" {
		t.Errorf("list entry %v", list[0])
	}
	r = runCLI(t, "", "changes", "show", "CR-0001", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, `"tunnel 2 up on Azure"`) {
		t.Errorf("show: %d %s", r.code, r.stdout)
	}
	if r = runCLI(t, "", "changes", "show", "CR-NOPE", "--config", cfg); r.code != 2 {
		t.Errorf("show unknown: exit %d", r.code)
	}
	r = runCLI(t, "", "changes", "audit", "--config", cfg, "--output", "jsonl")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("audit jsonl: %q", r.stdout)
	}
	for i, want := range []string{"created", "approved", "verified"} {
		var ev approval.Event
		if err := json.Unmarshal([]byte(lines[i]), &ev); err != nil || ev.Kind != want || ev.RequestID != "CR-0001" {
			t.Errorf("audit line %d: %v %+v", i, err, ev)
		}
	}
	if r = runCLI(t, "", "status", "--config", cfg, "--output", "jsonl"); r.code != 2 {
		t.Errorf("jsonl outside audit: exit %d", r.code)
	}
}

// changes list, show and audit only read: they create no file (no
// migration lock), migrate nothing and leave the database as it was, so
// they work when the disk is full.
func TestChangesCommandsOpenTheStoreReadOnly(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "doorbot.db")
	st, err := store.Open(context.Background(), "sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	req := approval.Request{ID: "CR-0002", Connection: "azure-prod", State: approval.Pending, Requester: "UREQ", Reason: "CHG-2",
		RequiredApprovals: 1, Approvals: []string{}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.Create(context.Background(), req, approval.Event{Kind: "created", Actor: "UREQ", At: now}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := os.Remove(dsn + "-migrate.lock"); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "doorbot.yaml", fmt.Sprintf("store:\n  driver: sqlite\n  dsn: %s\n", dsn))
	for _, args := range [][]string{{"list"}, {"show", "CR-0002"}, {"audit"}} {
		r := runCLI(t, "", append(append([]string{"changes"}, args...), "--config", cfg, "--output", "json")...)
		if r.code != 0 || !strings.Contains(r.stdout, "CR-0002") {
			t.Errorf("changes %v: exit %d %s %s", args, r.code, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(dsn + "-migrate.lock"); err == nil {
		t.Error("a read-only command took the migration lock (it migrates)")
	}
	after, err := os.Stat(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() != info.Size() || !after.ModTime().Equal(info.ModTime()) {
		t.Errorf("a read-only command changed the database file")
	}
	// No store yet: a clear error, and no file created.
	missing := writeFile(t, "missing.yaml", fmt.Sprintf("store:\n  driver: sqlite\n  dsn: %s\n", filepath.Join(dir, "none.db")))
	if r := runCLI(t, "", "changes", "list", "--config", missing); r.code != 2 || !strings.Contains(r.stderr, "none.db") {
		t.Errorf("changes list without a store: exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Error("changes list created a database")
	}
}
