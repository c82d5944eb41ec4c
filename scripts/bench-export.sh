#!/usr/bin/env bash
# What an export costs at scale: a fresh stack, N products (default 100,000) stored with
# realistic text (scripts/seed_catalogue.py), the release build, then, as the admin:
#   - GET /api/products/export as NDJSON and as CSV, read at full speed into /dev/null:
#     products per second and the server's peak RSS against its RSS before;
#   - one export read by a slow client (curl --limit-rate 20K, cut after SLOW_SECONDS): the
#     server's RSS while a client holds an export open and barely reads;
#   - `product-catalog export` to /dev/null: products per second.
# RSS is sampled every 100 ms from /proc. Prints a table and writes
# target/bench-export/results.json.
#
# Usage: bash scripts/bench-export.sh      (N=100000 SLOW_SECONDS=10 MONGO_SERVER=…)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
N="${N:-100000}"; SLOW_SECONDS="${SLOW_SECONDS:-30}"
OUT="$ROOT/target/bench-export"; rm -rf "$OUT"; mkdir -p "$OUT"
trap stop_stack EXIT
log "building release"
build_release
python_with_pymongo

export SECANTUS_STORAGE="$OUT/mongo-data"; mkdir -p "$SECANTUS_STORAGE"
ADMIN_EMAIL="admin@bench.example"; ADMIN_PASSWORD="bench-admin-password"
APP_ENV=(ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD"
  RATE_LIMIT_READ=1000000/1s MONGODB_OPERATION_TIMEOUT_MS=60000 MONGODB_TIMEOUT_MS=60000)
start_stack "$OUT/stack" "${APP_ENV[@]}"
stop_app
log "storing $N products"
"$PYTHON" scripts/seed_catalogue.py "$MONGO_PORT" "$N" >"$OUT/seed.json"
log "seeded: $(cat "$OUT/seed.json")"
start_app "$OUT/stack" "${APP_ENV[@]}"
TOKEN=$(curl -s -X POST "$BASE_URL/api/auth/login" -H 'Content-Type: application/json' \
  --data "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$APP_PID/status"; }

# sample_rss FILE: appends the server's RSS (KiB) every 100 ms until killed.
sample_rss() { while true; do rss_kib >>"$1"; sleep 0.1; done; }

# measure NAME CURL_ARGS...: one export through curl with RSS sampled meanwhile; writes
# OUT/NAME.json with seconds, lines, bytes, RSS before and peak.
measure() {
  local name=$1; shift
  local before; before=$(rss_kib)
  : >"$OUT/$name.rss"
  sample_rss "$OUT/$name.rss" & local sampler=$!
  local started; started=$(date +%s.%N)
  : >"$OUT/$name.body"
  curl -s -o "$OUT/$name.body" -H "Authorization: Bearer $TOKEN" "$@"
  local ended; ended=$(date +%s.%N)
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  local lines; lines=$(wc -l <"$OUT/$name.body"); local bytes; bytes=$(wc -c <"$OUT/$name.body")
  local peak; peak=$(sort -n "$OUT/$name.rss" | tail -1)
  rm -f "$OUT/$name.body"
  printf '{"seconds": %s, "lines": %s, "bytes": %s, "rss_before_kib": %s, "rss_peak_kib": %s}\n' \
    "$(echo "$ended - $started" | bc)" "$lines" "$bytes" "$before" "$peak" >"$OUT/$name.json"
  log "$name: $(cat "$OUT/$name.json")"
}

log "NDJSON export"
measure ndjson "$BASE_URL/api/products/export"
log "CSV export"
measure csv -H 'Accept: text/csv' "$BASE_URL/api/products/export"
log "slow reader: ${SLOW_SECONDS} s at 20 KB/s"
measure slow --limit-rate 20K --max-time "$SLOW_SECONDS" "$BASE_URL/api/products/export" || true
log "command-line export"
started=$(date +%s.%N)
env MONGODB_URI="mongodb://127.0.0.1:$MONGO_PORT/?directConnection=true" MONGODB_DB=e2e \
  LOG_FORMAT=json RUST_LOG=warn MONGODB_OPERATION_TIMEOUT_MS=60000 MONGODB_TIMEOUT_MS=60000 \
  "$APP_BIN" export >/dev/null 2>"$OUT/cli.log"
ended=$(date +%s.%N)
printf '{"seconds": %s, "log": "%s"}\n' "$(echo "$ended - $started" | bc)" \
  "$(tail -1 "$OUT/cli.log")" >"$OUT/cli.json"
log "cli: $(cat "$OUT/cli.json")"

"$PYTHON" - "$OUT" "$N" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
runs = {name: json.load(open(f"{out}/{name}.json")) for name in ["ndjson", "csv", "slow"]}
cli = json.load(open(f"{out}/cli.json"))
print(f"{'export of ' + str(n) + ' products':<28}{'seconds':>9}{'products/s':>12}{'MB':>8}{'RSS before':>12}{'RSS peak':>10}")
for name, r in runs.items():
    products = r["lines"] - (1 if name == "csv" else 0)
    print(f"{name:<28}{r['seconds']:>9.1f}{products / r['seconds']:>12.0f}{r['bytes'] / 1e6:>8.1f}"
          f"{r['rss_before_kib'] / 1024:>10.1f}MB{r['rss_peak_kib'] / 1024:>8.1f}MB")
print(f"{'command line (NDJSON)':<28}{cli['seconds']:>9.1f}{n / cli['seconds']:>12.0f}   ({cli['log']})")
json.dump({"products": n, "http": runs, "cli": cli}, open(f"{out}/results.json", "w"), indent=2)
PY
