#!/usr/bin/env bash
# Installs what long-video needs, once: npm packages, ffmpeg, the compiled CLI.
# Quick when everything is already there. Used by `npm start` and `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[setup] $*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "long-video needs Node.js 20 or newer (found $(node --version))" >&2
  exit 1
fi

# npm packages: install when missing or when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# ffmpeg/ffprobe: the simulator renders real MP4s and the stitcher joins them.
if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ffmpeg from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
  else
    echo "ffmpeg and ffprobe are required: install them (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg) and run again" >&2
    exit 1
  fi
fi

# The Temporal CLI (dev server + Web UI) and the time-skipping test server, without the SDK's downloads.
bash scripts/install-temporal.sh

# The compiled CLI (bin/long-video.js runs lib/): rebuild when any source is newer than the last build.
if [ ! -f lib/.built ] || [ -n "$(find src package-lock.json tsconfig.json tsconfig.build.json -newer lib/.built -print -quit)" ]; then
  say "building"
  npm run --silent build
  touch lib/.built
fi
