#!/usr/bin/env bash
# Installs dependencies (first run only) and starts the reference MTA with embedded defaults:
# SMTP on 127.0.0.1:2525, local domain "localhost", mail under ./data. Settings: docs/configuration.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# `pnpm start` runs in apps/mta, where a relative ./data would land; the README promises the repository's ./data.
export CARTERO_DATA_DIR="${CARTERO_DATA_DIR:-$PWD/data}"
exec pnpm start
