#!/usr/bin/env bash
# A local Redis Cluster on loopback for trying the service on a cluster: 3 primaries and
# 3 replicas on free ports below 55535 (the cluster bus uses port + 10000), data under
# .data/redis-cluster (git-ignored; REDIS_CLUSTER_DIR moves it), a short cluster-node-timeout
# so failovers are quick.
#
# Usage: bash scripts/redis-cluster.sh start|stop|status
#   start   starts the six nodes, creates the cluster, waits for cluster_state:ok and
#           prints the REDIS_URL to use (fred's redis-cluster:// form)
#   stop    shuts every node down and removes its data
#   status  prints each node's role and the cluster state
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DIR="${REDIS_CLUSTER_DIR:-$ROOT/.data/redis-cluster}"
PORTS_FILE="$DIR/ports"
NODE_TIMEOUT_MS="${NODE_TIMEOUT_MS:-2000}"

free_ports() {
  python3 - <<'PY'
import random, socket
ports = []
while len(ports) < 6:
    p = random.randint(20000, 45000)
    if p in ports:
        continue
    ok = True
    for q in (p, p + 10000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", q))
            except OSError:
                ok = False
    if ok:
        ports.append(p)
print(" ".join(map(str, ports)))
PY
}

url() {
  local ports=($(cat "$PORTS_FILE")) nodes=""
  for p in "${ports[@]:1}"; do nodes="$nodes&node=127.0.0.1:$p"; done
  echo "redis-cluster://127.0.0.1:${ports[0]}?${nodes#&}"
}

start() {
  ensure_redis_server
  if [ -f "$PORTS_FILE" ]; then
    log "a cluster is already recorded in $DIR; stop it first"
    exit 1
  fi
  mkdir -p "$DIR"
  free_ports >"$PORTS_FILE"
  local ports=($(cat "$PORTS_FILE")) addresses=()
  for p in "${ports[@]}"; do
    mkdir -p "$DIR/$p"
    redis-server --port "$p" --bind 127.0.0.1 --dir "$DIR/$p" --daemonize yes \
      --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout "$NODE_TIMEOUT_MS" --save '' --appendonly no \
      --logfile "$DIR/$p/redis.log" --pidfile "$DIR/$p/redis.pid"
    addresses+=("127.0.0.1:$p")
  done
  for p in "${ports[@]}"; do wait_for_port "$p" "redis node" "$DIR/$p/redis.log"; done
  redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log"
  for _ in $(seq 1 100); do
    if redis-cli -p "${ports[0]}" cluster info | grep -q '^cluster_state:ok'; then
      log "cluster ready"
      echo "REDIS_URL=$(url)"
      return 0
    fi
    sleep 0.1
  done
  log "the cluster did not reach cluster_state:ok; see $DIR/*/redis.log"
  exit 1
}

stop() {
  [ -f "$PORTS_FILE" ] || { log "no cluster recorded in $DIR"; return 0; }
  for p in $(cat "$PORTS_FILE"); do
    redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
  done
  rm -rf "$DIR"
  log "cluster stopped"
}

status() {
  [ -f "$PORTS_FILE" ] || { log "no cluster recorded in $DIR"; exit 1; }
  local ports=($(cat "$PORTS_FILE"))
  for p in "${ports[@]}"; do
    role=$(redis-cli -p "$p" role 2>/dev/null | head -1 || true)
    echo "127.0.0.1:$p ${role:-down}"
  done
  redis-cli -p "${ports[0]}" cluster info | grep '^cluster_state'
  echo "REDIS_URL=$(url)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: bash scripts/redis-cluster.sh start|stop|status" >&2; exit 2 ;;
esac
