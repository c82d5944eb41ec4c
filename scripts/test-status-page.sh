#!/usr/bin/env bash
# The status page in a real browser: Debian's chromium (installed here if missing, never a
# downloaded one) driven by playwright-core (npm, pinned in tests/browser), against a
# fresh instance. Saves target/e2e/status-page.png. Prints "N passed, 0 failed".
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
LOGS="$ROOT/target/e2e"
mkdir -p "$LOGS"
trap stop_stack EXIT

command -v chromium >/dev/null 2>&1 || apt_install chromium
command -v node >/dev/null 2>&1 || apt_install nodejs npm
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  log "installing playwright-core (no browser download)"
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi
[ -n "${APP_BIN:-}" ] || { cargo build -q --bin product-catalog; APP_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/product-catalog"; }
export APP_BIN
ADMIN_EMAIL="admin@status.example" ADMIN_PASSWORD="status-admin-password"
start_stack "$LOGS/status-stack" ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD"
TOKEN=$(curl -s -X POST "$BASE_URL/api/auth/login" -H 'Content-Type: application/json' \
  --data "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')
node tests/browser/status_page.mjs "$BASE_URL" "$TOKEN" "$LOGS/status-page.png"
