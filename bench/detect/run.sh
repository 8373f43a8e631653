#!/usr/bin/env bash
# Detection benchmark: builds the corpora (shared dev corpora, generated benign traffic with a fixed
# seed, mutated attacks), replays them at sensitivities 1-4 and writes the tables into
# bench/README.md. Through waf-proxy when it can listen, and beside ModSecurity + CRS when
# ../shared/tools/peers.sh can start it (WAF_SETUP_PEERS=1 bash scripts/setup.sh installs it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED:-$root/../shared}
out=${OUT:-$root/target/detect-bench}
mkdir -p "$out"
cd "$root"

python3 -c 'import yaml, faker, fake_useragent' 2>/dev/null ||
  python3 -m pip install --quiet pyyaml faker fake-useragent
cargo build --release -p waf-proxy
bin=$root/target/release/waf-proxy

python3 "$shared/tools/build_dev_corpora.py" "$out"
python3 bench/detect/gen_benign.py "$out/generated.jsonl" --seed 20240601
python3 bench/detect/mutate.py "$out/malicious.jsonl" "$out/mutated.jsonl" --seed 7

for s in 1 2 3 4; do
  rd="$out/rules-s$s"
  rm -rf "$rd"; cp -r rules "$rd"
  sed -i "s/^\(  sensitivity:\) [0-9]/\1 $s/" "$rd/settings.yaml"
  for c in malicious mutated benign generated; do
    "$bin" replay --rules-dir "$rd" < "$out/$c.jsonl" > "$out/$c.s$s.verdicts"
  done
done

rm -f "$out"/*.txt "$out"/*.misses
all=("$out/malicious.jsonl" "$out/mutated.jsonl" "$out/benign.jsonl" "$out/generated.jsonl")
if "$bin" --help 2>&1 | grep -q -- '--listen'; then
  python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def _ok(self):
        n = int(self.headers.get("Content-Length") or 0); self.rfile.read(n)
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _ok
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", 18090), H).serve_forever()' 2>"$out/origin.log" &
  origin=$!
  "$bin" --listen 127.0.0.1:18091 --upstream http://127.0.0.1:18090 > "$out/proxy.log" 2>&1 &
  proxy=$!
  trap 'kill $origin $proxy 2>/dev/null || true' EXIT
  sleep 2
  python3 "$shared/tools/detect_eval.py" http://127.0.0.1:18091 "${all[@]}" | tail -40 > "$out/proxy.txt" || true
  for f in "${all[@]}"; do
    n=$(basename "$f" .jsonl)
    python3 "$shared/tools/detect_eval.py" http://127.0.0.1:18091 "$f" --misses "$out/$n.proxy.misses" > "$out/$n.proxy.txt" || true
  done
fi
# peers.sh installs nginx, Apache and ModSecurity + CRS from Debian when they are missing. Peers
# already running (e.g. left by bench/load/run.sh) are used as they are and left running.
have_peers=0; started_peers=0
if curl -s -o /dev/null -m 2 http://127.0.0.1:18080/; then
  have_peers=1
elif bash "$shared/tools/peers.sh" start >/dev/null 2>&1; then
  have_peers=1; started_peers=1
fi
if [ $have_peers = 1 ]; then
  for f in "${all[@]}"; do
    n=$(basename "$f" .jsonl)
    python3 "$shared/tools/detect_eval.py" http://127.0.0.1:18080 "$f" --misses "$out/$n.modsec.misses" > "$out/$n.modsec.txt" || true
  done
  [ $started_peers = 1 ] && { bash "$shared/tools/peers.sh" stop >/dev/null 2>&1 || true; }
fi
python3 bench/detect/report.py "$out" bench/README.md
