#!/usr/bin/env bash
# What an uncached read costs as the catalogue grows. For each N in SIZES (default
# "10000 100000"): a fresh stack, N products stored with realistic text (names and
# descriptions drawn from a word list, 40 categories, spread prices and stock) straight
# into MongoDB in batches, then the release build started with every cache off
# (CACHE_ENABLED=false, so each request reaches MongoDB); the products are stored with the
# search fields the service would give them (its folding, for ASCII text). Then, SAMPLES requests each, one at a time: product GET,
# list page 1, list at depth 5,000 by page and by cursor, three searches of different
# selectivity (common, medium, rare word), count, and facets. Prints median, p99 and
# status codes per read and N, and the growth from the first N to the last, as a table and
# as JSON (target/bench-scale/results.json). The seed rate is the batch insert's; the
# service's own create path is measured by `product-catalog seed` (scripts/bench.sh).
# MongoDB calls may take up to 60 s here (the Python stand-in scans 100,000 products in
# seconds, and its driver heartbeat must not give up on it meanwhile).
#
# Usage: bash scripts/bench-scale.sh       (SIZES="10000 100000" SAMPLES=30)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
SIZES="${SIZES:-10000 100000}"; SAMPLES="${SAMPLES:-30}"
OUT="$ROOT/target/bench-scale"; rm -rf "$OUT"; mkdir -p "$OUT"
trap stop_stack EXIT
log "building release"
build_release
python_with_pymongo

for N in $SIZES; do
  log "catalogue of $N products"
  # On disk: 100,000 products with their search indexes outgrow the stand-in's memory cache.
  export SECANTUS_STORAGE="$OUT/mongo-data-$N"; mkdir -p "$SECANTUS_STORAGE"
  start_stack "$OUT/stack-$N" CACHE_ENABLED=false CACHE_WARM_ON_START=false \
    RATE_LIMIT_READ=1000000/1s MONGODB_OPERATION_TIMEOUT_MS=60000 MONGODB_TIMEOUT_MS=60000
  stop_app
  "$PYTHON" scripts/seed_catalogue.py "$MONGO_PORT" "$N" >"$OUT/seed-$N.json"
  log "seeded: $(cat "$OUT/seed-$N.json")"
  start_app "$OUT/stack-$N" CACHE_ENABLED=false CACHE_WARM_ON_START=false \
    RATE_LIMIT_READ=1000000/1s MONGODB_OPERATION_TIMEOUT_MS=60000 MONGODB_TIMEOUT_MS=60000
  "$PYTHON" - "$APP_PORT" "$MONGO_PORT" "$N" "$SAMPLES" >"$OUT/reads-$N.json" <<'PY'
import http.client, json, sys, time, urllib.parse
import pymongo
app, mongo, n, samples = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
products = pymongo.MongoClient(f"mongodb://127.0.0.1:{mongo}/?directConnection=true").e2e.products
began = time.monotonic()
while products.count_documents({"searchTerms": {"$exists": False}}, limit=1):
    if time.monotonic() - began > 3600:
        sys.exit("search terms never filled in")
    time.sleep(2)
terms_seconds = round(time.monotonic() - began, 1)
conn = http.client.HTTPConnection("127.0.0.1", app, timeout=60)
def get(path):
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return response.status, (time.perf_counter() - started) * 1000, body
def data(path):
    status, _, body = get(path)
    if status != 200:
        sys.exit(f"GET {path}: {status} {body[:200]!r}")
    return json.loads(body)["data"]
first = data("/api/products?limit=1")["products"][0]["id"]
cursor, depth = None, 0
while depth < 5000:
    page = data("/api/products?limit=100" + (f"&cursor={cursor}" if cursor else ""))
    depth += len(page["products"]); cursor = page["nextCursor"]
reads = {
    "product GET": f"/api/products/{first}",
    "list page 1": "/api/products?limit=25",
    "list depth 5,000 by page": "/api/products?page=201&limit=25",
    "list depth 5,000 by cursor": f"/api/products?limit=25&cursor={urllib.parse.quote(cursor)}",
    "search common (oak)": "/api/products?search=oak&limit=25",
    "search medium (oak lantern)": "/api/products?search=oak%20lantern&limit=25",
    "search rare (zyzzyva)": "/api/products?search=zyzzyva&limit=25",
    "search as typed (summ)": "/api/products?search=summ&limit=25",
    "count (isActive, minPrice)": "/api/products/count?isActive=true&minPrice=500",
    "facets (all)": "/api/products/facets",
}
results = {}
for name, path in reads.items():
    times, statuses = [], {}
    for _ in range(samples):
        status, ms, _ = get(path)
        times.append(ms); statuses[str(status)] = statuses.get(str(status), 0) + 1
    times.sort()
    results[name] = {
        "median_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
        "statuses": statuses,
    }
print(json.dumps({"products": n, "terms_filled_in_s": terms_seconds, "reads": results}))
PY
  log "measured $N"
  stop_stack
done

"$PYTHON" - "$OUT" $SIZES <<'PY'
import json, sys
out, sizes = sys.argv[1], sys.argv[2:]
reads = {n: json.load(open(f"{out}/reads-{n}.json")) for n in sizes}
seeds = {n: json.load(open(f"{out}/seed-{n}.json")) for n in sizes}
names = list(reads[sizes[0]]["reads"])
header = f"{'uncached read':<30}" + "".join(f"{n + ' p50':>12}{n + ' p99':>12}" for n in sizes)
if len(sizes) > 1:
    header += f"{'growth p50':>12}"
print(header)
for name in names:
    row = f"{name:<30}"
    for n in sizes:
        r = reads[n]["reads"][name]
        bad = "" if list(r["statuses"]) == ["200"] else "!"
        row += f"{r['median_ms']:>11.1f}{bad or ' '}{r['p99_ms']:>12.1f}"
    if len(sizes) > 1:
        row += f"{reads[sizes[-1]]['reads'][name]['median_ms'] / reads[sizes[0]]['reads'][name]['median_ms']:>11.1f}x"
    print(row)
print("(! = some answers were not 200: see statuses in the JSON)")
for n in sizes:
    print(f"{n}: seeded {seeds[n]['per_second']}/s, search terms filled in after {reads[n]['terms_filled_in_s']} s")
json.dump({"seed": seeds, "reads": reads}, open(f"{out}/results.json", "w"), indent=2)
PY
