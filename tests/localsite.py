"""A real HTTP server on 127.0.0.1 for end-to-end tests: serves a dict of path -> response."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0  # seconds before answering: a slow server


class LocalSite:
    """Start with `with LocalSite(routes) as site:`; `site.url("/x")` is the address of a route."""

    def __init__(self, routes: dict[str, Page] | None = None) -> None:
        self.routes: dict[str, Page] = dict(routes or {})
        self.hits: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path  # routes ignore the query, as most sites do
                site.hits[path] += 1
                page = site.routes.get(path) or Page(b"not found", "text/plain", 404)
                if page.delay:
                    time.sleep(page.delay)
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                # The client may give up (e.g. a daemon shutting down): fine.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(page.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a slow handler must not hold up the test's exit
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def __enter__(self) -> LocalSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
