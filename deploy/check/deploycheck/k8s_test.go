package main

import (
	"strings"
	"testing"

	psa "k8s.io/pod-security-admission/api"
)

// deployment meets the restricted Pod Security Standard, as every pod of the repository must.
const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: chat-api, labels: { app: chat-api } }
spec:
  selector: { matchLabels: { app: chat-api } }
  template:
    metadata: { labels: { app: chat-api } }
    spec:
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: chat-api
          image: chat:1
          ports: [{ containerPort: 3001 }]
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
`

const serviceMonitor = `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: chat-api }
spec:
  selector: { matchLabels: { app: chat-api } }
  endpoints: [{ port: http, path: /metrics, interval: 30s }]
`

const prometheusRule = `
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: { name: chat }
spec:
  groups:
    - name: chat
      rules:
        - alert: ChatOutboxStale
          expr: max(outbox_oldest_unpublished_age_seconds) > 60
          for: 5m
          labels: { severity: critical }
          annotations: { summary: Events are not published }
`

const httpRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: chat }
spec:
  parentRefs: [{ name: public, namespace: gateways, sectionName: https }]
  hostnames: [chat.example.com]
  rules:
    - matches: [{ path: { type: PathPrefix, value: / } }]
      backendRefs: [{ name: edge, port: 8080 }]
`

func TestCheckManifests(t *testing.T) {
	check := rules{allowed: map[string]bool{"kustomize.config.k8s.io/Kustomization": true}, minor: 37, podSecurity: psa.LevelRestricted}
	cases := []struct {
		name, doc, problem string // problem "" = valid
	}{
		{"a valid Deployment passes", deployment, ""},
		{"a comment-only document is skipped", "# Source: chart/templates/empty.yaml\n---\n" + deployment, ""},
		{"an unknown field fails", strings.Replace(deployment, "containerPort", "containerPortt", 1), `unknown field "spec.template.spec.containers[0].ports[0].containerPortt"`},
		{"a wrong type fails", strings.Replace(deployment, "3001", `"http"`, 1), "cannot unmarshal string"},
		{"a duplicate key fails", deployment + "  replicas: 2\n  replicas: 3\n", `"replicas" already set`},
		{"an unknown kind fails", "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: { name: c }\n", "neither a built-in kind nor a custom resource"},
		{"an API version no longer served fails", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: { name: p }\n", "no longer served since Kubernetes 1.25"},
		{"an invalid name fails", strings.Replace(deployment, "name: chat-api,", "name: Chat_API,", 1), "metadata.name"},
		{"a Service name must be a DNS label", "apiVersion: v1\nkind: Service\nmetadata: { name: 1-api }\n", "metadata.name"},
		{"an invalid label value fails", strings.Replace(deployment, "labels: { app: chat-api } }", "labels: { app: 'chat api' } }", 1), "metadata.labels"},
		{"a valid ServiceMonitor passes", serviceMonitor, ""},
		{"a ServiceMonitor with an unknown field fails", strings.Replace(serviceMonitor, "interval:", "intervall:", 1), `unknown field "spec.endpoints[0].intervall"`},
		{"a valid PrometheusRule passes", prometheusRule, ""},
		{"a PrometheusRule with an unknown field fails", strings.Replace(prometheusRule, "annotations:", "annotation:", 1), `unknown field "spec.groups[0].rules[0].annotation"`},
		{"a PrometheusRule with a wrong type fails", strings.Replace(prometheusRule, "for: 5m", "for: [5m]", 1), "cannot unmarshal array"},
		{"a valid HTTPRoute passes", httpRoute, ""},
		{"an HTTPRoute with an unknown field fails", strings.Replace(httpRoute, "backendRefs:", "backends:", 1), `unknown field "spec.rules[0].backends"`},
		{"a pod template that may run as root fails restricted", strings.Replace(deployment, "runAsNonRoot: true, ", "", 1), "violates PodSecurity \"restricted\": runAsNonRoot != true"},
		{"a container that keeps its capabilities fails restricted", strings.Replace(deployment, ", capabilities: { drop: [ALL] }", "", 1), "unrestricted capabilities"},
		{"a hostPath volume in a Job fails restricted", jobWithHostPath, `restricted volume type "hostPath"`},
		{"a namespace enforcing a valid level passes", "apiVersion: v1\nkind: Namespace\nmetadata: { name: chat, labels: { pod-security.kubernetes.io/enforce: restricted } }\n", ""},
		{"a namespace enforcing a misspelt level fails", "apiVersion: v1\nkind: Namespace\nmetadata: { name: chat, labels: { pod-security.kubernetes.io/enforce: restrictd } }\n", `pod-security.kubernetes.io/enforce`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, problems := checkManifests([]byte(c.doc), check)
			got := strings.Join(problems, "\n")
			if c.problem == "" && got != "" || c.problem != "" && !strings.Contains(got, c.problem) {
				t.Fatalf("want problem %q, got %q", c.problem, got)
			}
		})
	}
}

const jobWithHostPath = `
apiVersion: batch/v1
kind: Job
metadata: { name: init }
spec:
  template:
    spec:
      restartPolicy: Never
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: init
          image: mongo:7
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
      volumes: [{ name: host, hostPath: { path: /var/run } }]
`

func TestPodSecurityLevelPrivilegedChecksNothing(t *testing.T) {
	check := rules{minor: 37, podSecurity: psa.LevelPrivileged}
	if _, _, _, problems := checkManifests([]byte(jobWithHostPath), check); len(problems) != 0 {
		t.Fatalf("problems %v", problems)
	}
}

func TestAllowedKindsAreSkipped(t *testing.T) {
	check := rules{allowed: map[string]bool{"kustomize.config.k8s.io/Kustomization": true}, minor: 37, podSecurity: psa.LevelRestricted}
	kinds, skipped, _, problems := checkManifests([]byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"), check)
	if len(kinds) != 0 || len(skipped) != 1 || len(problems) != 0 {
		t.Fatalf("kinds %v, skipped %v, problems %v", kinds, skipped, problems)
	}
}
