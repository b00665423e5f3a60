#!/usr/bin/env bash
# build.sh: the one static build of studybot, used by the Dockerfile and by CI.
#
#   deploy/build.sh                    writes dist/studybot
#   OUT=/tmp/studybot deploy/build.sh  writes elsewhere
#   VERSION=v1.2.3 deploy/build.sh     stamps a version (default: git describe, else "dev")
#   GOOS=linux GOARCH=arm64 deploy/build.sh   cross-compiles (the build is pure Go)
#
# CGO is off so the binary runs on scratch/distroless images and any Linux without a libc
# match; -trimpath keeps build paths out of it; -s -w drops the symbol table and DWARF.
# Time zone data is embedded by cmd/studybot (import time/tzdata), so zones work anywhere.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -z "${VERSION:-}" ]]; then
  VERSION=$(git describe --always --dirty 2>/dev/null || true)
  VERSION=${VERSION:-dev}
fi
out=${OUT:-dist/studybot}
mkdir -p "$(dirname "$out")"

CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$out" ./cmd/studybot

size=$(wc -c <"$out")
printf '%s\t%s bytes (%s MiB)\tversion %s\n' "$out" "$size" \
  "$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1048576 }')" "$VERSION"
