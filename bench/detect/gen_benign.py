#!/usr/bin/env python3
"""Generates realistic benign traffic as JSON lines, in the format of build_dev_corpora.py.

usage: gen_benign.py OUT.jsonl [--n N] [--seed S]

Every request has set "benign" and a category "generated/<kind>". Kinds: names (Faker names in
many locales, apostrophes and hyphens included), intl (non-Latin scripts), prose (sentences that
contain SQL and shell words), links (URLs and e-mail addresses in parameters), json (nested JSON
API bodies), markdown (comments with markdown and code snippets), forms (urlencoded sign-up and
checkout forms), browse (browser GETs with real user agents, cookies and referers), multipart
(profile updates with a text part and an image upload). Deterministic for a given seed.
Needs Faker and fake-useragent from PyPI (run.sh installs them).
"""
import argparse
import json
import os
import random
from urllib.parse import quote, quote_plus, urlencode

from faker import Faker
import fake_useragent

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--n", type=int, default=300, help="requests per kind")
ap.add_argument("--seed", type=int, default=20240601)
a = ap.parse_args()

rnd = random.Random(a.seed)
Faker.seed(a.seed)
LOCALES = ["en_US", "en_GB", "en_IE", "fr_FR", "de_DE", "it_IT", "es_ES", "pt_BR", "nl_NL", "pl_PL",
           "ru_RU", "uk_UA", "el_GR", "tr_TR", "ar_AA", "fa_IR", "he_IL", "hi_IN", "th_TH", "ja_JP",
           "zh_CN", "zh_TW", "ko_KR", "vi_VN", "cs_CZ", "sv_SE"]
fk = Faker(LOCALES)
en = Faker("en_US")

ua_file = os.path.join(os.path.dirname(fake_useragent.__file__), "data", "browsers.jsonl")
UAS = sorted({json.loads(l)["useragent"] for l in open(ua_file, encoding="utf-8")})

IRISH = ["O'Brien", "O'Connor", "D'Angelo", "O'Neill", "D'Arcy", "L'Estrange", "O'Reilly",
         "Mc'Donald", "N'Diaye", "Dell'Acqua", "D'Souza", "Ng'ang'a"]

SQL_WORDS = ["select", "union", "drop", "insert", "update", "delete", "table", "from", "where",
             "order by", "group by", "join", "having", "like", "and", "or", "not", "null", "exec"]
SHELL_WORDS = ["cat", "ls", "echo", "sleep", "ping", "curl", "wget", "bash", "grep", "kill",
               "sudo", "rm", "chmod", "find", "head", "tail", "more", "set", "type", "dir"]
PROSE = [
    "Please select the union members from the drop-down and update the table.",
    "I want to drop my order from the cart; where do I update the delivery address?",
    "Can you delete my old account and insert the new email instead?",
    "Order by price or by date? Either works, and null results are fine.",
    "Tried to ping you on Slack; echo back when you're free & I'll cat the logs for you.",
    "Kill the lights, set the table, and don't forget the cat's dinner!",
    "The script sleeps 5 seconds, then curls the health endpoint -- is that normal?",
    "We need to find the head and the tail of the queue; more details below.",
    "Type your name, select your country, and press Submit (or Cancel).",
    "My son's teacher said: 'grep is a verb now'. I laughed.",
    "Use the 'Join' button, then 'Exec summary' -> 'Drop files here'.",
    "It's 50% off -- 2 for 1 -- while stocks last; terms & conditions apply.",
    "Is 1 = 1? Only on Tuesdays, said the teacher with a wink.",
    "rm -rf is dangerous; chmod 755 is what you want for the uploads folder.",
    "From: Sales <sales@example.com> -- re: your order #4521 (where is it?)",
    "Dear team; thanks for the update & the new schedule: see you Monday.",
]
CODE = [
    "```python\nfor i in range(10):\n    print(i)\n```",
    "```js\nconst total = items.reduce((a, b) => a + b.price, 0);\n```",
    "```sql\nSELECT name, email FROM users WHERE active = 1 ORDER BY name;\n```",
    "Use `git log --oneline` to see the history, then `git rebase -i HEAD~3`.",
    "```bash\n$ ls -la ~/projects\n$ cd ~/projects && make test\n```",
    "In Rust: `let v: Vec<u32> = (0..10).collect();` works fine.",
    "```html\n<p class=\"note\">Hello <b>world</b></p>\n```",
    "Try `SELECT COUNT(*) FROM orders GROUP BY status;` in the console.",
    "`if (a < b && c > d) { return a; }` is the check I mean.",
    "**Bold**, _italic_, [a link](https://example.com/docs?page=2#install) and > a quote.",
    "- [x] write tests\n- [ ] update README\n- [ ] ask @maria for review",
    "The regex `^[a-z0-9_-]{3,16}$` validates usernames.",
]
PATHS = ["/", "/search", "/products", "/blog/2024/05/hello-world", "/account/settings", "/cart",
         "/api/v1/items", "/help/faq", "/static/css/site.css", "/images/logo.png", "/checkout"]


