#!/usr/bin/env bash
# Cartero and its peers measured in the same run, interleaved (docs/benchmarks.md, "Side by side"):
#   bash apps/bench/scripts/peers.sh install      # once (Haraka via npm, Postfix via apt; needs root for Postfix)
#   ROUNDS=3 MESSAGES=200 bash apps/bench/scripts/side-by-side.sh     # WARMUP=300 CONC=10 REDIS_URL=… also
# Every row comes from `pnpm bench`; the peers are started before and stopped after (by pid).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-200}
CONC=${CONC:-10}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
WARMUP=${WARMUP:-300}
common=(--concurrency "$CONC" --messages "$MESSAGES" --warmup "$WARMUP")
peers=apps/bench/scripts/peers.sh

bash "$peers" start >/dev/null
trap 'bash "$peers" stop' EXIT
eval "$(bash "$peers" pids)"

row() { pnpm --silent bench -- "$@" 2>/dev/null | grep -v '^scenario' || echo "# failed: $*"; }

echo "scenario server     store    conc    msgs  errs    secs   msgs/s  acc p50  acc p90  acc p99  e2e p50  e2e p99  rss MiB cpu ms/msg  (mode)"
for r in $(seq "$ROUNDS"); do
  echo "# round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$(row accept --store redis --redis-url "$REDIS_URL" "${common[@]}")  pipelining"
  echo "$(row accept --store redis --redis-url "$REDIS_URL" "${common[@]}" --pipelining off)  lock-step"
  echo "$(row accept --target 127.0.0.1:2601 --pid "$HARAKA_ACCEPT_PID" --label haraka "${common[@]}" --pipelining off)  lock-step, discard"
  echo "$(row e2e --store redis --redis-url "$REDIS_URL" "${common[@]}")  pipelining"
  echo "$(row e2e --target 127.0.0.1:2602 --sink-port 2610 --pid "$HARAKA_E2E_PID" --label haraka "${common[@]}" --pipelining off)  lock-step"
  echo "$(row e2e --target 127.0.0.1:2603 --sink-port 2610 --pid "$POSTFIX_MASTER_PID" --label postfix "${common[@]}")  pipelining"
done
