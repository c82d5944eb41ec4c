#!/usr/bin/env bash
# The project's test command: installs what is missing (redis-server, the SecantusDB venv
# when there is no mongod, schemathesis), then formatting, lints, every Rust test, the
# cluster subset against a throw-away Redis Cluster (scripts/test-cluster.sh), and the
# end-to-end scripts against a freshly started instance. Tests start their own
# Redis and MongoDB-wire servers on free loopback ports (or use TEST_REDIS_URL /
# TEST_MONGODB_URI); they never touch the servers on 6379 / 27017.
set -euo pipefail
# pipefail: a failing test or check fails the run even though its output goes through tee.
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
log "no import cycles between source files"
python3 scripts/check-import-cycles.py
log "cargo test --all-features"
mkdir -p target
cargo test --all-features 2>&1 | tee target/cargo-test.txt
log "cluster subset: API tests against a 3-primary Redis Cluster"
bash scripts/test-cluster.sh 2>&1 | tee target/cargo-test-cluster.txt
log "end-to-end: endpoint tour, verify-redis.sh, schemathesis"
bash scripts/e2e.sh 2>&1 | tee target/e2e.txt
# One closing line for the whole run: Rust tests plus the scripted end-to-end checks.
passed=$(cat target/cargo-test.txt target/cargo-test-cluster.txt target/e2e.txt \
  | sed -nE 's/^test result: ok\. ([0-9]+) passed.*/\1/p; s/^([0-9]+) passed, 0 failed$/\1/p' \
  | awk '{ total += $1 } END { print total + 0 }')
echo "total: $passed passed, 0 failed"
