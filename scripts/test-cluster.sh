#!/usr/bin/env bash
# The cluster subset: the API tests of every capability that touches Redis (CRUD, cached
# reads, list and HTTP cache invalidation, rate limits, sessions and logout-all, wishlists,
# cache admin and stats, metrics, uncertain writes, the near tier across two instances,
# product events and their resume, shopper events)
# against a throw-away Redis Cluster of 3 primaries and 3 replicas started by
# scripts/redis-cluster.sh. Tests that start their own single Redis (outages, TLS, ACL,
# memory caps, connection kills) run in the full suite only.
#
# Usage: bash scripts/test-cluster.sh        (from scripts/test.sh, or alone)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_redis_server
[ -n "${TEST_MONGODB_URI:-}" ] || ensure_mongo_server >/dev/null
export REDIS_CLUSTER_DIR="$ROOT/target/test-cluster"
bash scripts/redis-cluster.sh stop >/dev/null 2>&1 || true
trap 'bash scripts/redis-cluster.sh stop >/dev/null 2>&1 || true' EXIT
url=$(bash scripts/redis-cluster.sh start | sed -n 's/^REDIS_URL=//p')
[ -n "$url" ] || { log "the test cluster did not start"; exit 1; }
log "cluster subset against $url"
TEST_REDIS_URL="$url" cargo test --all-features --test api -- \
  products_ caching:: http_cache:: cache_admin:: rate_limits:: auth:: session_lifetime:: \
  session_store::logout_all wishlist metrics:: uncertain_writes:: \
  near_cache::near_cache_a_write_to_one events::two_hundred events::a_malformed
