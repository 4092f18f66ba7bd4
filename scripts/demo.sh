#!/usr/bin/env bash
# The README's demo command (`npm start`): set up, then run the provider quick start against the simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node bin/long-video.js quickstart "$@"
