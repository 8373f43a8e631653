#!/usr/bin/env python3
"""Recording reverse proxy: writes every request exactly as the client sent it, then forwards it.

usage: recorder.py LISTEN_PORT UPSTREAM_PORT OUT.jsonl

Sits between the browser and waf-proxy (outside the WAF, so the WAF is measured on what the
browser sent, not on what a proxy made of it). One JSON line per request, in the format of
../shared/tools (method, path, headers, body) plus:
  header_list  the header lines in order, duplicates kept ([[name, value], ...])
  body_b64     the body's exact bytes when they are not UTF-8 (an image upload); "body" then
               holds them decoded with U+FFFD replacements, so the line stays replayable
  status       the answer the browser got
  seq, ts      order and time (seconds since the recorder started)
Loopback only. HTTP/1.1 with keep-alive; chunked request bodies are de-chunked and recorded whole.
"""
import base64
import http.client
import http.server
import json
import sys
import threading
import time

listen, upstream, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
fh = open(out, "a", encoding="utf-8")
t0 = time.monotonic()
seq = [0]
HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_one(self):
        body = self.body()
        items = list(self.headers.items())
        merged = {}
        for k, v in items:
            if k in merged:
                merged[k] += ("; " if k.lower() == "cookie" else ", ") + v
            else:
                merged[k] = v
        try:
            text, b64 = body.decode("utf-8"), None
        except UnicodeDecodeError:
            text, b64 = body.decode("utf-8", errors="replace"), base64.b64encode(body).decode()
        fwd = [(k, v) for k, v in items if k.lower() not in HOP and k.lower() != "content-length"]
        status, rh, rbody = 502, [], b"recorder: upstream failed\n"
        try:
            c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
            c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in fwd:
                c.putheader(k, v)
            if body or self.command in ("POST", "PUT", "PATCH"):
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body or None)
            r = c.getresponse()
            status, rh, rbody = r.status, r.getheaders(), r.read()
            c.close()
        except Exception as e:  # answered as a 502 and recorded as such
            rbody = f"recorder: {type(e).__name__}: {e}\n".encode()
        with lock:
            seq[0] += 1
            rec = {"id": f"rec-{seq[0]}", "seq": seq[0], "ts": round(time.monotonic() - t0, 3), "set": "benign",
                   "method": self.command, "path": self.path, "headers": merged, "header_list": [list(x) for x in items],
                   "body": text, "status": status}
            if b64:
                rec["body_b64"] = b64
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            fh.flush()
        self.send_response_only(status)
        for k, v in rh:
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(rbody)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(rbody)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_one


http.server.ThreadingHTTPServer(("127.0.0.1", listen), Recorder).serve_forever()
