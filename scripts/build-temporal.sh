#!/usr/bin/env bash
# Builds the production stack's Temporal binaries from their Go modules, pinned to the versions that
# docker-compose.yml runs (TEMPORAL_VERSION, TEMPORAL_UI_VERSION), into .tools/temporal-native/<version>/:
#   temporal-server, temporal-sql-tool (go.temporal.io/server), temporal-ui-server (ui-server, UI embedded)
# the server's PostgreSQL schema (schema/postgresql/v12) and the UI image's config template (ui-config/),
# for `npm run stack:production` (tools/production-stack.ts).
# GOPATH, the module cache and the build cache live in .tools/go, so a second run (or CI that keeps
# .tools) is quick; binaries already built are kept. Builds run at the lowest CPU priority.
set -euo pipefail
cd "$(dirname "$0")/.."

# The pins are the compose file's defaults: one place to bump.
pin() { sed -n "s/.*\${$1:-\([0-9.]*\)}.*/\1/p" docker-compose.yml | head -1; }
SERVER_VERSION=$(pin TEMPORAL_VERSION)
UI_VERSION=$(pin TEMPORAL_UI_VERSION)
if [ -z "$SERVER_VERSION" ] || [ -z "$UI_VERSION" ]; then
  echo "build-temporal: cannot read TEMPORAL_VERSION / TEMPORAL_UI_VERSION from docker-compose.yml" >&2
  exit 1
fi
OUT=${TEMPORAL_NATIVE_DIR:-.tools/temporal-native/$SERVER_VERSION}
if [ "${1:-}" = "--print-dir" ]; then
  echo "$OUT"
  exit 0
fi

say() { echo "[build-temporal] $*"; }

if [ -x "$OUT/temporal-server" ] && [ -x "$OUT/temporal-sql-tool" ] && [ -x "$OUT/temporal-ui-server" ] \
  && [ -d "$OUT/schema/postgresql/v12" ] && [ -f "$OUT/ui-config/native.yaml" ] && [ "$(cat "$OUT/ui-version" 2>/dev/null)" = "$UI_VERSION" ]; then
  say "Temporal $SERVER_VERSION and UI $UI_VERSION already built in $OUT"
  exit 0
fi

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if [ ! -x "$GO" ] && ! command -v "$GO" >/dev/null; then
  echo "build-temporal: no Go toolchain (install Go, or set GO=/path/to/go)" >&2
  exit 1
fi
TOOLS=$PWD/.tools/go
export GOPATH=$TOOLS GOMODCACHE=$TOOLS/mod GOCACHE=$TOOLS/cache GOFLAGS=-buildvcs=false
# The server and UI modules ask for Go 1.26.10; the approved toolchain that satisfies them is 1.27.3
# (fetched once from the Go module proxy into the module cache). A newer local Go is used as it is.
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# build PACKAGE@VERSION NAME: `go install` into a scratch bin (two commands are both called `server`).
build() {
  local bin
  bin=$(mktemp -d)
  say "building $2 from $1"
  GOBIN=$bin CGO_ENABLED=0 nice -n 19 "$GO" install -trimpath -ldflags '-s -w' "$1"
  mv "$bin/$(basename "${1%@*}")" "$OUT/$2.part"
  mv "$OUT/$2.part" "$OUT/$2"
  rm -rf "$bin"
}

start=$(date +%s)
[ -x "$OUT/temporal-server" ] || build "go.temporal.io/server/cmd/server@v$SERVER_VERSION" temporal-server
[ -x "$OUT/temporal-sql-tool" ] || build "go.temporal.io/server/cmd/tools/sql@v$SERVER_VERSION" temporal-sql-tool
if [ "$(cat "$OUT/ui-version" 2>/dev/null)" != "$UI_VERSION" ]; then
  rm -f "$OUT/temporal-ui-server" "$OUT/ui-config/native.yaml"
  build "github.com/temporalio/ui-server/v2/cmd/server@v$UI_VERSION" temporal-ui-server
  echo "$UI_VERSION" >"$OUT/ui-version"
fi
if [ ! -d "$OUT/schema/postgresql/v12" ]; then
  # The same schema files the admin-tools image carries in /etc/temporal/schema.
  src=$GOMODCACHE/go.temporal.io/server@v$SERVER_VERSION
  [ -d "$src" ] || src=$("$GO" mod download -json "go.temporal.io/server@v$SERVER_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$OUT/schema.part" && mkdir -p "$OUT/schema.part/postgresql"
  cp -R "$src/schema/postgresql/v12" "$OUT/schema.part/postgresql/v12"
  chmod -R u+w "$OUT/schema.part"
  mv "$OUT/schema.part" "$OUT/schema"
fi
if [ ! -f "$OUT/ui-config/native.yaml" ]; then
  # The temporalio/ui image's own config template (TEMPORAL_ADDRESS, TEMPORAL_UI_PORT, ... as in compose),
  # plus the one thing the image leaves open: listen on this host only.
  src=$GOMODCACHE/github.com/temporalio/ui-server/v2@v$UI_VERSION
  [ -d "$src" ] || src=$("$GO" mod download -json "github.com/temporalio/ui-server/v2@v$UI_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "$OUT/ui-config"
  { cat "$src/config/docker.yaml"; echo; echo 'host: {{ env "TEMPORAL_UI_HOST" | default "127.0.0.1" }}'; } >"$OUT/ui-config/native.yaml.part"
  mv "$OUT/ui-config/native.yaml.part" "$OUT/ui-config/native.yaml"
fi
say "Temporal $SERVER_VERSION and UI $UI_VERSION built in $OUT ($(($(date +%s) - start)) s)"
