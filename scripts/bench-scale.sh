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
PYTHON="$(command -v python3)"
[ -x "$ROOT/.venv/bin/python" ] && PYTHON="$ROOT/.venv/bin/python"
"$PYTHON" -c 'import pymongo' 2>/dev/null || "$PYTHON" -m pip install -q pymongo

for N in $SIZES; do
  log "catalogue of $N products"
  # On disk: 100,000 products with their search indexes outgrow the stand-in's memory cache.
  export SECANTUS_STORAGE="$OUT/mongo-data-$N"; mkdir -p "$SECANTUS_STORAGE"
  start_stack "$OUT/stack-$N" CACHE_ENABLED=false CACHE_WARM_ON_START=false \
    RATE_LIMIT_READ=1000000/1s MONGODB_OPERATION_TIMEOUT_MS=60000 MONGODB_TIMEOUT_MS=60000
  stop_app
  "$PYTHON" - "$MONGO_PORT" "$N" >"$OUT/seed-$N.json" <<'PY'
import json, random, re, sys, time
from datetime import datetime, timedelta, timezone
import pymongo
port, n = int(sys.argv[1]), int(sys.argv[2])
words = """amber anchor apple arch arrow aspen atlas autumn badge bamboo basalt beacon bell
birch blaze bloom bolt bond boulder breeze brick bridge bright brook brush cabin canvas canyon
carbon cargo cedar chalk charm cherry cinder citrus clay cliff cloud clover coast cobalt comet
copper coral cotton crane crest crystal dawn delta denim desert drift dune dusk eagle echo
ember fable falcon fern field flame flint forest frost garnet glacier granite grove harbor
hazel heath hollow horizon indigo iris iron ivory jade jasper juniper kestrel lagoon lantern
larch lava leaf linen lotus maple marble meadow mesa mint mist moss nectar nimbus oak ocean
olive onyx orchid otter pebble pepper pine plume polar poppy prairie quartz quill rain raven
reed ridge river robin rust saffron sage sand sapphire shadow shale sierra silk slate snow
spruce stone storm summit sun thistle thunder tide timber topaz trail tundra valley velvet
willow wind wolf zephyr""".split()
kinds = """shoe jacket lamp table chair mug kettle backpack tent scarf watch bottle blanket
boots sofa desk shelf rug vase pillow""".split()
rare = "zyzzyva"
def terms_of(text):
    # The service's folding (src/domain/search.rs) for ASCII text: lower case, split at
    # anything that is not a letter or digit.
    return re.findall(r"[0-9a-z]+", text.lower())
def search_fields(name, description, category):
    titles = terms_of(name) + terms_of(category)
    terms = set(titles + terms_of(description))
    prefixes = {w[:end] for w in titles for end in range(1, min(len(w), 10) + 1)}
    prefixes |= terms | {t[:10] for t in terms}
    return {"searchTerms": sorted(terms), "nameTerms": sorted(set(terms_of(name))),
            "searchPrefixes": sorted(prefixes)}
rng = random.Random(28)
client = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true")
products = client.e2e.products
start = datetime.now(timezone.utc) - timedelta(days=365)
began = time.monotonic()
batch = []
for i in range(n):
    name = f"{rng.choice(words).title()} {rng.choice(words).title()} {rng.choice(kinds).title()}"
    description = " ".join(rng.choice(words) for _ in range(rng.randint(12, 30)))
    if i % 5000 == 17:
        description += " " + rare
    at = start + timedelta(seconds=i * 300 + rng.randint(0, 299))
    category = f"{rng.choice(kinds)}s-{i % 2}"
    batch.append({
        **search_fields(name, description, category),
        "name": name, "description": description.capitalize() + ".",
        "priceCents": rng.randint(99, 99_999), "stock": rng.choice([0, 0, 1, 5, 12, 40, 200]),
        "category": category, "images": [], "isActive": rng.random() > 0.1,
        "wishlistCount": 0, "version": 1, "revision": 1, "createdAt": at, "updatedAt": at,
    })
    if len(batch) == 1000:
        products.insert_many(batch); batch = []
if batch:
    products.insert_many(batch)
seconds = time.monotonic() - began
print(json.dumps({"products": n, "seconds": round(seconds, 1), "per_second": round(n / seconds)}))
PY
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
