package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	psa "k8s.io/pod-security-admission/api"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// knownKinds holds every built-in kind (client-go's scheme) and the custom resources the chart
// renders: ServiceMonitor and PrometheusRule (prometheus-operator's monitoring.coreos.com/v1)
// and the Gateway API's v1 kinds (HTTPRoute).
// Custom resources are decoded as strictly as built-in ones, from their Go types; the rules
// their CRDs add on top (OpenAPI patterns, CEL) are a cluster's to check.
var knownKinds = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(monitoringv1.AddToScheme(s))
	utilruntime.Must(gatewayv1.Install(s))
	return s
}()

// strictDecoder turns YAML into those typed objects and fails on unknown or duplicate fields
// and on values of the wrong type.
var strictDecoder = json.NewSerializerWithOptions(json.DefaultMetaFactory, knownKinds, knownKinds,
	json.SerializerOptions{Yaml: true, Strict: true})

// rules is what checkManifests holds every object to.
type rules struct {
	allowed     map[string]bool // group/Kind of documents that are not Kubernetes objects
	minor       int             // the Kubernetes release: 1.minor
	podSecurity psa.Level       // the Pod Security Standard every pod template must meet
	secrets     *secretKeys     // -secret-keys: collects Secrets and the pods' reads; nil = off
	logins      *logins         // -own-credentials: collects each service's store credentials; nil = off
}

// header is what every manifest document has, read leniently to name it in messages.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func runK8s(args []string) error {
	flags := flag.NewFlagSet("k8s", flag.ContinueOnError)
	allow := flags.String("allow", "kustomize.config.k8s.io/Kustomization",
		"comma-separated group/Kind of documents that are not Kubernetes objects (skipped)")
	podSecurity := flags.String("pod-security", string(psa.LevelRestricted),
		"the Pod Security Standard (restricted, baseline, privileged = none) every pod and pod template must meet")
	checkSecretKeys := flags.Bool("secret-keys", false,
		"every Secret key a pod needs (env secretKeyRef, envFrom secretRef; not optional) must be in a Secret of the same file")
	checkCredentials := flags.Bool("own-credentials", false,
		"every service logs in to NATS, Redis and MongoDB as its own user with its own password (no two share one)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() == 0 {
		return errors.New("k8s: no file given (- reads stdin)")
	}
	level, err := psa.ParseLevel(*podSecurity)
	if err != nil {
		return fmt.Errorf("k8s: -pod-security: %w", err)
	}
	minor, version := kubernetesVersion()
	check := rules{allowed: map[string]bool{}, minor: minor, podSecurity: level}
	for _, kind := range strings.Split(*allow, ",") {
		check.allowed[strings.TrimSpace(kind)] = true
	}

	failed := false
	for _, path := range flags.Args() {
		data, err := readInput(path)
		if err != nil {
			return err
		}
		if *checkSecretKeys {
			check.secrets = &secretKeys{}
		}
		if *checkCredentials {
			check.logins = &logins{}
		}
		kinds, skipped, pods, problems := checkManifests(data, check)
		if len(kinds) == 0 && len(skipped) == 0 && len(problems) == 0 {
			problems = append(problems, "no Kubernetes object in it")
		}
		secretReads := 0
		if check.secrets != nil {
			var missing []string
			missing, secretReads = check.secrets.problems()
			problems = append(problems, missing...)
		}
		credentials := 0
		if check.logins != nil {
			var shared []string
			shared, credentials = check.logins.problems()
			problems = append(problems, shared...)
		}
		if len(problems) > 0 {
			failed = true
			fmt.Printf("k8s %s: %d problem(s) against Kubernetes %s:\n  %s\n", path, len(problems), version, strings.Join(problems, "\n  "))
			continue
		}
		line := fmt.Sprintf("k8s %s: %d object(s) valid for Kubernetes %s", path, len(kinds), version)
		if len(kinds) > 0 {
			line += ": " + tally(kinds)
		}
		if pods > 0 && level != psa.LevelPrivileged {
			line += fmt.Sprintf("; %d pod spec(s) meet PodSecurity %s", pods, level)
		}
		if check.secrets != nil {
			line += fmt.Sprintf("; the %d Secret key(s) they read are in its Secrets", secretReads)
		}
		if check.logins != nil {
			line += fmt.Sprintf("; %d service credential(s), none shared", credentials)
		}
		if len(skipped) > 0 {
			line += "; skipped, not Kubernetes objects: " + tally(skipped)
		}
		fmt.Println(line)
	}
	if failed {
		return errors.New("k8s: invalid manifests")
	}
	return nil
}

