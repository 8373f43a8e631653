#!/usr/bin/env bash
# Runs the WAF on loopback: waf-proxy on 127.0.0.1:8080 in front of ORIGIN_URL, and waf-admin
# (the management API) on https://127.0.0.1:8443, both with the shipped default policy.
#   scripts/run.sh [ORIGIN_URL]
# Without ORIGIN_URL a demo origin (python3 http.server on 127.0.0.1:18000) is started.
# State (rules, database, admin token, event log) lives in .data/. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked -p waf-proxy -p admin-api
data="$PWD/.data"
mkdir -p "$data/rules" "$data/www"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
origin="${1:-}"
if [ -z "$origin" ]; then
  echo "<h1>demo origin</h1>" > "$data/www/index.html"
  python3 -m http.server 18000 --bind 127.0.0.1 --directory "$data/www" >/dev/null 2>&1 &
  pids+=($!)
  origin="http://127.0.0.1:18000"
fi
./target/release/waf-admin --listen 127.0.0.1:8443 --data-dir "$data" --proxy-socket "$data/waf-proxy.sock" &
pids+=($!)
sleep 1
./target/release/waf-proxy --listen 127.0.0.1:8080 --upstream "$origin" --rules-dir "$data/rules" \
  --control-socket "$data/waf-proxy.sock" --events "$data/events.jsonl" --metrics 127.0.0.1:9100 &
pids+=($!)
cat <<TXT

WAF running:  http://127.0.0.1:8080  ->  $origin
Admin API:    https://127.0.0.1:8443/openapi/v1/   (self-signed; curl -k)
Metrics:      http://127.0.0.1:9100/metrics
Create a key: ./target/release/waf-admin keys create --data-dir $data --name ci --scopes '*:write'
Try:          curl -i "http://127.0.0.1:8080/?id=1'%20or%20'1'='1"
TXT
wait
