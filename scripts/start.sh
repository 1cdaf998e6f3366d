#!/usr/bin/env bash
# Installs dependencies (first run only) and starts the reference MTA with embedded defaults:
# SMTP on 127.0.0.1:2525, local domain "localhost", mail under ./data. Settings: docs/configuration.md.
#
# The script ends by exec-ing node: the server takes over this process, so SIGTERM/SIGINT sent to the script's pid
# reach it (pnpm would not forward them) and it stops cleanly. The build writes each file atomically
# (apps/mta/scripts/build.mjs), so two starts close together do not break each other.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The repository's ./data, the directory `pnpm cartero` (run from here) reads too.
export CARTERO_DATA_DIR="${CARTERO_DATA_DIR:-$PWD/data}"
# What `pnpm start` runs (apps/mta/package.json), without pnpm in between.
node apps/mta/scripts/build.mjs
exec node --enable-source-maps --max-semi-space-size=4 apps/mta/dist/main.mjs
