#!/usr/bin/env bash
# Where bench.sh's p99 comes from. wrk and the server share this machine's cores, so a
# request's latency includes any time wrk's thread or the server's worker spent runnable
# but waiting for a CPU. For /health (nothing beyond HTTP and the middleware) and a cached
# product GET, ROUNDS alternating wrk runs (2 threads, 32 connections, as bench.sh) print
# p50 to p99.9 and the maximum; then the same run again with the scheduler recorded (perf
# sched, which slows the machine, so its latencies are not the ones printed) to print, for
# wrk's threads and for the server's workers, how often one of them waited more than 1 ms
# for a CPU once runnable, the longest such wait, and the share of its time spent waiting.
#
# Usage: bash scripts/tail-latency.sh     (PRODUCTS=200 DURATION=8 ROUNDS=3; release build)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
PRODUCTS="${PRODUCTS:-200}"; DURATION="${DURATION:-8}"; ROUNDS="${ROUNDS:-3}"
OUT="$ROOT/target/tail-latency"; rm -rf "$OUT"; mkdir -p "$OUT"
trap stop_stack EXIT
command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v perf >/dev/null 2>&1 || apt_install linux-perf
build_release
start_stack "$OUT" RATE_LIMIT_READ=1000000/1s RATE_LIMIT_WRITE=1000000/60s
seed_stack "$PRODUCTS" >/dev/null
ID=$(first_product_id)
for _ in 1 2 3; do curl -s -o /dev/null "$BASE_URL/api/products/$ID"; done
cat >"$OUT/percentiles.lua" <<'LUA'
done = function(summary, latency, requests)
  local line = string.format("%.0f", summary.requests / (summary.duration / 1e6))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    line = line .. string.format(" %.2f", latency:percentile(p) / 1000)
  end
  io.write(line .. string.format(" %.2f\n", latency.max / 1000))
end
LUA

# delays PERF_FILE WRK_PID: one line per group (wrk's threads, the server's workers):
# waits for a CPU over 1 ms, the longest, and the share of the recorded time spent waiting
delays() {
  perf sched timehist -i "$1" 2>/dev/null | python3 -c '
import re, sys
wrk_pid, app_pid, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
line_re = re.compile(r"^\s*[\d.]+\s+\[\d+\]\s+(.+?)\[\d+/(\d+)\]\s+[\d.]+\s+([\d.]+)\s+[\d.]+")
groups = {"wrk": [], "workers": []}
for line in sys.stdin:
    m = line_re.match(line)
    if not m:
        continue
    name, pid, delay = m.group(1), m.group(2), float(m.group(3))
    if pid == wrk_pid:
        groups["wrk"].append(delay)
    elif pid == app_pid and name.startswith("actix-server wo"):
        groups["workers"].append(delay)
out = []
for group, delays in groups.items():
    over = sum(1 for d in delays if d > 1.0)
    waited = sum(delays) / 1000 / seconds / 2
    out.append(f"{group}: {over} waits > 1 ms, max {max(delays, default=0):.2f} ms, {waited:.0%} of time waiting")
print("; ".join(out))
' "$2" "$APP_PID" "$((DURATION - 2))"
}

printf '%-8s %-8s %8s %7s %7s %7s %7s %7s   %s\n' round scenario 'req/s' p50 p90 p99 p99.9 max \
  'waits for a CPU during the run (per thread group)'
for round in $(seq "$ROUNDS"); do
  for name in health product; do
    case $name in
      health) url="$BASE_URL/health" ;;
      product) url="$BASE_URL/api/products/$ID" ;;
    esac
    wrk -t2 -c32 "-d${DURATION}s" -s "$OUT/percentiles.lua" "$url" >"$OUT/wrk.out"
    read -r rps p50 p90 p99 p999 max < <(tail -1 "$OUT/wrk.out")
    wrk -t2 -c32 "-d${DURATION}s" "$url" >/dev/null &
    wrk_pid=$!
    sleep 1
    perf sched record -q -o "$OUT/sched.data" -- sleep "$((DURATION - 2))" >/dev/null 2>&1
    wait "$wrk_pid"
    printf '%-8s %-8s %8s %7s %7s %7s %7s %7s   %s\n' "$round" "$name" "$rps" "$p50" "$p90" \
      "$p99" "$p999" "$max" "$(delays "$OUT/sched.data" "$wrk_pid")"
  done
done
echo "(latencies in ms; wrk: 2 threads, 32 connections, ${DURATION} s; waits: a second run of the same, its middle $((DURATION - 2)) s recorded)"
