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


def live(name, who):
    """Per-request blocked flags from a detect_eval.py run with --misses, or None."""
    mf = os.path.join(out, f"{name}.{who}.misses")
    if not os.path.exists(mf):
        return None
    wrong = collections.Counter(json.loads(l)["id"] for l in open(mf, encoding="utf-8"))
    rows = []
    for l in open(os.path.join(out, name + ".jsonl"), encoding="utf-8"):
        r = json.loads(l)
        miss = wrong[r["id"]] > 0
        if miss:
            wrong[r["id"]] -= 1
        rows.append((r, (r["set"] == "malicious") != miss))
    return rows


CLASSES = [("nosql", "NoSQL"), ("sql-injection", "SQLi"), ("sqli", "SQLi"), ("xss", "XSS"), ("lfi", "Traversal/LFI"), ("path-traversal", "Traversal/LFI"), ("rce", "RCE/command injection"),
           ("shell-injection", "RCE/command injection"), ("sst-injection", "SSTI"), ("xxe", "XXE"), ("xml-injection", "XXE"),
           ("crlf", "CRLF"), ("ldap", "LDAP"), ("mail", "Mail injection"), ("ss-include", "SSI"), ("user-agent", "Scanner user agents")]


def attack_class(cat):
    for key, name in CLASSES:
        if key in cat:
            return name
    return cat


ours = {c: live(c, "proxy") for c in CORPORA}
ms = {c: live(c, "modsec") for c in CORPORA}
if all(ours.values()) and all(ms.values()):
    lines += ["", "### Side by side, through the running proxies (same requests, one run)", "",
              "waf-proxy (default policy) vs Apache + ModSecurity 2.9 + OWASP CRS 3.3.4 PL1 blocking (../shared/tools/peers.sh, port 18080), "
              "each request replayed by ../shared/tools/detect_eval.py; blocked = HTTP 403.", "",
              "| corpus | requests | waf-proxy | ModSecurity + CRS |", "| --- | ---: | ---: | ---: |"]
    for c, what in (("malicious", "detection"), ("mutated", "detection"), ("benign", "benign pass"), ("generated", "benign pass")):
        f = (lambda rows: rate(rows)) if what == "detection" else (lambda rows: 100 - rate(rows))
        lines.append(f"| {c} ({what}) | {len(ours[c])} | {f(ours[c]):.2f}% | {f(ms[c]):.2f}% |")
    allben = ours["benign"] + ours["generated"]
    allben_ms = ms["benign"] + ms["generated"]
    lines.append(f"| all benign (benign pass) | {len(allben)} | {100 - rate(allben):.2f}% | {100 - rate(allben_ms):.2f}% |")
    for title, key in (("attack class", lambda r: attack_class(r["category"])), ("encoder/placeholder", placeholder)):
        lines += ["", f"Detection by {title} (development corpora, blocked %):", "",
                  f"| {title} | requests | waf-proxy | ModSecurity + CRS |", "| --- | ---: | ---: | ---: |"]
        a, b = collections.defaultdict(list), collections.defaultdict(list)
        for (r, x), (_, y) in zip(ours["malicious"], ms["malicious"]):
            a[key(r)].append((r, x))
            b[key(r)].append((r, y))
        for k in sorted(a):
            lines.append(f"| {k} | {len(a[k])} | {rate(a[k]):.2f}% | {rate(b[k]):.2f}% |")
        worst = min(rate(v) for v in a.values())
        lines.append(f"| lowest | | {worst:.2f}% | |")
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
