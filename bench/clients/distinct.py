"""CC limiter under many distinct clients: N clients, each from its own 127.0.0.0/8 address,
send exactly `threshold` requests each (never more) under a CC rule of that threshold. Prints
how many clients were refused below the threshold (429 before their threshold-th request was
answered), then checks that a client going over is still refused, and the proxy's RSS.

usage: distinct.py BINARY [--clients 10000 100000] [--threshold 2] [--concurrency 200]"""
import argparse
import asyncio
import time

from common import Proxy, client_ip, connect_from, free_port, get, origin


async def one_client(ip, port, threshold, sem, refused):
    async with sem:
        for attempt in range(3):
            try:
                r, w = await connect_from(ip, port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise SystemExit(f"cannot connect from {ip}")
        try:
            for _ in range(threshold):
                if await get(r, w, "/page") == 429:
                    refused.append(ip)
                    break
        finally:
            w.close()


async def run(binary, clients, threshold, concurrency):
    oport = free_port()
    srv = await origin(oport)
    cc = ("cc:\n  - { id: 1, host: \"*\", path: /, threshold: %d, window: 600, "
          "ban_duration: 600, action: block, enabled: true }\n" % threshold)
    p = Proxy(binary, f"http://127.0.0.1:{oport}", {"zz-bench-cc.yaml": cc})
    try:
        rss0 = p.rss_mib()
        refused = []
        sem = asyncio.Semaphore(concurrency)
        t = time.time()
        await asyncio.gather(*(one_client(client_ip(i), p.port, threshold, sem, refused)
                               for i in range(clients)))
        took = time.time() - t
        rss1 = p.rss_mib()
        # One client over the threshold is still refused.
        r, w = await connect_from(client_ip(0), p.port)
        over = await get(r, w, "/page")
        w.close()
        print(f"clients={clients} threshold={threshold} requests={clients * threshold} "
              f"refused_below_threshold={len(refused)} over_threshold_status={over} "
              f"rss_mib_before={rss0:.1f} rss_mib_after={rss1:.1f} seconds={took:.1f}",
              flush=True)
    finally:
        p.stop()
        srv.close()


def main():
    a = argparse.ArgumentParser()
    a.add_argument("binary")
    a.add_argument("--clients", type=int, nargs="+", default=[10000, 100000])
    a.add_argument("--threshold", type=int, default=2)
    a.add_argument("--concurrency", type=int, default=200)
    args = a.parse_args()
    for n in args.clients:
        asyncio.run(run(args.binary, n, args.threshold, args.concurrency))


if __name__ == "__main__":
    main()
