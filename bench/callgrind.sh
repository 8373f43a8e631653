#!/usr/bin/env bash
# Instructions per call of the engine benchmarks, counted by callgrind: the judge of "within
# noise" on a host whose speed drifts (bench/README.md). Instruction counts do not move with the
# host's load; they are the same for the same binary and inputs.
#
#   bash bench/callgrind.sh [BENCHMARK...]     # default: every benchmark of benches/engine.rs
#
# Builds the criterion binary (release), runs each benchmark under
# `valgrind --tool=callgrind --toggle-collect=FN` with `--bench --profile-time 2 NAME`, and
# prints FN's inclusive instructions per call on the benchmark's hot arc (the caller that called
# it most: criterion's timing loop), with FN = `waf_core::policy::Policy::inspect`
# (`Policy::from_sources` for compile_10k). Output: `NAME calls instructions-per-call`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
bin=$(cargo bench -q -p waf-bench --bench engine --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "engine":
        print(m["executable"])' | tail -1)
[ -x "$bin" ] || { echo "no benchmark binary" >&2; exit 1; }
names=("$@")
if [ ${#names[@]} = 0 ]; then
  for g in inspect uncached; do
    for b in clean_get attack_get json_post_64k form_post_4k multipart_upload_1m; do
      names+=("$g/$b")
    done
  done
  names+=(custom_rules_cost/clean_get_10_rules custom_rules_cost/clean_get_10000_rules custom_rules/compile_10k)
fi
out=$(mktemp -d /tmp/waf-callgrind.XXXXXX)
trap 'rm -rf "$out"' EXIT
for n in "${names[@]}"; do
  fn='waf_core::policy::Policy::inspect'
  case $n in *compile_10k) fn='waf_core::policy::Policy::from_sources' ;; esac
  f=$out/cg.$(echo "$n" | tr / _)
  valgrind --tool=callgrind --callgrind-out-file="$f" --toggle-collect="$fn" \
    "$bin" --bench --profile-time 2 "^$n\$" >/dev/null 2>&1
  python3 - "$f" "$fn" "$n" <<'EOF'
import re, sys
path, fn, name = sys.argv[1:]
ids, best, want = {}, (0, 0), False
lines = open(path).read().splitlines()
for i, l in enumerate(lines):
    # Names are compressed: the first `fn=(id) name` or `cfn=(id) name` names an id.
    m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?", l)
    if m:
        if m.group(3):
            ids[m.group(2)] = m.group(3)
        want = m.group(1) == "c" and ids.get(m.group(2)) == fn
        continue
    if want and l.startswith("calls="):
        calls = int(l.split("=")[1].split()[0])
        cost = int(lines[i + 1].split()[1])
        if calls > best[0]:
            best = (calls, cost)
        want = False
calls, cost = best
print(f"{name} {calls} {cost // max(calls, 1)}")
EOF
done
