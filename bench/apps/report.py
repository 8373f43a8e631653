#!/usr/bin/env python3
"""Turns one bench/apps/run.sh recording into the benign corpus, replays it and reports.

usage: report.py RUN_DIR --waf URL --waf-events FILE [--waf-profiles URL --waf-profiles-events FILE]
                 [--modsec URL --modsec-log FILE] [--readme README.md]

Reads RUN_DIR/recorded.jsonl (bench/apps/recorder.py) and keeps the browser's requests (the
HeadlessChrome User-Agent; nothing else should be there), writes RUN_DIR/corpus.jsonl with a
category per application and kind of request, then sends every request, byte for byte as the
browser sent it (header lines in order, the exact body: an image upload stays binary), one after
the other on one connection to:
  --waf     a waf-proxy with the default rule set in block mode (its --events FILE names the rule
            of each block: sequential requests, so the n-th event is the n-th 403);
  --waf-profiles  the same with the applications' profiles on (a site for www.bench.test with
            `profiles:` wordpress, mediawiki and phpmyadmin), and its events;
  --modsec  Apache + ModSecurity + CRS (../shared/tools/peers.sh); its error log, read from where
            it stood before the replay, names the CRS rules of each blocked request.
Blocked = HTTP 403. Also compares with the log-only events of the live run (RUN_DIR/events.jsonl:
the same decisions, made on the live traffic). Prints the tables and writes RUN_DIR/report.md;
with --readme also between <!-- apps:start --> and <!-- apps:end --> of README.md.
"""
import argparse
import base64
import collections
import http.client
import json
import os
import re
import subprocess
import time
from urllib.parse import urlsplit
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import readme_block  # noqa: E402  (bench/readme_block.py)

ap = argparse.ArgumentParser()
ap.add_argument("run")
ap.add_argument("--waf", required=True)
ap.add_argument("--waf-events", required=True)
ap.add_argument("--waf-profiles")
ap.add_argument("--waf-profiles-events")
ap.add_argument("--modsec")
ap.add_argument("--modsec-log")
ap.add_argument("--readme")
a = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPS = ("wordpress", "mediawiki", "phpmyadmin")
# Hop-by-hop framing is the client library's: the body's exact length is sent instead.
FRAMING = {"content-length", "transfer-encoding", "connection", "keep-alive"}


def app_of(path):
    for app in APPS:
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


def shape(r, where=""):
    """The request's shape without its values: method, path with numbers folded, parameter names."""
    p = r["path"].split("?")[0]
    p = re.sub(r"/\d+", "/N", p)
    q = sorted({kv.split("=")[0] for kv in r["path"].partition("?")[2].split("&") if kv})
    if "route=" in r["path"]:
        p += "?route=" + re.search(r"route=([^&]*)", r["path"]).group(1).replace("%2F", "/")
    elif q:
        p += "?" + "&".join(q[:4]) + ("&..." if len(q) > 4 else "")
    return f"{r['method']} {p}" + (f" ({where})" if where else "")


def body_bytes(r):
    return base64.b64decode(r["body_b64"]) if r.get("body_b64") else r.get("body", "").encode("utf-8")


def replay(url, recs):
    """Sends each request as recorded; returns the statuses (None: no answer after 3 tries)."""
    u = urlsplit(url)
    conn = [None]
    out = []
    for r in recs:
        body = body_bytes(r)
        status = None
        for _ in range(3):
            try:
                if conn[0] is None:
                    conn[0] = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                c = conn[0]
                c.putrequest(r["method"], r["path"], skip_host=True, skip_accept_encoding=True)
                for k, v in r.get("header_list") or r["headers"].items():
                    if k.lower() not in FRAMING:
                        c.putheader(k, v)
                if body or r["method"] in ("POST", "PUT", "PATCH"):
                    c.putheader("Content-Length", str(len(body)))
                c.endheaders(body or None)
                resp = c.getresponse()
                resp.read()
                status = resp.status
                if resp.will_close:
                    c.close()
                    conn[0] = None
                break
            except (OSError, http.client.HTTPException):
                if conn[0] is not None:
                    conn[0].close()
                conn[0] = None
        out.append(status)
    return out


