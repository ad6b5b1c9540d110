"""The HTTP client: httpx with an injectable transport, streamed bodies, polite pacing, one retry."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx

from scraper.errors import Skip
from scraper.fetch.guard import check_scheme, check_textual, decode_text, read_capped
from scraper.fetch.politeness import HostGate
from scraper.records import Fetched, Source

log = logging.getLogger(__name__)

Kind = Literal["page", "feed"]
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "")
_RETRIED = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError)
MAX_REDIRECTS = 5


async def _check_redirect_hop(request: httpx.Request) -> None:
    # Every hop of a redirect chain passes through here, not just the first URL.
    check_scheme(str(request.url))


class Fetcher:
    """Fetches pages and feeds for the pipeline. One per process; close it with `aclose()`."""

    def __init__(
        self,
        *,
        concurrency: int = 32,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_pause: float = 1.0,
    ) -> None:
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            event_hooks={"request": [_check_redirect_hop]},
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._hosts = HostGate()
        self._retry_pause = retry_pause

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def get(self, url: str, source: Source, kind: Kind = "page") -> Fetched:
        """GET one URL for an outlet; raise Skip with a countable reason on any failure."""
        check_scheme(url)
        host = (urlsplit(url).hostname or "").lower()
        for attempt in (1, 2):
            try:
                async with self._slots, self._hosts.slot(host, source.delay):
                    return await self._get_once(url, source, kind)
            except _RETRIED as exc:
                if attempt == 2:
                    raise Skip("fetch_error", f"{type(exc).__name__}: {url}") from None
                log.info("retrying %s after %s", url, type(exc).__name__)
                await asyncio.sleep(self._retry_pause)
            except httpx.TimeoutException:
                raise Skip("timeout", f"no answer within {source.timeout:g}s: {url}") from None
            except httpx.TooManyRedirects:
                raise Skip("redirects", f"more than {MAX_REDIRECTS} redirects: {url}") from None
            except httpx.HTTPError as exc:
                raise Skip("fetch_error", f"{type(exc).__name__}: {exc}: {url}") from None
        raise AssertionError("unreachable")

    async def _get_once(self, url: str, source: Source, kind: Kind) -> Fetched:
        headers = {"User-Agent": source.user_agent, "Accept-Language": ",".join(source.languages) or "*"}
        async with self._client.stream("GET", url, headers=headers, timeout=source.timeout) as response:
            if response.status_code >= 400:
                raise Skip(f"http_{response.status_code}", url)
            content_type = response.headers.get("content-type", "").strip()
            media_type = content_type.split(";")[0].strip().lower()
            if kind == "page" and media_type not in _PAGE_TYPES:
                raise Skip("not_html", f"{media_type}: {url}")
            declared = response.headers.get("content-length")
            body = await read_capped(
                response.aiter_bytes(), source.max_bytes,
                int(declared) if declared and declared.isdigit() else None,
            )
            final_url = str(response.url)
        check_textual(body, url)
        text, encoding = decode_text(body, content_type)
        return Fetched(
            url=url,
            final_url=final_url,
            status=response.status_code,
            content_type=content_type,
            text=text,
            encoding=encoding,
            fetched_at=datetime.now(UTC),
        )
