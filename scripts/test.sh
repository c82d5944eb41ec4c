#!/usr/bin/env bash
# The project's test command: installs what is missing (redis-server, the SecantusDB venv
# when there is no mongod, schemathesis), then formatting, lints, every Rust test, and the
# end-to-end scripts against a freshly started instance. Tests start their own
# Redis and MongoDB-wire servers on free loopback ports (or use TEST_REDIS_URL /
# TEST_MONGODB_URI); they never touch the servers on 6379 / 27017.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_redis_server
[ -n "${TEST_MONGODB_URI:-}" ] || ensure_mongo_server >/dev/null
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy

log "cargo fmt --check"
cargo fmt --check
log "cargo clippy --all-targets --all-features -- -D warnings"
cargo clippy --all-targets --all-features -- -D warnings
log "cargo test --all-features"
cargo test --all-features
log "end-to-end: endpoint tour, verify-redis.sh, schemathesis"
bash scripts/e2e.sh