// checkManifests checks each YAML document of data against the rules.
// It returns the kinds of the valid objects, the allowed kinds it skipped, how many pod specs
// (pods and workloads' templates) it held to the Pod Security Standard, and the problems.
func checkManifests(data []byte, check rules) (kinds, skipped []string, pods int, problems []string) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if err == io.EOF {
			return kinds, skipped, pods, problems
		}
		if err != nil {
			return kinds, skipped, pods, append(problems, fmt.Sprintf("document %d: %v", n, err))
		}
		var content any
		if err := yaml.Unmarshal(doc, &content); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", n, err))
			continue
		}
		if content == nil { // empty, or comments only (helm template writes some)
			continue
		}
		var head header
		if err := yaml.Unmarshal(doc, &head); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: not a Kubernetes object: %v", n, err))
			continue
		}
		where := describe(n, doc, head)
		gvk := schema.FromAPIVersionAndKind(head.APIVersion, head.Kind)
		if check.allowed[gvk.Group+"/"+gvk.Kind] {
			skipped = append(skipped, gvk.Kind)
			continue
		}
		obj, _, err := strictDecoder.Decode(doc, nil, nil)
		if runtime.IsNotRegisteredError(err) {
			err = fmt.Errorf("%s %s is neither a built-in kind nor a custom resource deploycheck knows (-allow it if no API server is meant to read it)", head.APIVersion, head.Kind)
		}
		if err == nil {
			err = checkObject(obj, check.minor)
		}
		if err == nil {
			err = checkNamespaceLabels(obj)
		}
		if metadata, spec := podOf(obj); err == nil && spec != nil {
			pods++
			err = checkPodSecurity(metadata, spec, check.podSecurity, check.minor)
			if check.secrets != nil {
				check.secrets.addPod(where, spec)
			}
			if check.logins != nil {
				check.logins.addPod(where, spec)
			}
		}
		if err == nil && check.secrets != nil {
			check.secrets.addSecret(obj)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		kinds = append(kinds, head.Kind)
	}
}

// lifecycle is implemented by the types of every beta or deprecated API version in k8s.io/api,
// which keeps them after the API server stops serving them.
type lifecycle interface {
	APILifecycleDeprecated() (major, minor int)
	APILifecycleRemoved() (major, minor int)
}

// checkObject adds to the types what the API server checks of any object: that its API
// version is still served, and its name, labels and annotations.
func checkObject(obj runtime.Object, minor int) error {
	if api, ok := obj.(lifecycle); ok {
		if _, removed := api.APILifecycleRemoved(); removed != 0 && removed <= minor {
			return fmt.Errorf("%s is no longer served since Kubernetes 1.%d", obj.GetObjectKind().GroupVersionKind().GroupVersion(), removed)
		}
		if _, deprecated := api.APILifecycleDeprecated(); deprecated != 0 && deprecated <= minor {
			return fmt.Errorf("%s is deprecated since Kubernetes 1.%d", obj.GetObjectKind().GroupVersionKind().GroupVersion(), deprecated)
		}
	}
	object, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	nameRule := validation.NameIsDNSSubdomain
	switch obj.(type) {
	case *corev1.Service: // its name is also a DNS label of the cluster domain
		nameRule = validation.NameIsDNS1035Label
	case *corev1.Namespace:
		nameRule = validation.ValidateNamespaceName
	}
	// Which kinds are namespaced is the server's knowledge: a namespace is checked when set.
	return validation.ValidateObjectMetaAccessor(object, object.GetNamespace() != "", nameRule, field.NewPath("metadata")).ToAggregate()
}

// helm template marks every document with the template it came from.
var sourceComment = regexp.MustCompile(`(?m)^# Source: (\S+)`)

func describe(n int, doc []byte, head header) string {
	where := fmt.Sprintf("document %d (%s %s)", n, head.Kind, head.Metadata.Name)
	if m := sourceComment.FindSubmatch(doc); m != nil {
		where += " from " + string(m[1])
	}
	return where
}

func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}

// kubernetesVersion names the Kubernetes release whose types this binary was built with:
// k8s.io/api v0.N.x holds the API of Kubernetes 1.N.
func kubernetesVersion() (minor int, name string) {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if parts := strings.Split(dep.Version, "."); dep.Path == "k8s.io/api" && len(parts) == 3 {
				minor, _ = strconv.Atoi(parts[1])
				return minor, fmt.Sprintf("1.%d (k8s.io/api %s)", minor, dep.Version)
			}
		}
	}
	panic("deploycheck: built without module information, so the Kubernetes version is unknown")
}

// tally renders kinds as "ConfigMap, Deployment x4".
func tally(kinds []string) string {
	counts := map[string]int{}
	for _, kind := range kinds {
		counts[kind]++
	}
	names := make([]string, 0, len(counts))
	for kind, count := range counts {
		if count > 1 {
			kind = fmt.Sprintf("%s x%d", kind, count)
		}
		names = append(names, kind)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
