package main

import (
	"strings"
	"testing"

	psa "k8s.io/pod-security-admission/api"
)

// service is the valid Deployment as the given SERVICE with these env entries (YAML flow items).
func service(name, env string) string {
	return strings.Replace(withEnv(`[{ name: SERVICE, value: `+name+` }, `+env+`]`), "name: chat-api", "name: "+name, 1) + "\n---\n"
}

const (
	natsOf  = `{ name: NATS_USER, value: %[1]s }, { name: NATS_PASSWORD, valueFrom: { secretKeyRef: { name: s, key: NATS_%[1]s } } }`
	redisOf = `{ name: REDIS_USERNAME, value: %[1]s }, { name: REDIS_PASSWORD, valueFrom: { secretKeyRef: { name: s, key: REDIS_%[1]s } } }`
	mongoOf = `{ name: MONGO_PASSWORD, valueFrom: { secretKeyRef: { name: s, key: MONGO_%[1]s } } }, { name: MONGO_URL, value: "mongodb://%[1]s:$(MONGO_PASSWORD)@db/chat" }`
)

func env(name string, parts ...string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = strings.ReplaceAll(p, "%[1]s", name)
	}
	return strings.Join(out, ", ")
}

func TestOwnCredentials(t *testing.T) {
	stack := service("chat-api", env("chat-api", natsOf, redisOf, mongoOf)) +
		service("media-service", env("media-service", natsOf, mongoOf)) +
		service("edge", `{ name: PORT, value: "8080" }`)
	cases := []struct {
		name, doc, problem string // problem "" = valid
	}{
		{"each service its own users pass", stack, ""},
		{"a Redis password shared by two services fails", stack + service("message-api",
			env("message-api", natsOf, mongoOf)+`, { name: REDIS_USERNAME, value: message-api }, { name: REDIS_PASSWORD, valueFrom: { secretKeyRef: { name: s, key: REDIS_chat-api } } }`),
			"chat-api and message-api share a Redis password"},
		{"Redis's password alone (the shared default user) fails", stack + service("realtime-gateway",
			env("realtime-gateway", natsOf)+`, { name: REDIS_PASSWORD, valueFrom: { secretKeyRef: { name: s, key: REDIS_PASSWORD } } }`),
			"realtime-gateway logs in to Redis without a user and password of its own"},
		{"a MongoDB user shared by two services fails", stack + service("message-api",
			env("message-api", natsOf, redisOf)+`, { name: MONGO_URL, value: "mongodb://chat-api:x@db/chat" }`),
			"chat-api and message-api share a MongoDB user"},
		{"a MONGO_URL without a user fails", stack + service("message-api",
			env("message-api", natsOf, redisOf)+`, { name: MONGO_URL, value: "mongodb://db/chat" }`),
			"message-api logs in to MongoDB without a user and password of its own"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := rules{minor: 37, podSecurity: psa.LevelRestricted, logins: &logins{}}
			_, _, _, problems := checkManifests([]byte(c.doc), check)
			shared, _ := check.logins.problems()
			got := strings.Join(append(problems, shared...), "\n")
			if c.problem == "" && got != "" || c.problem != "" && !strings.Contains(got, c.problem) {
				t.Fatalf("want problem %q, got %q", c.problem, got)
			}
		})
	}
}

func TestComposeCredentials(t *testing.T) {
	const base = `
services:
  chat-api: { image: app, environment: { SERVICE: chat-api, NATS_USER: chat-api, NATS_PASSWORD: "${N1}", REDIS_USERNAME: chat-api, REDIS_PASSWORD: "${R1}", MONGO_URL: "mongodb://chat-api:${M1}@mongo/chat" } }
`
	problems, err := load(t, base, "N1=a\nR1=b\nM1=c\nR2=d\n")
	if err != nil || len(problems) != 0 {
		t.Fatalf("own credentials: want none, got %v %v", problems, err)
	}
	shared := base + `  gateway: { image: app, environment: { SERVICE: realtime-gateway, NATS_USER: realtime-gateway, NATS_PASSWORD: "${R2}", REDIS_USERNAME: realtime-gateway, REDIS_PASSWORD: "${R1}" } }
`
	problems, err = load(t, shared, "N1=a\nR1=b\nM1=c\nR2=d\n")
	if err != nil || !strings.Contains(strings.Join(problems, "\n"), "chat-api and realtime-gateway share a Redis password") {
		t.Fatalf("shared Redis password: got %v %v", problems, err)
	}
}
