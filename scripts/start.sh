#!/usr/bin/env bash
# Installs dependencies (first run only) and starts the reference MTA with embedded defaults:
# SMTP on 127.0.0.1:2525, local domain "localhost", mail under ./data. Settings: docs/configuration.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec pnpm start
