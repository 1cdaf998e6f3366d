#!/usr/bin/env bash
# Cartero and its peers measured in the same run, interleaved (docs/benchmarks.md, "Side by side"):
#   bash apps/bench/scripts/peers.sh install      # once (Haraka via npm, Postfix via apt; needs root for Postfix)
#   ROUNDS=3 MESSAGES=200 bash apps/bench/scripts/side-by-side.sh     # WARMUP=300 CONC=10 REDIS_URL=… also
# Rows: Cartero (accept, both pipelining modes; e2e), Haraka (discard; e2e), Cartero's framework discarding
# (apps/bench/src/discard-server.ts, the like-for-like peer of Haraka's discard), Postfix (e2e).
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
# Cartero's framework with a discarding plugin (apps/bench/src/discard-server.ts): the like-for-like peer of
# Haraka's discard mode. Stopped by the pid it prints, with the peers.
discard_out=$(mktemp)
(cd apps/bench && exec pnpm --silent exec tsx src/discard-server.ts 2604 >"$discard_out" 2>&1) &
DISCARD_PID=""
trap 'bash "$peers" stop; [ -n "$DISCARD_PID" ] && kill "$DISCARD_PID" 2>/dev/null; rm -f "$discard_out"' EXIT
for _ in $(seq 60); do
  DISCARD_PID=$(awk '/^pid /{print $2}' "$discard_out")
  [ -n "$DISCARD_PID" ] && break
  sleep 0.5
done
[ -n "$DISCARD_PID" ] || { echo "discard server did not start: $(cat "$discard_out")" >&2; exit 1; }
eval "$(bash "$peers" pids)"

row() { pnpm --silent bench -- "$@" 2>/dev/null | grep -v '^scenario' || echo "# failed: $*"; }

echo "scenario server     store    conc    msgs  errs    secs   msgs/s  acc p50  acc p90  acc p99  e2e p50  e2e p99  rss MiB cpu ms/msg  (mode)"
for r in $(seq "$ROUNDS"); do
  echo "# round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$(row accept --store redis --redis-url "$REDIS_URL" "${common[@]}")  pipelining"
  echo "$(row accept --store redis --redis-url "$REDIS_URL" "${common[@]}" --pipelining off)  lock-step"
  echo "$(row accept --target 127.0.0.1:2601 --pid "$HARAKA_ACCEPT_PID" --label haraka "${common[@]}" --pipelining off)  lock-step, discard"
  echo "$(row accept --target 127.0.0.1:2604 --pid "$DISCARD_PID" --label cartero-discard "${common[@]}" --pipelining off)  lock-step, discard"
  echo "$(row e2e --store redis --redis-url "$REDIS_URL" "${common[@]}")  pipelining"
  echo "$(row e2e --target 127.0.0.1:2602 --sink-port 2610 --pid "$HARAKA_E2E_PID" --label haraka "${common[@]}" --pipelining off)  lock-step"
  echo "$(row e2e --target 127.0.0.1:2603 --sink-port 2610 --pid "$POSTFIX_MASTER_PID" --label postfix "${common[@]}")  pipelining"
done
