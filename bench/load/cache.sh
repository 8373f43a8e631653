#!/usr/bin/env bash
# Cache load benchmark: a cacheable 16 KiB page (Cache-Control: public, max-age=300) from an
# nginx origin of its own (127.0.0.1:18010, access log on so that its hits can be counted),
# requested with wrk (a) from the origin directly, (b) through waf-proxy with the default policy
# and the site's cache off, (c) through waf-proxy with the site's cache on (`cache: {enabled:
# true}` in sites.yaml, as `POST /cache/config` writes it). The WAF inspects every request in
# (b) and (c) before any cache lookup. Prints req/s, p50, p99, the origin's hits during each run
# and the ratios, and writes them into bench/README.md between <!-- cache-load:start --> and
# <!-- cache-load:end -->.
#
# The origin is a static nginx file, the fastest origin there is: the cache cannot beat it by
# much on a 2-core host where wrk, nginx and waf-proxy share the cores. What the run shows is
# what the cache takes away from the origin (hits per run) and what serving from memory costs
# beside proxying; an application origin (PHP, a database) gains the whole of its own time.
#
# usage: bench/load/cache.sh [--duration S] [--connections C] [--threads N] [--rounds R] [--no-build]
#   WAF_PROXY_BIN=path  another waf-proxy binary (default target/release/waf-proxy)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dur=10; conns=32; threads=1; rounds=3; build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) dur=$2; shift 2;;
    --connections) conns=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    --no-build) build=0; shift;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is required (bash scripts/setup.sh)" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx is required (bash scripts/setup.sh)" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
bin=${WAF_PROXY_BIN:-$root/target/release/waf-proxy}
if [ $build = 1 ]; then (cd "$root" && cargo build --release -p waf-proxy); fi
[ -x "$bin" ] || { echo "no $bin; build with cargo build --release -p waf-proxy" >&2; exit 1; }

work=$(mktemp -d /tmp/waf-cache-load.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

origin=18010; off=18011; on=18012
for p in $origin $off $on; do
  if curl -s -o /dev/null -m 1 "http://127.0.0.1:$p/"; then echo "port $p is taken; stop what holds it" >&2; exit 1; fi
done

# The page: 16 KiB of HTML.
mkdir -p "$work/www"
chmod 755 "$work" "$work/www"  # nginx workers run as another user
python3 - "$work/www/page.html" <<'PY'
import sys
row = "<li><a href=\"/product/{0}\">Product {0}</a> <span class=\"price\">{0}.99</span></li>\n"
body = "<!doctype html><html><head><title>Catalogue</title></head><body><ul>\n"
i = 0
while len(body) < 16384 - 40:
    i += 1
    body += row.format(i)
body = body[:16384 - 22] + "</ul></body></html>\n"
open(sys.argv[1], "w").write(body)
PY
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log $work/access.log;
  client_body_temp_path $work/body;
  proxy_temp_path $work/ptmp;
  fastcgi_temp_path $work/ftmp;
  uwsgi_temp_path $work/utmp;
  scgi_temp_path $work/stmp;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$origin backlog=4096;
    root $work/www;
    location = /catalogue { default_type text/html; add_header Cache-Control "public, max-age=300"; try_files /page.html =404; }
  }
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -p "$work" 2>"$work/nginx.start.err" || { cat "$work/nginx.start.err" >&2; exit 1; }

