package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ownUsers names, per store, the services that must each log in as a user of their own, with a
// password of their own: a leaked password then reaches one service's subjects, keys or
// collections only. libs/contracts lists the same: nats-permissions.ts, redis-acl.ts, mongo-roles.ts.
var ownUsers = map[string][]string{
	"NATS":    {"chat-api", "message-api", "media-service", "realtime-gateway"},
	"Redis":   {"chat-api", "message-api", "realtime-gateway"},
	"MongoDB": {"chat-api", "message-api", "media-service"},
}

// credential is how one service logs in to one store; password is a literal value or, in
// Kubernetes, the Secret key it comes from ("secret NAME/KEY").
type credential struct{ user, password, where string }

// logins records each service's credentials (by its SERVICE variable), for -own-credentials in
// k8s and for every compose check.
type logins struct {
	byService map[string]map[string]credential // SERVICE -> store -> credential
}

// userinfo is the user and password of a URL such as mongodb://user:password@host/db.
var userinfo = regexp.MustCompile(`^[a-z+]+://([^:@/]*)(?::([^@/]*))?@`)

// k8s expands $(VAR) in an env value from the container's earlier variables.
var dependentVar = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// add records one container's (or compose service's) environment: value gives a variable's
// literal value or where it comes from, "" when unset.
func (l *logins) add(where string, value func(name string) string) {
	service := value("SERVICE")
	if service == "" {
		return
	}
	if l.byService == nil {
		l.byService = map[string]map[string]credential{}
	}
	found := map[string]credential{}
	if user, password := value("NATS_USER"), value("NATS_PASSWORD"); user != "" || password != "" {
		found["NATS"] = credential{user, password, where}
	}
	redisUser, redisPassword := value("REDIS_USERNAME"), value("REDIS_PASSWORD")
	if m := userinfo.FindStringSubmatch(value("REDIS_URL")); m != nil {
		redisUser, redisPassword = firstOf(redisUser, m[1]), firstOf(redisPassword, m[2])
	}
	if redisUser != "" || redisPassword != "" {
		found["Redis"] = credential{redisUser, redisPassword, where}
	}
	if m := userinfo.FindStringSubmatch(value("MONGO_URL")); m != nil {
		password := dependentVar.ReplaceAllStringFunc(m[2], func(ref string) string { return value(ref[2 : len(ref)-1]) })
		found["MongoDB"] = credential{m[1], password, where}
	}
	if l.byService[service] == nil {
		l.byService[service] = map[string]credential{}
	}
	for store, c := range found {
		l.byService[service][store] = c // replicas of one service (two compose gateways) log in alike
	}
}

// addPod records the containers of a pod (Kubernetes): a secretKeyRef counts as its Secret key.
func (l *logins) addPod(where string, spec *corev1.PodSpec) {
	for _, c := range spec.Containers {
		env := map[string]string{}
		for _, e := range c.Env {
			switch {
			case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
				env[e.Name] = fmt.Sprintf("secret %s/%s", e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
			case e.ValueFrom == nil:
				env[e.Name] = e.Value
			}
		}
		l.add(fmt.Sprintf("%s container %s", where, c.Name), func(name string) string { return env[name] })
	}
}

// problems names every service that must have its own user on a store and has none, and every
// user or password that two services share; ok counts the services' credentials checked.
func (l *logins) problems() (problems []string, ok int) {
	services := make([]string, 0, len(l.byService))
	for service := range l.byService {
		services = append(services, service)
	}
	sort.Strings(services)
	for _, store := range []string{"NATS", "Redis", "MongoDB"} {
		usedBy := map[string]string{} // "user X" / "password Y" -> service
		for _, service := range services {
			c, has := l.byService[service][store]
			if contains(ownUsers[store], service) && (!has || c.user == "" || c.password == "") {
				problems = append(problems, fmt.Sprintf("%s logs in to %s without a user and password of its own", service, store))
				continue
			}
			if !has {
				continue
			}
			for _, id := range []string{"user " + c.user, "password " + c.password} {
				if other, taken := usedBy[id]; taken && other != service && !strings.HasSuffix(id, " ") {
					problems = append(problems, fmt.Sprintf("%s and %s share a %s %s (%s)", other, service, store, strings.SplitN(id, " ", 2)[0], c.where))
				}
				usedBy[id] = service
			}
			ok++
		}
	}
	return problems, ok
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}
