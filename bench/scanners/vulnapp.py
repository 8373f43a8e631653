#!/usr/bin/env python3
"""A deliberately vulnerable web application for the scanner benchmark. Loopback only.

usage: vulnapp.py PORT DATA_DIR

Every hole is real, so that a scanner can prove it directly before it is tried through the WAF:
  /product?id=1        SQL injection, numeric context (SQLite; errors shown)
  /search?q=lamp       SQL injection, string context inside LIKE '%...%'
  /login (POST form)   SQL injection in a login query (username, password)
  /greet?name=you      reflected XSS (HTML body, unescaped)
  /view?file=a.txt     file read: os.path.join(docs, file), so ../ and absolute paths escape
  /ping?host=x         command injection: a shell runs "getent hosts " + host (as nobody, 10 s)
  /render?tpl=Hi       server-side template injection (Jinja2 render_template_string)
  /fetch?url=http://.. SSRF: the server fetches the URL (urllib, 3 s; only loopback answers here)
  /comment (POST form) reflected XSS in a form field
The index page links every endpoint with a form, so a crawler finds them.
"""
import html
import os
import sqlite3
import signal
import subprocess
import sys
import urllib.request

from flask import Flask, request, render_template_string

port, data = int(sys.argv[1]), sys.argv[2]
os.makedirs(os.path.join(data, "docs"), exist_ok=True)
docs = os.path.join(data, "docs")
for name, text in (("a.txt", "Opening hours: 9-17.\n"), ("b.txt", "Shipping is free above 50 EUR.\n")):
    with open(os.path.join(docs, name), "w") as fh:
        fh.write(text)
db_path = os.path.join(data, "shop.db")
with sqlite3.connect(db_path) as db:
    db.executescript("""
        DROP TABLE IF EXISTS products; DROP TABLE IF EXISTS users;
        CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL);
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, password TEXT);
        INSERT INTO products (name, price) VALUES ('desk lamp', 19.9), ('office chair', 129.0), ('lamp shade', 7.5);
        INSERT INTO users (name, email, password) VALUES ('alice', 'alice@example.test', 's3cret-alice'),
                                                        ('bob', 'bob@example.test', 'hunter2-bob');
    """)

app = Flask(__name__)
PAGE = "<!doctype html><html><head><title>Shop</title></head><body>{}</body></html>"


def page(body, status=200):
    return PAGE.format(body), status, {"Content-Type": "text/html; charset=utf-8"}


def query(sql):
    try:
        with sqlite3.connect(db_path) as db:
            rows = db.execute(sql).fetchall()
        return "<ul>" + "".join(f"<li>{html.escape(str(r))}</li>" for r in rows) + "</ul>"
    except sqlite3.Error as e:
        return f"<pre>sqlite3.OperationalError: {html.escape(str(e))}\nquery: {html.escape(sql)}</pre>"


@app.route("/")
def index():
    return page("""<h1>Shop</h1>
<p><a href="/product?id=1">product 1</a> <a href="/search?q=lamp">search</a> <a href="/greet?name=you">greet</a>
<a href="/view?file=a.txt">opening hours</a> <a href="/ping?host=localhost">ping</a>
<a href="/render?tpl=Hello">render</a> <a href="/fetch?url=http://127.0.0.1:%d/">fetch</a></p>
<form action="/search" method="get"><input name="q" value="lamp"><input type="submit"></form>
<form action="/login" method="post"><input name="username" value="alice"><input type="password" name="password" value="x"><input type="submit"></form>
<form action="/comment" method="post"><textarea name="text">nice</textarea><input type="submit"></form>
<form action="/ping" method="get"><input name="host" value="localhost"><input type="submit"></form>
""" % port)


@app.route("/product")
def product():
    return page(query("SELECT id, name, price FROM products WHERE id = " + request.args.get("id", "1")))


@app.route("/search")
def search():
    return page(query("SELECT id, name FROM products WHERE name LIKE '%" + request.args.get("q", "") + "%'"))


@app.route("/login", methods=["GET", "POST"])
def login():
    u, p = request.values.get("username", ""), request.values.get("password", "")
    return page(query(f"SELECT id, name FROM users WHERE name = '{u}' AND password = '{p}'"))


@app.route("/greet")
def greet():
    return page("<p>Hello " + request.args.get("name", "") + "</p>")


@app.route("/comment", methods=["GET", "POST"])
def comment():
    return page("<div>Your comment: " + request.values.get("text", "") + "</div>")


@app.route("/view")
def view():
    try:
        with open(os.path.join(docs, request.args.get("file", "a.txt")), errors="replace") as fh:
            return page("<pre>" + html.escape(fh.read(65536)) + "</pre>")
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
        return page(f"<pre>{html.escape(str(e))}</pre>", 404)


def as_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


@app.route("/ping")
def ping():
    # Its own process group, killed whole at the time limit: what the injected command started
    # (a getent waiting on DNS that is not there) does not outlive the request.
    try:
        p = subprocess.Popen("getent hosts " + request.args.get("host", ""), shell=True, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, cwd="/tmp", preexec_fn=as_nobody, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        try:
            out = p.communicate(timeout=10)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            out = "timeout"
    except ValueError as e:  # a NUL byte in the command
        out = str(e)
    return page("<pre>" + html.escape(out) + "</pre>")


@app.route("/render")
def render():
    try:
        return page(render_template_string("<p>" + request.args.get("tpl", "") + "</p>"))
    except Exception as e:
        return page(f"<pre>{html.escape(type(e).__name__ + ': ' + str(e))}</pre>", 500)


@app.route("/fetch")
def fetch():
    try:
        with urllib.request.urlopen(request.args.get("url", ""), timeout=3) as r:
            return page("<pre>" + html.escape(r.read(65536).decode(errors="replace")) + "</pre>")
    except Exception as e:
        return page(f"<pre>{html.escape(str(e))}</pre>", 502)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=port, threaded=True)
