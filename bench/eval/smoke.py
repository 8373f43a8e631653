#!/usr/bin/env python3
"""CI smoke of the evaluation (scripts/test.sh): a few seconds, no network, no peers.

usage: smoke.py WAF_PROXY_BINARY
Builds the httpparams and package-summary part of the evaluation corpora with
bench/eval/build_corpora.py (the tool sources and CRS need bench/eval/setup.sh, which CI does not
run), and checks what the benchmark relies on:
  - both splits hold attacks and benign requests of every source, in the replay format;
  - the split is by source: no value of a source split by skeleton (httpparams sqli and norm,
    package summaries) is on both sides, and the halves of the positional sources do not overlap;
  - a fixed sample of each split goes through `waf-proxy replay` (the engine of the proxy, the
    default rule set) with one verdict per request, and the verdicts are not degenerate: most
    attacks blocked, most benign requests passed (loose bounds: a smoke, not the measurement).
Exits non-zero with the reason on the first failed check; skipped, with a message, where
../shared is not beside the repository.
"""
import collections
import json
import os
import random
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
binary = sys.argv[1]
SAMPLE = 150


def fail(msg):
    sys.exit(f"eval smoke: {msg}")


shared = os.environ.get("SHARED", os.path.join(root, "..", "shared"))
if not os.path.isdir(os.path.join(shared, "corpora", "httpparams")):
    print(f"eval smoke: {shared}/corpora not found; skipped (as waf-core/tests/detection.rs does)")
    sys.exit(0)
with tempfile.TemporaryDirectory() as out:
    subprocess.run([sys.executable, os.path.join(here, "build_corpora.py"), out, "--only", "httpparams,summaries",
                    "--shared", shared],
                   check=True, stdout=subprocess.DEVNULL)
    splits = {s: [json.loads(l) for l in open(os.path.join(out, s + ".jsonl"), encoding="utf-8")]
              for s in ("tuning", "validation")}
    need = {"id", "set", "category", "method", "path", "headers", "body", "split", "source", "class", "placement"}
    values = collections.defaultdict(lambda: collections.defaultdict(set))
    for s, rs in splits.items():
        sources = collections.Counter((r["source"], r["set"]) for r in rs)
        for src in ("httpparams/sqli", "httpparams/xss", "httpparams/path-traversal", "httpparams/cmdi"):
            if not sources[(src, "malicious")]:
                fail(f"{s} split has no attacks of {src}")
        for src in ("httpparams/norm", "package-summaries"):
            if not sources[(src, "benign")]:
                fail(f"{s} split has no benign requests of {src}")
        for r in rs:
            if not need <= r.keys() or r["split"] != s:
                fail(f"malformed record in {s}: {str(r)[:200]}")
            values[r["source"]][s].add((r["method"], r["path"], r["body"]))
    for src, sides in values.items():
        both = sides["tuning"] & sides["validation"]
        if both:
            fail(f"{len(both)} requests of {src} are in both splits, e.g. {sorted(both)[0]}")
    for s, rs in splits.items():
        sample = random.Random(17).sample(rs, min(SAMPLE, len(rs)))
        p = subprocess.run([binary, "replay", "--rules-dir", os.path.join(root, "rules")], capture_output=True,
                           text=True, input="".join(json.dumps(r) + "\n" for r in sample), check=True)
        verdicts = [json.loads(l) for l in p.stdout.splitlines() if '"line"' in l]
        if len(verdicts) != len(sample):
            fail(f"{s}: {len(verdicts)} verdicts for {len(sample)} requests ({p.stderr.strip()[:200]})")
        mal = [v["action"] in ("block", "challenge") for r, v in zip(sample, verdicts) if r["set"] == "malicious"]
        ben = [v["action"] in ("block", "challenge") for r, v in zip(sample, verdicts) if r["set"] == "benign"]
        if not mal or not ben or sum(mal) < 0.5 * len(mal) or sum(ben) > 0.1 * len(ben):
            fail(f"{s}: degenerate verdicts: {sum(mal)} of {len(mal)} attacks and {sum(ben)} of {len(ben)} "
                 "benign requests blocked")
        print(f"eval smoke: {s} split {len(rs)} requests; sample of {len(sample)}: {sum(mal)}/{len(mal)} attacks "
              f"and {sum(ben)}/{len(ben)} benign blocked")