def read_events(path, start=0):
    evs = []
    if os.path.exists(path):
        with open(path, errors="replace") as fh:
            fh.seek(start)
            for line in fh:
                try:
                    evs.append(json.loads(line))
                except ValueError:
                    pass
    return evs


def modsec_groups(path, start):
    """ModSecurity's messages written since `start`, per transaction (unique_id), in log order:
    (uri, the CRS rule ids that matched but the scoring rules, {id: message})."""
    groups = collections.OrderedDict()
    with open(path, errors="replace") as fh:
        fh.seek(start)
        for line in fh:
            if "ModSecurity:" not in line:
                continue
            uid = re.search(r'\[unique_id "([^"]+)"\]', line)
            rid = re.search(r'\[id "(\d+)"\]', line)
            if not uid or not rid:
                continue
            g = groups.setdefault(uid.group(1), {"uri": "", "ids": [], "msg": {}, "blocked": False})
            uri = re.search(r'\[uri "([^"]*)"\]', line)
            g["uri"] = uri.group(1) if uri else g["uri"]
            if "Access denied" in line or rid.group(1) == "949110":
                g["blocked"] = True
            if rid.group(1) not in ("949110", "980130", "959100", "980140") and rid.group(1) not in g["ids"]:
                g["ids"].append(rid.group(1))
                m = re.search(r'\[msg "([^"]*)"\]', line)
                g["msg"][rid.group(1)] = m.group(1) if m else ""
    return [g for g in groups.values() if g["blocked"]]


recs = [json.loads(l) for l in open(os.path.join(a.run, "recorded.jsonl"), encoding="utf-8")]
browser = [r for r in recs if "HeadlessChrome" in r["headers"].get("User-Agent", "")]
others = len(recs) - len(browser)
for r in browser:
    r["category"] = f"{app_of(r['path'])}/{kind(r)}"
    r["source"] = "apps/" + app_of(r["path"])
with open(os.path.join(a.run, "corpus.jsonl"), "w", encoding="utf-8") as fh:
    for r in browser:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")

def replay_waf(url, events):
    """Replays through a waf-proxy in block mode: (statuses, {index: block event}, events that did
    not line up). The n-th block event belongs to the n-th 403."""
    ev_start = os.path.getsize(events) if os.path.exists(events) else 0
    statuses = replay(url, browser)
    time.sleep(0.5)
    evs = [e for e in read_events(events, ev_start) if e.get("action") in ("block", "challenge")]
    blocked = [i for i, s in enumerate(statuses) if s == 403]
    by_index, bad = {}, 0
    for i, e in zip(blocked, evs):
        r = browser[i]
        if e.get("method") != r["method"] or not e.get("url", "").endswith(r["path"]):
            bad += 1
        by_index[i] = e
    return statuses, by_index, bad + abs(len(evs) - len(blocked))


waf, matched, mismatch = replay_waf(a.waf, a.waf_events)
wp, wp_matched = None, {}
if a.waf_profiles:
    wp, wp_matched, wp_mismatch = replay_waf(a.waf_profiles, a.waf_profiles_events)
    mismatch += wp_mismatch

ms, ms_rules = None, {}
if a.modsec:
    ms_start = os.path.getsize(a.modsec_log) if a.modsec_log and os.path.exists(a.modsec_log) else 0
    ms = replay(a.modsec, browser)
    time.sleep(0.5)
    if a.modsec_log and os.path.exists(a.modsec_log):
        groups = modsec_groups(a.modsec_log, ms_start)
        for i, g in zip([i for i, s in enumerate(ms) if s == 403], groups):
            ms_rules[i] = g

# Live run (log-only): which requests the WAF flagged then, by method + URL, in order.
live = collections.Counter()
for e in read_events(os.path.join(a.run, "events.jsonl")):
    live[(e.get("method"), e.get("url", "").split("/", 1)[-1], e.get("rule_id"))] += 1
