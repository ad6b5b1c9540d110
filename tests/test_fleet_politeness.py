"""Politeness across machines: workers in separate processes, sharing one PostgreSQL, pace a host as one worker
would. Checked from the server's side: every request starts at least `delay` after the previous answer, one at a
time, and robots.txt is read once for all; a Retry-After and the breaker's pause hold for every worker; a lease is
renewed while its request runs, and a dead worker's host is free after its lease."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from localsite import LocalSite, Page

from scraper.fetch.shared import SharedHosts

DELAY = 0.2
ANSWER = 0.05  # seconds the server takes to answer


class TimedSite(LocalSite):
    """Records when each answer was sent, beside when each request arrived."""

    def __init__(self) -> None:
        super().__init__(host="127.0.0.7")
        self.answered: list[float] = []

    def answer(self, path: str, query: str = "") -> Page | None:
        time.sleep(ANSWER)
        self.answered.append(time.monotonic())
        if path == "/robots.txt":
            return Page(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        return Page(b"<html><body><p>ok</p></body></html>")


WORKER = textwrap.dedent("""
    import asyncio, sys
    from scraper.errors import Skip
    from scraper.fetch import Fetcher
    from scraper.fetch.shared import SharedHosts
    from scraper.records import Source

    async def main(database, base, outlet, count):
        source = Source(id=outlet, name=outlet, languages=("en",), homepage=base + "/", timezone="UTC",
                        delay={delay}, retries=0, allow_private=("127.0.0.0/8",))
        async with Fetcher() as fetcher:
            fetcher.gate.shared = SharedHosts(database)
            for number in range(count):
                await fetcher.get(f"{{base}}/{{outlet}}/{{number}}", source)
            try:
                await fetcher.get(f"{{base}}/private/{{outlet}}", source)
            except Skip as skip:
                print(skip.reason)

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
""").format(delay=DELAY)


def test_three_workers_on_two_outlets_of_one_host_never_crowd_it(pg_database: str, tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    with TimedSite() as site:
        workers = [subprocess.Popen([sys.executable, str(script), pg_database, site.url(""), outlet, "5"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for outlet in ("kcna-en", "kcna-en", "rodong-en")]
        for worker in workers:
            out, errors = worker.communicate(timeout=120)
            assert worker.returncode == 0, errors
            assert out.split() == ["robots"]  # robots.txt obeyed by each, as the one that read it read it
    # robots.txt read once for the fleet: the other workers took it from the database.
    assert site.hits["/robots.txt"] == 1
    starts, answers = site.started, site.answered
    assert len(starts) == 16 and site.max_in_flight == 1
    gaps = [start - answered for answered, start in zip(answers, starts[1:], strict=False)]
    assert min(gaps) >= DELAY - 0.02, gaps  # from the previous answer, in the whole fleet


def test_retry_after_and_the_breaker_hold_for_every_worker_and_a_dead_holder_lets_go(pg_database: str) -> None:
    one, other = SharedHosts(pg_database, holder="one"), SharedHosts(pg_database, holder="other")
    try:
        one.hold("slow.example", 30)
        assert other._try("slow.example", 0.0, 1, 60)[1] > 25  # the other worker waits for it too
        for _ in range(2):
            assert not other.failed("bad.example", pause_after=3, pause=60)
        assert one.failed("bad.example", pause_after=3, pause=60)
        assert other.paused_for("bad.example") > 50
        other.succeeded("bad.example")
        assert one.paused_for("bad.example") == 0
        # "one" takes the only slot of a host and dies: its lease (1 s here) runs out, then the host is free.
        lease, _ = one._try("busy.example", 0.0, 1, 1.0)
        assert lease is not None
        assert other._try("busy.example", 0.0, 1, 1.0)[0] is None
        time.sleep(1.1)
        assert other._try("busy.example", 0.0, 1, 1.0)[0] is not None
    finally:
        one.close()
        other.close()


def test_a_lease_is_renewed_while_its_request_runs_and_runs_out_when_its_holder_stops(pg_database: str) -> None:
    one = SharedHosts(pg_database, holder="one", margin=0.2)
    other = SharedHosts(pg_database, holder="other", margin=0.2)

    async def long_request() -> None:
        lease = await one.acquire("files.example", 0.0, 1, 0.3)  # a 0.3 s term: renewed every 0.1 s
        keeping = asyncio.create_task(one.keep(lease, 0.3))
        await asyncio.sleep(1.5)  # a request three times longer than its lease and margin
        assert other._try("files.example", 0.0, 1, 0.3)[0] is None  # still held: nobody else starts one
        keeping.cancel()  # the holder stops renewing (dies): the slot is free after the term and the margin
        await asyncio.sleep(0.7)
        assert other._try("files.example", 0.0, 1, 0.3)[0] is not None

    try:
        asyncio.run(long_request())
    finally:
        one.close()
        other.close()
