#!/usr/bin/env bash
# Serves the API on 127.0.0.1:8080 (APP_PORT to change) against a local Redis and MongoDB.
# Reuses servers already listening on 6379 / 27017 (or REDIS_URL / MONGODB_URI when set);
# otherwise starts them, with data under .data/ (git-ignored), and stops them on exit.
# Builds in release mode; CARGO_PROFILE=dev builds faster for development.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p .data
started=()
cleanup() {
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

if [ -z "${REDIS_URL:-}" ]; then
  if port_open 6379; then
    log "reusing Redis on 127.0.0.1:6379"
  else
    ensure_redis_server
    log "starting Redis on 127.0.0.1:6379"
    # Sessions and rate-limit logs should survive a restart (AOF, fsync every second); the
    # memory cap with volatile-ttl evicts the shortest-lived keys (cache entries) first.
    # See "Running Redis" in the README.
    redis-server --port 6379 --bind 127.0.0.1 --dir "$ROOT/.data" --save "" \
      --appendonly yes --appendfsync everysec \
      --maxmemory "${REDIS_MAXMEMORY:-256mb}" --maxmemory-policy volatile-ttl \
      >"$ROOT/.data/redis.log" 2>&1 &
    started+=("$!")
    wait_for_port 6379 Redis "$ROOT/.data/redis.log"
  fi
  export REDIS_URL="redis://127.0.0.1:6379"
fi

if [ -z "${MONGODB_URI:-}" ]; then
  if port_open 27017; then
    log "reusing MongoDB on 127.0.0.1:27017"
  else
    server="$(ensure_mongo_server)"
    log "starting $(basename "$server") on 127.0.0.1:27017 (data in .data/)"
    if [ "$(basename "$server")" = mongod ]; then
      mkdir -p .data/mongod
      "$server" --bind_ip 127.0.0.1 --port 27017 --dbpath "$ROOT/.data/mongod" >"$ROOT/.data/mongo.log" 2>&1 &
    else
      "$server" --host 127.0.0.1 --port 27017 --storage-path "$ROOT/.data/secantus" \
        --log-level WARNING >"$ROOT/.data/mongo.log" 2>&1 &
    fi
    started+=("$!")
    wait_for_port 27017 MongoDB "$ROOT/.data/mongo.log"
  fi
  export MONGODB_URI="mongodb://127.0.0.1:27017/?directConnection=true"
fi

profile="${CARGO_PROFILE:-release}"
log "building ($profile)"
cargo build --profile "$profile" --bin product-catalog
target_dir="release"
[ "$profile" = dev ] && target_dir="debug"
[ "$profile" != dev ] && [ "$profile" != release ] && target_dir="$profile"
log "serving on http://${APP_HOST:-127.0.0.1}:${APP_PORT:-8080}"
"${CARGO_TARGET_DIR:-$ROOT/target}/$target_dir/product-catalog" &
app=$!
started+=("$app")
trap 'kill -TERM "$app" 2>/dev/null || true' INT TERM
wait "$app" || true
wait "$app" 2>/dev/null || true
