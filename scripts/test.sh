#!/usr/bin/env bash
# Installs dependencies, makes sure a Redis is reachable (starting a private one on a loopback port when
# CARTERO_REDIS_URL is unset and nothing answers on 127.0.0.1:6379), then typechecks, lints and runs every test.
# The last line of output is "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

redis_pid_file=""
cleanup() {
  if [ -n "$redis_pid_file" ] && [ -f "$redis_pid_file" ]; then
    kill "$(cat "$redis_pid_file")" 2>/dev/null || true
    rm -f "$redis_pid_file"
  fi
}
trap cleanup EXIT

redis_answers() { # host port
  command -v redis-cli >/dev/null && redis-cli -h "$1" -p "$2" ping 2>/dev/null | grep -q PONG
}

if [ -z "${CARTERO_REDIS_URL:-}" ]; then
  if redis_answers 127.0.0.1 6379; then
    export CARTERO_REDIS_URL=redis://127.0.0.1:6379
  else
    if ! command -v redis-server >/dev/null; then
      echo "cartero: installing redis-server (Debian package)"
      if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
      else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; fi
    fi
    port=6390
    while redis_answers 127.0.0.1 "$port" && [ "$port" -lt 6400 ]; do port=$((port + 1)); done
    redis_pid_file=$(mktemp -t cartero-redis.XXXXXX)
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
      --pidfile "$redis_pid_file" --logfile "" >/dev/null
    for _ in $(seq 1 50); do redis_answers 127.0.0.1 "$port" && break; sleep 0.1; done
    export CARTERO_REDIS_URL="redis://127.0.0.1:$port"
  fi
fi
echo "cartero: tests use Redis at $CARTERO_REDIS_URL"

# On CI the interop tests must run against Postfix's smtp-sink (Debian package postfix). Install it without
# letting the package start a mail daemon (policy-rc.d refuses service starts during the install).
if [ "${CI:-}" = "true" ] && [ ! -x /usr/sbin/smtp-sink ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "cartero: installing postfix's smtp-sink for the interop tests (no mail daemon is started)"
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string cartero-ci.invalid" | debconf-set-selections
  policy=/usr/sbin/policy-rc.d
  created_policy=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1; fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix) >/dev/null \
    || echo "cartero: could not install postfix; the smtp-sink interop test will fail"
  if [ -n "$created_policy" ]; then rm -f "$policy"; fi
  if postfix status >/dev/null 2>&1; then postfix stop >/dev/null 2>&1 || true; fi
fi

# The web UI's browser tests drive Debian's chromium with playwright-core (which never downloads a browser here).
if [ ! -x /usr/bin/chromium ]; then
  echo "cartero: installing chromium (Debian package) for the web UI's browser tests"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >/dev/null
  elif command -v sudo >/dev/null; then
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >/dev/null
  fi || echo "cartero: could not install chromium; the web UI's browser tests will fail"
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

pnpm typecheck
pnpm lint
# A test stuck in a CPU-bound loop cannot be stopped by vitest's own timeouts: bound the whole run.
timeout --kill-after=30 1500 pnpm test