replayed = collections.Counter((browser[i]["method"], browser[i]["path"].lstrip("/"), e.get("rule_id"))
                               for i, e in matched.items())

per_app = collections.defaultdict(lambda: collections.Counter())
per_kind = collections.defaultdict(lambda: collections.Counter())
for i, r in enumerate(browser):
    for d in (per_app[app_of(r["path"])], per_kind[r["category"]]):
        d["n"] += 1
        d["params"] += bool("?" in r["path"] or r.get("body"))
        d["waf"] += waf[i] == 403
        d["waf_err"] += waf[i] is None
        if wp is not None:
            d["wp"] += wp[i] == 403
        if ms is not None:
            d["ms"] += ms[i] == 403
live_by_app = collections.Counter()
for (m, url, rid), c in live.items():
    live_by_app[app_of("/" + url)] += c


def pct_pass(n, b):
    return f"{100.0 * (n - b) / n:.2f}%" if n else "-"


steps = json.load(open(os.path.join(a.run, "steps.json"))) if os.path.exists(os.path.join(a.run, "steps.json")) else []
rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=root).stdout.strip()
has_ms = ms is not None
has_wp = wp is not None
lines = [f"Run {time.strftime('%Y-%m-%d %H:%MZ', time.gmtime())} on {rev}, `bash bench/apps/run.sh`: "
         f"{len(browser)} requests recorded from the browser ({others} other requests seen and left out), "
         f"{sum(s['ok'] for s in steps)} of {len(steps)} scenario steps done. Each recorded request was then sent "
         "again, byte for byte, to waf-proxy (release, `rules/`, default policy, block mode) and to Apache + "
         "ModSecurity 2.9 + OWASP CRS 3.3.4 PL1 (../shared/tools/peers.sh), both in front of the same nginx origin; "
         "blocked = HTTP 403. \"with params\": requests with a query string or a body (the rest are static files "
         "and plain page loads)." + (
             " \"profiles on\": the same replay through waf-proxy with one site for www.bench.test that turns on "
             "the `wordpress`, `mediawiki` and `phpmyadmin` profiles (rules/profiles/) at their install paths; "
             "ModSecurity + CRS runs without its application exclusion plugins." if has_wp else ""), "",
         "| application | requests | with params | waf-proxy: blocked | waf-proxy: passed | " +
         ("waf-proxy, profiles on: blocked | waf-proxy, profiles on: passed | " if has_wp else "") +
         ("ModSecurity + CRS: blocked | ModSecurity + CRS: passed | " if has_ms else "") + "live run, log-only events |",
         "| --- | ---: | ---: | ---: | ---: |" + (" ---: | ---: |" if has_wp else "") +
         (" ---: | ---: |" if has_ms else "") + " ---: |"]


def app_row(name, cs, ev):
    n = sum(c["n"] for c in cs)
    row = [name, n, sum(c["params"] for c in cs)]
    b = sum(c["waf"] for c in cs)
    row += [b, pct_pass(n, b)]
    if has_wp:
        pb = sum(c["wp"] for c in cs)
        row += [pb, pct_pass(n, pb)]
    if has_ms:
        mb = sum(c["ms"] for c in cs)
        row += [mb, pct_pass(n, mb)]
    row.append(ev)
    return "| " + " | ".join(map(str, row)) + " |"


for app in sorted(per_app):
    lines.append(app_row(app, [per_app[app]], live_by_app[app]))
lines.append(app_row("WordPress + MediaWiki", [per_app[x] for x in ("wordpress", "mediawiki") if x in per_app], ""))
lines.append(app_row("all", list(per_app.values()), sum(live.values())))
lines += ["", "By kind of request:", "",
          "| category | requests | with params | waf-proxy: blocked |" +
          (" waf-proxy, profiles on: blocked |" if has_wp else "") + (" ModSecurity + CRS: blocked |" if has_ms else ""),
          "| --- | ---: | ---: | ---: |" + (" ---: |" if has_wp else "") + (" ---: |" if has_ms else "")]
