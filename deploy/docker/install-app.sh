#!/usr/bin/env bash
# The production install of the platform, in one place: the Dockerfile runs its steps, and CI
# runs `all` into a temporary folder and starts every service from there (check-install.mjs),
# so what ships is what is tested. Only runtime dependencies of the services and the libraries
# they use are installed: no dev dependencies, no test kit, no TypeScript sources. The web client
# ships as the static files the edge serves at / (clients/web/dist), built with the rest.
#
#   install-app.sh runtime-deps <dir>     npm ci --omit=dev in <dir>, which holds the manifests
#   install-app.sh build <dir>            npm ci + npm run build (tsc -b, vite build) in <dir>, which holds manifests and sources
#   install-app.sh collect <dir> <out>    copies each shipped package's dist/ (and the web client's) from <dir> to <out>
#   install-app.sh all <repo> <dest>      all of the above from a checkout into <dest>
set -euo pipefail

# Workspaces that ship (libs/testkit is for tests only).
SHIPPED=(libs/contracts libs/platform services/edge services/chat-api services/message-api services/media-service services/realtime-gateway)
# Built into static files only: no node_modules of their own at run time.
STATIC=(clients/web)
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

copy_manifests() {
  local src=$1 dir=$2
  mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  # Every workspace manifest, the test kit's too: npm ci checks the lock file against all of them.
  for manifest in "$src"/libs/*/package.json "$src"/services/*/package.json "$src"/clients/*/package.json; do
    local rel=${manifest#"$src"/}
    mkdir -p "$dir/$(dirname "$rel")"
    cp "$manifest" "$dir/$rel"
  done
}

runtime_deps() {
  local dir=$1
  (cd "$dir" && npm ci --omit=dev "${SHIPPED[@]/#/--workspace=}")
  rm -rf "$dir/node_modules/@chat/testkit" "$dir/libs/testkit"
}

build() {
  local dir=$1
  # Stale builds must never stand in for a fresh one (tsc -b trusts .tsbuildinfo).
  rm -rf "$dir"/libs/*/dist "$dir"/services/*/dist "$dir"/clients/*/dist
  find "$dir/libs" "$dir/services" -name '*.tsbuildinfo' -delete
  (cd "$dir" && npm ci && npm run build)
}

collect() {
  local dir=$1 out=$2
  for pkg in "${SHIPPED[@]}" "${STATIC[@]}"; do
    [[ -d "$dir/$pkg/dist" ]] || { echo "install-app: missing $pkg/dist" >&2; exit 1; }
    mkdir -p "$out/$pkg"
    cp -R "$dir/$pkg/dist" "$out/$pkg/dist"
  done
  find "$out" -name '*.tsbuildinfo' -delete
}

case "${1:-}" in
  runtime-deps) runtime_deps "$2" ;;
  build) build "$2" ;;
  collect) collect "$2" "$3" ;;
  all)
    repo=$(cd "$2" && pwd)
    dest=$3
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    copy_manifests "$repo" "$work"
    cp "$repo/tsconfig.base.json" "$work/"
    for pkg in "$repo"/libs/* "$repo"/services/* "$repo"/clients/*; do
      rel=${pkg#"$repo"/}
      mkdir -p "$work/$rel"
      (cd "$pkg" && tar --exclude=./node_modules --exclude=./dist --exclude='*.tsbuildinfo' -cf - .) | (cd "$work/$rel" && tar -xf -)
    done
    build "$work"
    copy_manifests "$repo" "$dest"
    runtime_deps "$dest"
    collect "$work" "$dest"
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 64
    ;;
esac
