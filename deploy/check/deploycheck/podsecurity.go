package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psa "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// podSecurity is the evaluator of the PodSecurity admission plugin itself, so a pod that passes
// here is admitted into a namespace labelled pod-security.kubernetes.io/enforce with that level.
var podSecurity = func() policy.Evaluator {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err)
	}
	return evaluator
}()

// checkPodSecurity holds a pod, or the pod template of a workload, to the Pod Security Standard
// level as Kubernetes 1.minor defines it. The admission plugin checks workloads' templates only
// to warn; their pods are refused, later and out of sight, so they are checked here as pods.
func checkPodSecurity(metadata *metav1.ObjectMeta, spec *corev1.PodSpec, level psa.Level, minor int) error {
	version := psa.LevelVersion{Level: level, Version: psa.MajorMinorVersion(1, minor)}
	result := policy.AggregateCheckResults(podSecurity.EvaluatePod(version, metadata, spec))
	if !result.Allowed {
		return fmt.Errorf("violates PodSecurity %q: %s", level, result.ForbiddenDetail())
	}
	return nil
}

// podOf returns the pod metadata and spec that obj runs, or nil for an object that runs none.
func podOf(obj runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.ObjectMeta, &o.Spec
	case *corev1.PodTemplate:
		return &o.Template.ObjectMeta, &o.Template.Spec
	case *corev1.ReplicationController:
		if o.Spec.Template != nil {
			return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
		}
	case *appsv1.Deployment:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.Job:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template.ObjectMeta, &o.Spec.JobTemplate.Spec.Template.Spec
	}
	return nil, nil
}

// checkNamespaceLabels checks a namespace's pod-security.kubernetes.io/* labels as the
// PodSecurity admission plugin does (it refuses a misspelt level, which would enforce nothing).
func checkNamespaceLabels(obj runtime.Object) error {
	if ns, ok := obj.(*corev1.Namespace); ok {
		_, errs := psa.PolicyToEvaluate(ns.Labels, psa.Policy{})
		return errs.ToAggregate()
	}
	return nil
}
