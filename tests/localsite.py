"""A real HTTP server on 127.0.0.1 for end-to-end tests: serves a dict of path -> response."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0  # seconds before answering: a slow server
    headers: dict[str, str] = field(default_factory=dict)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers plainly."""

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client may give up (e.g. a daemon shutting down): fine.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Serving:
    """A ThreadingHTTPServer on a thread of its own, started and stopped by `with`."""

    server: ThreadingHTTPServer
    thread: threading.Thread

    def _serve(self, handler: type[BaseHTTPRequestHandler], host: str, port: int = 0) -> None:
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True  # a slow handler must not hold up the test's exit
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class LocalSite(Serving):
    """Start with `with LocalSite(routes) as site:`; `site.url("/x")` is the address of a route."""

    def __init__(self, routes: dict[str, Page] | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Page] = dict(routes or {})
        self.hits: Counter[str] = Counter()
        self.host = host
        self.started: list[float] = []  # monotonic time each request arrived
        self.paths: list[str] = []  # the path of each, in the same order
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path  # routes ignore the query, as most sites do
                with site._lock:
                    site.hits[path] += 1
                    site.started.append(time.monotonic())
                    site.paths.append(path)
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    self._answer(path, parts.query)
                finally:
                    with site._lock:
                        site.in_flight -= 1

            def _answer(self, path: str, query: str) -> None:
                page = site.answer(path, query) or site.routes.get(path) or Page(b"not found", "text/plain", 404)
                if page.delay:
                    time.sleep(page.delay)
                self.reply(page.status, page.body, {"Content-Type": page.content_type, **page.headers})

        self._serve(Handler, host, port)

    def answer(self, path: str, query: str = "") -> Page | None:
        """An answer decided per request (a subclass's: a flaky server, a search API); None for the route's page."""
        return None

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server.server_port}{path}"
