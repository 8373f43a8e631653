#!/usr/bin/env python3
"""Reads one bench/scanners/run.sh run and prints what each scanner confirmed, direct vs through
waf-proxy. usage: report.py OUT_DIR [--readme README.md] (writes between <!-- scanners:start/end -->)
"""
import argparse
import collections
import json
import os
import re
import subprocess
import time
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import readme_block  # noqa: E402  (bench/readme_block.py)

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--readme")
a = ap.parse_args()
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TARGETS = ("direct", "waf")


def text(name):
    p = os.path.join(a.out, name + ".log")
    return ANSI.sub("", open(p, errors="replace").read()) if os.path.exists(p) else None


def status(name):
    p = os.path.join(a.out, name + ".status")
    if not os.path.exists(p):
        return "not run"
    rc, secs = open(p).read().split()
    return f"{secs} s" + (" (time limit)" if rc in ("124", "137") else "" if rc == "0" else f" (exit {rc})")


def sqlmap(t, which):
    s = text(f"sqlmap-{t}-{which}")
    if s is None:
        return "not run"
    if "identified the following injection point" not in s:
        return "nothing (" + status(f"sqlmap-{t}-{which}") + ")"
    types = sorted(set(re.findall(r"Type: (.+)", s)))
    tables = re.search(r"\[(\d+) tables?\]", s)
    return (f"**injectable**: {', '.join(types)}" + (f"; **extracted** {tables.group(1)} table names" if tables else "") +
            f" ({status(f'sqlmap-{t}-{which}')})")


def wapiti(t):
    p = os.path.join(a.out, f"wapiti-{t}.json")
    if not os.path.exists(p):
        return {}, status(f"wapiti-{t}")
    d = json.load(open(p))
    found = {k: sorted({f"{v['path']} `{v['parameter']}`" for v in vs}) for k, vs in d.get("vulnerabilities", {}).items() if vs}
    return found, status(f"wapiti-{t}")


def checked():
    """xss_check.mjs's verdicts: (target, form) -> [(payload, status, what would execute)]."""
    out = collections.defaultdict(list)
    p = os.path.join(a.out, "xss-checked.jsonl")
    if os.path.exists(p):
        for l in open(p, encoding="utf-8"):
            r = json.loads(l)
            out[(r["target"], r["form"])].append((r["payload"], r["status"], r["executes"]))
    return out


CHECKED = checked()


def xsstrike(t, which):
    s = text(f"xsstrike-{t}-{which}")
    if s is None:
        return "not run"
    pays = sorted(set(re.findall(r"\[\+\] Payload: (.+?)\s*$", s, re.M)))
    waf = re.search(r"WAF detected: (.+)", s)
    extra = f"; XSStrike says WAF detected: {waf.group(1).strip()}" if waf else ""
    if not pays:
        return f"no working payload ({status(f'xsstrike-{t}-{which}')}{extra})"
    res = CHECKED.get((t, which))
    if res is None:
        run = "not checked in Chromium"
    else:
        ex = [p for p, st, e in res if e]
        run = (f"**{len(ex)} of them execute** in Chromium's parser, e.g. `{ex[0][:60]}`" if ex
               else "none of them executes in Chromium's parser")
        if any(st != 200 for _, st, _ in res):
            run += f" ({sum(st != 200 for _, st, _ in res)} refused when sent again)"
    return (f"{len(pays)} reported working (reflected intact), e.g. `{pays[0][:60]}`; {run} "
            f"({status(f'xsstrike-{t}-{which}')}{extra})")


def wfuzz(t, lst):
    def n(kind):
        p = os.path.join(a.out, f"wfuzz-{t}-{lst}.{kind}.json")
        try:
            return len(json.load(open(p)))
        except (OSError, ValueError):
            return 0
    total = sum(1 for l in open(f"/usr/share/wfuzz/wordlist/Injections/{lst}.txt", errors="replace"))
    hits, blocked = n("hits"), n("blocked")
    return (f"**{hits} worked**" if hits else "0 worked") + f", {blocked} refused (403) of {total}"


rows = []
for which, hole in (("product", "`/product?id=` SQLi (numeric)"), ("search", "`/search?q=` SQLi (string, LIKE)"),
                    ("login", "`/login` POST SQLi (username, password)")):
    rows.append(("sqlmap", hole, *[sqlmap(t, which) for t in TARGETS]))
w = {t: wapiti(t) for t in TARGETS}
cats = sorted(set(w["direct"][0]) | set(w["waf"][0]))
for c in cats:
    rows.append(("wapiti", c, *[("**" + ", ".join(w[t][0][c]) + "**") if c in w[t][0] else "nothing" for t in TARGETS]))
rows.append(("wapiti", "(scan time)", w["direct"][1], w["waf"][1]))
for which, hole in (("greet", "`/greet?name=` reflected XSS"), ("comment", "`/comment` POST reflected XSS")):
    rows.append(("XSStrike", hole, *[xsstrike(t, which) for t in TARGETS]))
for lst, hole in (("SQL", "SQL.txt on `/product?id=`"), ("XSS", "XSS.txt on `/greet?name=`"),
                  ("Traversal", "Traversal.txt on `/view?file=`"), ("All_attack", "All_attack.txt on `/ping?host=`")):
    rows.append(("wfuzz", hole, *[wfuzz(t, lst) for t in TARGETS]))

rules = collections.Counter()
ev = os.path.join(a.out, "events.jsonl")
if os.path.exists(ev):
    for l in open(ev, errors="replace"):
        try:
            e = json.loads(l)
        except ValueError:
            continue
        rid = e.get("rule_id") or (e.get("matched") or {}).get("rule_id") or "?"
        rules[f"{rid} {e.get('rule_name', '')}".strip()] += 1
rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
lines = [f"Run {time.strftime('%Y-%m-%d %H:%MZ', time.gmtime())} on {rev}, `bash bench/scanners/run.sh`: each scanner "
         "first against the vulnerable origin (bench/scanners/vulnapp.py), then through waf-proxy "
         "(release, default policy), each on a free loopback port. Bold: the scanner confirmed the hole. XSStrike calls a payload working when "
         "the answer reflects it intact; bench/scanners/xss_check.mjs asks Chromium's HTML parser whether it would run "
         "(an event handler of its element, a javascript: URL, a script).", "",
         "| scanner | hole / finding | direct to the origin | through waf-proxy |", "| --- | --- | --- | --- |"]
lines += [f"| {s} | {h} | {d} | {x} |" for s, h, d, x in rows]
if rules:
    lines += ["", "Rules that refused the scanners' requests through waf-proxy (event log): " +
              ", ".join(f"{k} ({n})" for k, n in rules.most_common(12)) + "."]
readme_block.write(lines, a.out, a.readme, "scanners", "Scanners (bench/scanners/run.sh)")
