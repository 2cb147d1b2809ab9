#!/usr/bin/env bash
# Checks every deployment artifact, offline: the Helm chart (helm lint --strict and helm
# template with each value set of deploy/check/values, every rendered object validated),
# every manifest of k8s/, docker-compose.yml, and the k6 scripts (type-checked). Objects are
# validated against the Kubernetes API of the k8s.io/api version that deploycheck/go.mod pins
# (and ServiceMonitor / PrometheusRule / HTTPRoute against their Go types), every pod against
# the restricted Pod Security Standard.
#
#   bash deploy/check/check-deploy.sh
#
# The first run builds Helm and deploycheck into .local/bin with Go (modules from the Go
# module proxy; about 6 minutes on a 2-core machine) and installs deploy/check/k6-types
# (npm ci); later runs reuse them and take seconds. Prints one line per check; stops at the
# first failure, printing its output, with exit status 1.
set -euo pipefail
exec </dev/null

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HELM_VERSION=v3.22.0 # helm.sh/helm/v3: built from source, there is no binary download
CHECK=deploy/check
CHART=deploy/helm/chat-platform
K6_TYPES=$CHECK/k6-types
BIN=$ROOT/.local/bin
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export PATH=$BIN:$PATH:/usr/local/go/bin
started=$EPOCHREALTIME
checks=0

elapsed() { awk -v from="$1" -v to="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", to - from }'; }

# check NAME COMMAND...: one line, "ok" with the last line of the output; or the whole output and exit 1.
check() {
  local name=$1 at=$EPOCHREALTIME out
  shift
  if out=$("$@" 2>&1); then
    checks=$((checks + 1))
    # deploycheck starts its lines with "k8s FILE: " or "compose FILE: ", which NAME already says.
    printf 'ok    %-38s %s (%s)\n' "$name" "$(tail -n 1 <<<"$out" | sed -E 's/^(k8s|compose) [^ ]*: //')" "$(elapsed "$at")"
  else
    printf 'FAIL  %s\n%s\n' "$name" "$out"
    exit 1
  fi
}

# ---------------------------------------------------------------- tools (built once)
mkdir -p "$BIN"
command -v go >/dev/null || { echo "check-deploy: Go is needed to build Helm and deploycheck" >&2; exit 1; }
if [[ "$(helm version --template '{{.Version}}' 2>/dev/null)" != "$HELM_VERSION" ]]; then
  at=$EPOCHREALTIME
  GOBIN=$BIN go install -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "built helm $HELM_VERSION into .local/bin ($(elapsed "$at"))"
fi
if [[ ! -x $BIN/deploycheck || -n "$(find $CHECK/deploycheck -type f \( -name '*.go' -o -name 'go.*' \) -newer "$BIN/deploycheck")" ]]; then
  at=$EPOCHREALTIME
  go build -C $CHECK/deploycheck -buildvcs=false -o "$BIN/deploycheck" .
  echo "built deploycheck into .local/bin ($(elapsed "$at"))"
fi
if [[ ! $K6_TYPES/node_modules/.package-lock.json -nt $K6_TYPES/package-lock.json ]]; then
  at=$EPOCHREALTIME
  npm ci --prefix $K6_TYPES --no-audit --no-fund --silent
  echo "installed $K6_TYPES (npm ci, $(elapsed "$at"))"
fi

# The Kubernetes release to check against: k8s.io/api v0.N.P holds the API of Kubernetes 1.N.P.
KUBE_VERSION=$(sed -nE 's#^\s*k8s\.io/api v0\.([0-9]+)\.([0-9]+).*#1.\1.\2#p' $CHECK/deploycheck/go.mod)
[[ -n $KUBE_VERSION ]] || { echo "check-deploy: no k8s.io/api in $CHECK/deploycheck/go.mod" >&2; exit 1; }

# ---------------------------------------------------------------- the checker itself
# Its own tests (a valid object of each kind it knows passes, each kind of mistake fails), so a
# dependency bump cannot quietly make it accept anything; go test caches a passing run.
check "deploycheck (go test)" go test -C $CHECK/deploycheck ./...

