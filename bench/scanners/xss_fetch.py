#!/usr/bin/env python3
"""Sends again every payload XSStrike reported as working, as XSStrike sent it, and keeps the
answers, for bench/scanners/xss_check.mjs to ask Chromium whether the payload executes.

usage: xss_fetch.py OUT_DIR TARGET=URL... > OUT_DIR/xss-responses.jsonl
For each TARGET (direct, waf) and form (greet: GET ?name=, comment: POST text=), reads the
payloads of OUT_DIR/xsstrike-TARGET-FORM.log. XSStrike's "working" means reflected intact
(its checker compares the answer with the payload); it does not run anything. Sent like
XSStrike's requester: python-requests with params (GET) or data (POST), the POST payloads
URL-decoded first as XSStrike does (modes/scan.py), with a browser User-Agent.
"""
import json
import re
import sys
from urllib.parse import unquote

import requests

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
out = sys.argv[1]
s = requests.Session()
for arg in sys.argv[2:]:
    target, base = arg.split("=", 1)
    for form in ("greet", "comment"):
        try:
            log = ANSI.sub("", open(f"{out}/xsstrike-{target}-{form}.log", errors="replace").read())
        except OSError:
            continue
        for p in sorted(set(re.findall(r"\[\+\] Payload: (.+?)\s*$", log, re.M))):
            try:
                if form == "greet":
                    r = s.get(base + "/greet", params={"name": p}, headers={"User-Agent": UA}, timeout=10)
                else:
                    r = s.post(base + "/comment", data={"text": unquote(p)}, headers={"User-Agent": UA}, timeout=10)
                status, html = r.status_code, r.text
            except requests.RequestException as e:
                status, html = None, str(e)
            print(json.dumps({"target": target, "form": form, "payload": p, "status": status, "html": html}))
