"""Slow clients: N connections, each from its own 127.0.0.0/8 address, send a request head one
header line every `--every` seconds and never finish it, while one legitimate client sends
GETs back to back. Prints how many slow connections the proxy closed and when, the
legitimate client's p50/p99/max latency while they were open, the proxy's RSS, and its ERROR
log lines.

usage: slow.py BINARY [--slow 3000] [--every 3] [--deadline-ms 10000]"""
import argparse
import asyncio
import time

from common import Proxy, client_ip, connect_from, free_port, get, origin


async def slow_client(ip, port, every, stop_at, closed_after, opened):
    start = time.time()
    try:
        r, w = await connect_from(ip, port)
    except (OSError, asyncio.TimeoutError):
        return
    opened.append(ip)
    try:
        w.write(b"GET /slow HTTP/1.1\r\nHost: bench\r\n")
        await w.drain()
        i = 0
        while time.time() < stop_at:
            try:
                data = await asyncio.wait_for(r.read(1), every)
                if not data:
                    closed_after.append(time.time() - start)
                    return
            except asyncio.TimeoutError:
                pass
            w.write(f"X-Slow-{i}: x\r\n".encode())
            await w.drain()
            i += 1
    except (ConnectionError, OSError):
        closed_after.append(time.time() - start)
    finally:
        w.close()


async def legit(port, stop_at, lat):
    r, w = await connect_from("127.0.0.1", port)
    while time.time() < stop_at:
        t = time.perf_counter()
        try:
            status = await get(r, w, "/legit")
        except Exception:
            r, w = await connect_from("127.0.0.1", port)
            continue
        lat.append((time.perf_counter() - t) * 1000)
        assert status == 200, status
        await asyncio.sleep(0.01)
    w.close()


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


async def run(binary, n, every, deadline_ms):
    oport = free_port()
    srv = await origin(oport)
    conf = f"limits:\n  request_head_timeout_ms: {deadline_ms}\n"
    p = Proxy(binary, f"http://127.0.0.1:{oport}", config=conf)
    try:
        rss0 = p.rss_mib()
        base = []
        await legit(p.port, time.time() + 3, base)
        window = deadline_ms / 1000 + 3 * every + 5
        stop_at = time.time() + window
        closed, opened, lat = [], [], []
        slow = [asyncio.create_task(slow_client(client_ip(i), p.port, every, stop_at, closed,
                                                opened)) for i in range(n)]
        peak = [rss0]

        async def watch():
            while time.time() < stop_at:
                peak[0] = max(peak[0], p.rss_mib())
                await asyncio.sleep(0.5)

        await asyncio.gather(legit(p.port, stop_at, lat), watch(), *slow)
        print(f"slow_connections={n} opened={len(opened)} every={every}s deadline={deadline_ms}ms "
              f"closed_by_proxy={len(closed)} closed_after_s_p50={pct(closed, 0.5):.1f} "
              f"max={max(closed, default=float('nan')):.1f}")
        print(f"legit_before_ms p50={pct(base, 0.5):.2f} p99={pct(base, 0.99):.2f} n={len(base)}")
        print(f"legit_during_ms p50={pct(lat, 0.5):.2f} p99={pct(lat, 0.99):.2f} "
              f"max={max(lat, default=float('nan')):.2f} n={len(lat)}")
        print(f"rss_mib before={rss0:.1f} peak={peak[0]:.1f} after={p.rss_mib():.1f} "
              f"error_log_lines={p.error_lines()}", flush=True)
    finally:
        p.stop()
        srv.close()


def main():
    a = argparse.ArgumentParser()
    a.add_argument("binary")
    a.add_argument("--slow", type=int, default=3000)
    a.add_argument("--every", type=float, default=3.0)
    a.add_argument("--deadline-ms", type=int, default=10000)
    args = a.parse_args()
    asyncio.run(run(args.binary, args.slow, args.every, args.deadline_ms))


if __name__ == "__main__":
    main()