# ---------------------------------------------------------------- Helm chart
# -own-credentials: every service logs in to NATS, Redis and MongoDB as its own user, sharing no password.
render() { helm template chat-platform $CHART --namespace chat-platform --kube-version "$KUBE_VERSION" -f "$1" | deploycheck k8s -own-credentials -; }
for values in "$CHECK"/values/*.yaml; do
  set_name=$(basename "$values" .yaml)
  check "helm lint --strict ($set_name)" helm lint --strict $CHART --kube-version "$KUBE_VERSION" -f "$values"
  check "helm template ($set_name)" render "$values"
done
# The try value set sets no secret: the chart must make a Secret holding every key that the
# services, NATS and Redis read, or their pods would never start.
render_try_secret() {
  helm template chat-platform $CHART --namespace chat-platform --kube-version "$KUBE_VERSION" -f $CHECK/values/try.yaml |
    deploycheck k8s -secret-keys -
}
check "helm template (try): its own Secret" render_try_secret
render_try_sentinel_secret() {
  helm template chat-platform $CHART --namespace chat-platform --kube-version "$KUBE_VERSION" -f $CHECK/values/try-sentinel.yaml |
    deploycheck k8s -secret-keys -
}
check "helm template (try-sentinel): its own Secret" render_try_sentinel_secret
# The Sentinel value set: every service that uses Redis is given the sentinels and their name
# (ConfigMap) and the sentinels' password from a key the Secret holds.
render_sentinel() {
  local out
  out=$(helm template chat-platform $CHART --namespace chat-platform --kube-version "$KUBE_VERSION" -f $CHECK/values/redis-sentinel.yaml) || return
  deploycheck k8s -secret-keys - <<<"$out" || return
  grep -q '^  REDIS_SENTINELS: "redis-sentinel-0\.' <<<"$out" || { echo "no REDIS_SENTINELS in the ConfigMap"; return 1; }
  grep -q '^  REDIS_SENTINEL_NAME: "chat-redis"' <<<"$out" || { echo "no REDIS_SENTINEL_NAME in the ConfigMap"; return 1; }
  local users given
  users=$(grep -c 'name: REDIS_USERNAME' <<<"$out")
  given=$(grep -c 'name: REDIS_SENTINEL_PASSWORD' <<<"$out")
  [[ $users -gt 0 && $given == "$users" ]] || { echo "REDIS_SENTINEL_PASSWORD given to $given of the $users containers that use Redis"; return 1; }
  echo "the sentinels, their name and password reach every service that uses Redis"
}
check "helm template (redis-sentinel): sentinels" render_sentinel
# Dashboard and alerts: off by default; on, the ConfigMap carries the sidecar's label and
# files/grafana-dashboard.json unchanged, and the PrometheusRule the rules of
# files/alert-rules.yaml with the value set's thresholds (which metrics they name is checked
# against the services' live /metrics by libs/testkit/test/dashboard-metrics.test.ts).
render_monitoring() {
  local helm_template=(helm template chat-platform $CHART --namespace chat-platform --kube-version "$KUBE_VERSION")
  local off dashboard rules
  off=$("${helm_template[@]}" -f $CHECK/values/defaults.yaml) || return
  if grep -qE '^kind: PrometheusRule|grafana_dashboard' <<<"$off"; then echo "monitoring objects rendered while off"; return 1; fi
  dashboard=$("${helm_template[@]}" -f $CHECK/values/monitoring.yaml --show-only templates/grafana-dashboard.yaml) || return
  grep -q '^    grafana_dashboard: "1"$' <<<"$dashboard" || { echo "the dashboard ConfigMap lacks grafana_dashboard: \"1\""; return 1; }
  sed -n '/^  chat-platform.json: |$/,$p' <<<"$dashboard" | tail -n +2 | sed 's/^    //' >"$TMP/dashboard.json"
  node -e 'const fs = require("fs"); const [a, b] = process.argv.slice(1).map((f) => JSON.stringify(JSON.parse(fs.readFileSync(f, "utf8"))));
    if (a !== b) { console.error("the rendered dashboard differs from " + process.argv[2]); process.exit(1); }' \
    "$TMP/dashboard.json" $CHART/files/grafana-dashboard.json || return
  rules=$("${helm_template[@]}" -f $CHECK/values/monitoring.yaml --show-only templates/prometheusrule.yaml) || return
  grep -q '> 0.02$' <<<"$rules" || { echo "sendErrorRatio of the value set not in the rules"; return 1; }
  grep -q 'namespace="chat-platform"' <<<"$rules" || { echo "the release's namespace not in the rules"; return 1; }
  echo "off by default; on: the dashboard as files/ holds it, $(grep -c -- '- alert:' <<<"$rules") alerts with the value set's thresholds"
}
check "helm template (monitoring): dashboard, alerts" render_monitoring

# ---------------------------------------------------------------- k8s/
for manifest in k8s/*.yaml k8s/optional/*.yaml; do
  check "$manifest" deploycheck k8s "$manifest"
done
# The manifests together: each service its own NATS, Redis and MongoDB user and Secret key.
k8s_credentials() { for f in k8s/*.yaml k8s/optional/*.yaml; do echo ---; cat "$f"; done | deploycheck k8s -own-credentials -; }
check "k8s/ (own credentials)" k8s_credentials

# ---------------------------------------------------------------- docker-compose.yml
# Only the variables make-env.sh names (with dummy values, each its own, so that two services
# given the same variable share a credential and fail): a variable the file requires that
# make-env.sh does not print fails here, as it would fail `docker compose up`.
check_compose() {
  bash deploy/docker/make-env.sh | sed -E 's/^([^=]*)=.*/\1=check-only-\1-0123456789/' >"$TMP/compose.env"
  deploycheck compose -env-file "$TMP/compose.env" docker-compose.yml
}
check "docker-compose.yml" check_compose

# ---------------------------------------------------------------- k6 scripts
typecheck_k6() {
  # `|| return`: errexit is off inside `check`'s `if`, so a failure must be returned by hand.
  $K6_TYPES/node_modules/.bin/tsc -p $K6_TYPES/tsconfig.json || return
  echo "$(find deploy/k6 -name '*.js' | wc -l) scripts type-check against @types/k6 $(node -p "require('./$K6_TYPES/node_modules/@types/k6/package.json').version")"
}
check "deploy/k6 (tsc --checkJs)" typecheck_k6

echo "all $checks deployment checks passed against Kubernetes $KUBE_VERSION ($(elapsed "$started"))"
