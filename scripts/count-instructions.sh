#!/usr/bin/env bash
# Instructions per request of the server, counted by valgrind's callgrind (unlike times,
# the same whatever else the machine is doing; background tasks such as the outbox poll
# are counted too, a few percent): N keep-alive requests each of /health, a cached
# product GET and a cached list GET, on one worker. Writes one callgrind file per scenario
# to target/instructions/ for `callgrind_annotate --inclusive=yes FILE`.
#
# Usage: bash scripts/count-instructions.sh     (N=2000; release build; needs valgrind)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
N="${N:-2000}"
OUT="$ROOT/target/instructions"; rm -rf "$OUT"; mkdir -p "$OUT"
trap stop_stack EXIT
command -v valgrind >/dev/null 2>&1 || apt_install valgrind
build_release
REAL_BIN="$APP_BIN"
start_stack "$OUT" RATE_LIMIT_READ=1000000/1s
seed_stack 50 "$REAL_BIN" >/dev/null
stop_app
cat >"$OUT/under-callgrind" <<WRAP
#!/bin/sh
exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$OUT/callgrind.out "$REAL_BIN" "\$@"
WRAP
chmod +x "$OUT/under-callgrind"
APP_BIN="$OUT/under-callgrind"
start_app "$OUT" RATE_LIMIT_READ=1000000/1s APP_WORKERS=1
ID=$(first_product_id)
requests() {
  python3 - "$APP_PORT" "$1" "$2" <<'PY'
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(int(sys.argv[3])):
    conn.request("GET", sys.argv[2])
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"GET {sys.argv[2]}: {response.status}")
PY
}
printf '%-10s %14s %16s\n' scenario instructions 'per request'
for name in health product list; do
  case $name in
    health) path=/health ;;
    product) path="/api/products/$ID" ;;
    list) path="/api/products?page=1&limit=10" ;;
  esac
  requests "$path" 200
  callgrind_control -z >/dev/null 2>&1; callgrind_control -i on >/dev/null 2>&1
  requests "$path" "$N"
  callgrind_control -i off >/dev/null 2>&1
  callgrind_control -d "$name" >/dev/null 2>&1
  file=$(ls -t "$OUT"/callgrind.out.* | head -1); mv "$file" "$OUT/$name.callgrind"
  total=$(awk '/^totals:/ {print $2}' "$OUT/$name.callgrind")
  printf '%-10s %14s %16s\n' "$name" "$total" "$((total / N))"
done