lines += [f"| {k} | {v['n']} | {v['params']} | {v['waf']} |" + (f" {v['wp']} |" if has_wp else "") +
          (f" {v['ms']} |" if has_ms else "")
          for k, v in sorted(per_kind.items())]

def rule_table(title, events):
    """The rules that blocked, with the requests' shapes."""
    by_rule = collections.defaultdict(list)
    for i, e in events.items():
        by_rule[(e.get("rule_id"), e.get("rule_name"))].append((browser[i], e))
    out = ["", title, ""]
    if not by_rule:
        return out + ["(none)"]
    out += ["| rule | name | blocked | application | request shape (where it matched) | start of the matched value |",
            "| --- | --- | ---: | --- | --- | --- |"]
    for (rid, name), items in sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), str(kv[0]))):
        apps = collections.Counter(app_of(r["path"]) for r, _ in items)
        shapes = collections.Counter(
            shape(r, e.get("target", "?") + (f" `{e['parameter']}`" if e.get("parameter") else "")) for r, e in items)
        ex = (items[0][1].get("snippet") or "")[:60].replace("|", "\\|").replace("\n", " ").replace("`", "'")
        out.append(f"| {rid} | {name} | {len(items)} | " + ", ".join(f"{k} {c}" for k, c in apps.most_common()) +
                   " | " + "<br>".join(f"{k} x{c}" for k, c in shapes.most_common(4)) + f" | `{ex}` |")
    return out


lines += rule_table("waf-proxy: the rules that blocked them, and the requests' shapes (numbers folded to N):", matched)
if has_wp:
    lines += rule_table("waf-proxy with the profiles on: the rules that still blocked:", wp_matched)
if has_ms:
    ms_by = collections.defaultdict(list)
    msgs = {}
    for i, g in ms_rules.items():
        for rid in g["ids"]:
            ms_by[rid].append(browser[i])
            msgs[rid] = g["msg"][rid]
    lines += ["", "ModSecurity + CRS: the rules that matched in the blocked requests (a request usually has several; "
              "CRS blocks on their summed anomaly score):", "",
              "| CRS rule | message | blocked requests | application | request shapes |", "| --- | --- | ---: | --- | --- |"]
    for rid, rs in sorted(ms_by.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        apps = collections.Counter(app_of(r["path"]) for r in rs)
        shapes = collections.Counter(shape(r) for r in rs)
        lines.append(f"| {rid} | {msgs[rid][:70]} | {len(rs)} | " + ", ".join(f"{k} {c}" for k, c in apps.most_common()) +
                     " | " + "<br>".join(f"{k} x{c}" for k, c in shapes.most_common(3)) + " |")
    if len(ms_rules) != sum(s == 403 for s in ms):
        lines.append(f"\n({sum(s == 403 for s in ms) - len(ms_rules)} ModSecurity blocks had no rule in its log.)")
checks = []
if mismatch:
    checks.append(f"{mismatch} waf-proxy block events did not line up with the 403s of the replay")
errs = sum(s is None for s in waf) + (sum(s is None for s in ms) if has_ms else 0) + \
    (sum(s is None for s in wp) if has_wp else 0)
if errs:
    checks.append(f"{errs} requests got no answer")
if live == replayed:
    checks.append("the live run's log-only events name the same requests and rules as the block-mode replay")
else:
    diff = (live - replayed) + (replayed - live)
    checks.append(f"the live run's log-only events and the block-mode replay differ on {sum(diff.values())} "
                  "(request, rule) pairs: " + "; ".join(f"{m} /{u[:60]} rule {r}" for (m, u, r) in list(diff)[:5]))
failed = [s for s in steps if not s["ok"]]
if failed:
    checks.append("scenario steps that failed: " + "; ".join(f"{s['name']} ({s['error'][:100]})" for s in failed))
lines += [""] + [f"- {c}." for c in checks]
readme_block.write(lines, a.run, a.readme, "apps", "Real applications (bench/apps/run.sh)")
