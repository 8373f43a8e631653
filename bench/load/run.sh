#!/usr/bin/env bash
# Load benchmark: origin, nginx proxy, Apache + ModSecurity + CRS, waf-proxy --no-waf and
# waf-proxy (default policy), on the typical GET (../shared/tools/typical.lua) and a 4 KiB form
# POST, with wrk; then the GET with new values in every request (bench/load/varied.lua), where
# the proxy's cache of clean values cannot help. Prints req/s, p99 and ratios; records waf-proxy's RSS. Then the latency added by
# inspection: oha at a constant rate of half the WAF-on peak (the same rate for --no-waf and for
# the WAF), with latency correction (no coordinated omission), p99 of each and the difference.
# Writes the figures into bench/README.md between <!-- load:start --> and <!-- load:end -->.
#
# The WAF-off and WAF-on runs alternate --rounds times (default 5) and their mean req/s makes the
# ratio: on this 2-core machine one 8 s run of each moved the POST ratio between 0.87 and 0.96
# from run to run. The oha runs alternate the same way (medians: one run's p99 moved by up to
# hundreds of ms when something else took the core). Beside req/s, the CPU time waf-proxy
# spent per request (from /proc/PID/stat over each wrk run): what inspection costs, less
# disturbed by wrk, the origin and the other proxy sharing the two cores.
#
# usage: bench/load/run.sh [--duration S] [--threads N] [--connections C] [--rounds R] [--no-build]
#   WAF_SHARED=path/to/shared (default ../shared relative to the repo root)
#   oha: taken from PATH or target/tools/bin, else installed there once with
#   `cargo install --locked oha` (crates.io); without it the latency table is skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${WAF_SHARED:-$root/../shared}
dur=10; threads=1; conns=32; build=1; rounds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) dur=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --connections) conns=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    --no-build) build=0; shift;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
typical=$shared/tools/typical.lua
post=$root/bench/load/post4k.lua
varied=$root/bench/load/varied.lua
bin=$root/target/release/waf-proxy
if [ $build = 1 ]; then (cd "$root" && cargo build --release -p waf-proxy); fi
[ -x "$bin" ] || { echo "no $bin; build with cargo build --release -p waf-proxy" >&2; exit 1; }

