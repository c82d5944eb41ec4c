# Shared helpers for the project's scripts. Source it; do not run it.
# Installs what a fresh Debian machine with Rust lacks: redis-server (apt) and, when no
# mongod is available, SecantusDB (a MongoDB-wire-compatible server) in the project venv.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
SECANTUS_VERSION="0.7.0b3"

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  log "installing $* with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_redis_server() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server redis-tools
  command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools
  # The TLS test makes its own CA and certificates.
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  command -v redis-server >/dev/null 2>&1 || { log "redis-server still missing"; return 1; }
}

# Prints the command that runs a MongoDB-wire server: MONGO_SERVER when set (e.g.
# `secantusd-rs`, the faster stand-in a benchmark of the write path wants), mongod if present, else SecantusDB from the project venv
# (created on first use).
ensure_mongo_server() {
  if [ -n "${MONGO_SERVER:-}" ]; then
    command -v "$MONGO_SERVER" || { log "MONGO_SERVER=$MONGO_SERVER not found"; return 1; }
    return 0
  fi
  if command -v mongod >/dev/null 2>&1; then
    command -v mongod
    return 0
  fi
  if [ ! -x "$VENV/bin/secantusd-py" ]; then
    if [ ! -x "$VENV/bin/pip" ]; then
      log "creating Python venv in $VENV"
      python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$VENV"; }
    fi
    log "installing SecantusDB==$SECANTUS_VERSION into the venv"
    "$VENV/bin/pip" install -q --disable-pip-version-check "SecantusDB==$SECANTUS_VERSION" >&2
  fi
  echo "$VENV/bin/secantusd-py"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() {
  local port=$1 what=$2 log_file=${3:-}
  for _ in $(seq 1 300); do
    port_open "$port" && return 0
    sleep 0.1
  done
  log "$what did not start listening on 127.0.0.1:$port"
  [ -n "$log_file" ] && tail -n 20 "$log_file" >&2
  return 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_stack LOGDIR [extra env assignments...]
# Starts a throw-away Redis and MongoDB-wire server on free loopback ports and the built
# binary ($APP_BIN) against them. Sets STACK_PIDS, REDIS_PORT, MONGO_PORT, APP_PORT,
# BASE_URL, STACK_REDIS_URL, STACK_PREFIX. Call stop_stack when done.
STACK_PIDS=()
start_stack() {
  local logdir=$1; shift
  mkdir -p "$logdir"
  ensure_redis_server
  local mongo; mongo="$(ensure_mongo_server)"
  REDIS_PORT=$(free_port); MONGO_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$logdir/redis.log" 2>&1 &
  STACK_PIDS+=("$!")
  if [ "$(basename "$mongo")" = mongod ]; then
    mkdir -p "$logdir/mongod"
    "$mongo" --bind_ip 127.0.0.1 --port "$MONGO_PORT" --dbpath "$logdir/mongod" >"$logdir/mongo.log" 2>&1 &
  elif [ "$(basename "$mongo")" = secantusd-py ]; then
    # In memory unless SECANTUS_STORAGE names a directory (large catalogues outgrow its cache).
    "$mongo" --host 127.0.0.1 --port "$MONGO_PORT" --storage-path "${SECANTUS_STORAGE:-:memory:}" --log-level WARNING >"$logdir/mongo.log" 2>&1 &
  else
    # secantusd-rs keeps its data on disk (it reads `:memory:` as a directory name).
    rm -rf "$logdir/mongo-data"
    "$mongo" --host 127.0.0.1 --port "$MONGO_PORT" --storage-path "$logdir/mongo-data" --log-level WARNING >"$logdir/mongo.log" 2>&1 &
  fi
  STACK_PIDS+=("$!")
  wait_for_port "$REDIS_PORT" Redis "$logdir/redis.log"
  wait_for_port "$MONGO_PORT" MongoDB "$logdir/mongo.log"
  STACK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  STACK_PREFIX="pa:"
  start_app "$logdir" "$@"
}

# start_app LOGDIR [extra env assignments...]
# Starts the built binary ($APP_BIN) on a free port against the stack's servers; sets
# APP_PORT, APP_PID and BASE_URL. Called by start_stack, and again after stop_app to run
# the same data under other settings.
start_app() {
  local logdir=$1; shift
  APP_PORT=$(free_port)
  env APP_HOST=127.0.0.1 APP_PORT="$APP_PORT" LOG_FORMAT=json RUST_LOG=warn \
    MONGODB_URI="mongodb://127.0.0.1:$MONGO_PORT/?directConnection=true" MONGODB_DB=e2e \
    REDIS_URL="$STACK_REDIS_URL" REDIS_KEY_PREFIX="$STACK_PREFIX" \
    "$@" "$APP_BIN" >>"$logdir/app.log" 2>&1 &
  STACK_PIDS+=("$!")
  APP_PID=$!
  wait_for_port "$APP_PORT" "the API" "$logdir/app.log"
  BASE_URL="http://127.0.0.1:$APP_PORT"
}

# build_release: builds the release binary and sets APP_BIN to it (the measurement
# scripts measure the release build).
build_release() {
  cargo build --release -q --bin product-catalog
  APP_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/product-catalog"
}

# seed_stack N [BIN]: creates N products in the stack's MongoDB with BIN's `seed`
# subcommand (default $APP_BIN); its output goes to standard output.
seed_stack() {
  env MONGODB_URI="mongodb://127.0.0.1:$MONGO_PORT/?directConnection=true" MONGODB_DB=e2e \
    REDIS_URL="$STACK_REDIS_URL" REDIS_KEY_PREFIX="$STACK_PREFIX" LOG_FORMAT=json RUST_LOG=warn \
    "${2:-$APP_BIN}" seed "$1" 2>&1
}

# python_with_pymongo: sets PYTHON to the project venv's python (else python3), with pymongo
# installed (the benchmarks store their catalogues with it).
python_with_pymongo() {
  PYTHON="$(command -v python3)"
  [ -x "$ROOT/.venv/bin/python" ] && PYTHON="$ROOT/.venv/bin/python"
  "$PYTHON" -c 'import pymongo' 2>/dev/null || "$PYTHON" -m pip install -q pymongo
}

# first_product_id: the id of the first product the running API lists.
first_product_id() {
  curl -s "$BASE_URL/api/products?limit=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["products"][0]["id"])'
}

# stop_app: stops the binary started last, leaving Redis and MongoDB running.
stop_app() {
  kill "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
}

stop_stack() {
  local pid
  for pid in "${STACK_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${STACK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  STACK_PIDS=()
}
