#!/usr/bin/env bash
# What one hot product costs Redis: the release build on a fresh stack of 100 products,
# one product read by wrk (32 connections) for 25 s; over 10 s of it the Redis commands by
# command (INFO commandstats), then 2 s of `redis-cli MONITOR` counted by key for that
# product (its response generation, its stored response, its read counting).
#
# Usage: bash scripts/hot-product-redis.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
OUT="$ROOT/target/hot-product-redis"; rm -rf "$OUT"; mkdir -p "$OUT"
trap stop_stack EXIT
command -v wrk >/dev/null 2>&1 || apt_install wrk
build_release
start_stack "$OUT/stack" ADMIN_EMAIL=admin@bench.example ADMIN_PASSWORD=bench-admin-password \
  RATE_LIMIT_READ=1000000/1s
seed_stack 100 | tr '\r' '\n' | tail -1
ID=$(first_product_id)
for _ in 1 2 3; do curl -s -o /dev/null "$BASE_URL/api/products/$ID"; done
stats() {
  redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' \
    | sed -nE 's/^cmdstat_([a-z|]+):calls=([0-9]+),.*/\1 \2/p' >"$1"
}
wrk -t2 -c32 -d25s "$BASE_URL/api/products/$ID" >"$OUT/wrk.txt" &
WRK=$!
sleep 5
stats "$OUT/before"; sleep 10; stats "$OUT/after"
timeout 2 redis-cli -p "$REDIS_PORT" MONITOR >"$OUT/monitor.txt" || true
wait "$WRK"
grep -E "Requests/sec" "$OUT/wrk.txt"
python3 - "$OUT/before" "$OUT/after" <<'PY'
import sys
before = dict(line.split() for line in open(sys.argv[1]))
after = dict(line.split() for line in open(sys.argv[2]))
rates = sorted(((int(n) - int(before.get(c, 0))) / 10, c) for c, n in after.items())
print("Redis commands a second, by command:")
for rate, command in reversed([r for r in rates if r[0] > 0]):
    print(f"  {command:<20}{rate:8.1f}")
print(f"  {'total':<20}{sum(r for r, _ in rates):8.1f}")
PY
echo "commands naming product $ID in 2 s of MONITOR:"
# Timestamps and per-read counters (long numbers) left out, so equal commands count together.
grep "$ID" "$OUT/monitor.txt" | awk '{ for (i = 4; i <= NF; i++) printf "%s ", $i; print "" }' \
  | sed -E 's/"[0-9]{5,}" ?//g' | sort | uniq -c | sort -rn