work=$(mktemp -d /tmp/waf-load.XXXXXX)
pids=()
cleanup() {
  declare -F unpin >/dev/null && unpin
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
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

# Mean and median of the numbers in a space-separated list.
mean() { awk '{s=0; for (i=1;i<=NF;i++) s+=$i; if (NF) printf "%.1f", s/NF}' <<<"$1"; }
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END{printf "%.3f", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# CPU time (user + system, clock ticks) of a process so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
tck=$(getconf CLK_TCK)
declare -A rps p99 cpu
run() { # name port script [pid: also the CPU it spent per request, in us]
  local out t0=0 t1=0 n
  [ -n "${4:-}" ] && t0=$(cpu_ticks "$4")
  out=$(wrk -t1 -c"$conns" -d"${dur}s" --latency -s "$3" "http://127.0.0.1:$2" 2>&1)
  [ -n "${4:-}" ] && t1=$(cpu_ticks "$4")
  rps[$1]=$(awk '/Requests\/sec/{printf "%.0f", $2}' <<<"$out")
  p99[$1]=$(awk '$1=="99%"{print $2}' <<<"$out")
  n=$(awk '/requests in/{print $1}' <<<"$out")
  cpu[$1]=$(awk -v d="$((t1 - t0))" -v t="$tck" -v n="${n:-0}" 'BEGIN{ if (n>0 && d>0) printf "%.1f", d*1e6/t/n; else print "" }')
  local non2xx; non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
  printf '%-28s %10s req/s  p99 %-8s %s%s\n' "$1" "${rps[$1]}" "${p99[$1]}" "${cpu[$1]:+cpu ${cpu[$1]} us/req }" "${non2xx:+non-2xx: $non2xx}"
}

# waf-proxy without and with the WAF, alternating $rounds times: the mean req/s of each, and the
# p99 of the last round.
pair() { # kind script
  local i off=0 on=0 coff="" con=""
  for i in $(seq "$rounds"); do
    run "waf-off/$1#$i" 18190 "$2" "$pid_off"; off=$((off + ${rps[waf-off/$1#$i]:-0}))
    run "waf-on/$1#$i" 18191 "$2" "$pid_on"; on=$((on + ${rps[waf-on/$1#$i]:-0}))
    coff="$coff ${cpu[waf-off/$1#$i]}"; con="$con ${cpu[waf-on/$1#$i]}"
  done
  rps[waf-off/$1]=$((off / rounds)); p99[waf-off/$1]=${p99[waf-off/$1#$rounds]}
  rps[waf-on/$1]=$((on / rounds)); p99[waf-on/$1]=${p99[waf-on/$1#$rounds]}
  cpu[waf-off/$1]=$(mean "$coff"); cpu[waf-on/$1]=$(mean "$con")
  printf '%-28s %10s req/s, waf-on %s req/s (means of %s rounds)\n' "waf-off/$1" "${rps[waf-off/$1]}" "${rps[waf-on/$1]}" "$rounds"
}

for kind in get post; do
  script=$typical; [ $kind = post ] && script=$post
  run "origin/$kind" 18000 "$script"
  run "nginx/$kind" 18001 "$script"
  run "apache-modsec/$kind" 18080 "$script"
  # Apache keeps working through the requests still queued when wrk stops (seconds each on the
  # POST): let it finish before the waf-proxy runs share the cores with it.
  sleep 5
  pair "$kind" "$script"
done
# The same GET with never-seen values in every request: the cost without the value cache's hits.
pair varied "$varied"
rss_on=$(rss_kib "$pid_on"); hwm_on=$(hwm_kib "$pid_on"); hwm_off=$(hwm_kib "$pid_off")

# ---- Latency added by inspection at half of the peak rate (oha, latency-corrected) ----
tools=$root/target/tools
oha_bin=$(command -v oha || true)
[ -z "$oha_bin" ] && [ -x "$tools/bin/oha" ] && oha_bin=$tools/bin/oha
if [ -z "$oha_bin" ]; then
  echo "installing oha into $tools (once)"
  if cargo install --locked oha --no-default-features --features native-tls --root "$tools" >"$work/oha-install.log" 2>&1; then
    oha_bin=$tools/bin/oha
  else
    echo "oha could not be installed; skipping the latency table" >&2; tail -5 "$work/oha-install.log" >&2
  fi
fi
post_body=$work/post4k.body
python3 - "$post_body" <<'PY'
import sys
words = ["alpha","bravo","charlie","delta","echo","foxtrot","golf","hotel","india","juliet"]
body, i = "", 0
while len(body) < 4096:
    i += 1
    body += ("&" if i > 1 else "") + f"field{i}={words[i % 10]}+{words[(i * 3) % 10]}+text"
open(sys.argv[1], "w").write(body[:4096])
PY
declare -A lat_p99 lat_p50 lat_rps lat_ok lat_rate lat_all
oha_run() { # name port rate get|post
  local args=(-z "${dur}s" -q "$3" --latency-correction -c "$conns" --no-tui --output-format json)
  if [ "$4" = get ]; then
    args+=(-H "Host: www.example.com"
      -H "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
      -H "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
      -H "Accept-Language: en-US,en;q=0.9" -H "Referer: https://www.example.com/shop"
      -H "Cookie: session=303e7bebfa91bab0acb260cf91e9d4e9c67cf03f; theme=dark; lang=en"
      "http://127.0.0.1:$2/shop/search?q=red+running+shoes&page=2&sort=price&order=asc&utm_source=newsletter")
  else
    args+=(-m POST -T application/x-www-form-urlencoded -D "$post_body" -H "Host: www.example.com"
      -H "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"
      -H "Accept: text/html,application/xhtml+xml"
      "http://127.0.0.1:$2/account/profile?tab=settings")
  fi
  local json; json=$($pin_client "$oha_bin" "${args[@]}" 2>"$work/oha.err") || { cat "$work/oha.err" >&2; return 1; }
  read -r lat_p50[$1] lat_p99[$1] lat_rps[$1] lat_ok[$1] < <(python3 -c '
import json, sys
d = json.load(sys.stdin)
p = d["latencyPercentiles"]; s = d["summary"]
codes = d.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2"))
total = sum(codes.values()) + sum(d.get("errorDistribution", {}).values())
print("%.3f %.3f %.0f %s" % (p["p50"] * 1000, p["p99"] * 1000, s["requestsPerSec"], "%d/%d" % (ok, total)))
' <<<"$json")
  printf '%-28s rate %6s/s: p50 %8s ms  p99 %8s ms  (%s 2xx)\n' "$1" "$3" "${lat_p50[$1]}" "${lat_p99[$1]}" "${lat_ok[$1]}"
}
lat_table=""
# The latency runs measure waf-proxy's own latency: with taskset, both proxies get core 1 and
# oha and the origin core 0, so that the proxy is not queued behind the client on its core (which
# moved one p99 by up to hundreds of ms). The req/s runs above stay unpinned: there, pinning
# would make the client's core the limit and hide what inspection costs.
pin_client=""
pinned=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_client="taskset -c 0"
  for p in "$pid_off" "$pid_on"; do taskset -a -pc 1 "$p" >/dev/null 2>&1 && pinned+=("$p"); done
  # The origin's nginx master (matched by its config) and its workers (its children).
  origin=$(pgrep -f 'peers/origin-nginx.conf' | head -1 || true)
  for p in $origin ${origin:+$(pgrep -P "$origin" || true)}; do
    taskset -pc 0 "$p" >/dev/null 2>&1 && pinned+=("$p")
  done
fi
unpin() { for p in "${pinned[@]:-}"; do [ -n "$p" ] && taskset -a -pc "0-$(($(nproc) - 1))" "$p" >/dev/null 2>&1 || true; done; }
if [ -n "$oha_bin" ]; then
  for kind in get post; do
    half=$(( ${rps[waf-on/$kind]:-0} / 2 ))
    [ "$half" -gt 0 ] || continue
    # Alternating rounds, as for req/s; the median of each side, so that one run's hiccup
    # (another process taking the core for a few ms) does not make the figure.
    declare -A l50=() l99=()
    ok=1
    for i in $(seq "$rounds"); do
      for side in waf-off waf-on; do
        port=18190; [ $side = waf-on ] && port=18191
        oha_run "$side/$kind#$i" $port "$half" "$kind" || { ok=0; break 2; }
        l50[$side]+=" ${lat_p50[$side/$kind#$i]}"; l99[$side]+=" ${lat_p99[$side/$kind#$i]}"
      done
    done
    [ "$ok" = 1 ] || continue
    for side in waf-off waf-on; do
      lat_p50[$side/$kind]=$(median "${l50[$side]}")
      lat_p99[$side/$kind]=$(median "${l99[$side]}")
      lat_all[$side/$kind]=${l99[$side]}
    done
    lat_rate[$kind]=$half
  done
  unpin
  lat_table=$(
    echo "Latency at half of the WAF-on peak (same constant rate for both; \`oha -q RATE --latency-correction -c $conns -z ${dur}s\`, $("$oha_bin" --version 2>/dev/null | head -1)${pin_client:+; waf-proxy on core 1, oha and the origin on core 0}); medians of $rounds alternating runs each, every run's p99 in the last column:"
    echo
    echo "| request | rate (req/s) | --no-waf p50 | --no-waf p99 | WAF p50 | WAF p99 | p99 added by inspection (target <= 1 ms) | p99 of each run, off / on (ms) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    for kind in get post; do
      [ -n "${lat_rate[$kind]:-}" ] || continue
      added=$(awk -v a="${lat_p99[waf-on/$kind]}" -v b="${lat_p99[waf-off/$kind]}" 'BEGIN{printf "%.3f ms", a-b}')
      echo "| $kind | ${lat_rate[$kind]} | ${lat_p50[waf-off/$kind]} ms | ${lat_p99[waf-off/$kind]} ms | ${lat_p50[waf-on/$kind]} ms | ${lat_p99[waf-on/$kind]} ms | $added |${lat_all[waf-off/$kind]} /${lat_all[waf-on/$kind]} |"
    done
  )
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }
now=$(date -u +%Y-%m-%dT%H:%MZ)
table=$(
  echo "Run $now: wrk -t1 -c$conns -d${dur}s, waf-proxy --threads $threads (both runs), $(nproc) cores, release build. waf-off and waf-on: mean req/s of $rounds alternating runs each, p99 of the last."
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
  echo "| WAF on / WAF off, GET with new values in every request (bench/load/varied.lua) | $(ratio "${rps[waf-on/varied]}" "${rps[waf-off/varied]}") | |"
  echo "| WAF on / Apache+ModSecurity+CRS (target >= 30) | $(ratio "${rps[waf-on/get]}" "${rps[apache-modsec/get]}") | $(ratio "${rps[waf-on/post]}" "${rps[apache-modsec/post]}") |"
  echo "| WAF on / nginx proxy | $(ratio "${rps[waf-on/get]}" "${rps[nginx/get]}") | $(ratio "${rps[waf-on/post]}" "${rps[nginx/post]}") |"
  echo
  echo "waf-proxy CPU time per request (user + system from /proc, over the same runs; less sensitive than req/s to what else the two cores run):"
  echo
  echo "| request | --no-waf | WAF | added by inspection |"
  echo "| --- | ---: | ---: | ---: |"
  for kind in get post varied; do
    added=$(awk -v a="${cpu[waf-on/$kind]:-0}" -v b="${cpu[waf-off/$kind]:-0}" 'BEGIN{printf "%.1f us", a-b}')
    echo "| $kind | ${cpu[waf-off/$kind]:-} us | ${cpu[waf-on/$kind]:-} us | $added |"
  done
  echo
  echo "waf-proxy RSS with the default policy after the load: ${rss_on} KiB (peak ${hwm_on} KiB; --no-waf peak ${hwm_off} KiB)."
  echo "Sanity: SQLi through waf-proxy -> $code_on, through --no-waf -> $code_off."
  if [ -n "$lat_table" ]; then echo; echo "$lat_table"; fi
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
