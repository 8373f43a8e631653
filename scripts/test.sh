#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, build, test, fmt, clippy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TERM_COLOR=never
echo "== build"
cargo build --workspace --all-targets --locked
echo "== fmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
cargo nextest run --workspace --locked --no-fail-fast
cargo test --doc --workspace --locked
echo "== API clients: Postman collection under newman, schemathesis against /openapi.yaml"
RUN_TIMEOUT=900 bash admin-api/postman/run.sh
echo "== fuzz smoke (10 s per target)"
for t in rules body normalize inspect; do
  cargo run --release --locked -q -p waf-fuzz --bin fuzz -- "$t" --seconds 10
done
