#!/usr/bin/env bash
# Benchmarks the release build with wrk on this machine, DURATION seconds per scenario at
# CONNECTIONS connections, against one seeded stack:
# - near tier on (the default): /health, a cached product GET, a cached list, both again
#   with a browser's Accept-Encoding, a browser's revalidation (304), a 90/10 read/write
#   mix; 16 connections then one PUTting one product (MongoDB transaction retries counted
#   from /metrics); then every product read once, and the server's peak RSS;
# - the same server settings with NEAR_CACHE_ENABLED=false: /health, cached product, list;
# - CACHE_TTL_LIST_SECS=2: one list page read for 30 s while its entry keeps expiring
#   (served stale while one refresh reloads it; MongoDB page loads counted);
# - CACHE_ENABLED=false: an uncached product GET.
# Prints requests/s, p50, p99 and ratios to /health (of the same server), checks the
# targets, and writes the same to target/bench/results.json.
#
# Usage: bash scripts/bench.sh            (PRODUCTS=10000 DURATION=10 CONNECTIONS=32)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
PRODUCTS="${PRODUCTS:-10000}"; DURATION="${DURATION:-10}"; CONNECTIONS="${CONNECTIONS:-32}"
OUT="$ROOT/target/bench"; rm -rf "$OUT"; mkdir -p "$OUT"
trap stop_stack EXIT
command -v wrk >/dev/null 2>&1 || apt_install wrk
log "building release"
build_release
ADMIN_EMAIL="admin@bench.example"; ADMIN_PASSWORD="bench-admin-password"
APP_ENV=(ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD"
  RATE_LIMIT_READ=1000000/1s RATE_LIMIT_WRITE=1000000/60s RATE_LIMIT_AUTH=1000/60s)

login() {
  curl -s -X POST "$BASE_URL/api/auth/login" -H 'Content-Type: application/json' \
    --data "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])'
}

# run NAME URL [LUA] [HEADER...]: wrk with latency percentiles, output kept for parsing
run() {
  local name=$1 url=$2 script=${3:-}
  local connections=${RUN_CONNECTIONS:-$CONNECTIONS}
  local threads=$(( connections < 2 ? connections : 2 ))
  local args=("-t$threads" "-c$connections" "-d${DURATION}s" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  local header
  for header in "${@:4}"; do args+=(-H "$header"); done
  log "wrk: $name"
  wrk "${args[@]}" "$url" >"$OUT/$name.txt"
}

# What every browser sends.
BROWSER="Accept-Encoding: gzip, deflate, br, zstd"
# warm: the measured product and list page read once, so the runs measure hits
warm() {
  curl -s -o /dev/null "$BASE_URL/api/products/$ID"; curl -s -o /dev/null "$BASE_URL/api/products/$ID"
  curl -s -o /dev/null "$BASE_URL/api/products?page=1&limit=10"; curl -s -o /dev/null "$BASE_URL/api/products?page=1&limit=10"
}
# browser_etag: the ETag a browser holds for the measured product (its brotli variant)
browser_etag() {
  curl -s -o /dev/null -D - -H "$BROWSER" "$BASE_URL/api/products/$ID" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p'
}

# read_every_product: walks the catalogue by cursor and GETs each product once (keep-alive)
read_every_product() {
  python3 - "$APP_PORT" <<'PY'
import http.client, json, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
def get(path):
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"GET {path}: {response.status}")
    return body
path, read = "/api/products?limit=100", 0
while path:
    data = json.loads(get(path))["data"]
    for product in data["products"]:
        get(f"/api/products/{product['id']}")
        read += 1
    cursor = data.get("nextCursor")
    path = cursor and f"/api/products?limit=100&cursor={cursor}"
print(f"read {read} products once each")
PY
}

