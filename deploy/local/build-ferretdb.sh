#!/usr/bin/env bash
# Builds FerretDB into .local/bin/ferretdb from the tool module in deploy/local/ferretdb
# (go.mod pins github.com/FerretDB/FerretDB; the version built is the one go.mod requires).
#
# Why not `go install` / `go build` of the module: the binary panics at start with
# "Invalid build/version/version.txt", because version.txt is generated in FerretDB's own
# repository and is not part of the published module. FerretDB's docs say to create it by
# hand; vendoring the module gives us a writable copy of the sources to put it in.
#
# Usage: deploy/local/build-ferretdb.sh [--force]
#   Does nothing when .local/bin/ferretdb already reports the version go.mod requires.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODULE_DIR="$ROOT/deploy/local/ferretdb"
BUILD_DIR="$ROOT/.local/ferretdb-build"
BIN_DIR="$ROOT/.local/bin"
OUT="$BIN_DIR/ferretdb"
BUILD_LOG="$ROOT/.local/ferretdb-build.log"

say() { echo "build-ferretdb: $*" >&2; }

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) say "usage: $0 [--force]"; exit 2 ;;
esac

version="$(awk '$1 == "github.com/FerretDB/FerretDB" { print $2; exit }' "$MODULE_DIR/go.mod")"
if [[ -z $version ]]; then
  say "cannot find the github.com/FerretDB/FerretDB requirement in $MODULE_DIR/go.mod"
  exit 1
fi

if [[ $force == 0 && -x $OUT ]]; then
  have="$("$OUT" --version 2>/dev/null | awk '$1 == "version:" { print $2; exit }' || true)"
  [[ $have == "$version" ]] && exit 0
  say "$OUT reports version '${have:-unknown}', go.mod wants $version: rebuilding"
fi

if ! command -v go >/dev/null 2>&1; then
  say "'go' is not on PATH. Install Go (the version named on the 'go' line of"
  say "$MODULE_DIR/go.mod or newer, e.g. from https://go.dev/dl/) and run again."
  exit 1
fi

mkdir -p "$BUILD_DIR" "$BIN_DIR"
cp "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum" "$BUILD_DIR/"

# Runs a go command in the build folder with its output in the build log; on failure
# prints that output (go's own error text) and exits non-zero.
run_go() {
  local rc=0
  (cd "$BUILD_DIR" && "$@") >>"$BUILD_LOG" 2>&1 || rc=$?
  if ((rc != 0)); then
    say "'$*' failed (exit $rc) in $BUILD_DIR. Its output:"
    sed 's/^/  /' "$BUILD_LOG" >&2
    exit 1
  fi
}

say "building FerretDB $version into $OUT with $(go version | awk '{ print $3 }') (1-3 minutes the first time)"
start=$SECONDS
: >"$BUILD_LOG"
# `go mod vendor` recreates vendor/ from go.mod, so version.txt is written after it.
run_go go mod vendor
echo "$version" >"$BUILD_DIR/vendor/github.com/FerretDB/FerretDB/build/version/version.txt"
# Build to a temporary name, then rename: a failed or interrupted build never leaves a
# half-written binary where infra-up.sh would take it for a good one.
run_go go build -mod=vendor -buildvcs=false -o "$OUT.tmp" github.com/FerretDB/FerretDB/cmd/ferretdb
built="$("$OUT.tmp" --version 2>&1 | awk '$1 == "version:" { print $2; exit }' || true)"
if [[ $built != "$version" ]]; then
  say "the new binary reports version '${built}', expected $version. Its output:"
  "$OUT.tmp" --version >&2 || true
  rm -f "$OUT.tmp"
  exit 1
fi
mv -f "$OUT.tmp" "$OUT"
say "built FerretDB $version in $((SECONDS - start)) s"
