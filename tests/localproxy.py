"""A real forwarding HTTP proxy on 127.0.0.x for end-to-end tests: absolute-form requests (GET http://host/path)
are forwarded and answered; CONNECT is refused (the tests' sites speak plain HTTP). It records what it was asked
for, and can require credentials (407 without them)."""

from __future__ import annotations

import base64
import contextlib
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class LocalProxy:
    """Start with `with LocalProxy() as proxy:`; `proxy.url` is its address, `proxy.asked` what it forwarded."""

    def __init__(self, host: str = "127.0.0.1", credentials: tuple[str, str] | None = None) -> None:
        self.asked: list[str] = []  # the absolute URL of each request, in order
        self.refused = 0  # requests without the credentials asked for
        self._lock = threading.Lock()
        expected = (f"Basic {base64.b64encode(':'.join(credentials).encode()).decode()}"
                    if credentials is not None else None)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if expected is not None and self.headers.get("Proxy-Authorization") != expected:
                    with proxy._lock:
                        proxy.refused += 1
                    self._send(407, b"proxy authentication required",
                               {"Proxy-Authenticate": 'Basic realm="test"'})
                    return
                with proxy._lock:
                    proxy.asked.append(self.path)
                target = urlsplit(self.path)
                if target.scheme != "http" or not target.hostname:
                    self._send(400, b"absolute http URL expected")
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
                    self._send(answer.status, body, kept)
                except OSError:
                    self._send(502, b"bad gateway")
                finally:
                    connection.close()

            def do_CONNECT(self) -> None:
                self._send(405, b"no tunnels here")

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://{host}:{self.server.server_port}"

    def __enter__(self) -> LocalProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
