"""Fetch throughput against 100 emulated hosts (127.0.0.x), next to the politeness bound and a bare baseline.

A local asyncio server listens on 127.0.0.2 … 127.0.0.101 with a fixed latency per response. Our Fetcher
must keep `delay` between requests to one host and one request in flight per host, so the best it can do is
hosts × 1/delay pages/s (the bound). The baseline is a bare `asyncio.gather` over httpx with no politeness
at all, measured in the same run. Last line: `fetch: pages_per_s=… bound_ratio=… baseline_ratio=… rss_mb=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from dataclasses import replace

import httpx

from scraper.fetch import Fetcher
from scraper.records import Source

PAGE = (b"<html><body><article><p>" + b"North Korea fired a ballistic missile on Tuesday. " * 40
        + b"</p></article></body></html>")


async def serve(hosts: list[str], port: int, latency: float) -> list[asyncio.Server]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                if not request:
                    break
                await asyncio.sleep(latency)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    return [await asyncio.start_server(handle, host, port) for host in hosts]


async def ours(urls: list[str], source: Source) -> float:
    async with Fetcher(robots=False, concurrency=len(urls)) as fetcher:
        started = time.perf_counter()
        await asyncio.gather(*(fetcher.get(url, source) for url in urls))
        return time.perf_counter() - started


async def baseline(urls: list[str], hosts: int) -> float:
    limits = httpx.Limits(max_connections=hosts, max_keepalive_connections=hosts)
    async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=httpx.Timeout(30, pool=None)) as client:
        # Bounded to one request per connection: httpcore's pool slows to a crawl with thousands queued.
        slots = asyncio.Semaphore(hosts)

        async def get(url: str) -> httpx.Response:
            async with slots:
                return await client.get(url)

        started = time.perf_counter()
        responses = await asyncio.gather(*(get(url) for url in urls))
        assert all(r.status_code == 200 for r in responses)
        return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--pages", type=int, default=20, help="pages per host")
    parser.add_argument("--delay", type=float, default=1.0, help="politeness delay per host, seconds")
    parser.add_argument("--latency", type=float, default=0.02, help="server latency per response, seconds")
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args()
    hosts = [f"127.0.0.{n}" for n in range(2, 2 + args.hosts)]
    servers = await serve(hosts, args.port, args.latency)
    urls = [f"http://{host}:{args.port}/a/{n}" for n in range(args.pages) for host in hosts]
    source = Source(id="bench", name="Bench", languages=("en",), homepage="http://127.0.0.2/", timezone="UTC",
                    delay=args.delay, allow_private=True)
    try:
        ours_s = await ours(urls, replace(source))
        base_s = await baseline(urls, args.hosts)
    finally:
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()
    pages = len(urls)
    rate = pages / ours_s
    # The last page of a host can start (pages - 1) delays after its first, then takes one latency.
    bound_s = (args.pages - 1) * args.delay + args.latency
    bound = pages / bound_s
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"hosts={args.hosts} pages_per_host={args.pages} delay={args.delay}s latency={args.latency}s")
    print(f"ours:     {ours_s:6.2f}s  {rate:7.1f} pages/s  (one request in flight per host, delay between)")
    print(f"bound:    {bound_s:6.2f}s  {bound:7.1f} pages/s  (hosts x 1/delay)")
    print(f"baseline: {base_s:6.2f}s  {pages / base_s:7.1f} pages/s  (bare asyncio.gather over httpx, no politeness)")
    print(f"fetch: pages_per_s={rate:.0f} bound_ratio={rate / bound:.2f} "
          f"baseline_ratio={rate / (pages / base_s):.2f} rss_mb={rss_mb:.0f}")


if __name__ == "__main__":
    asyncio.run(main())
