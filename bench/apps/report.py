#!/usr/bin/env python3
"""Turns one bench/apps/run.sh recording into the benign corpus and its report.

usage: report.py RUN_DIR WAF_PROXY_BIN [--readme README.md]
Reads RUN_DIR/recorded.jsonl (bench/apps/recorder.py), keeps the browser's requests (the
HeadlessChrome User-Agent; nothing else should be there), writes RUN_DIR/corpus.jsonl with a
category per application and kind of request, replays it offline with the default rule set in
block mode (`waf-proxy replay --rules-dir rules`: which requests the default policy would block,
and by which rule), compares with the log-only events of the live run, and prints the tables
(RUN_DIR/report.md; with --readme also between <!-- apps:start/end --> of README.md).
"""
import argparse
import collections
import json
import os
import re
import subprocess
import time

ap = argparse.ArgumentParser()
ap.add_argument("run")
ap.add_argument("bin")
ap.add_argument("--readme")
a = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def app_of(path):
    for app in ("wordpress", "mediawiki", "phpmyadmin"):
        if path.startswith("/" + app):
            return app
    return "other"


def kind(r):
    """What a request is, for the category: static file, page, form post, API call..."""
    p = r["path"].split("?")[0]
    if re.search(r"\.(css|js|png|jpe?g|gif|svg|woff2?|ttf|ico|map)$", p) or "/load.php" in p:
        return "static"
    if "wp-json" in p or "rest_route" in r["path"] or "/api.php" in p or "/rest.php" in p:
        return "api"
    if "admin-ajax.php" in p or "ajax_request=true" in r["path"] or "ajax_request=true" in r.get("body", ""):
        return "ajax"
    if r["method"] == "POST":
        return "multipart" if "multipart" in r["headers"].get("Content-Type", "") else "form"
    return "page"


def shape(r, m):
    """The request's shape without its values: method, path with numbers folded, where it matched."""
    p = r["path"].split("?")[0]
    p = re.sub(r"/\d+", "/N", p)
    q = sorted({kv.split("=")[0] for kv in r["path"].partition("?")[2].split("&") if kv})
    if "route=" in r["path"]:
        p += "?route=" + re.search(r"route=([^&]*)", r["path"]).group(1).replace("%2F", "/")
    elif q:
        p += "?" + "&".join(q[:4]) + ("&..." if len(q) > 4 else "")
    where = m.get("target", "?") + (f" `{m['parameter']}`" if m.get("parameter") else "")
    return f"{r['method']} {p} ({where})"


recs = [json.loads(l) for l in open(os.path.join(a.run, "recorded.jsonl"), encoding="utf-8")]
browser = [r for r in recs if "HeadlessChrome" in r["headers"].get("User-Agent", "")]
others = len(recs) - len(browser)
for r in browser:
    r["category"] = f"{app_of(r['path'])}/{kind(r)}"
    r["source"] = "apps/" + app_of(r["path"])
with open(os.path.join(a.run, "corpus.jsonl"), "w", encoding="utf-8") as fh:
    for r in browser:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")
rep = subprocess.run([a.bin, "replay", "--rules-dir", os.path.join(root, "rules")],
                     input=open(os.path.join(a.run, "corpus.jsonl"), "rb").read(), capture_output=True, check=True)
verdicts = [json.loads(l) for l in rep.stdout.decode().splitlines() if '"line"' in l]
assert len(verdicts) == len(browser), (len(verdicts), len(browser))
live = collections.Counter()
evp = os.path.join(a.run, "events.jsonl")
if os.path.exists(evp):
    for l in open(evp, errors="replace"):
        try:
            e = json.loads(l)
        except ValueError:
            continue
        url = e.get("url", "")
        live[(app_of("/" + url.split("/", 1)[1] if "/" in url else url), e.get("rule_id"))] += 1

