#!/usr/bin/env bash
# CPU per request of the server and of wrk, and the machine's idle share, for /health, a
# cached product GET and a cached list GET: where a lower throughput comes from (more work
# per request, or CPU left idle because requests wait on each other).
#
# Usage: bash scripts/cpu-per-request.sh     (PRODUCTS=200 DURATION=6 ROUNDS=2; release build)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
PRODUCTS="${PRODUCTS:-200}"; DURATION="${DURATION:-6}"; ROUNDS="${ROUNDS:-2}"
trap stop_stack EXIT
command -v wrk >/dev/null 2>&1 || apt_install wrk
build_release
start_stack "$ROOT/target/cpu-per-request" RATE_LIMIT_READ=1000000/1s RATE_LIMIT_WRITE=1000000/60s
seed_stack "$PRODUCTS" >/dev/null
ID=$(first_product_id)
for _ in 1 2; do
  curl -s -o /dev/null "$BASE_URL/api/products/$ID"; curl -s -o /dev/null "$BASE_URL/api/products?page=1&limit=10"
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
idle() { awk '/^cpu / {print $5 + $6}' /proc/stat; }
total() { awk '/^cpu / {s = 0; for (i = 2; i <= NF; i++) s += $i; print s}' /proc/stat; }
printf '%-14s %9s %8s %13s %13s %8s\n' scenario 'req/s' 'p99' 'server us/req' 'wrk us/req' 'idle'
for _ in $(seq "$ROUNDS"); do
  for name in health product list; do
    case $name in
      health) url="$BASE_URL/health" ;;
      product) url="$BASE_URL/api/products/$ID" ;;
      list) url="$BASE_URL/api/products?page=1&limit=10" ;;
    esac
    app0=$(ticks "$APP_PID"); idle0=$(idle); total0=$(total)
    /usr/bin/time -f '%U %S' -o "$ROOT/target/cpu-per-request/wrk.time" \
      wrk -t2 -c32 "-d${DURATION}s" --latency "$url" >"$ROOT/target/cpu-per-request/wrk.out"
    app1=$(ticks "$APP_PID"); idle1=$(idle); total1=$(total)
    python3 - "$name" "$DURATION" "$app0" "$app1" "$idle0" "$idle1" "$total0" "$total1" \
      "$ROOT/target/cpu-per-request" <<'PY'
import re, sys
name, duration = sys.argv[1], int(sys.argv[2])
app0, app1, idle0, idle1, total0, total1 = map(float, sys.argv[3:9])
out = open(f"{sys.argv[9]}/wrk.out").read()
user, system = map(float, open(f"{sys.argv[9]}/wrk.time").read().split())
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p99 = re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M).group(1)
requests = rps * duration
print(f"{name:<14} {rps:9.0f} {p99:>8} {(app1 - app0) / 100 / requests * 1e6:13.2f} "
      f"{(user + system) / requests * 1e6:13.2f} {(idle1 - idle0) / (total1 - total0):8.2f}")
PY
  done
done
