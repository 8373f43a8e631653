#!/usr/bin/env bash
# Many-client benchmarks on loopback (not in CI): the CC limiter with 10,000 and 100,000
# distinct client addresses (refused below threshold, RSS), and 3,000 slow connections against
# the request-head deadline (legitimate latency meanwhile, RSS, error lines). Client sockets
# bind to 127.x.y.z addresses (Linux routes all of 127.0.0.0/8 to loopback).
#
# usage: bench/clients/run.sh [--no-build] [--bin PATH]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/target/release/waf-proxy; build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0; shift;;
    --bin) bin=$2; build=0; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
if [ $build = 1 ]; then (cd "$root" && cargo build --release -p waf-proxy); fi
# 100,000 client connections in a row leave as many sockets in TIME_WAIT, each from its own
# address: file descriptors, not ports, are the limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cd "$root/bench/clients"
python3 distinct.py "$bin" --clients 10000 100000 --threshold 2
python3 slow.py "$bin" --slow 3000 --every 3 --deadline-ms 10000