# Two rule sets: the shipped rules with one site for www.bench.test, cache off and on.
for mode in off on; do
  mkdir -p "$work/rules-$mode"
  cp "$root"/rules/*.yaml "$work/rules-$mode/"
  cache="{ enabled: false }"; [ $mode = on ] && cache="{ enabled: true, ttl: 300 }"
  cat >"$work/rules-$mode/sites.yaml" <<EOF
sites:
  - id: 1
    name: bench
    domain: www.bench.test
    target_url: http://127.0.0.1:$origin
    cache: $cache
EOF
done
start_proxy() { # port rules
  "$bin" --listen "127.0.0.1:$1" --upstream "http://127.0.0.1:$origin" --rules-dir "$2" --threads "$threads" \
    >"$work/proxy-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$1/" && return 0; sleep 0.1; done
  echo "waf-proxy on $1 did not start" >&2; cat "$work/proxy-$1.log" >&2; exit 1
}
start_proxy $off "$work/rules-off"
start_proxy $on "$work/rules-on"

ua="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
url_path="/catalogue"
hdr=(-H "Host: www.bench.test" -H "User-Agent: $ua" -H "Accept: text/html")
# Sanity: the page is cached (second answer has Age), an attack on the same URL is refused.
curl -s -o /dev/null "${hdr[@]}" "http://127.0.0.1:$on$url_path"
age=$(curl -s -D - -o /dev/null "${hdr[@]}" "http://127.0.0.1:$on$url_path" | awk 'tolower($1)=="age:"{print $2}' | tr -d '\r')
[ -n "$age" ] || { echo "the page was not served from cache (no Age)" >&2; exit 1; }
attack=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "http://127.0.0.1:$on$url_path?id=1%27%20or%20%271%27=%271")
echo "sanity: cached answer has Age: $age; SQLi on the cached URL -> $attack"

# Requests for the page only: the proxies' health checks of the origin ask for / every few seconds.
hits() { grep -c "GET $url_path " "$work/access.log" || true; }
declare -A rps p50 p99 ohits
run() { # name port
  local out h0 h1
  h0=$(hits)
  out=$(wrk -t1 -c"$conns" -d"${dur}s" --latency "${hdr[@]}" "http://127.0.0.1:$2$url_path" 2>&1)
  h1=$(hits)
  rps[$1]=$(awk '/Requests\/sec/{printf "%.0f", $2}' <<<"$out")
  p50[$1]=$(awk '$1=="50%"{print $2}' <<<"$out")
  p99[$1]=$(awk '$1=="99%"{print $2}' <<<"$out")
  ohits[$1]=$((h1 - h0))
  local non2xx; non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
  printf '%-20s %8s req/s  p50 %-8s p99 %-8s origin hits %8s %s\n' "$1" "${rps[$1]}" "${p50[$1]}" "${p99[$1]}" "${ohits[$1]}" "${non2xx:+non-2xx: $non2xx}"
  [ -z "$non2xx" ] || { echo "non-2xx answers in $1" >&2; exit 1; }
}
declare -A sum
for i in $(seq "$rounds"); do
  for name in origin cache-off cache-on; do
    port=$origin; [ $name = cache-off ] && port=$off; [ $name = cache-on ] && port=$on
    run "$name#$i" $port
    sum[$name]=$(( ${sum[$name]:-0} + ${rps[$name#$i]} ))
  done
done
for name in origin cache-off cache-on; do rps[$name]=$(( ${sum[$name]} / rounds )); done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }
now=$(date -u +%Y-%m-%dT%H:%MZ)
commit=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo "?")
table=$(
  echo "Run $now on $commit: \`bash bench/load/cache.sh --duration $dur --rounds $rounds\`, wrk -t1 -c$conns -d${dur}s, waf-proxy --threads $threads, $(nproc) cores, ${WAF_PROXY_BIN:+binary $bin}${WAF_PROXY_BIN:-release build}. A 16 KiB page with \`Cache-Control: public, max-age=300\` from a static nginx origin; waf-proxy with the default policy, the site's cache off and on. req/s: mean of $rounds rounds, in turn; p50, p99 and origin hits: each round."
  echo
  echo "| target | req/s (mean) | p50 by round | p99 by round | origin hits for the page, by round |"
  echo "| --- | ---: | --- | --- | --- |"
  for name in origin cache-off cache-on; do
    l50=""; l99=""; lh=""
    for i in $(seq "$rounds"); do l50+="${l50:+ / }${p50[$name#$i]}"; l99+="${l99:+ / }${p99[$name#$i]}"; lh+="${lh:+ / }${ohits[$name#$i]}"; done
    label=$name; [ $name = origin ] && label="origin (nginx, direct)"
    [ $name = cache-off ] && label="waf-proxy, cache off"; [ $name = cache-on ] && label="waf-proxy, cache on"
    echo "| $label | ${rps[$name]} | $l50 | $l99 | $lh |"
  done
  echo
  echo "| ratio | req/s |"
  echo "| --- | ---: |"
  echo "| cache on / cache off | $(ratio "${rps[cache-on]}" "${rps[cache-off]}") |"
  echo "| cache on / origin direct | $(ratio "${rps[cache-on]}" "${rps[origin]}") |"
  echo
  echo "Sanity: the cached answer carries \`Age\`; SQLi on the cached URL -> $attack."
)
echo
echo "$table"

readme=$root/bench/README.md
if ! grep -q '<!-- cache-load:start -->' "$readme"; then
  printf '\n## Cached GET through the WAF (bench/load/cache.sh)\n\n<!-- cache-load:start -->\n<!-- cache-load:end -->\n' >>"$readme"
fi
TABLE="$table" python3 - "$readme" <<'PY'
import os, re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"<!-- cache-load:start -->.*?<!-- cache-load:end -->",
           lambda m: "<!-- cache-load:start -->\n" + os.environ["TABLE"] + "\n<!-- cache-load:end -->", s, flags=re.S)
open(p, "w").write(s)
PY
echo "wrote $readme"
