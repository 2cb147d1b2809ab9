package main

import (
	"strings"
	"testing"

	psa "k8s.io/pod-security-admission/api"
)

const secret = `
apiVersion: v1
kind: Secret
metadata: { name: chat-secrets }
data: { JWT_SECRET: c2VjcmV0 }
stringData: { REDIS_PASSWORD: redis }
---
`

// withEnv gives the valid Deployment's container an env list.
func withEnv(env string) string {
	return strings.Replace(deployment, "          ports:", "          env: "+env+"\n          ports:", 1)
}

func TestSecretKeys(t *testing.T) {
	cases := []struct {
		name, doc, problem string // problem "" = valid
	}{
		{"keys of data and stringData pass", secret + withEnv(`[{ name: A, valueFrom: { secretKeyRef: { name: chat-secrets, key: JWT_SECRET } } }, { name: B, valueFrom: { secretKeyRef: { name: chat-secrets, key: REDIS_PASSWORD } } }]`), ""},
		{"a missing key fails", secret + withEnv(`[{ name: A, valueFrom: { secretKeyRef: { name: chat-secrets, key: NATS_PASSWORD } } }]`), "env A: reads key NATS_PASSWORD of the Secret chat-secrets, which holds only [JWT_SECRET REDIS_PASSWORD]"},
		{"a missing optional key passes", secret + withEnv(`[{ name: A, valueFrom: { secretKeyRef: { name: chat-secrets, key: Image_Kit_URL, optional: true } } }]`), ""},
		{"a Secret not in the input fails", withEnv(`[{ name: A, valueFrom: { secretKeyRef: { name: chat-secrets, key: JWT_SECRET } } }]`), "reads the Secret chat-secrets, which is not in the input"},
		{"envFrom a Secret not in the input fails", strings.Replace(deployment, "          ports:", "          envFrom: [{ secretRef: { name: other } }]\n          ports:", 1), "envFrom: reads the Secret other"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := rules{minor: 37, podSecurity: psa.LevelRestricted, secrets: &secretKeys{}}
			_, _, _, problems := checkManifests([]byte(c.doc), check)
			missing, _ := check.secrets.problems()
			got := strings.Join(append(problems, missing...), "\n")
			if c.problem == "" && got != "" || c.problem != "" && !strings.Contains(got, c.problem) {
				t.Fatalf("want problem %q, got %q", c.problem, got)
			}
		})
	}
}
