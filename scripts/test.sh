#!/usr/bin/env bash
# The README's test command (`npm test`): set up, lint, type-check, run every jest suite, and close with
# one 'N passed, N failed' line. Extra arguments go to jest (e.g. `npm test -- test/client.test.ts`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "[test] lint"
npx --no-install eslint .
npx --no-install prettier --check . >/dev/null || { npx --no-install prettier --list-different .; echo "run: npm run format" >&2; exit 1; }
echo "[test] typecheck"
npx --no-install tsc --noEmit -p tsconfig.json

echo "[test] jest"
status=0
npx --no-install jest --json --outputFile=.jest-results.json "$@" || status=$?
node -e '
  const r = require("./.jest-results.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numTotalTests === 0) process.exit(1);
' || status=1
exit $status
