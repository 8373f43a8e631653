#!/usr/bin/env python3
"""Per-class and per-source figures of one `waf-proxy replay` run over an evaluation split.

usage: replay_classes.py SPLIT.jsonl VERDICTS.txt [--misses CLASS] [--fps]

SPLIT.jsonl is target/eval/corpora/tuning.jsonl or validation.jsonl (bench/eval/build_corpora.py);
VERDICTS.txt is `waf-proxy replay --rules-dir rules < SPLIT.jsonl`, one verdict per request in
order. Prints blocked % per attack class, then per source of the command-injection and traversal
classes and passed % per benign source. `--misses CLASS` lists the attacks of CLASS that passed,
`--fps` the benign requests blocked, with the rule: for the tuning split only (issue 17: the
validation split is measured, never read while designing).
"""
import collections
import json
import sys

corp = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ver = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if '"line"' in l]
if len(corp) != len(ver):
    sys.exit(f"{len(corp)} requests but {len(ver)} verdicts")


def blocked(v):
    return v["action"] in ("block", "challenge")


by_class = collections.defaultdict(lambda: [0, 0])
by_source = collections.defaultdict(lambda: [0, 0])
for r, v in zip(corp, ver):
    b = blocked(v)
    if r["set"] == "malicious":
        by_class[r["class"]][0] += 1
        by_class[r["class"]][1] += b
        if r["class"] in ("RCE/command injection", "Traversal/LFI"):
            s = "crs/" + r["source"][4:7] if r["source"].startswith("crs/") else r["source"]
            by_source[f"{r['class']} {s}"][0] += 1
            by_source[f"{r['class']} {s}"][1] += b
    else:
        s = r["source"] if r["source"] in ("package-summaries", "httpparams/norm") else r["source"].split("/")[0]
        by_source["benign " + s][0] += 1
        by_source["benign " + s][1] += not b
for k, (n, b) in sorted(by_class.items()):
    print(f"{k:40} {b:6}/{n:<6} {100 * b / n:6.2f}% blocked")
for k, (n, b) in sorted(by_source.items()):
    print(f"{k:60} {b:6}/{n:<6} {100 * b / n:6.2f}% {'passed' if k.startswith('benign') else 'blocked'}")
args = sys.argv[3:]
for r, v in zip(corp, ver):
    if "--misses" in args and r["set"] == "malicious" and r["class"] == args[args.index("--misses") + 1] \
            and not blocked(v):
        print("MISS", r["source"], r["placement"], json.dumps(r["path"])[:200], json.dumps(r["body"])[:300])
    if "--fps" in args and r["set"] == "benign" and blocked(v):
        print("FP", r["source"], (v["matched"] or {}).get("rule_id"), json.dumps(r["path"])[:200],
              json.dumps(r["body"])[:200])
