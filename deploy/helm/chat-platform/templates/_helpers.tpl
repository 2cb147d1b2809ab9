{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "chat-platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified prefix of every object name. */}}
{{- define "chat-platform.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one service's objects. Usage: include "chat-platform.component" (dict "root" $ "name" "chat-api") */}}
{{- define "chat-platform.component" -}}
{{- printf "%s-%s" (include "chat-platform.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "chat-platform.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by all objects of the release. */}}
{{- define "chat-platform.commonLabels" -}}
helm.sh/chart: {{ include "chat-platform.chart" . }}
app.kubernetes.io/part-of: chat-platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one service. Usage: (dict "root" $ "name" "chat-api") */}}
{{- define "chat-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chat-platform.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "chat-platform.labels" -}}
{{ include "chat-platform.commonLabels" .root }}
{{ include "chat-platform.selectorLabels" . }}
{{- end -}}

{{- define "chat-platform.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "chat-platform.configName" -}}
{{- printf "%s-config" (include "chat-platform.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The Secret the pods read: the chart's own when secrets.create, else existingSecret (with
infrastructure.enabled the chart may make that one itself: chat-platform.generateSecret).
*/}}
{{- define "chat-platform.secretName" -}}
{{- $own := printf "%s-secrets" (include "chat-platform.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- if .Values.secrets.create -}}
{{- $own -}}
{{- else if .Values.infrastructure.enabled -}}
{{- .Values.secrets.existingSecret | default $own -}}
{{- else -}}
{{- required "secrets.existingSecret must name a Secret holding JWT_SECRET (or set secrets.create=true)" .Values.secrets.existingSecret -}}
{{- end -}}
{{- end -}}

{{/*
"true" when the chart makes the Secret itself, with random values (templates/secret.yaml):
infrastructure.enabled without secrets.create, so that one value is a working install. Not when a
Secret of that name exists that is not this release's (made out of band, or by another release):
Helm would refuse to take it over, and the pods read it as they would without infrastructure.
*/}}
{{- define "chat-platform.generateSecret" -}}
{{- if and .Values.infrastructure.enabled (not .Values.secrets.create) -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "chat-platform.secretName" .) -}}
{{- if or (not $existing) (eq (dig "metadata" "annotations" "meta.helm.sh/release-name" "" $existing) .Release.Name) }}true{{ end -}}
{{- end -}}
{{- end -}}

{{/* In-cluster URL of one service. Usage: (dict "root" $ "name" "chat-api") */}}
{{- define "chat-platform.url" -}}
{{- $svc := index .root.Values.services .name -}}
{{- printf "http://%s:%v" (include "chat-platform.component" .) $svc.port -}}
{{- end -}}

{{/* "true" when the chart runs Redis as a Sentinel set: infrastructure.enabled and infrastructure.redis.sentinel.enabled. */}}
{{- define "chat-platform.redisSentinelInCluster" -}}
{{- if and .Values.infrastructure.enabled .Values.infrastructure.redis.sentinel.enabled }}true{{ end -}}
{{- end -}}

{{/* The in-cluster sentinels, host:port comma-separated (REDIS_SENTINELS). */}}
{{- define "chat-platform.redisSentinelAddresses" -}}
{{- $name := printf "%s-redis-sentinel" (include "chat-platform.fullname" .) -}}
{{- $list := list -}}
{{- range $i := until 3 }}{{ $list = append $list (printf "%s-%d.%s:26379" $name $i $name) }}{{ end -}}
{{- join "," $list -}}
{{- end -}}

{{/* "true" when the chart runs NATS: nats.enabled, or infrastructure.enabled. */}}
{{- define "chat-platform.natsEnabled" -}}
{{- if or .Values.nats.enabled .Values.infrastructure.enabled }}true{{ end -}}
{{- end -}}

{{/* Labels of an infrastructure pod of the chart (NATS, MongoDB, Redis). Usage: (dict "root" $ "name" "mongodb") */}}
{{- define "chat-platform.infraLabels" -}}
app.kubernetes.io/name: {{ include "chat-platform.fullname" .root }}-{{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/*
NetworkPolicy peer: this release's pods of the named services. Usage:
(dict "root" $ "names" (list "chat-api" "message-api"))
*/}}
{{- define "chat-platform.servicePeer" -}}
podSelector:
  matchLabels:
    app.kubernetes.io/name: {{ include "chat-platform.name" .root }}
    app.kubernetes.io/instance: {{ .root.Release.Name }}
  matchExpressions:
    - key: app.kubernetes.io/component
      operator: In
      values: {{ toJson .names }}
{{- end -}}

{{/*
The services with a Redis ACL user of their own (files/redis-users.acl) and those with a MongoDB
user of their own (files/mongo-service-users.js), space-separated: libs/contracts redis-acl.ts and
mongo-roles.ts list the same.
*/}}
{{- define "chat-platform.redisUsers" -}}chat-api message-api realtime-gateway{{- end -}}
{{- define "chat-platform.mongoUsers" -}}chat-api message-api media-service{{- end -}}

{{/* The Secret key of a service's password on one store. Usage: (dict "store" "REDIS" "name" "chat-api") */}}
{{- define "chat-platform.passwordKey" -}}
{{- printf "%s_PASSWORD_%s" .store (.name | upper | replace "-" "_") -}}
{{- end -}}

{{/* The MongoDB the services use: the in-chart one (infrastructure.enabled) or config.MONGO_URL. */}}
{{- define "chat-platform.mongoUrl" -}}
{{- if .Values.infrastructure.enabled -}}
{{- $mongo := printf "%s-mongodb" (include "chat-platform.fullname" .) -}}
{{- printf "mongodb://%s-0.%s-headless:27017/chat?replicaSet=rs0" $mongo $mongo -}}
{{- else -}}
{{- .Values.config.MONGO_URL -}}
{{- end -}}
{{- end -}}

{{/*
A service's MONGO_URL: the services' MongoDB as its own user, the password from the env var
MONGO_PASSWORD, which Kubernetes expands in place (so it must be URL-safe). Usage: (dict "root" $ "name" "chat-api")
*/}}
{{- define "chat-platform.serviceMongoUrl" -}}
{{- $u := urlParse (include "chat-platform.mongoUrl" .root) -}}
{{- printf "%s://%s:$(MONGO_PASSWORD)@%s%s" $u.scheme .name $u.host $u.path -}}
{{- with $u.query }}?{{ . }}{{ end -}}
{{- end -}}
