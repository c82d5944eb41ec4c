#!/usr/bin/env bash
# Verifies, against a running instance, that Redis does its jobs: reachability,
# write-through, cache-aside, list invalidation, no stale read, sessions, cache stats and
# rate limiting. One line per check, then `N passed, M failed`; exits 1 on any failure.
#
# Environment: BASE_URL (http://127.0.0.1:8080), REDIS_URL (redis://127.0.0.1:6379),
# REDIS_KEY_PREFIX (pa:), ADMIN_EMAIL and ADMIN_PASSWORD (an admin account of the instance).
# Needs curl, redis-cli and python3. The rate-limit check runs last: it uses up this
# client's read quota for one window.
set -uo pipefail
BASE_URL="${BASE_URL:-http://127.0.0.1:8080}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
PREFIX="${REDIS_KEY_PREFIX:-pa:}"
: "${ADMIN_EMAIL:?set ADMIN_EMAIL}" "${ADMIN_PASSWORD:?set ADMIN_PASSWORD}"
PASSED=0; FAILED=0
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
RUN="verify-$$-$RANDOM"

# req METHOD PATH [BODY] [TOKEN] -> status in $STATUS, body in $TMP/body, headers in $TMP/headers
req() {
  local method=$1 path=$2 body=${3:-} token=${4:-}
  local args=(-s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$method" "$BASE_URL$path")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  STATUS=$(curl "${args[@]}" 2>/dev/null || echo 000)
}
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d := d[int(k)] if isinstance(d, list) else d[k] for k in sys.argv[2].split(".")]; print(d)' "$TMP/body" "$1" 2>/dev/null; }
header() { grep -i "^$1:" "$TMP/headers" | tail -1 | cut -d: -f2- | tr -d ' \r'; }
rcli() { redis-cli -u "$REDIS_URL" "$@" 2>/dev/null; }

# Runs a check in this shell (so it can set TOKEN and ID for later checks).
check() {
  local name=$1; shift
  if "$@" >"$TMP/reason" 2>&1; then
    PASSED=$((PASSED + 1)); echo "PASS  $name"
  else
    FAILED=$((FAILED + 1)); echo "FAIL  $name: $(tr '\n' ' ' <"$TMP/reason")"
  fi
}

redis_reachable() { [ "$(rcli ping)" = PONG ] || { echo "redis-cli ping did not answer PONG"; return 1; }; }

admin_session() {
  req POST /api/auth/login "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}"
  [ "$STATUS" = 200 ] || { echo "login answered $STATUS"; return 1; }
  TOKEN=$(json data.token); [ -n "$TOKEN" ]
}

write_through() {
  req POST /api/products "{\"name\":\"Verify $RUN\",\"description\":\"Created by verify-redis.sh\",\"price\":12.5,\"stock\":3,\"category\":\"$RUN\"}" "${TOKEN:-}"
  [ "$STATUS" = 201 ] || { echo "create answered $STATUS"; return 1; }
  ID=$(json data.id)
  local ttl; ttl=$(rcli PTTL "${PREFIX}product:$ID")
  [ -n "$ttl" ] && [ "$ttl" -gt 0 ] || { echo "key ${PREFIX}product:$ID has no TTL (PTTL=$ttl)"; return 1; }
  rcli GET "${PREFIX}product:$ID" | grep -q "\"version\":1" || { echo "cached entry lacks version 1"; return 1; }
}

cache_aside() {
  req GET "/api/products?category=$RUN&limit=7"; local first; first=$(header x-cache)
  req GET "/api/products?limit=7&category=$RUN"; local second; second=$(header x-cache)
  [ "$first/$second" = "MISS/HIT" ] || { echo "X-Cache was $first then $second, expected MISS then HIT"; return 1; }
}

list_invalidation() {
  req PUT "/api/products/${ID:-none}" '{"stock":41}' "${TOKEN:-}"
  [ "$STATUS" = 200 ] || { echo "update answered $STATUS"; return 1; }
  req GET "/api/products?category=$RUN&limit=7"
  [ "$(header x-cache)" = MISS ] || { echo "X-Cache $(header x-cache) after a write, expected MISS"; return 1; }
  [ "$(json data.products.0.stock)" = 41 ] || { echo "list shows stock $(json data.products.0.stock)"; return 1; }
}

no_stale_read() {
  req GET "/api/products/${ID:-none}"
  req PUT "/api/products/${ID:-none}" '{"stock":42}' "${TOKEN:-}"
  [ "$STATUS" = 200 ] || { echo "update answered $STATUS"; return 1; }
  req GET "/api/products/${ID:-none}"
  [ "$(json data.stock)" = 42 ] || { echo "read after update saw stock $(json data.stock)"; return 1; }
  [ "$(header x-data-source)" = cache ] || { echo "X-Data-Source $(header x-data-source), expected the written-through cache"; return 1; }
}

sessions() {
  req POST /api/auth/login "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}"
  [ "$STATUS" = 200 ] || { echo "login answered $STATUS"; return 1; }
  local token; token=$(json data.token)
  req GET /api/auth/session "" "$token"; [ "$STATUS" = 200 ] || { echo "session answered $STATUS"; return 1; }
  rcli --scan --pattern "${PREFIX}session:*" | grep -q . || { echo "no session key in Redis"; return 1; }
  req POST /api/auth/logout "" "$token"; [ "$STATUS" = 200 ] || { echo "logout answered $STATUS"; return 1; }
  req GET /api/auth/session "" "$token"; [ "$STATUS" = 401 ] || { echo "logged-out token answered $STATUS"; return 1; }
}

stats_moving() {
  req GET /api/cache/stats "" "${TOKEN:-}"; [ "$STATUS" = 200 ] || { echo "stats answered $STATUS"; return 1; }
  [ "$(json data.redis.connected)" = True ] || { echo "stats say Redis is not connected"; return 1; }
  local before; before=$(json data.hits)
  req GET "/api/products/${ID:-none}"; req GET "/api/products/${ID:-none}"
  req GET /api/cache/stats "" "${TOKEN:-}"
  local after; after=$(json data.hits)
  [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ] || { echo "hits did not move ($before -> $after)"; return 1; }
}

rate_limited() {
  req GET /api/products/count
  local limit; limit=$(header x-ratelimit-limit)
  [ -n "$limit" ] && [ -n "$(header x-ratelimit-remaining)" ] && [ -n "$(header x-ratelimit-reset)" ] \
    || { echo "X-RateLimit-* headers missing"; return 1; }
  local i
  for i in $(seq 1 $((limit + 1))); do
    req GET /api/products/count
    if [ "$STATUS" = 429 ]; then
      [ -n "$(header retry-after)" ] || { echo "429 without Retry-After"; return 1; }
      [ "$(json status)" = error ] || { echo "429 without the error envelope"; return 1; }
      return 0
    fi
  done
  echo "no 429 after $((limit + 1)) requests with a limit of $limit"; return 1
}

check "Redis reachable" redis_reachable
check "admin session" admin_session
check "write-through: key present with TTL after create" write_through
check "cache-aside: MISS then HIT" cache_aside
check "list invalidation after a write" list_invalidation
check "no stale read after an update" no_stale_read
check "session create, validate, logout" sessions
check "cache stats moving" stats_moving
check "rate-limit headers and a 429" rate_limited
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
