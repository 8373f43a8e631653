#!/usr/bin/env bash
# Behaviour check for refactorings: replays every development corpus through `waf-proxy replay`
# and compares the verdicts byte for byte with a recorded baseline.
#
#   bash bench/detect/replay_check.sh record   # write the baseline (target/replay-check/baseline)
#   bash bench/detect/replay_check.sh check    # replay again; exit 1 on any difference
#
# Corpora are built as bench/detect/run.sh builds them (shared dev corpora, generated benign
# traffic seed 20240601, mutated attacks seed 7), under target/replay-check/corpora. Each is
# replayed with the shipped rules at sensitivities 1-4. A fifth corpus, `hosted`, takes every
# tenth request of the four with a Host header of one of several sites, and is replayed with
# `replay_rules.yaml` (ACL, custom rules, sites with their own sensitivity, mode, disabled rules
# and exclusions by path and parameter) at sensitivities 1-4 too, so that the ACL and custom
# stages, site views and the paths where caches are off are compared as well.
#
# Uses the dev build (`cargo build -p waf-proxy`); BIN=path overrides the binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED:-$root/../shared}
work=$root/target/replay-check
corpora=$work/corpora
mode=${1:-check}
cd "$root"

if [ ! -s "$corpora/generated.jsonl" ] || [ ! -s "$corpora/mutated.jsonl" ]; then
  mkdir -p "$corpora"
  python3 -c 'import yaml, faker, fake_useragent' 2>/dev/null ||
    python3 -m pip install --quiet pyyaml faker fake-useragent
  python3 "$shared/tools/build_dev_corpora.py" "$corpora" >/dev/null
  python3 bench/detect/gen_benign.py "$corpora/generated.jsonl" --seed 20240601 >/dev/null
  python3 bench/detect/mutate.py "$corpora/malicious.jsonl" "$corpora/mutated.jsonl" --seed 7 >/dev/null
fi
if [ ! -s "$corpora/hosted.jsonl" ]; then
  python3 - "$corpora" <<'EOF'
import json, sys
d = sys.argv[1]
hosts = ["a.example", "Shop.A.Example:8443", "x.b.example", "c.example", "[::1]:8080", ""]
with open(f"{d}/hosted.jsonl", "w") as out:
    n = 0
    for c in ["malicious", "mutated", "benign", "generated"]:
        for i, line in enumerate(open(f"{d}/{c}.jsonl")):
            if i % 10:
                continue
            r = json.loads(line)
            h = hosts[n % len(hosts)]
            if h:
                r.setdefault("headers", {})["Host"] = h
            r["client_ip"] = ["10.1.2.3", "192.0.2.9", "2001:db8::7"][n % 3]
            n += 1
            out.write(json.dumps(r) + "\n")
EOF
fi

if [ -z "${BIN:-}" ]; then
  cargo build -q -p waf-proxy
  BIN=$root/target/debug/waf-proxy
fi

case $mode in
  record) out=$work/baseline ;;
  check) out=$work/current ;;
  *) echo "usage: $0 record|check" >&2; exit 2 ;;
esac
rm -rf "$out"; mkdir -p "$out"
for s in 1 2 3 4; do
  for variant in shipped hosted; do
    rd=$work/rules-$variant-s$s
    rm -rf "$rd"; cp -r rules "$rd"
    sed -i "s/^\(  sensitivity:\) [0-9]/\1 $s/" "$rd/settings.yaml"
    if [ $variant = hosted ]; then
      # The shipped files hold empty acl/custom/sites lists, which the extra file adds to; its
      # managed section replaces the shipped one (a set holds one).
      rm "$rd/managed.yaml"
      cp bench/detect/replay_rules.yaml "$rd/zz-replay.yaml"
      "$BIN" replay --rules-dir "$rd" < "$corpora/hosted.jsonl" > "$out/hosted.s$s"
    else
      for c in malicious mutated benign generated; do
        "$BIN" replay --rules-dir "$rd" < "$corpora/$c.jsonl" > "$out/$c.s$s"
      done
    fi
  done
done

if [ "$mode" = record ]; then
  git rev-parse --short HEAD > "$out/COMMIT"
  echo "baseline recorded at $(cat "$out/COMMIT"): $(ls "$out" | grep -vc COMMIT) outputs, $(cat "$out"/*.s* | wc -l) lines"
  exit 0
fi
fail=0
for f in "$work/baseline"/*.s*; do
  n=$(basename "$f")
  if ! cmp -s "$f" "$out/$n"; then
    echo "DIFFERS: $n ($(diff "$f" "$out/$n" | grep -c '^[<>]') lines)"
    fail=1
  fi
done
total=$(cat "$out"/*.s* | wc -l)
if [ $fail = 0 ]; then
  echo "replay identical to baseline $(cat "$work/baseline/COMMIT"): $(ls "$work/baseline" | grep -vc COMMIT) outputs, $total lines"
fi
exit $fail
