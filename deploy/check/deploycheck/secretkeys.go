package main

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// secretKeys records, for -secret-keys, the Secrets of the input and what its pods read from
// Secrets, so that a rendering that must be complete by itself (the chart's try value set,
// which makes its own Secret) can be checked for a key that no Secret holds: such a pod would
// stay in CreateContainerConfigError.
type secretKeys struct {
	held  map[string]map[string]bool // Secret name -> its keys (data and stringData)
	reads []secretRead
}

type secretRead struct {
	where, secret, key string // key "" = the whole Secret (envFrom)
}

func (s *secretKeys) addSecret(obj runtime.Object) {
	secret, ok := obj.(*corev1.Secret)
	if !ok {
		return
	}
	if s.held == nil {
		s.held = map[string]map[string]bool{}
	}
	keys := map[string]bool{}
	for key := range secret.Data {
		keys[key] = true
	}
	for key := range secret.StringData {
		keys[key] = true
	}
	s.held[secret.Name] = keys
}

// addPod records the Secret keys a pod's containers must find to start: env secretKeyRefs and
// envFrom secretRefs that are not optional.
func (s *secretKeys) addPod(where string, spec *corev1.PodSpec) {
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		for _, env := range c.Env {
			if ref := env.ValueFrom; ref != nil && ref.SecretKeyRef != nil && !isTrue(ref.SecretKeyRef.Optional) {
				s.reads = append(s.reads, secretRead{fmt.Sprintf("%s container %s env %s", where, c.Name, env.Name), ref.SecretKeyRef.Name, ref.SecretKeyRef.Key})
			}
		}
		for _, from := range c.EnvFrom {
			if from.SecretRef != nil && !isTrue(from.SecretRef.Optional) {
				s.reads = append(s.reads, secretRead{fmt.Sprintf("%s container %s envFrom", where, c.Name), from.SecretRef.Name, ""})
			}
		}
	}
}

// problems names every read that no Secret of the input satisfies; ok counts the reads checked.
func (s *secretKeys) problems() (problems []string, ok int) {
	for _, read := range s.reads {
		keys, found := s.held[read.secret]
		switch {
		case !found:
			problems = append(problems, fmt.Sprintf("%s: reads the Secret %s, which is not in the input", read.where, read.secret))
		case read.key != "" && !keys[read.key]:
			problems = append(problems, fmt.Sprintf("%s: reads key %s of the Secret %s, which holds only %v", read.where, read.key, read.secret, sortedKeys(keys)))
		default:
			ok++
		}
	}
	return problems, ok
}

func isTrue(b *bool) bool { return b != nil && *b }

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for key := range set {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}
