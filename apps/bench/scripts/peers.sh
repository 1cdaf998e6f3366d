#!/usr/bin/env bash
# Installs, starts and stops the peers measured side by side with Cartero (docs/benchmarks.md, "Peers").
# Loopback only. Haraka 3.3.4 (npm) in $PEERS_DIR/haraka: accept-and-discard on 2601, relay-to-sink on 2602.
# Postfix 3.7 (Debian package, needs root) on 2603, relaying everything to the tool's sink on 2610.
#   bash apps/bench/scripts/peers.sh install | start | stop | pids
set -euo pipefail
PEERS_DIR=${PEERS_DIR:-/tmp/cartero-peers}
HARAKA=$PEERS_DIR/haraka
SINK_PORT=${SINK_PORT:-2610}

install_haraka() {
  mkdir -p "$HARAKA"
  (cd "$HARAKA" && [ -x node_modules/.bin/haraka ] || npm install --no-audit --no-fund --loglevel=error Haraka@3.3.4)
  for i in accept e2e; do
    [ -d "$HARAKA/$i" ] || (cd "$HARAKA" && ./node_modules/.bin/haraka -i "$HARAKA/$i" >/dev/null)
    printf '[main]\nlevel=warn\ntimestamps=false\nformat=default\n' > "$HARAKA/$i/config/log.ini"
  done
  # accept and discard: in_host_list accepts bench.test, queue/discard drops it (needs YES_REALLY_DO_DISCARD)
  printf 'listen=127.0.0.1:2601\n' > "$HARAKA/accept/config/smtp.ini"
  printf 'rcpt_to.in_host_list\nqueue/discard\n' > "$HARAKA/accept/config/plugins"
  printf 'bench.test\n' > "$HARAKA/accept/config/host_list"
  # e2e: relay for 127.0.0.1, queue outbound, route bench.test to the tool's sink
  printf 'listen=127.0.0.1:2602\n' > "$HARAKA/e2e/config/smtp.ini"
  printf 'relay\nqueue/smtp_forward\n' > "$HARAKA/e2e/config/plugins"
  printf '[relay]\nacl=true\n' > "$HARAKA/e2e/config/relay.ini"
  printf '127.0.0.1/32\n' > "$HARAKA/e2e/config/relay_acl_allow"
  printf 'host=127.0.0.1\nport=%s\nenable_outbound=false\n\n[bench.test]\nhost=127.0.0.1\nport=%s\nenable_outbound=false\n' \
    "$SINK_PORT" "$SINK_PORT" > "$HARAKA/e2e/config/smtp_forward.ini"
  printf 'local_mx_ok=true\n' > "$HARAKA/e2e/config/outbound.ini" # else: "MX 127.0.0.1 is local, skipping"
}

install_postfix() {
  if ! command -v postfix >/dev/null; then
    # keep the package's own service stopped: we start it on our port only
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
    printf 'postfix postfix/main_mailer_type select Local only\npostfix postfix/mailname string bench.localhost\n' | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
  fi
  postconf -e "inet_interfaces = loopback-only" "inet_protocols = ipv4" "mydestination = localhost" \
    "myhostname = postfix.bench.localhost" "relayhost = [127.0.0.1]:$SINK_PORT" "mynetworks = 127.0.0.0/8" \
    "smtpd_tls_security_level = none" "smtp_tls_security_level = none" "maillog_file = /var/log/postfix-bench.log" \
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
    "default_transport = smtp" "relay_transport = relay" # "Local only" sets both to error
  sed -i 's/^smtp      inet  n       -       y       -       -       smtpd/2603      inet  n       -       n       -       -       smtpd/' /etc/postfix/master.cf
}

case "${1:-}" in
  install) install_haraka; install_postfix ;;
  start)
    # `exec` so that the recorded pid is Haraka's master itself (it forks its worker: sample the tree with --pid).
    running() { [ -f "$HARAKA/$1.pid" ] && kill -0 "$(cat "$HARAKA/$1.pid")" 2>/dev/null; }
    running accept || { (cd "$HARAKA/accept" && YES_REALLY_DO_DISCARD=1 exec node ../node_modules/Haraka/bin/haraka -c "$HARAKA/accept" >"$HARAKA/accept.log" 2>&1) & echo $! > "$HARAKA/accept.pid"; }
    running e2e || { (cd "$HARAKA/e2e" && exec node ../node_modules/Haraka/bin/haraka -c "$HARAKA/e2e" >"$HARAKA/e2e.log" 2>&1) & echo $! > "$HARAKA/e2e.pid"; }
    postfix start >/dev/null 2>&1 || true
    sleep 3; "$0" pids ;;
  pids)
    echo "HARAKA_ACCEPT_PID=$(cat "$HARAKA/accept.pid")"
    echo "HARAKA_E2E_PID=$(cat "$HARAKA/e2e.pid")"
    echo "POSTFIX_MASTER_PID=$(cat /var/spool/postfix/pid/master.pid 2>/dev/null | tr -d ' ')" ;;
  stop)
    for f in "$HARAKA/accept.pid" "$HARAKA/e2e.pid"; do
      [ -f "$f" ] || continue
      pid=$(cat "$f")
      # the master and the worker it forked, by pid
      for child in $(pgrep -P "$pid" 2>/dev/null); do kill -TERM "$child" 2>/dev/null || true; done
      kill -TERM "$pid" 2>/dev/null || true
      rm -f "$f"
    done
    postfix stop >/dev/null 2>&1 || true ;;
  *) echo "usage: $0 install|start|stop|pids" >&2; exit 2 ;;
esac
