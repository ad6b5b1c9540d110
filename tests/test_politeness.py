"""Politeness against real servers on 127.0.0.x: per-host limits and gaps, hosts in parallel, guards."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace

import httpcore
import pytest
from localsite import LocalSite, Page

from scraper.errors import Skip
from scraper.fetch import Fetcher
from scraper.fetch.guard import GuardedBackend, PrivateAddress, is_public_address
from scraper.records import Source

PAGE = Page(b"<html><body><p>" + b"North Korea said on Tuesday it had launched a satellite. " * 5
            + b"</p></body></html>")
SOURCE = Source(id="t", name="T", languages=("en",), homepage="http://127.0.0.1/", timezone="UTC", delay=0.2,
                allow_private=True, retries=0)


async def _fetch_all(client: Fetcher, urls: list[str], source: Source) -> None:
    await asyncio.gather(*(client.get(url, source) for url in urls))


async def test_one_request_at_a_time_per_host_with_the_delay_between_and_hosts_in_parallel() -> None:
    routes = {f"/a/{n}": replace(PAGE, delay=0.05) for n in range(5)}
    with LocalSite(routes, host="127.0.0.2") as first, LocalSite(routes, host="127.0.0.3") as second:
        async with Fetcher(robots=False) as client:
            await _fetch_all(client, [site.url(f"/a/{n}") for site in (first, second) for n in range(5)], SOURCE)
    for site in (first, second):
        assert site.max_in_flight == 1
        gaps = [b - a for a, b in zip(site.started, site.started[1:], strict=False)]
        assert min(gaps) >= 0.19, gaps  # `delay` between request starts to one host
    # The two hosts were fetched side by side, not one after the other.
    assert first.started[0] < second.started[-1] and second.started[0] < first.started[-1]


async def test_more_concurrency_per_host_when_configured() -> None:
    routes = {f"/a/{n}": replace(PAGE, delay=0.3) for n in range(6)}
    with LocalSite(routes, host="127.0.0.4") as site:
        async with Fetcher(robots=False) as client:
            source = replace(SOURCE, delay=0.001, max_concurrency_per_host=3)
            await _fetch_all(client, [site.url(f"/a/{n}") for n in range(6)], source)
    assert 2 <= site.max_in_flight <= 3


async def test_a_slow_host_does_not_delay_another() -> None:
    with LocalSite({"/slow": replace(PAGE, delay=8.0)}, host="127.0.0.5") as slow, \
            LocalSite({"/fast": PAGE}, host="127.0.0.6") as fast:
        async with Fetcher(robots=False) as client:
            slow_task = asyncio.create_task(client.get(slow.url("/slow"), SOURCE))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            await client.get(fast.url("/fast"), SOURCE)
            assert time.monotonic() - started < 4.0  # waiting for the slow host would take 8 s
            slow_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await slow_task


async def test_total_timeout_cuts_a_trickling_server() -> None:
    with LocalSite({"/slow": replace(PAGE, delay=20.0)}, host="127.0.0.7") as site:
        async with Fetcher(robots=False) as client:
            started = time.monotonic()
            with pytest.raises(Skip, match="timeout"):
                await client.get(site.url("/slow"), replace(SOURCE, timeout=0.5, read_timeout=30.0))
            assert time.monotonic() - started < 8.0  # the answer comes at 20 s, the read timeout at 30


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("2001:4860:4860::8888", True), ("175.45.176.71", True), ("127.0.0.1", False),
     ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False), ("169.254.169.254", False),
     ("224.0.0.1", False), ("0.0.0.0", False), ("::1", False), ("fc00::1", False), ("fe80::1%eth0", False),
     ("::ffff:127.0.0.1", False), ("100.64.0.1", False)],
)
def test_address_classes(address: str, public: bool) -> None:
    assert is_public_address(address) is public


class _RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.connected: list[str] = []

    async def connect_tcp(self, host: str, port: int, **kwargs: object) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        raise httpcore.ConnectError("recorded")


async def test_the_guard_connects_to_the_address_it_checked() -> None:
    inner = _RecordingBackend()

    async def resolver(host: str, port: int) -> list[str]:
        return {"news.example": ["93.184.216.34"], "rebind.example": ["93.184.216.34", "127.0.0.1"]}[host]

    backend = GuardedBackend(inner, resolver)
    with pytest.raises(httpcore.ConnectError, match="recorded"):
        await backend.connect_tcp("news.example", 443)
    assert inner.connected == ["93.184.216.34"]  # the checked address, not the name again
    with pytest.raises(PrivateAddress):
        await backend.connect_tcp("rebind.example", 443)  # any private answer refuses the host
    assert inner.connected == ["93.184.216.34"]
