"""Shared pieces of the many-client benchmarks: an origin, a waf-proxy, client sockets bound
to 127.0.0.0/8 addresses, and the proxy's RSS. Loopback only; every wait is bounded."""
import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def client_ip(i):
    """The i-th client address: 127.1.0.1, 127.1.0.2, ... (never 127.0.0.1)."""
    i += 1
    return f"127.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


async def origin(port):
    async def handle(r, w):
        try:
            while True:
                head = await r.readuntil(b"\r\n\r\n")
                n = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        n = int(line.split(b":")[1])
                if n:
                    await r.readexactly(n)
                w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await w.drain()
        except (Exception, asyncio.CancelledError):
            pass
        finally:
            w.close()

    return await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Proxy:
    """waf-proxy on a free port in front of `upstream`, with the shipped rules plus `extra_rules`
    (file name -> YAML) and an optional proxy config (YAML text)."""

    def __init__(self, binary, upstream, extra_rules=None, config=None, threads=2):
        self.dir = tempfile.mkdtemp(prefix="waf-bench-")
        rules = os.path.join(self.dir, "rules")
        shutil.copytree(os.path.join(ROOT, "rules"), rules)
        for name, text in (extra_rules or {}).items():
            with open(os.path.join(rules, name), "w") as f:
                f.write(text)
        self.port = free_port()
        args = [binary, "--listen", f"127.0.0.1:{self.port}", "--upstream", upstream,
                "--rules-dir", rules, "--threads", str(threads)]
        if config:
            path = os.path.join(self.dir, "proxy.yaml")
            with open(path, "w") as f:
                f.write(config)
            args += ["--config", path]
        self.log = os.path.join(self.dir, "proxy.log")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "w"),
                                     env={**os.environ, "RUST_LOG": "info"})
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("waf-proxy did not start")

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def error_lines(self):
        with open(self.log, errors="replace") as f:
            return sum(1 for l in f if " ERROR " in l or "\x1b[31mERROR" in l)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


async def connect_from(ip, port, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, 0))
    s.setblocking(False)
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(loop.sock_connect(s, ("127.0.0.1", port)), timeout)
    return await asyncio.open_connection(sock=s)


async def get(r, w, path, keepalive=True, timeout=10):
    """One GET on an open connection; the status code."""
    conn = "" if keepalive else "Connection: close\r\n"
    w.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{conn}\r\n".encode())
    await w.drain()
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), timeout)
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    if n:
        await asyncio.wait_for(r.readexactly(n), timeout)
    return int(head.split(b" ")[1])
