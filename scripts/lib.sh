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
  command -v redis-server >/dev/null 2>&1 || { log "redis-server still missing"; return 1; }
}

# Prints the command that runs a MongoDB-wire server: mongod if present, else SecantusDB
# from the project venv (created on first use).
ensure_mongo_server() {
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