def ua():
    return rnd.choice(UAS)


def browser_headers(referer=True, cookies=True):
    h = {"User-Agent": ua(),
         "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
         "Accept-Language": rnd.choice(["en-US,en;q=0.9", "fr-FR,fr;q=0.9,en;q=0.8", "ja,en-US;q=0.7", "de-DE,de;q=0.9"]),
         "Accept-Encoding": "gzip, deflate, br"}
    if referer:
        h["Referer"] = rnd.choice([
            "https://www.google.com/", "https://www.bing.com/search?q=" + quote_plus(en.sentence()),
            "https://shop.example.com" + rnd.choice(PATHS) + "?utm_source=newsletter&utm_medium=email&utm_campaign=" + en.word(),
            "https://t.co/" + en.lexify("??????????"), "https://duckduckgo.com/?q=" + quote_plus(fk.name()) + "&ia=web"])
    if cookies:
        c = [f"_ga=GA1.2.{rnd.randint(10**8, 10**9)}.{rnd.randint(10**9, 2 * 10**9)}",
             f"_gid=GA1.2.{rnd.randint(10**8, 10**9)}.{rnd.randint(10**9, 2 * 10**9)}",
             f"sessionid={en.sha1()[:32]}", f"csrftoken={en.lexify('?' * 32)}",
             "cookie_consent=" + quote(json.dumps({"necessary": True, "analytics": rnd.random() < 0.5}, separators=(",", ":"))),
             f"lang={rnd.choice(['en', 'fr', 'de', 'ja'])}", f"theme={rnd.choice(['dark', 'light'])}",
             f"cart=%5B%7B%22id%22%3A{rnd.randint(1, 999)}%2C%22qty%22%3A{rnd.randint(1, 5)}%7D%5D",
             "JSESSIONID=" + en.hexify("^" * 32).upper(), "remember_user_token=" + en.pystr(20, 40)]
        h["Cookie"] = "; ".join(rnd.sample(c, rnd.randint(2, len(c))))
    return h


def name():
    r = rnd.random()
    if r < 0.3:
        return en.first_name() + " " + rnd.choice(IRISH)
    if r < 0.4:
        return en.first_name() + " " + en.last_name() + "-" + en.last_name()
    return fk.name()


def get(path, params, h=None):
    q = urlencode(params, quote_via=quote_plus)
    return "GET", path + ("?" + q if q else ""), h or browser_headers(), ""


def form(path, params):
    h = browser_headers()
    h["Content-Type"] = "application/x-www-form-urlencoded"
    return "POST", path, h, urlencode(params, quote_via=quote_plus)


def jsonpost(path, obj):
    h = browser_headers(referer=False)
    h["Content-Type"] = "application/json"
    h["Accept"] = "application/json"
    return "POST", path, h, json.dumps(obj, ensure_ascii=rnd.random() < 0.5)


def kind_names():
    n = name()
    r = rnd.random()
    if r < 0.4:
        return get("/search", {"q": n, "page": rnd.randint(1, 9)})
    if r < 0.7:
        return form("/account/profile", {"full_name": n, "display": n.split()[0], "city": fk.city()})
    return jsonpost("/api/v1/contacts", {"name": n, "company": fk.company(), "note": f"Met {n} at {fk.city()}."})


def kind_intl():
    text = fk.sentence(nb_words=rnd.randint(4, 14))
    r = rnd.random()
    if r < 0.4:
        return get("/search", {"q": text, "lang": fk.language_code()})
    if r < 0.7:
        return form("/comments", {"author": fk.name(), "body": fk.paragraph(), "address": fk.address()})
    return jsonpost("/api/v1/reviews", {"title": text, "body": fk.paragraph(), "rating": rnd.randint(1, 5)})


def kind_prose():
    words = rnd.sample(SQL_WORDS + SHELL_WORDS, 3)
    text = rnd.choice(PROSE) if rnd.random() < 0.6 else (
        en.sentence(ext_word_list=None) + " " + " ".join(words) + " " + en.sentence())
    r = rnd.random()
    if r < 0.35:
        return get("/search", {"q": text})
    if r < 0.7:
        return form("/support/ticket", {"subject": en.sentence(nb_words=5), "message": text, "email": en.email()})
    return jsonpost("/api/v1/messages", {"thread": rnd.randint(1, 10**6), "text": text})


