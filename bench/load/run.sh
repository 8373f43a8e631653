#!/usr/bin/env bash
# Load benchmark: origin, nginx proxy, Apache + ModSecurity + CRS, waf-proxy --no-waf and
# waf-proxy (default policy), on the typical GET (../shared/tools/typical.lua) and a 4 KiB form
# POST, with wrk. Prints req/s, p99 and ratios; records waf-proxy's RSS; writes the figures into
# bench/README.md between <!-- load:start --> and <!-- load:end -->.
#
# usage: bench/load/run.sh [--duration S] [--threads N] [--connections C] [--no-build]
#   WAF_SHARED=path/to/shared (default ../shared relative to the repo root)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${WAF_SHARED:-$root/../shared}
dur=10; threads=1; conns=32; build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) dur=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --connections) conns=$2; shift 2;;
    --no-build) build=0; shift;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
typical=$shared/tools/typical.lua
post=$root/bench/load/post4k.lua
bin=$root/target/release/waf-proxy
if [ $build = 1 ]; then (cd "$root" && cargo build --release -p waf-proxy); fi
[ -x "$bin" ] || { echo "no $bin; build with cargo build --release -p waf-proxy" >&2; exit 1; }

work=$(mktemp -d /tmp/waf-load.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# Reference peers (origin 18000, nginx 18001, Apache+ModSecurity 18080).
if ! curl -s -o /dev/null -m 2 http://127.0.0.1:18000/; then
  "$shared/tools/peers.sh" start
fi

start_proxy() { # port extra-args...
  local port=$1; shift
  "$bin" --listen "127.0.0.1:$port" --upstream http://127.0.0.1:18000 --threads "$threads" "$@" \
    >"$work/proxy-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/" && return 0; sleep 0.1; done
  echo "waf-proxy on $port did not start" >&2; cat "$work/proxy-$port.log" >&2; exit 1
}
rss_kib() { awk '/VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/VmHWM/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

start_proxy 18190 --no-waf; pid_off=${pids[-1]}
start_proxy 18191;          pid_on=${pids[-1]}

# Sanity: the WAF blocks, the baseline does not.
code_on=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:18191/?id=1'%20or%20'1'='1")
code_off=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:18190/?id=1'%20or%20'1'='1")
echo "sanity: waf-proxy SQLi -> $code_on, --no-waf -> $code_off"

declare -A rps p99
run() { # name port script
  local out
  out=$(wrk -t1 -c"$conns" -d"${dur}s" --latency -s "$3" "http://127.0.0.1:$2" 2>&1)
  rps[$1]=$(awk '/Requests\/sec/{printf "%.0f", $2}' <<<"$out")
  p99[$1]=$(awk '$1=="99%"{print $2}' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
  printf '%-28s %10s req/s  p99 %-8s %s\n' "$1" "${rps[$1]}" "${p99[$1]}" "${non2xx:+non-2xx: $non2xx}"
}

for kind in get post; do
  script=$typical; [ $kind = post ] && script=$post
  run "origin/$kind" 18000 "$script"
  run "nginx/$kind" 18001 "$script"
  run "apache-modsec/$kind" 18080 "$script"
  run "waf-off/$kind" 18190 "$script"
  run "waf-on/$kind" 18191 "$script"
done
rss_on=$(rss_kib "$pid_on"); hwm_on=$(hwm_kib "$pid_on"); hwm_off=$(hwm_kib "$pid_off")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }
now=$(date -u +%Y-%m-%dT%H:%MZ)
table=$(
  echo "Run $now: wrk -t1 -c$conns -d${dur}s, waf-proxy --threads $threads (both runs), $(nproc) cores, release build."
  echo
  echo "| target | GET req/s | GET p99 | 4 KiB POST req/s | POST p99 |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for n in origin nginx apache-modsec waf-off waf-on; do
    echo "| $n | ${rps[$n/get]} | ${p99[$n/get]} | ${rps[$n/post]} | ${p99[$n/post]} |"
  done
  echo
  echo "| ratio | GET | POST |"
  echo "| --- | ---: | ---: |"
  echo "| WAF on / WAF off (target >= 0.9) | $(ratio "${rps[waf-on/get]}" "${rps[waf-off/get]}") | $(ratio "${rps[waf-on/post]}" "${rps[waf-off/post]}") |"
  echo "| WAF on / Apache+ModSecurity+CRS (target >= 30) | $(ratio "${rps[waf-on/get]}" "${rps[apache-modsec/get]}") | $(ratio "${rps[waf-on/post]}" "${rps[apache-modsec/post]}") |"
  echo "| WAF on / nginx proxy | $(ratio "${rps[waf-on/get]}" "${rps[nginx/get]}") | $(ratio "${rps[waf-on/post]}" "${rps[nginx/post]}") |"
  echo
  echo "waf-proxy RSS with the default policy after the load: ${rss_on} KiB (peak ${hwm_on} KiB; --no-waf peak ${hwm_off} KiB)."
  echo "Sanity: SQLi through waf-proxy -> $code_on, through --no-waf -> $code_off."
)
echo
echo "$table"

readme=$root/bench/README.md
if [ ! -f "$readme" ]; then
  printf '# Benchmarks\n\n## Load (bench/load/run.sh)\n\n<!-- load:start -->\n<!-- load:end -->\n' >"$readme"
elif ! grep -q '<!-- load:start -->' "$readme"; then
  printf '\n## Load (bench/load/run.sh)\n\n<!-- load:start -->\n<!-- load:end -->\n' >>"$readme"
fi
TABLE="$table" python3 - "$readme" <<'PY'
import os, re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"<!-- load:start -->.*?<!-- load:end -->",
           lambda m: "<!-- load:start -->\n" + os.environ["TABLE"] + "\n<!-- load:end -->", s, flags=re.S)
open(p, "w").write(s)
PY
echo "wrote $readme"