log "stack: $PRODUCTS products"
start_stack "$OUT/stack" "${APP_ENV[@]}"
SEED_STARTED=$(date +%s)
seed_stack "$PRODUCTS" | tr '\r' '\n' | tail -1
log "seeded in $(( $(date +%s) - SEED_STARTED )) s"
# Seeding writes an outbox entry per product; measure only once the relay has published
# them all, or its work (and the near tier's invalidations) runs during the first scenarios.
wait_for_outbox() {
  local waited=0 pending
  while :; do
    pending=$(curl -s "$BASE_URL/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"]["outboxPending"])' 2>/dev/null || echo "?")
    [ "$pending" = 0 ] && break
    [ "$waited" -ge 300 ] && { log "outbox still holds $pending entries after ${waited} s; measuring anyway"; return; }
    sleep 2; waited=$((waited + 2))
  done
  log "outbox drained ${waited} s after seeding"
}
wait_for_outbox
ID=$(first_product_id)
TOKEN=$(login)
IDS=$(curl -s "$BASE_URL/api/products?limit=100" | python3 -c 'import json,sys; print(",".join("\"%s\"" % p["id"] for p in json.load(sys.stdin)["data"]["products"]))')
# Reads walk the 100 products of the first page; every tenth request writes the next of
# them in a second walk, so writes spread over all 100 and each is read back soon after.
cat >"$OUT/mix.lua" <<LUA
local ids = { $IDS }
local counter = 0
local writes = 0
request = function()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  if counter % 10 == 0 then
    writes = writes + 1
    id = ids[(writes * 7 % #ids) + 1]
    return wrk.format("PUT", "/api/products/" .. id,
      { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN" },
      '{"stock":' .. (counter % 500) .. '}')
  end
  return wrk.format("GET", "/api/products/" .. id)
end
LUA

# A flash sale: every request PUTs the stock of one product.
cat >"$OUT/hot_write.lua" <<LUA
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/api/products/$ID",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN" },
    '{"stock":' .. (counter % 500) .. '}')
end
LUA
# transactions OUTCOME: the server's count of MongoDB transactions with that outcome
transactions() {
  curl -s "$BASE_URL/metrics" | sed -nE "s/^mongodb_transactions_total\{outcome=\"$1\"\} ([0-9]+).*/\1/p"
}

# histogram FILE: the server's per-route latency buckets (GET and PUT of one product), kept
# before and after a run so the run's server-side percentiles come from their difference.
histogram() {
  curl -s "$BASE_URL/metrics" | grep '^http_request_duration_seconds_bucket' \
    | grep 'route="/api/products/{id}"' >"$1"
}

log "near tier on"
warm
top -bn1 | sed -n '1,12p' >"$OUT/top-before-runs.txt"
run health "$BASE_URL/health"
# Redis commands the server sends while it serves one hot product at full load.
redis_commands() {
  redis-cli -p "$REDIS_PORT" INFO stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'
}
# command_stats FILE: calls per Redis command so far (INFO commandstats), one "name calls" a line
command_stats() {
  redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' \
    | sed -nE 's/^cmdstat_([a-z|]+):calls=([0-9]+),.*/\1 \2/p' >"$1"
}
COMMANDS_BEFORE=$(redis_commands)
command_stats "$OUT/cached_product_commands.before"
run cached_product "$BASE_URL/api/products/$ID"
command_stats "$OUT/cached_product_commands.after"
echo $(( $(redis_commands) - COMMANDS_BEFORE - 3 )) >"$OUT/cached_product_redis_commands.txt"
run cached_list "$BASE_URL/api/products?page=1&limit=10"
run cached_product_browser "$BASE_URL/api/products/$ID" "" "$BROWSER"
run cached_list_browser "$BASE_URL/api/products?page=1&limit=10" "" "$BROWSER"
run not_modified "$BASE_URL/api/products/$ID" "" "$BROWSER" "If-None-Match: $(browser_etag)"
histogram "$OUT/mix_90_10.before"
run mix_90_10 "$BASE_URL" "$OUT/mix.lua"
histogram "$OUT/mix_90_10.after"
FINISHED_BEFORE=$(transactions finished); RETRIED_BEFORE=$(transactions retried)
RUN_CONNECTIONS=16 run hot_write_16 "$BASE_URL" "$OUT/hot_write.lua"
histogram "$OUT/hot_write_16.after"
RUN_CONNECTIONS=1 run hot_write_1 "$BASE_URL" "$OUT/hot_write.lua"
histogram "$OUT/hot_write_1.after"
echo "$(( $(transactions finished) - FINISHED_BEFORE )) $(( $(transactions retried) - RETRIED_BEFORE ))" >"$OUT/hot_write_transactions.txt"
read_every_product
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$APP_PID/status")
stop_app

log "near tier off (NEAR_CACHE_ENABLED=false)"
start_app "$OUT/stack" "${APP_ENV[@]}" NEAR_CACHE_ENABLED=false
warm
run health_no_near "$BASE_URL/health"
run cached_product_no_near "$BASE_URL/api/products/$ID"
run cached_list_no_near "$BASE_URL/api/products?page=1&limit=10"
stop_app

log "expiring hot key (CACHE_TTL_LIST_SECS=2, 30 s)"
# One list page read at full load while its entry expires every 2 s (+-10 %): served stale
# while one refresh per expiry reloads it. MongoDB page loads counted from /metrics.
list_loads() {
  curl -s "$BASE_URL/metrics" | sed -nE 's/^cache_database_reads_total\{layer="list"\} ([0-9]+).*/\1/p'
}
start_app "$OUT/stack" "${APP_ENV[@]}" CACHE_TTL_LIST_SECS=2
warm
LOADS_BEFORE=$(list_loads)
DURATION=30 run expiring_hot_list "$BASE_URL/api/products?page=1&limit=10"
echo $(( $(list_loads) - LOADS_BEFORE )) >"$OUT/expiring_hot_list_loads.txt"
stop_app

log "caching off (CACHE_ENABLED=false)"
start_app "$OUT/stack" "${APP_ENV[@]}" CACHE_ENABLED=false
warm
run uncached_product "$BASE_URL/api/products/$ID"
stop_stack

python3 - "$OUT" "$RSS_KB" "$CONNECTIONS" "$DURATION" "$PRODUCTS" <<'PY'
import json, re, sys
out, rss_kb, conns, duration, products = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
names = ["health", "cached_product", "cached_list", "cached_product_browser",
         "cached_list_browser", "not_modified", "mix_90_10", "hot_write_16", "hot_write_1",
         "health_no_near", "expiring_hot_list",
         "cached_product_no_near", "cached_list_no_near", "uncached_product"]
rows = {}
for name in names:
    text = open(f"{out}/{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)\s*$", text, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)\s*$", text, re.M).group(1))
    max_ms = ms(re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", text, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    rows[name] = {"requests_per_sec": rps, "p50_ms": p50, "p99_ms": p99, "max_ms": max_ms,
                  "non_2xx": int(errors.group(1)) if errors else 0}
for name, row in rows.items():
    health = rows["health_no_near" if name.endswith("_no_near") else "health"]["requests_per_sec"]
    row["ratio_to_health"] = round(row["requests_per_sec"] / health, 3)
def buckets(path, method):
    counts = {}
    for line in open(path):
        if f'method="{method}"' in line:
            bound = re.search(r'le="([^"]+)"', line).group(1)
            counts[float("inf") if bound == "+Inf" else float(bound)] = int(float(line.split()[-1]))
    return counts
def server_side(before, after, method):
    # Percentiles of one run from the difference of two scrapes of the cumulative
    # buckets: the bucket bound at which the share is reached (an upper bound, in ms).
    b, a = buckets(before, method), buckets(after, method)
    delta = sorted((bound, a[bound] - b.get(bound, 0)) for bound in a)
    total = delta[-1][1] if delta else 0
    ms = lambda bound: bound * 1000 if bound != float("inf") else "over 10000"
    pick = lambda share: next((ms(bound) for bound, n in delta if n >= share * total), None)
    return {"requests": total, "p50_ms_at_most": pick(0.5), "p99_ms_at_most": pick(0.99)}
server = {
    "mix_90_10 GET": server_side(f"{out}/mix_90_10.before", f"{out}/mix_90_10.after", "GET"),
    "mix_90_10 PUT": server_side(f"{out}/mix_90_10.before", f"{out}/mix_90_10.after", "PUT"),
    "hot_write_16 PUT": server_side(f"{out}/mix_90_10.after", f"{out}/hot_write_16.after", "PUT"),
    "hot_write_1 PUT": server_side(f"{out}/hot_write_16.after", f"{out}/hot_write_1.after", "PUT"),
}
cached, listed = rows["cached_product"], rows["cached_list"]
finished, retried = map(int, open(f"{out}/hot_write_transactions.txt").read().split())
hot_product_commands = int(open(f"{out}/cached_product_redis_commands.txt").read()) / duration
def command_counts(path):
    return {name: int(calls) for name, calls in (line.split() for line in open(path))}
before = command_counts(f"{out}/cached_product_commands.before")
after = command_counts(f"{out}/cached_product_commands.after")
# The INFO calls of this script are left out.
by_command = {name: round((calls - before.get(name, 0)) / duration, 1)
              for name, calls in after.items() if name != "info" and calls > before.get(name, 0)}
hot, lone = rows["hot_write_16"], rows["hot_write_1"]
expiring = rows["expiring_hot_list"]
expiring_loads = int(open(f"{out}/expiring_hot_list_loads.txt").read())
browser = lambda name: round(rows[f"{name}_browser"]["requests_per_sec"] / rows[name]["requests_per_sec"], 3)
targets = {
    "cached_product_vs_health >= 0.60": cached["ratio_to_health"],
    "cached_list_vs_health >= 0.50": listed["ratio_to_health"],
    "cached_product_p99_ms < 2": cached["p99_ms"],
    "peak_rss_mb < 100": round(rss_kb / 1024, 1),
    "cached_product_browser_vs_plain >= 0.90": browser("cached_product"),
    "cached_list_browser_vs_plain >= 0.90": browser("cached_list"),
    "not_modified_vs_cached_product >= 1.0": round(rows["not_modified"]["requests_per_sec"] / cached["requests_per_sec"], 3),
    "hot_write_16_p99_ms <= 1.5 x 16 x lone p50": [hot["p99_ms"], round(24 * lone["p50_ms"], 2)],
    "transaction_retries_per_write < 0.1": round(retried / max(finished, 1), 4),
    "redis_commands_per_sec_for_one_hot_product <= 5": round(hot_product_commands, 1),
    "expiring_hot_list_max_ms < 50": expiring["max_ms"],
    "expiring_hot_list_non_2xx == 0": expiring["non_2xx"],
    "expiring_hot_list_mongodb_page_loads <= 16 (one per 2 s TTL in 30 s, +1)": expiring_loads,
}
met = {
    "cached_product_vs_health >= 0.60": cached["ratio_to_health"] >= 0.60,
    "cached_list_vs_health >= 0.50": listed["ratio_to_health"] >= 0.50,
    "cached_product_p99_ms < 2": cached["p99_ms"] < 2,
    "peak_rss_mb < 100": rss_kb / 1024 < 100,
    "cached_product_browser_vs_plain >= 0.90": browser("cached_product") >= 0.90,
    "cached_list_browser_vs_plain >= 0.90": browser("cached_list") >= 0.90,
    "not_modified_vs_cached_product >= 1.0": rows["not_modified"]["requests_per_sec"] >= cached["requests_per_sec"],
    "hot_write_16_p99_ms <= 1.5 x 16 x lone p50": hot["p99_ms"] <= 24 * lone["p50_ms"],
    "transaction_retries_per_write < 0.1": retried / max(finished, 1) < 0.1,
    "redis_commands_per_sec_for_one_hot_product <= 5": hot_product_commands <= 5,
    "expiring_hot_list_max_ms < 50": expiring["max_ms"] < 50,
    "expiring_hot_list_non_2xx == 0": expiring["non_2xx"] == 0,
    "expiring_hot_list_mongodb_page_loads <= 16 (one per 2 s TTL in 30 s, +1)": expiring_loads <= 16,
}
print(f"\nwrk -t2 -c{conns} -d{duration}s, {products} products, release build, this machine")
print(f"{'scenario':<24}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'vs /health':>12}{'non-2xx':>9}")
for name, r in rows.items():
    print(f"{name:<24}{r['requests_per_sec']:>10.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['max_ms']:>9.2f}{r['ratio_to_health']:>12.2f}{r['non_2xx']:>9}")
for name, s in server.items():
    print(f"server-side {name}: {s['requests']} requests, p50 <= {s['p50_ms_at_most']} ms, p99 <= {s['p99_ms_at_most']} ms (histogram bucket bounds)")
print("Redis commands a second while the cached product ran, by command: " +
      ", ".join(f"{name} {rate}" for name, rate in sorted(by_command.items(), key=lambda kv: -kv[1])))
print(f"peak RSS of the server with the near tier, after every product was read once: {rss_kb / 1024:.1f} MB")
for name, value in targets.items():
    print(f"target {name}: {value} -> {'met' if met[name] else 'NOT met'}")
json.dump({"connections": conns, "duration_s": duration, "products": products, "scenarios": rows,
           "peak_rss_kb": rss_kb, "server_side": server,
           "cached_product_redis_commands_per_sec_by_command": by_command, "targets": targets, "targets_met": met}, open(f"{out}/results.json", "w"), indent=2)
print(f"written {out}/results.json")
PY
