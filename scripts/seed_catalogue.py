"""Stores N products with realistic text straight into MongoDB, in batches of 1,000, for
the scale and export benchmarks: names and descriptions drawn from a word list (one product
in 5,000 has a rare word), 40 categories, spread prices and stock, and the search fields the
service would give them (its folding, for ASCII text). Prints the seed rate as JSON.

Usage: python3 scripts/seed_catalogue.py MONGO_PORT N   (database `e2e`, as scripts/lib.sh)
"""
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
