package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t *testing.T, compose, env string) ([]string, error) {
	dir := t.TempDir()
	file, envFile := filepath.Join(dir, "compose.yml"), filepath.Join(dir, "check.env")
	for path, text := range map[string]string{file: compose, envFile: env} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	project, err := loadProject(file, envFile)
	if err != nil {
		return nil, err
	}
	return checkProject(project), nil
}

func TestComposeChecksWhatTheLoaderLetsThrough(t *testing.T) {
	problems, err := load(t, `
services:
  edge: { image: edge, ports: ["${EDGE_PORT:?}:8080"] }
  debug: { image: debug, ports: ["127.0.0.1:8080:80"] }
  nats: { image: nats, volumes: ["./auth.conf:/etc/nats/auth.conf:ro"] }
  api: { image: api, depends_on: { nats: { condition: service_healthy } } }
`, "EDGE_PORT=8080\n")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(problems, "\n")
	for _, want := range []string{"host port 8080/tcp is published by both debug and edge", "auth.conf, which does not exist",
		"api waits for nats to be healthy, which has no healthcheck"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
}

func TestComposeFailsOnAMissingRequiredVariable(t *testing.T) {
	if _, err := load(t, "services:\n  api: { image: 'api:${TAG:?set TAG}' }\n", ""); err == nil || !strings.Contains(err.Error(), "set TAG") {
		t.Fatalf("want the required variable's message, got %v", err)
	}
}

func TestComposeFailsOnADependencyThatIsNotAService(t *testing.T) {
	if _, err := load(t, "services:\n  api: { image: api, depends_on: [mongo] }\n", ""); err == nil || !strings.Contains(err.Error(), "undefined service") {
		t.Fatalf("want the loader's undefined service error, got %v", err)
	}
}
