#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, build, test, fmt, clippy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TERM_COLOR=never
# A one-shot build gains nothing from incremental state, which took 2 GB of target/.
export CARGO_INCREMENTAL=0
phase() { echo "== $* (at ${SECONDS}s)"; }
phase "build"
cargo build --workspace --all-targets --locked
phase "fmt"
cargo fmt --all -- --check
phase "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
phase "tests"
cargo nextest run --workspace --locked --no-fail-fast
cargo test --doc --workspace --locked
phase "API clients: Postman collection under newman, schemathesis against /openapi.yaml"
RUN_TIMEOUT=900 bash admin-api/postman/run.sh
phase "evaluation smoke (bench/eval: the corpus split and the replay, on a sample)"
python3 bench/eval/smoke.py "${CARGO_TARGET_DIR:-target}/debug/waf-proxy"
phase "fuzz smoke (10 s per target)"
for t in rules body normalize inspect; do
  # The dev build from above: overflow checks and debug assertions on, and no second build.
  "${CARGO_TARGET_DIR:-target}/debug/fuzz" "$t" --seconds 10
done
echo "== done in ${SECONDS}s"
