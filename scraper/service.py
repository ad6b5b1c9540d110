"""The daemon's small HTTP endpoint: /healthz for orchestrators, /metrics for Prometheus."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

from scraper.errors import ConfigError
from scraper.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

Health = Callable[[], list[str]]  # what is wrong; an empty list means healthy
Warnings = Callable[[], list[str]]  # what is going wrong but does not make it unhealthy (yet)
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error",
            503: "Service Unavailable"}


def parse_listen(value: str) -> tuple[str, int]:
    """"127.0.0.1:9108", "[::1]:9108" or ":9108" (all interfaces) → (host, port)."""
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f'expected HOST:PORT like "127.0.0.1:9108", got "{value}"')
    return host.strip("[]") or "0.0.0.0", int(port)


class StatusServer:
    def __init__(self, host: str, port: int, metrics: Metrics, health: Health,
                 warnings: Warnings | None = None) -> None:
        self.host, self.port = host, port
        self.metrics = metrics
        self.health = health
        self.warnings = warnings or list
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._handle, self.host, self.port)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {self.host}:{self.port}: {exc.strerror} (choose another "
                              "address with --listen, or 'off')", key="--listen") from None
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("serving /healthz and /metrics on %s:%d", self.host, self.port, extra={"event": "listen"})

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                head = await reader.readuntil(b"\r\n\r\n")
            method, path, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            try:
                status, content_type, body = self._route(method, path.split("?", 1)[0])
            except Exception as exc:  # a probe gets an answer, and the daemon goes on, whatever went wrong
                log.exception("cannot answer %s %s", method, path[:200], extra={"event": "status_error"})
                status, content_type, body = 500, "text/plain", f"{type(exc).__name__}: {exc}\n".encode()
            writer.write(
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("latin-1")
                + (b"" if method == "HEAD" else body)  # HEAD: the headers GET would send, and no body
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass  # a client that sends nothing useful gets nothing
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _route(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"only GET\n"
        if path == "/metrics":
            return 200, CONTENT_TYPE, self.metrics.render()
        if path == "/healthz":
            problems = self.health()
            body = {"status": "ok" if not problems else "unhealthy", "problems": problems,
                    "warnings": self.warnings()}
            return (200 if not problems else 503), "application/json", json.dumps(body).encode() + b"\n"
        return 404, "text/plain", b"try /healthz or /metrics\n"
