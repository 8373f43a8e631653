#!/usr/bin/env python3
"""Mutates attack requests so that a detector tuned to the exact corpus strings shows it.

usage: mutate.py IN.jsonl OUT.jsonl [--seed S] [--every N]

For every N-th malicious request of IN (build_dev_corpora.py format), writes one mutated copy
with the same category and set, id suffixed with the mutation, and a "mutation" field:
  case       random upper/lower case of letters
  space      extra blanks (spaces doubled, tabs), and /**/ instead of blanks for SQL
  encoding   alternative transport encodings: every byte percent-encoded (letters too) in
             query and form values, \\u escapes in JSON strings
  rename     the parameter renamed (param -> a random realistic name)
Payloads carried base64-encoded are only renamed (changing case breaks base64).
"""
import argparse
import json
import random
import re
from urllib.parse import quote, quote_plus, unquote_plus

ap = argparse.ArgumentParser()
ap.add_argument("inp")
ap.add_argument("out")
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("--every", type=int, default=1)
a = ap.parse_args()
rnd = random.Random(a.seed)
NAMES = ["q", "search", "id", "user_name", "data[filter]", "redirect_to", "comment", "x1", "sort", "lang"]


def case(p):
    return "".join(c.upper() if c.isalpha() and rnd.random() < 0.5 else c.lower() if c.isalpha() else c for c in p)


def space(p, sql):
    if sql and rnd.random() < 0.5:
        return p.replace(" ", "/**/")
    return re.sub(r" ", lambda m: rnd.choice(["  ", " \t", "   "]), p)


def pct_all(p):
    return "".join("%%%02X" % b for b in p.encode("utf-8"))


def mutate(r, kind):
    r = dict(r)
    r["headers"] = dict(r["headers"])
    sql = "sql" in r["category"]
    b64 = "-Base64" in r["id"]
    f = {"case": case, "space": lambda p: space(p, sql)}.get(kind)
    path, body, h = r["path"], r["body"], r["headers"]
    ct = h.get("Content-Type", "")
    newname = rnd.choice(NAMES)
    if "?" in path:  # query parameter
        base, q = path.split("?", 1)
        k, _, v = q.partition("=")
        p = unquote_plus(v)
        if kind == "rename":
            k = quote_plus(newname)
        elif kind == "encoding":
            v = pct_all(p)
        if kind in ("case", "space") and not b64:
            v = quote_plus(f(p), safe="")
        r["path"] = f"{base}?{k}={v}"
    elif ct.startswith("application/x-www-form-urlencoded"):
        k, _, v = body.partition("=")
        p = unquote_plus(v)
        if kind == "rename":
            k = quote_plus(newname)
        elif kind == "encoding":
            v = pct_all(p)
        elif not b64:
            v = quote_plus(f(p), safe="")
        r["body"] = f"{k}={v}"
    elif ct.startswith("application/json"):
        try:
            obj = json.loads(body)
        except ValueError:
            return None
        (k, p), = obj.items() if len(obj) == 1 else [(None, None)]
        if k is None or not isinstance(p, str):
            return None
        if kind == "rename":
            r["body"] = json.dumps({newname: p})
        elif kind == "encoding":
            r["body"] = json.dumps({k: p}, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("'", "\\u0027")
        elif not b64:
            r["body"] = json.dumps({k: f(p)})
    elif ct.startswith("multipart/"):
        m = re.search(r'name="field"\r\n\r\n(.*)\r\n--', body, re.S)
        if not m:
            return None
        p = m.group(1)
        if kind == "rename":
            r["body"] = body.replace('name="field"', f'name="{newname}"')
        elif kind in ("case", "space") and not b64:
            r["body"] = body[:m.start(1)] + f(p) + body[m.end(1):]
        else:
            return None
    elif "X-Payload" in h:
        if kind == "rename":
            h["X-" + newname.replace("[", "-").replace("]", "").replace("_", "-").title()] = h.pop("X-Payload")
        elif kind in ("case", "space") and not b64:
            h["X-Payload"] = f(h["X-Payload"])
        else:
            return None
    elif path.count("/") >= 1 and "Base64" not in r["id"] and kind in ("case", "space"):
        p = unquote_plus(path[1:])
        r["path"] = "/" + quote(f(p), safe="")
    else:
        return None
    r["id"] = r["id"] + "~" + kind
    r["mutation"] = kind
    return r


n = 0
with open(a.out, "w", encoding="utf-8") as out:
    for i, line in enumerate(open(a.inp, encoding="utf-8")):
        if i % a.every:
            continue
        r = json.loads(line)
        if r.get("set") != "malicious":
            continue
        kinds = ["case", "space", "encoding", "rename"]
        rnd.shuffle(kinds)
        for k in kinds:
            m = mutate(r, k)
            if m:
                out.write(json.dumps(m, ensure_ascii=False) + "\n")
                n += 1
                break
print("mutated.jsonl", n)
