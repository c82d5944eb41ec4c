#!/usr/bin/env bash
# A quick curl tour of every endpoint of a running instance, checking each status code.
# Environment: BASE_URL (http://127.0.0.1:8080), ADMIN_EMAIL, ADMIN_PASSWORD.
# Prints one line per call, then `N passed, M failed`; exits 1 on any failure.
set -uo pipefail
BASE_URL="${BASE_URL:-http://127.0.0.1:8080}"
: "${ADMIN_EMAIL:?set ADMIN_EMAIL}" "${ADMIN_PASSWORD:?set ADMIN_PASSWORD}"
PASSED=0; FAILED=0
BODY="$(mktemp)"; trap 'rm -f "$BODY"' EXIT
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d := d[k] for k in sys.argv[2].split(".")]; print(d)' "$BODY" "$1" 2>/dev/null; }

# call EXPECTED METHOD PATH [BODY] [TOKEN] [EXTRA-HEADER]
call() {
  local expected=$1 method=$2 path=$3 body=${4:-} token=${5:-} extra=${6:-}
  local args=(-s -o "$BODY" -w '%{http_code}' -X "$method" "$BASE_URL$path")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  [ -n "$extra" ] && args+=(-H "$extra")
  local status; status=$(curl "${args[@]}" 2>/dev/null || echo 000)
  if [ "$status" = "$expected" ]; then
    PASSED=$((PASSED + 1)); echo "PASS  $method $path -> $status"
  else
    FAILED=$((FAILED + 1)); echo "FAIL  $method $path -> $status (expected $expected)"
  fi
}

user="tour-$$-$RANDOM@example.com"
call 200 GET /health
call 200 GET /api/health
call 200 GET /api/health/live
call 200 GET /api/health/ready
call 200 GET /metrics
call 200 GET /api-docs/
call 200 GET /api-docs/openapi.json
call 201 POST /api/auth/register "{\"email\":\"$user\",\"password\":\"tour-password-1\"}"
call 200 POST /api/auth/login "{\"email\":\"$user\",\"password\":\"tour-password-1\"}"
USER_TOKEN=$(json data.token)
call 200 POST /api/auth/login "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}"
ADMIN_TOKEN=$(json data.token)
call 200 GET /api/auth/session "" "$USER_TOKEN"
call 401 POST /api/products '{"name":"Tour Product","description":"Created by the endpoint tour","price":5,"stock":1,"category":"tour"}'
call 403 POST /api/products '{"name":"Tour Product","description":"Created by the endpoint tour","price":5,"stock":1,"category":"tour"}' "$USER_TOKEN"
call 201 POST /api/products '{"name":"Tour Product","description":"Created by the endpoint tour","price":5,"stock":1,"category":"tour"}' "$ADMIN_TOKEN"
ID=$(json data.id)
call 200 GET "/api/products?category=tour&sort=-price&page=1&limit=5"
call 200 GET "/api/products/count?category=tour"
call 200 GET "/api/products/$ID"
call 400 GET /api/products/not-an-id
call 200 PUT "/api/products/$ID" '{"stock":2}' "$ADMIN_TOKEN"
call 412 PUT "/api/products/$ID" '{"stock":3}' "$ADMIN_TOKEN" 'If-Match: "1"'
call 200 PATCH "/api/products/$ID/wishlist" '{"isWishlistStatus":true}' "$USER_TOKEN"
call 200 GET /api/products/wishlist "" "$USER_TOKEN"
call 200 GET /api/cache/stats "" "$ADMIN_TOKEN"
call 200 GET /api/cache/status "" "$ADMIN_TOKEN"
call 200 DELETE "/api/cache/invalidate?scope=lists" "" "$ADMIN_TOKEN"
call 200 DELETE "/api/products/$ID" "" "$ADMIN_TOKEN"
call 404 GET "/api/products/$ID"
call 200 POST /api/auth/logout-all "" "$USER_TOKEN"
call 401 POST /api/auth/logout "" "$USER_TOKEN"
call 200 POST /api/auth/logout "" "$ADMIN_TOKEN"
call 404 GET /no-such-route
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
