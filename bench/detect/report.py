#!/usr/bin/env python3
"""Turns replay verdicts into the detection tables of bench/README.md.

usage: report.py OUTDIR README.md
OUTDIR holds <corpus>.jsonl request files and <corpus>.s<N>.verdicts (waf-proxy replay output, one
verdict a line in input order) for N in 1..4, plus optional modsec.txt (detect_eval.py output).
Replaces the text between <!-- detection:start --> and <!-- detection:end --> in README.md.
"""
import collections
import json
import os
import sys

out, readme = sys.argv[1], sys.argv[2]
CORPORA = ["malicious", "mutated", "benign", "generated"]


def load(name, s):
    reqs = [json.loads(l) for l in open(os.path.join(out, name + ".jsonl"), encoding="utf-8")]
    vf = os.path.join(out, f"{name}.s{s}.verdicts")
    if not os.path.exists(vf):
        return None
    vs = [json.loads(l) for l in open(vf, encoding="utf-8") if '"line"' in l and '"summary"' not in l]
    return [(r, v["action"] in ("block", "challenge")) for r, v in zip(reqs, vs)]


def rate(rows):
    return 100.0 * sum(b for _, b in rows) / max(1, len(rows))


def placeholder(r):
    parts = r["id"].rsplit("-", 2)
    if r["id"].startswith("gtw-") and len(parts) == 3:
        return parts[1] + "/" + parts[2]
    if r["id"].startswith("libinjection/"):
        return "Plain/" + ("URLParam" if r["method"] == "GET" else "HTMLForm")
    return "-"


lines = ["<!-- detection:start -->", "",
         "Measured by `bash bench/detect/run.sh`: tables from offline `waf-proxy replay` (same engine as the proxy) at each sensitivity; end-to-end figures through the proxy and ModSecurity below when they could run. Sensitivity: a rule is active when sensitivity >= its level; default 2.", ""]
lines += ["| sensitivity | detection (corpora) | detection (mutated) | benign pass (corpora) | benign pass (generated) |",
          "| --- | --- | --- | --- | --- |"]
data = {}
for s in (1, 2, 3, 4):
    d = {c: load(c, s) for c in CORPORA}
    data[s] = d
    if any(v is None for v in d.values()):
        continue
    lines.append(f"| {s}{' (default)' if s == 2 else ''} | {rate(d['malicious']):.2f}% | {rate(d['mutated']):.2f}% | "
                 f"{100 - rate(d['benign']):.2f}% | {100 - rate(d['generated']):.2f}% |")
d = data[2]
if d["malicious"]:
    lines += ["", "Default sensitivity (2), attacks by category (blocked %):", "",
              "| category | requests | blocked |", "| --- | --- | --- |"]
    by = collections.defaultdict(list)
    for r, b in d["malicious"]:
        by[r["category"]].append((r, b))
    for c in sorted(by):
        lines.append(f"| {c} | {len(by[c])} | {rate(by[c]):.2f}% |")
    lines += ["", "Default sensitivity (2), attacks by encoder/placeholder:", "",
              "| encoder/placeholder | requests | blocked |", "| --- | --- | --- |"]
    by = collections.defaultdict(list)
    for r, b in d["malicious"]:
        by[placeholder(r)].append((r, b))
    for c in sorted(by):
        lines.append(f"| {c} | {len(by[c])} | {rate(by[c]):.2f}% |")
    lines += ["", "Default sensitivity (2), benign by category (passed %):", "",
              "| category | requests | passed |", "| --- | --- | --- |"]
    by = collections.defaultdict(list)
    for name in ("benign", "generated"):
        for r, b in d[name]:
            by[r["category"]].append((r, b))
    for c in sorted(by):
        lines.append(f"| {c} | {len(by[c])} | {100 - rate(by[c]):.2f}% |")
for extra, title in (("proxy.txt", "Through waf-proxy (detect_eval.py)"), ("modsec.txt", "ModSecurity 2.9 + OWASP CRS 3.3.4 PL1 (peers.sh, port 18080), same requests")):
    p = os.path.join(out, extra)
    if os.path.exists(p):
        lines += ["", title + ":", "", "```", open(p).read().strip(), "```"]
lines += ["", "<!-- detection:end -->"]
text = open(readme).read() if os.path.exists(readme) else "# Benchmarks\n"
a, b = text.find("<!-- detection:start -->"), text.find("<!-- detection:end -->")
block = "\n".join(lines)
if a >= 0 and b > a:
    text = text[:a] + block + text[b + len("<!-- detection:end -->"):]
else:
    text = text.rstrip("\n") + "\n\n## Detection quality\n\n" + block + "\n"
open(readme, "w").write(text)
print("\n".join(lines[:12]))
