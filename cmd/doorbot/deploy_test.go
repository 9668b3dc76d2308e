package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"strconv"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/doorbot/doorbot/config"
)

// The Kubernetes example must start as written: its config parses, what the
// Deployment references exists in the same file, and it runs as the user the
// image declares.
func TestKubernetesExampleStarts(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { checkKubernetesExample(t, "kubernetes.yaml") })
	t.Run("postgres", func(t *testing.T) {
		// The Deployment sets DOORBOT_STORE_DSN from a Secret.
		t.Setenv(config.EnvStoreDSN, "postgres://doorbot@db/doorbot")
		checkKubernetesExample(t, "kubernetes-postgres.yaml")
	})
}

func checkKubernetesExample(t *testing.T, file string) {
	data, err := os.ReadFile("../../deploy/" + file)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]map[string]any{} // kind/name → object
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("deploy/kubernetes.yaml: %v", err)
		}
		md, _ := obj["metadata"].(map[string]any)
		docs[obj["kind"].(string)+"/"+md["name"].(string)] = obj
	}
	cm, ok := docs["ConfigMap/doorbot"]
	if !ok {
		t.Fatal("no ConfigMap doorbot")
	}
	cfgText := cm["data"].(map[string]any)["doorbot.yaml"].(string)
	cfg, err := config.Parse([]byte(cfgText), "deploy/kubernetes.yaml ConfigMap")
	if err != nil {
		t.Fatalf("the example config does not parse: %v", err)
	}
	dep, ok := docs["Deployment/doorbot"]
	if !ok {
		t.Fatal("no Deployment doorbot")
	}
	spec := dig(t, dep, "spec").(map[string]any)
	pod := dig(t, spec, "template", "spec").(map[string]any)
	if sa := pod["serviceAccountName"]; sa != nil {
		if _, ok := docs["ServiceAccount/"+sa.(string)]; !ok {
			t.Errorf("the Deployment uses ServiceAccount %v, which the file does not define", sa)
		}
	}
	for _, v := range pod["volumes"].([]any) {
		if claim, ok := v.(map[string]any)["persistentVolumeClaim"].(map[string]any); ok {
			if _, ok := docs["PersistentVolumeClaim/"+claim["claimName"].(string)]; !ok {
				t.Errorf("volume claim %v is not defined in the file", claim["claimName"])
			}
		}
	}
	if cfg.Store.Driver == config.DriverSQLite {
		if r := spec["replicas"]; r != 1 {
			t.Errorf("SQLite means one replica, the example asks for %v", r)
		}
		if dig(t, spec, "strategy", "type") != "Recreate" {
			t.Error("with SQLite the old pod must stop before the new one opens the file: strategy Recreate")
		}
	} else {
		checkReplicated(t, docs, spec, pod)
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindSubmatch(dockerfile)
	if m == nil {
		t.Fatal("the Dockerfile's USER is not numeric: runAsNonRoot cannot check a name")
	}
	uid, _ := strconv.Atoi(string(m[1]))
	if got := dig(t, pod, "securityContext", "runAsUser"); got != uid {
		t.Errorf("runAsUser %v differs from the image's USER %s", got, m[1])
	}
}

// checkReplicated holds the PostgreSQL example to what several replicas
// need: 2–3 of them, the DSN from a Secret, readiness on /readyz, and a
// PodDisruptionBudget over the same pods.
func checkReplicated(t *testing.T, docs map[string]map[string]any, spec, pod map[string]any) {
	t.Helper()
	if r, _ := spec["replicas"].(int); r < 2 || r > 3 {
		t.Errorf("replicas %v, want 2–3", spec["replicas"])
	}
	c := pod["containers"].([]any)[0].(map[string]any)
	if dig(t, c, "readinessProbe", "httpGet", "path") != "/readyz" {
		t.Error("readiness is not on /readyz")
	}
	fromSecret := false
	for _, e := range c["env"].([]any) {
		e := e.(map[string]any)
		if e["name"] == config.EnvStoreDSN && dig(t, e, "valueFrom", "secretKeyRef") != nil {
			fromSecret = true
		}
	}
	if !fromSecret {
		t.Errorf("%s does not come from a Secret", config.EnvStoreDSN)
	}
	pdb, ok := docs["PodDisruptionBudget/doorbot"]
	if !ok {
		t.Fatal("no PodDisruptionBudget doorbot")
	}
	want := dig(t, spec, "selector", "matchLabels").(map[string]any)
	got := dig(t, pdb, "spec", "selector", "matchLabels").(map[string]any)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("the PodDisruptionBudget selects %v, the Deployment's pods are %v", got, want)
		}
	}
}

func dig(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v: not a mapping at %q", path, p)
		}
		v = m[p]
	}
	return v
}