per_app = collections.defaultdict(lambda: [0, 0])
per_kind = collections.defaultdict(lambda: [0, 0])
by_rule = collections.defaultdict(list)
for r, v in zip(browser, verdicts):
    blocked = v["action"] in ("block", "challenge")
    app = app_of(r["path"])
    per_app[app][0] += 1
    per_app[app][1] += blocked
    per_kind[r["category"]][0] += 1
    per_kind[r["category"]][1] += blocked
    if blocked:
        m = v.get("matched") or {}
        by_rule[(m.get("rule_id"), m.get("rule_name"))].append((r, m))

steps = json.load(open(os.path.join(a.run, "steps.json"))) if os.path.exists(os.path.join(a.run, "steps.json")) else []
rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=root).stdout.strip()
lines = [f"Run {time.strftime('%Y-%m-%d %H:%MZ', time.gmtime())} on {rev}, `bash bench/apps/run.sh`: "
         f"{len(browser)} requests recorded from the browser ({others} other requests seen and left out), "
         f"{sum(s['ok'] for s in steps)} of {len(steps)} scenario steps done. Blocked = what the default policy "
         "(`rules/`, block mode) decides for the recorded request (`waf-proxy replay`); the live run was in log-only "
         "mode, its events are the last column.", "",
         "| application | requests | would be blocked | benign passed | log-only events in the live run |",
         "| --- | ---: | ---: | ---: | ---: |"]
for app in sorted(per_app):
    n, b = per_app[app]
    ev = sum(c for (ap_, _), c in live.items() if ap_ == app)
    lines.append(f"| {app} | {n} | {b} | {100.0 * (n - b) / n:.2f}% | {ev} |")
n, b = sum(x[0] for x in per_app.values()), sum(x[1] for x in per_app.values())
wm = [per_app[x] for x in ("wordpress", "mediawiki") if x in per_app]
if wm:
    wn, wb = sum(x[0] for x in wm), sum(x[1] for x in wm)
    lines.append(f"| WordPress + MediaWiki | {wn} | {wb} | {100.0 * (wn - wb) / max(1, wn):.2f}% | |")
lines.append(f"| all | {n} | {b} | {100.0 * (n - b) / max(1, n):.2f}% | {sum(live.values())} |")
lines += ["", "By kind of request:", "", "| category | requests | would be blocked |", "| --- | ---: | ---: |"]
lines += [f"| {k} | {v[0]} | {v[1]} |" for k, v in sorted(per_kind.items())]
lines += ["", "The rules that would block them, and the requests' shapes (numbers folded to N):", "",
          "| rule | name | blocked | application | request shape (where it matched) | example match |",
          "| --- | --- | ---: | --- | --- | --- |"]
for (rid, name), items in sorted(by_rule.items(), key=lambda kv: -len(kv[1])):
    apps = collections.Counter(app_of(r["path"]) for r, _ in items)
    shapes = collections.Counter(shape(r, m) for r, m in items)
    ex = (items[0][1].get("snippet") or "")[:60].replace("|", "\\|").replace("\n", " ").replace("`", "'")
    lines.append(f"| {rid} | {name} | {len(items)} | " + ", ".join(f"{k} {c}" for k, c in apps.most_common()) + " | " +
                 "<br>".join(f"{k} x{c}" for k, c in shapes.most_common(4)) + f" | `{ex}` |")
failed = [s for s in steps if not s["ok"]]
if failed:
    lines += ["", "Scenario steps that failed: " + "; ".join(f"{s['name']} ({s['error'][:100]})" for s in failed) + "."]
print("\n".join(lines))
with open(os.path.join(a.run, "report.md"), "w") as fh:
    fh.write("\n".join(lines) + "\n")
if a.readme:
    t = open(a.readme).read()
    block = "\n".join(["<!-- apps:start -->", ""] + lines + ["", "<!-- apps:end -->"])
    i, j = t.find("<!-- apps:start -->"), t.find("<!-- apps:end -->")
    if i >= 0 and j > i:
        t = t[:i] + block + t[j + len("<!-- apps:end -->"):]
    else:
        t = t.rstrip("\n") + "\n\n## Real applications (bench/apps/run.sh)\n\n" + block + "\n"
    open(a.readme, "w").write(t)
