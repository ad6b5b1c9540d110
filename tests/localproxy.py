"""A real forwarding HTTP proxy on 127.0.0.x for end-to-end tests: absolute-form requests (GET http://host/path)
are forwarded and answered, CONNECT host:port opens a tunnel (an https site). It records what it was asked for,
and can require credentials (407 without them)."""

from __future__ import annotations

import base64
import http.client
import select
import socket
import threading
from urllib.parse import urlsplit

from localsite import QuietHandler, Serving


class LocalProxy(Serving):
    """Start with `with LocalProxy() as proxy:`; `proxy.url` is its address, `proxy.asked` what it forwarded."""

    def __init__(self, host: str = "127.0.0.1", credentials: tuple[str, str] | None = None) -> None:
        self.asked: list[str] = []  # the absolute URL of each request, in order
        self.refused = 0  # requests without the credentials asked for
        self._lock = threading.Lock()
        expected = (f"Basic {base64.b64encode(':'.join(credentials).encode()).decode()}"
                    if credentials is not None else None)
        proxy = self

        class Handler(QuietHandler):
            def _authorised(self) -> bool:
                if expected is None or self.headers.get("Proxy-Authorization") == expected:
                    return True
                with proxy._lock:
                    proxy.refused += 1
                self.reply(407, b"proxy authentication required", {"Proxy-Authenticate": 'Basic realm="test"'})
                return False

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                with proxy._lock:
                    proxy.asked.append(self.path)
                target = urlsplit(self.path)
                if target.scheme != "http" or not target.hostname:
                    self.reply(400, b"absolute http URL expected")
                    return
                connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
                try:
                    headers = {name: value for name, value in self.headers.items()
                               if name.lower() not in ("proxy-authorization", "proxy-connection", "connection")}
                    connection.request("GET", target.path + (f"?{target.query}" if target.query else "") or "/",
                                       headers=headers)
                    answer = connection.getresponse()
                    body = answer.read()
                    kept = {name: value for name, value in answer.getheaders()
                            if name.lower() not in ("transfer-encoding", "connection", "content-length")}
                    self.reply(answer.status, body, kept)
                except OSError:
                    self.reply(502, b"bad gateway")
                finally:
                    connection.close()

            def do_CONNECT(self) -> None:
                """A tunnel to host:port (how a client reaches an https site through a proxy)."""
                if not self._authorised():
                    return
                with proxy._lock:
                    proxy.asked.append(f"CONNECT {self.path}")
                host, _, port = self.path.rpartition(":")
                try:
                    upstream = socket.create_connection((host, int(port)), timeout=10)
                except (OSError, ValueError):
                    self.reply(502, b"bad gateway")
                    return
                self.send_response(200, "Connection Established")
                self.end_headers()
                self.close_connection = True
                ends = [self.connection, upstream]
                with upstream:
                    for _ in range(100_000):  # (bounded: a test's exchange is a few dozen pieces)
                        ready, _, _ = select.select(ends, [], [], 10)
                        if not ready:
                            break
                        try:
                            pieces = [(end, end.recv(65536)) for end in ready]
                        except OSError:
                            break
                        if any(not piece for _, piece in pieces):
                            break
                        for end, piece in pieces:
                            (upstream if end is self.connection else self.connection).sendall(piece)

        self._serve(Handler, host)
        self.url = f"http://{host}:{self.server.server_port}"
