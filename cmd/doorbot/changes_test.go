package main

import (
	"context"
	"encoding/json"
	"fmt"
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
