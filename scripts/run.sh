#!/usr/bin/env bash
# Runs the WAF on loopback: waf-proxy on 127.0.0.1:8080 in front of ORIGIN_URL, and waf-admin
# (the management API) on https://127.0.0.1:8443, both with the shipped default policy.
#   scripts/run.sh [ORIGIN_URL]
# Without ORIGIN_URL a demo origin (python3 http.server) is started on 127.0.0.1:$DEMO_PORT
# (default 18000; when that port is taken, on a free port the kernel picks, and it says so).
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
# Exit 0 when 127.0.0.1:$1 accepts a TCP connection.
port_open() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5)' "$1" 2>/dev/null; }
if [ -z "$origin" ]; then
  echo "<h1>demo origin</h1>" > "$data/www/index.html"
  port="${DEMO_PORT:-18000}"
  if port_open "$port"; then
    free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "run.sh: 127.0.0.1:$port is already taken by another program; the demo origin uses 127.0.0.1:$free instead" >&2
    port="$free"
  fi
  log="$data/demo-origin.log"
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$data/www" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    port_open "$port" && break
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if ! kill -0 "${pids[-1]}" 2>/dev/null || ! port_open "$port"; then
    echo "run.sh: the demo origin did not start on 127.0.0.1:$port; its output ($log):" >&2
    cat "$log" >&2
    exit 1
  fi
  origin="http://127.0.0.1:$port"
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