def kind_links():
    url = rnd.choice([en.url() + en.uri_path(), en.uri(), "https://www.example.org/a/b?x=1&y=two#frag",
                      "https://maps.google.com/?q=" + quote_plus(fk.address()), "mailto:" + en.email(),
                      "https://cdn.example.net/img/" + en.file_name(category="image")])
    r = rnd.random()
    if r < 0.4:
        return get("/redirect", {"next": url, "ref": en.email()})
    if r < 0.7:
        return form("/newsletter", {"email": fk.email(), "website": url, "source": en.url()})
    return jsonpost("/api/v1/webhooks", {"url": url, "contact": {"email": en.email(), "phone": fk.phone_number()}})


def kind_json():
    obj = {"order": {"id": en.uuid4(), "customer": {"name": name(), "email": en.email(),
                                                      "address": {"street": fk.street_address(), "city": fk.city(),
                                                                  "zip": fk.postcode(), "country": fk.country_code()}},
                     "items": [{"sku": en.bothify("??-####"), "title": fk.catch_phrase(), "qty": rnd.randint(1, 4),
                                "price": round(rnd.uniform(1, 500), 2)} for _ in range(rnd.randint(1, 4))],
                     "note": rnd.choice(PROSE), "gift": rnd.random() < 0.2, "coupon": None},
           "meta": {"client": "web", "version": "2.14.1", "ts": en.iso8601()}}
    return jsonpost(rnd.choice(["/api/v1/orders", "/api/v2/checkout"]), obj)


def kind_markdown():
    body = en.paragraph() + "\n\n" + rnd.choice(CODE) + "\n\n" + rnd.choice(PROSE)
    r = rnd.random()
    if r < 0.5:
        return form("/forum/reply", {"topic": rnd.randint(1, 9999), "body": body, "author": name()})
    return jsonpost("/api/v1/comments", {"post": en.slug(), "markdown": body, "author": {"name": name()}})


def kind_forms():
    r = rnd.random()
    if r < 0.5:
        return form("/signup", {"first_name": fk.first_name(), "last_name": rnd.choice(IRISH + [fk.last_name()]),
                                "email": fk.email(), "password": en.password(length=14), "company": fk.company(),
                                "phone": fk.phone_number(), "terms": "on"})
    return form("/checkout", {"card_name": name(), "address1": fk.street_address(), "address2": en.secondary_address(),
                              "city": fk.city(), "postcode": fk.postcode(), "instructions": rnd.choice(PROSE)})


def kind_browse():
    path = rnd.choice(PATHS)
    params = rnd.choice([{}, {"page": rnd.randint(1, 50)}, {"sort": "price_desc", "category": en.word()},
                         {"utm_source": "google", "utm_medium": "cpc", "gclid": en.pystr(30, 60)},
                         {"q": en.word() + " " + en.word(), "filters": "color:red,size:M"},
                         {"fbclid": en.pystr(40, 60)}, {"id": rnd.randint(1, 10**6), "ref": "homepage"}])
    return get(path, params)


def kind_multipart():
    b = "----WebKitFormBoundary" + en.lexify("????????????????")
    h = browser_headers()
    h["Content-Type"] = "multipart/form-data; boundary=" + b
    bio = fk.paragraph() + " " + rnd.choice(PROSE)
    fname = en.file_name(category="image")
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"display_name\"\r\n\r\n{name()}\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"bio\"\r\n\r\n{bio}\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"{fname}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n\u00ff\u00d8\u00ff\u00e0JFIF\r\n--{b}--\r\n")
    return "POST", "/account/profile", h, body


KINDS = {"names": kind_names, "intl": kind_intl, "prose": kind_prose, "links": kind_links, "json": kind_json,
         "markdown": kind_markdown, "forms": kind_forms, "browse": kind_browse, "multipart": kind_multipart}

with open(a.out, "w", encoding="utf-8") as fh:
    n = 0
    for kind, f in KINDS.items():
        for i in range(a.n):
            m, path, h, body = f()
            fh.write(json.dumps({"id": f"generated/{kind}-{i}", "set": "benign", "category": "generated/" + kind,
                                 "method": m, "path": path, "headers": h, "body": body}, ensure_ascii=False) + "\n")
            n += 1
print(os.path.basename(a.out), n)
