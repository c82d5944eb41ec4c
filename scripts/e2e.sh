#!/usr/bin/env bash
# End-to-end checks against a freshly started instance (built debug binary, throw-away
# Redis and MongoDB-wire server on free ports): the endpoint tour, verify-redis.sh, the
# same with Redis stopped (it must fail), schemathesis fuzzing from our own OpenAPI
# document (no 5xx, no response that violates the schema; the endless event streams are
# left out), and the status page in headless Chromium (scripts/test-status-page.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
SCHEMATHESIS_VERSION="4.32.5"
LOGS="$ROOT/target/e2e"
rm -rf "$LOGS"; mkdir -p "$LOGS"
trap stop_stack EXIT

[ -x "$VENV/bin/schemathesis" ] || {
  log "installing schemathesis==$SCHEMATHESIS_VERSION into the venv"
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}
log "building the binary"
cargo build -q --bin product-catalog
APP_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/product-catalog"
export ADMIN_EMAIL="admin@e2e.example" ADMIN_PASSWORD="e2e-admin-password"

log "endpoint tour and verify-redis.sh against a fresh instance"
start_stack "$LOGS/stack1" ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD" RATE_LIMIT_READ=120/60s
BASE_URL="$BASE_URL" bash scripts/test-redis-endpoints.sh
BASE_URL="$BASE_URL" REDIS_URL="$STACK_REDIS_URL" REDIS_KEY_PREFIX="$STACK_PREFIX" bash scripts/verify-redis.sh

log "verify-redis.sh with Redis stopped must report failures"
kill "${STACK_PIDS[0]}"; wait "${STACK_PIDS[0]}" 2>/dev/null || true
if BASE_URL="$BASE_URL" REDIS_URL="$STACK_REDIS_URL" REDIS_KEY_PREFIX="$STACK_PREFIX" \
  bash scripts/verify-redis.sh >"$LOGS/verify-without-redis.txt"; then
  cat "$LOGS/verify-without-redis.txt"; log "verify-redis.sh passed without Redis"; exit 1
fi
grep -q "FAIL  Redis reachable" "$LOGS/verify-without-redis.txt"
log "it did: $(tail -1 "$LOGS/verify-without-redis.txt")"
stop_stack

log "schemathesis against a fresh instance"
start_stack "$LOGS/stack2" ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  RATE_LIMIT_READ=1000000/60s RATE_LIMIT_WRITE=1000000/60s RATE_LIMIT_AUTH=1000000/60s
TOKEN=$(curl -s -X POST "$BASE_URL/api/auth/login" -H 'Content-Type: application/json' \
  --data "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')
"$VENV/bin/schemathesis" run "$BASE_URL/api-docs/openapi.json" \
  --checks not_a_server_error,response_schema_conformance \
  --header "Authorization: Bearer $TOKEN" \
  --exclude-path-regex '^/api/auth/logout|/events' \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --seed 1 --request-timeout 10 --workers 2 \
  --no-color 2>&1 | tee "$LOGS/schemathesis.txt"
stop_stack

log "the status page in headless Chromium"
export APP_BIN
bash scripts/test-status-page.sh
log "e2e done"
