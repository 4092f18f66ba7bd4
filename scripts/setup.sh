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
# Chromium: the browser test drives the Temporal Web UI and the HTML report (optional elsewhere).
missing=()
if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then missing+=(ffmpeg); fi
if [ "${LONG_VIDEO_SKIP_CHROMIUM:-}" != 1 ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then missing+=(chromium); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif [[ " ${missing[*]} " == *" ffmpeg "* ]]; then
    echo "ffmpeg and ffprobe are required: install them (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg) and run again" >&2
    exit 1
  else
    say "chromium not found: the browser tests need it (Debian: sudo apt-get install chromium, or set CHROMIUM_PATH; LONG_VIDEO_SKIP_CHROMIUM=1 skips them)"
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
