#!/usr/bin/env bash
# The README's demo command (`npm start`): set up, then run a four-segment chain on the local stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/long-video.js demo "$@"
