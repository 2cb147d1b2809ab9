package main

import (
	"strings"
	"testing"
)

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: chat-api, labels: { app: chat-api } }
spec:
  selector: { matchLabels: { app: chat-api } }
  template:
    metadata: { labels: { app: chat-api } }
    spec:
      containers: [{ name: chat-api, image: chat:1, ports: [{ containerPort: 3001 }] }]
`

func TestCheckManifests(t *testing.T) {
	allowed := map[string]bool{"kustomize.config.k8s.io/Kustomization": true}
	cases := []struct {
		name, doc, problem string // problem "" = valid
	}{
		{"a valid Deployment passes", deployment, ""},
		{"a comment-only document is skipped", "# Source: chart/templates/empty.yaml\n---\n" + deployment, ""},
		{"an unknown field fails", strings.Replace(deployment, "containerPort", "containerPortt", 1), `unknown field "spec.template.spec.containers[0].ports[0].containerPortt"`},
		{"a wrong type fails", strings.Replace(deployment, "3001", `"http"`, 1), "cannot unmarshal string"},
		{"a duplicate key fails", deployment + "  replicas: 2\n  replicas: 3\n", `"replicas" already set`},
		{"an unknown kind fails", "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: { name: m }\n", "not a built-in kind"},
		{"an API version no longer served fails", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: { name: p }\n", "no longer served since Kubernetes 1.25"},
		{"an invalid name fails", strings.Replace(deployment, "name: chat-api,", "name: Chat_API,", 1), "metadata.name"},
		{"a Service name must be a DNS label", "apiVersion: v1\nkind: Service\nmetadata: { name: 1-api }\n", "metadata.name"},
		{"an invalid label value fails", strings.Replace(deployment, "labels: { app: chat-api } }", "labels: { app: 'chat api' } }", 1), "metadata.labels"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, problems := checkManifests([]byte(c.doc), allowed, 37)
			got := strings.Join(problems, "\n")
			if c.problem == "" && got != "" || c.problem != "" && !strings.Contains(got, c.problem) {
				t.Fatalf("want problem %q, got %q", c.problem, got)
			}
		})
	}
}

func TestAllowedKindsAreSkipped(t *testing.T) {
	kinds, skipped, problems := checkManifests([]byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"),
		map[string]bool{"kustomize.config.k8s.io/Kustomization": true}, 37)
	if len(kinds) != 0 || len(skipped) != 1 || len(problems) != 0 {
		t.Fatalf("kinds %v, skipped %v, problems %v", kinds, skipped, problems)
	}
}
