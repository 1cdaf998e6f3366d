#!/usr/bin/env bash
# Installs dependencies (first run only) and starts the development mail catcher (apps/catcher): SMTP on
# 127.0.0.1:1025 accepting every recipient, nothing relayed, the web UI on http://127.0.0.1:8025/, mail under
# ./catcher-data. Settings: CARTERO_* as in docs/configuration.md (apps/catcher/README.md lists its defaults).
#
# The script ends by exec-ing node, so Ctrl-C and SIGTERM sent to its pid reach the catcher and stop it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export CARTERO_DATA_DIR="${CARTERO_DATA_DIR:-$PWD/catcher-data}"
cd apps/catcher
exec node --import tsx src/main.ts
