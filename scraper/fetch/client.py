"""The HTTP client: httpx behind robots.txt, per-host politeness, retries with back-off, and input guards."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import logging
import os
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

import httpcore
import httpx

from scraper.errors import Skip
from scraper.fetch.guard import (
    ALLOWED_SCHEMES,
    GZIP_MAGIC,
    GuardedBackend,
    PrivateAddress,
    PrivateAllowance,
    Resolver,
    check_textual,
    check_url,
    decode_text,
    gunzipped,
    read_capped,
)
from scraper.fetch.politeness import Clock, HostGate, Sleep
from scraper.fetch.refresh import MAX_REFRESHES, refresh_target
from scraper.fetch.robots import MAX_ROBOTS_BYTES, ROBOTS_TTL, RobotsAnswer, RobotsCache
from scraper.observe import NullObserver, Observer
from scraper.records import Fetched, Source
from scraper.urls import canonicalize, leads_back

log = logging.getLogger(__name__)

Kind = Literal["page", "feed"]
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "")
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
_CONDITIONAL = frozenset({"if-none-match", "if-modified-since"})  # request headers a 304 answers
BACKOFF_BASE = 1.0  # seconds before the first retry; doubled each time, plus jitter
BACKOFF_CAP = 60.0
# Attempts that failed without an answer: the network (DNS, connect, TLS) or a timeout.
NETWORK_REASONS = frozenset({"fetch_error", "timeout"})
# What h11 says when the connection ends under a response: the network's (or a server's crash), tried again.
_DROPPED = re.compile(r"disconnected|peer closed|closed connection|connection reset", re.IGNORECASE)


def _explain(exc: BaseException) -> str:
    """An exception and what caused it ("ConnectError: All connection attempts failed; ConnectionRefusedError:
    [Errno 111] ..."): the outermost message rarely says why."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(parts) < 4:
        seen.add(id(current))
        part = f"{type(current).__name__}: {current}"
        if not parts or part not in parts[-1]:
            parts.append(part)
        context = current.__context__
        # An implicit context is followed only when it is a system error (the socket's): not a ValueError some
        # parser raised and caught on the way.
        current = current.__cause__ or (context if isinstance(context, OSError) else None)
    return "; ".join(parts)


def network_cause(detail: str) -> str:
    """A failed connection's cause in words an operator acts on: a name that does not resolve, a refusal, no
    route, a TLS failure, a timeout."""
    text = detail.lower()
    for needles, cause in (
        (("name or service not known", "nodename nor servname", "temporary failure in name resolution",
          "no address associated", "name resolution", "getaddrinfo"), "the name does not resolve (DNS)"),
        (("connection refused", "connectionrefused", "errno 111]"), "the connection is refused"),
        (("network is unreachable", "no route to host", "host is unreachable"), "no route to it"),
        (("ssl", "tls", "certificate"), "the TLS handshake failed"),
        (("timeout", "timed out", "no complete answer"), "it does not answer in time"),
        (("connection reset", "remoteprotocolerror", "server disconnected"), "it drops the connection"),
    ):
        if any(needle in text for needle in needles):
            return cause
    return "the connection fails"


# What other programs take a proxy from; the scraper does not (sources.toml's `proxy` does), and says so.
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


class _Retry(Exception):
    """An attempt failed in a way worth another try."""

    def __init__(self, reason: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


def _problem(exc: httpx.HTTPError | httpx.InvalidURL, url: str, proxy: str | None = None) -> _Retry | Skip:
    """What an exception of httpx means for one attempt: worth another try, or a Skip. Through a proxy, a
    connection that fails is the proxy's (the only host connected to), and the detail says so."""
    problem = _bare_problem(exc, url)
    if proxy is not None and isinstance(problem, _Retry) and isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        where = httpx.URL(proxy)
        port = where.port or (443 if where.scheme == "https" else 80)
        problem = _Retry(problem.reason, f"through the proxy {where.host}:{port}: {problem.detail}",
                         problem.retry_after)
    return problem


def _bare_problem(exc: httpx.HTTPError | httpx.InvalidURL, url: str) -> _Retry | Skip:
    if isinstance(exc, httpx.TimeoutException):
        return _Retry("timeout", type(exc).__name__)
    if isinstance(exc, httpx.TooManyRedirects):
        return Skip("redirects", f"more than {MAX_REDIRECTS} redirects: {url}")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        # Our own checks come first (check_url, the hooks); this is the net under them.
        return Skip("bad_url", f"{type(exc).__name__}: {exc}: {url!r}")
    if isinstance(exc, httpx.RemoteProtocolError) and not _DROPPED.search(str(exc)):
        # An answer that is no HTTP (a Content-Length of 5,000 digits, an illegal header line): the server's fault,
        # as a body that is not what its Content-Encoding says is; not a network that does not reach it.
        return Skip("bad_response", f"the answer is no valid HTTP ({exc}): {url}")
    if isinstance(exc, httpx.TransportError):
        if isinstance(refused := exc.__cause__, PrivateAddress):
            hint = f' (to fetch it, add "{refused.address}" or its network to the outlet\'s allow_private)'
            return Skip("private_address", f"{exc}{hint if refused.address else ''}: {url}")
        return _Retry("fetch_error", _explain(exc))
    return Skip("fetch_error", f"{type(exc).__name__}: {exc}: {url}")


@dataclass
class _Chain:
    """The hosts of one attempt's redirect chain, filled in by the client's event hooks as it goes: each
    host asked, in order, and each that answered. The circuit breaker charges a failure to the host that
    failed (the last one asked), not to the one that redirected there."""

    asked: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)

    def failed(self, origin: str) -> str:
        return self.asked[-1] if self.asked else origin


_CHAIN = "newsnorm.chain"  # the request extension that carries the _Chain through httpx's redirects


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Fetcher:
    """Fetches pages, feeds and robots.txt for the pipeline. One per process; close with `aclose()`."""

    def __init__(
        self,
        *,
        concurrency: int = 32,
        transport: httpx.AsyncBaseTransport | None = None,
        network: httpcore.AsyncNetworkBackend | None = None,
        resolver: Resolver | None = None,
        robots: bool = True,
        pause_after_failures: int = 5,
        pause_for: float = 600.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        observer: Observer | None = None,
    ) -> None:
        """`transport` replaces the whole network (tests: MockTransport); `network` and `resolver` replace
        only what is under the address guard (tests: a recording backend, a fake DNS)."""
        self._transport = transport
        self._network = network
        self._resolver = resolver
        self._clients: dict[tuple[bool | tuple[str, ...], str | None], httpx.AsyncClient] = {}
        self._told_of_proxy_variables = False  # (HTTPS_PROXY and the like, which are not read: warned of once)
        self._slots = asyncio.Semaphore(concurrency)
        self.gate = HostGate(pause_after=pause_after_failures, pause_for=pause_for, clock=clock, sleep=sleep)
        self._robots = RobotsCache(self._fetch_robots, clock=clock) if robots else None
        self._sleep = sleep
        self._jitter = jitter
        self._observer = observer or NullObserver()
        self._reported: dict[str, str] = {}  # host -> the network cause logged for it (until it answers)
        # Made now, not at the first request: building the TLS context takes a while, and inside a
        # host slot that time would eat into the politeness delay. Every client shares it.
        self._ssl = httpx.create_ssl_context()
        self._client(False, "")

    def _client(self, allow_private: bool | tuple[str, ...], outlet: str,
                proxy: str | None = None) -> httpx.AsyncClient:
        """The client for one `allow_private` value and proxy. Each has its own connection pool: a connection
        opened to an address one outlet may reach must never be reused for an outlet that may not."""
        key = (allow_private or False, proxy)
        if key not in self._clients:
            allowance = PrivateAllowance.of(allow_private or False)
            if allowance.anything:
                log.warning("outlet %s has allow_private = true: it and every redirect it follows may reach any "
                            "private, loopback or link-local address (cloud metadata included); list the "
                            'networks or hosts it needs instead, e.g. allow_private = ["10.1.0.0/16"]',
                            outlet or "(command line)")
            if proxy is None and outlet and not self._told_of_proxy_variables:
                named = [name for name in _PROXY_VARIABLES if os.environ.get(name)]
                if named:
                    self._told_of_proxy_variables = True
                    log.warning("%s %s set, but outlet %s connects directly: the scraper reads no proxy from the "
                                'environment; name it in sources.toml ([defaults] proxy = "http://host:port")',
                                " and ".join(named), "is" if len(named) == 1 else "are", outlet)
            transport = self._transport
            hooks: list[Callable[[httpx.Request], Awaitable[None]]] = [self._check_hop]
            if transport is None:
                transport = httpx.AsyncHTTPTransport(verify=self._ssl, retries=0)
                # httpx has no public hook for the network backend; the pool is where it lives. The limits
                # are httpx's defaults, as the transport's own pool would have them.
                limits = httpx.Limits()
                if proxy is None:
                    transport._pool = httpcore.AsyncConnectionPool(
                        ssl_context=self._ssl, network_backend=GuardedBackend(self._network, self._resolver, allowance),
                        max_connections=limits.max_connections, keepalive_expiry=limits.keepalive_expiry,
                        max_keepalive_connections=limits.max_keepalive_connections, retries=0)
                else:
                    # Only the proxy is connected to, whatever its address (the operator named it); the hosts
                    # it is asked for are checked by this client's request hook instead (`_check_target`).
                    through = httpx.Proxy(proxy)
                    transport._pool = httpcore.AsyncHTTPProxy(
                        proxy_url=httpcore.URL(scheme=through.url.raw_scheme, host=through.url.raw_host,
                                               port=through.url.port, target=b"/"),
                        proxy_auth=through.raw_auth, ssl_context=self._ssl,
                        proxy_ssl_context=self._ssl if through.url.scheme == "https" else None,
                        network_backend=GuardedBackend(self._network, self._resolver, PrivateAllowance(anything=True)),
                        max_connections=limits.max_connections, keepalive_expiry=limits.keepalive_expiry,
                        max_keepalive_connections=limits.max_keepalive_connections, retries=0)
                    hooks.append(functools.partial(self._check_target,
                                                   GuardedBackend(self._network, self._resolver, allowance)))
            self._clients[key] = httpx.AsyncClient(
                transport=transport, follow_redirects=True, max_redirects=MAX_REDIRECTS, trust_env=False,
                event_hooks={"request": hooks, "response": [self._check_answer]},
            )
        return self._clients[key]

    @staticmethod
    async def _check_target(guard: GuardedBackend, request: httpx.Request) -> None:
        """Through a proxy, the address guard sees only the proxy: each host asked for (every redirect hop) is
        resolved here and refused as the guard refuses it. A name that does not resolve here is left to the
        proxy, which may see a DNS this machine does not (a network whose only way out is the proxy)."""
        try:
            await guard.check(request.url.host, request.url.port or (443 if request.url.scheme == "https" else 80))
        except PrivateAddress as refused:
            raise httpx.ConnectError(str(refused), request=request) from refused
        except httpcore.ConnectError:
            return  # (no name here; the proxy resolves it)

    async def _check_hop(self, request: httpx.Request) -> None:
        """Every request of a redirect chain passes here before it is sent, not just the first URL."""
        url = str(request.url)
        check_url(url)
        host = request.url.host
        self.gate.check_open(host)  # a redirect to a paused host waits for it like a direct request
        chain = request.extensions.get(_CHAIN)
        if isinstance(chain, _Chain):
            chain.asked.append(host)

    async def _check_answer(self, response: httpx.Response) -> None:
        """Note who answered, and refuse a redirect to something that is not an http(s) URL (data:,
        javascript:, file:, junk) before httpx tries to build a request of it."""
        chain = response.request.extensions.get(_CHAIN)
        if isinstance(chain, _Chain):
            chain.answered.append(response.request.url.host)
        if response.has_redirect_location:
            location = response.headers["location"]
            try:
                target = httpx.URL(location)
            except httpx.InvalidURL as exc:
                raise Skip("bad_url", f"redirect to an unusable URL ({exc}): {location!r} from "
                                      f"{response.request.url}") from None
            # A relative target, or an http(s) one without a host, is resolved by httpx against this
            # request and then checked whole by _check_hop.
            if target.scheme and target.scheme not in ALLOWED_SCHEMES:
                raise Skip("bad_url", f"redirect to a {target.scheme}: URL, only http and https are fetched: "
                                      f"{location[:200]!r} from {response.request.url}")

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def paused_hosts(self) -> dict[str, float]:
        return self.gate.paused()

    # --- the public call --------------------------------------------------------------------------------
    async def get(
        self, url: str, source: Source, kind: Kind = "page", headers: Mapping[str, str] | None = None,
        *, check_robots: bool = True,
    ) -> Fetched:
        """GET one URL for an outlet, politely; raise Skip with a countable reason on any failure.

        A 304 (after conditional `headers`) comes back as a Fetched with status 304 and no text. `check_robots`
        False is for an API meant for programs (a web archive's), whose site rules are applied otherwise.
        """
        host = check_url(url)
        if self._robots is not None and check_robots:
            crawl_delay = await self._robots.check(url, source)
            if crawl_delay:
                self.gate.raise_delay(host, crawl_delay)
        retrying: str | None = None  # the host a retry waits for, between its failure and its next slot
        try:
            for attempt in range(source.retries + 1):
                chain = _Chain()
                try:
                    async with self.gate.slot(host, source.delay, source.max_concurrency_per_host,
                                              retry=retrying is not None), self._slots:
                        if retrying is not None:
                            self.gate.end_retry(retrying)
                            retrying = None
                        fetched = await self._attempt(url, source, kind, headers or {}, chain)
                except _Retry as problem:
                    wait = self._after_failure(problem, attempt, url, source, chain.failed(host), chain)
                    self.gate.begin_retry(host)  # new work on the host waits for this retry
                    retrying = host
                    await self._sleep(wait)
                except Skip:
                    self._credit(chain)  # the servers that answered are up, whatever they said
                    raise
                else:
                    self._credit(chain)
                    if fetched.final_url != url and leads_back(url, fetched.final_url):
                        raise Skip("gated", f"{url} was sent to {fetched.final_url}, a consent, login or paywall "
                                            "page that offers to lead back to it, not the page asked for")
                    return fetched
            raise AssertionError("unreachable")
        finally:
            if retrying is not None:  # cancelled, or skipped (a paused host) before its slot
                self.gate.end_retry(retrying)

    async def page(self, url: str, source: Source) -> Fetched:
        """An HTML page: `get`, then a meta refresh that stands in for a redirect (`refresh.refresh_target`), up
        to MAX_REFRESHES in a row, each request as polite and guarded as the first (robots.txt, private
        addresses). The Fetched keeps `url`; its `final_url` is where the refreshes led."""
        fetched = await self.get(url, source)
        seen = {canonicalize(url), canonicalize(fetched.final_url)}
        for _ in range(MAX_REFRESHES):
            target = refresh_target(fetched.text, fetched.final_url)
            if target is None or canonicalize(target) in seen:
                break
            log.debug("%s: following its meta refresh to %s", fetched.final_url, target)
            fetched = await self.get(target, source)
            seen.update((canonicalize(target), canonicalize(fetched.final_url)))
        return replace(fetched, url=url) if fetched.url != url else fetched

    def _after_failure(self, problem: _Retry, attempt: int, url: str, source: Source, failed: str,
                       chain: _Chain) -> float:
        """After an attempt that may be retried: raise its Skip if it was the last try, else the seconds to wait."""
        self._credit(_Chain(answered=[h for h in chain.answered if h != failed]))
        if attempt == source.retries:
            # The breaker judges the request, after its retries: a passing 503 pauses nothing.
            network = problem.reason in NETWORK_REASONS
            self.gate.failed(failed, network=network, cause=problem.detail)
            if network:
                self._unreachable(failed, problem.detail)
            raise Skip(problem.reason, f"{problem} (after {attempt + 1} tries): {url}") from None
        wait = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt) * (1 + self._jitter())
        if problem.retry_after is not None:
            honoured = min(problem.retry_after, source.max_retry_after)
            self.gate.hold(failed, honoured)  # every request to the host waits, not just this one
            wait = max(wait, honoured)
        log.info("retrying %s in %.1fs (%s)", url, wait, problem)
        return wait

    @contextlib.asynccontextmanager
    async def stream(self, url: str, source: Source, headers: Mapping[str, str] | None = None
                     ) -> AsyncIterator[httpx.Response]:
        """GET a large body to read as it comes (an archive file), for as long as the block lasts.

        As polite as `get`: the host's slot is held until the block ends (with one slot per host, the next
        request starts `delay` after it), connect errors, timeouts, 408, 429 and 5xx are tried again with back-off
        before the body, Retry-After holds the host, the breaker counts a request that failed after its tries.
        Unlike `get`, the body is neither read nor capped nor decoded (`aiter_raw`: the bytes as stored, which
        `Range` offsets count), and only `source.timeout` up to the answer's headers is timed: each read of the
        body waits at most `read_timeout`. robots.txt is not read: this is for files published for programs.
        Raises Skip (`http_<status>` for an answer of 4xx, or 3xx not followed; `fetch_error`, `timeout`, ...)."""
        host = check_url(url)
        retrying: str | None = None  # the host a retry waits for, between its failure and its next slot
        try:
            for attempt in range(source.retries + 1):
                chain = _Chain()
                opened = contextlib.AsyncExitStack()
                try:
                    await opened.enter_async_context(self.gate.slot(host, source.delay, source.max_concurrency_per_host,
                                                                    retry=retrying is not None))
                    if retrying is not None:
                        self.gate.end_retry(retrying)
                        retrying = None
                    await opened.enter_async_context(self._slots)
                    started = time.perf_counter()
                    response = await self._open(url, source, headers or {}, chain, opened)
                except _Retry as problem:
                    await opened.aclose()
                    wait = self._after_failure(problem, attempt, url, source, chain.failed(host), chain)
                    self.gate.begin_retry(host)
                    retrying = host
                    await self._sleep(wait)
                    continue
                except BaseException as exc:
                    await opened.aclose()
                    if isinstance(exc, Skip):
                        self._credit(chain)
                    raise
                self._credit(chain)
                async with opened:
                    try:
                        yield response
                    finally:
                        self._observer.fetched(source.id, response.status_code, time.perf_counter() - started,
                                               response.num_bytes_downloaded)
                return
        finally:
            if retrying is not None:  # cancelled, or skipped (a paused host) before its slot
                self.gate.end_retry(retrying)

    async def _open(self, url: str, source: Source, extra: Mapping[str, str], chain: _Chain,
                    opened: contextlib.AsyncExitStack) -> httpx.Response:
        """One request of `stream`, up to its status and headers; the response stays open in `opened`."""
        headers = {"User-Agent": source.user_agent, "Accept-Encoding": "identity", **extra}
        timeout = httpx.Timeout(source.timeout, connect=source.connect_timeout, read=source.read_timeout)
        client = self._client(source.allow_private, source.id, source.proxy)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(source.timeout):
                response = await opened.enter_async_context(
                    client.stream("GET", url, headers=headers, timeout=timeout, extensions={_CHAIN: chain}))
        except TimeoutError:
            self._observer.fetched(source.id, 0, time.perf_counter() - started, 0)
            raise _Retry("timeout", f"no answer within {source.timeout:g}s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            self._observer.fetched(source.id, 0, time.perf_counter() - started, 0)
            raise _problem(exc, url, source.proxy) from None
        status = response.status_code
        if status in RETRIED_STATUSES or status >= 300:
            self._observer.fetched(source.id, status, time.perf_counter() - started, 0)
            if status in RETRIED_STATUSES:
                raise _Retry(f"http_{status}", f"HTTP {status}",
                             parse_retry_after(response.headers.get("retry-after")))
            raise Skip(f"http_{status}", url)
        return response

    def _charge(self, chain: _Chain, origin: str, *, network: bool = False, cause: str = "") -> str:
        """Count a failed request against the host that failed; the hosts that redirected to it answered."""
        failed = chain.failed(origin)
        self._credit(_Chain(answered=[h for h in chain.answered if h != failed]))
        self.gate.failed(failed, network=network, cause=cause)
        if network:
            self._unreachable(failed, cause)
        return failed

    def _credit(self, chain: _Chain) -> None:
        for host in dict.fromkeys(chain.answered):
            self.gate.succeeded(host)
            self._reported.pop(host, None)

    def _unreachable(self, host: str, cause: str) -> None:
        """Say, once per host and cause until it answers again, that the network does not reach it."""
        kind = network_cause(cause)
        if self._reported.get(host) != kind:
            self._reported[host] = kind
            log.warning("cannot reach %s: %s (%s); its URLs wait, and it is tried again soon", host, kind, cause,
                        extra={"event": "unreachable", "url": host, "reason": kind})

    # --- one attempt ------------------------------------------------------------------------------------
    async def _attempt(
        self, url: str, source: Source, kind: Kind, extra: Mapping[str, str], chain: _Chain,
        cut_at: int | None = None,
    ) -> Fetched:
        started = time.perf_counter()
        status, size = 0, 0
        try:
            fetched = await self._guarded(url, source, kind, extra, chain, cut_at)
            status, size = fetched.status, fetched.size
            return fetched
        except (_Retry, Skip) as problem:
            if problem.reason.startswith("http_"):
                status = int(problem.reason[5:])
            elif problem.reason in ("not_html", "too_large", "binary", "empty"):
                status = 200  # the server answered; we refused what it sent
            raise
        finally:
            self._observer.fetched(source.id, status, time.perf_counter() - started, size)

    async def _guarded(
        self, url: str, source: Source, kind: Kind, extra: Mapping[str, str], chain: _Chain, cut_at: int | None
    ) -> Fetched:
        """One request, with transport errors turned into a retry or a Skip."""
        try:
            async with asyncio.timeout(source.timeout):
                return await self._request(url, source, kind, extra, chain, cut_at)
        except TimeoutError:
            raise _Retry("timeout", f"no complete answer within {source.timeout:g}s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _problem(exc, url, source.proxy) from None

    async def _request(
        self, url: str, source: Source, kind: Kind, extra: Mapping[str, str], chain: _Chain, cut_at: int | None
    ) -> Fetched:
        headers = {
            "User-Agent": source.user_agent,
            "Accept-Language": ",".join(source.languages) or "*",
            "Accept-Encoding": "gzip, deflate",  # what read_capped can inflate with a bounded output
            **extra,
        }
        timeout = httpx.Timeout(source.timeout, connect=source.connect_timeout, read=source.read_timeout)
        client = self._client(source.allow_private, source.id, source.proxy)
        async with client.stream("GET", url, headers=headers, timeout=timeout, extensions={_CHAIN: chain}) as response:
            status = response.status_code
            if status in RETRIED_STATUSES:
                raise _Retry(f"http_{status}", f"HTTP {status}", parse_retry_after(response.headers.get("retry-after")))
            if status == 304 and not _CONDITIONAL.intersection(name.lower() for name in extra):
                # "Not modified" since nothing: a broken cache or server. Taken for an answer, it would hide a feed
                # or a listing for good behind polls that look read.
                raise Skip("http_304", f"304 Not Modified to a request that sent no validators: {url}")
            if status == 304:
                return Fetched(url=url, final_url=str(response.url), status=304, content_type="", text="",
                               encoding="", fetched_at=datetime.now(UTC))
            if status >= 400:
                raise Skip(f"http_{status}", url)
            content_type = response.headers.get("content-type", "").strip()
            media_type = content_type.split(";")[0].strip().lower()
            if kind == "page" and media_type not in _PAGE_TYPES:
                raise Skip("not_html", f"{media_type}: {url}")
            declared = response.headers.get("content-length", "")
            body = await read_capped(
                response.aiter_raw(), cut_at or source.max_bytes,
                encoding=response.headers.get("content-encoding", ""),
                declared=int(declared) if declared.isdigit() else None, cut=cut_at is not None,
            )
            final_url = str(response.url)
            etag, last_modified = response.headers.get("etag"), response.headers.get("last-modified")
        if kind == "feed" and body.startswith(GZIP_MAGIC):
            body = gunzipped(body, cut_at or source.max_bytes, cut=cut_at is not None)  # sitemap.xml.gz
        check_textual(body, url)
        text, encoding = decode_text(body, content_type)
        return Fetched(url=url, final_url=final_url, status=status, content_type=content_type, text=text,
                       encoding=encoding, fetched_at=datetime.now(UTC), etag=etag, last_modified=last_modified,
                       size=len(body))

    async def _fetch_robots(self, robots_url: str, source: Source) -> RobotsAnswer:
        """robots.txt: in a fleet, as another worker read it within a day; else fetched (and then kept for the
        fleet when it is an answer of the site's: its file, or none)."""
        shared = self.gate.shared
        if shared is not None and (kept := shared.robots(robots_url, ROBOTS_TTL)) is not None:
            return RobotsAnswer(*kept)
        answer, theirs = await self._read_robots(robots_url, source)
        if not theirs and shared is not None and (200 <= answer.status < 300 or (400 <= answer.status < 500
                                                                               and answer.status != 429)):
            shared.keep_robots(robots_url, answer.status, answer.text)
        return answer

    async def _read_robots(self, robots_url: str, source: Source) -> tuple[RobotsAnswer, bool]:
        """robots.txt through the same host gate, without retries; cut at 500 KB, never refused for size. True
        with it when another worker of the fleet read it while this one waited for the host."""
        host = check_url(robots_url)
        chain = _Chain()
        shared = self.gate.shared
        try:
            async with self.gate.slot(host, source.delay, source.max_concurrency_per_host), self._slots:
                if shared is not None and (kept := shared.robots(robots_url, ROBOTS_TTL)) is not None:
                    return RobotsAnswer(*kept), True
                fetched = await self._attempt(robots_url, source, "feed", {}, chain, cut_at=MAX_ROBOTS_BYTES)
        except _Retry as problem:
            network = problem.reason in NETWORK_REASONS
            self._charge(chain, host, network=network, cause=problem.detail)
            status = int(problem.reason[5:]) if problem.reason.startswith("http_") else 0
            return RobotsAnswer(status, retry_after=problem.retry_after,
                                cause=network_cause(problem.detail) if network else ""), False
        except Skip as skip:
            if skip.reason.startswith("http_"):
                return RobotsAnswer(int(skip.reason[5:])), False
            if skip.reason in ("binary", "empty", "redirects"):
                return RobotsAnswer(404), False  # no usable robots.txt: treated as none, as crawlers do
            raise
        return RobotsAnswer(fetched.status, fetched.text), False
