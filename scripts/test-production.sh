#!/usr/bin/env bash
# The production stack's tests (test/production-*.test.ts), for real: PostgreSQL from Debian, the Temporal
# server and UI server built from their Go modules (scripts/build-temporal.sh: about 7 minutes the first time
# on 2 cores, then cached in .tools/). CI runs it after `npm test` (.ci/run); `npm run test:production`.
# PRODUCTION_TESTS=required makes a stack that cannot run a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[test:production] $*"; }

bash scripts/setup.sh
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ! command -v postgres >/dev/null && [ -z "${PG_BIN:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing postgresql from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL is required: install it (Debian: sudo apt-get install postgresql) or set PG_BIN" >&2
    exit 1
  fi
fi

started=$(date +%s)
bash scripts/build-temporal.sh
built=$(date +%s)
say "binaries ready in $((built - started)) s"

status=0
PRODUCTION_TESTS=required npx --no-install jest --runInBand "$@" test/production-stack.test.ts \
  test/production-faults.test.ts || status=$?
say "tests ran in $(($(date +%s) - built)) s (exit $status)"
exit $status
