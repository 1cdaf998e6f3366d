#!/usr/bin/env bash
# Installs what Cartero needs to build and run: pnpm (pinned) and the workspace's dependencies.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# playwright-core (the browser tests) installs no browser by itself; this keeps any playwright package from trying.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if ! command -v node >/dev/null; then
  echo "cartero: Node.js 20 or newer is required (https://nodejs.org)" >&2
  exit 1
fi
if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "cartero: installing pnpm $PNPM_VERSION"
  npm install --global --silent -E "pnpm@$PNPM_VERSION" >/dev/null 2>&1 || npm install --global -E "pnpm@$PNPM_VERSION"
fi

# better-sqlite3 compiles from source when no prebuilt binary can be downloaded; point node-gyp at the local
# Node headers when they are installed, so no download is needed.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile
else
  pnpm install --frozen-lockfile --reporter=silent || pnpm install --frozen-lockfile
fi
