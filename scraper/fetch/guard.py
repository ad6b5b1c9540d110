"""Checks on what we fetch: schemes, private addresses, size caps after decompression, charsets, binary junk."""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import re
import socket
import zlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import charset_normalizer
import httpcore

from scraper.errors import Skip
from scraper.records import Fetched

ALLOWED_SCHEMES = ("http", "https")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# Labels that servers send but Python's codecs spell differently or mean a superset of (WHATWG rules).
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
}
# How much less garbled (charset_normalizer's "chaos", 0..1) a detected charset must be to overrule a
# declaration that decodes without error. Evidence wins, but only clear evidence.
_OVERRULE_MARGIN = 0.1
_DETECT_SAMPLE = 256_000


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise Skip("bad_url", f"only http and https are fetched, not {scheme or 'a relative URL'}: {url}")


# --- addresses ------------------------------------------------------------------------------------------
def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class PrivateAddress(httpcore.ConnectError):
    """Raised inside httpcore when a host resolves to an address we refuse to connect to."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses non-public addresses, and connects to the address it checked.

    Connecting to the checked address (not the name) closes the DNS-rebinding gap between check and
    connect; TLS still verifies the original host name, which httpcore passes to start_tls separately.
    Every connection goes through here, so every redirect hop is checked.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None, resolver: Any = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._resolve = resolver or self._getaddrinfo

    @staticmethod
    async def _getaddrinfo(host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [str(info[4][0]) for info in infos]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}")
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            raise PrivateAddress(f"{host} resolves to a non-public address ({refused[0]})")
        return await self._inner.connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                             socket_options=socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise PrivateAddress("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


# --- bodies ---------------------------------------------------------------------------------------------
async def read_capped(
    chunks: AsyncIterator[bytes], max_bytes: int, *, encoding: str = "", declared: int | None = None,
    cut: bool = False,
) -> bytes:
    """Collect a raw streamed body, decompressing it ourselves, refused once it passes `max_bytes`
    (or, with `cut`, cut there: robots.txt).

    Decompression is bounded per step (`max_length`), so a compression bomb is stopped after at
    most `max_bytes` of output, whatever its ratio.
    """
    encoding = encoding.strip().lower()
    if not cut and encoding in ("", "identity") and declared is not None and declared > max_bytes:
        raise Skip("too_large", f"Content-Length {declared} > {max_bytes}")
    if encoding in ("gzip", "x-gzip", "deflate"):
        # wbits 47 reads gzip and zlib headers alike; raw deflate (a common server bug) is retried below.
        inflater = zlib.decompressobj(47)
    elif encoding not in ("", "identity"):
        raise Skip("fetch_error", f"unsupported Content-Encoding {encoding}")
    else:
        inflater = None
    body = bytearray()
    async for chunk in chunks:
        if inflater is None:
            body += chunk
        else:
            data = chunk
            while data:
                try:
                    body += inflater.decompress(data, max_bytes + 1 - len(body))
                except zlib.error:
                    if encoding == "deflate" and not body:
                        inflater, data = zlib.decompressobj(-zlib.MAX_WBITS), chunk
                        continue
                    raise Skip("fetch_error", "corrupt compressed body") from None
                if len(body) > max_bytes:
                    break
                data = inflater.unconsumed_tail
        if len(body) > max_bytes:
            if cut:
                return bytes(body[:max_bytes])
            raise Skip("too_large", f"body passed {max_bytes} bytes")
    return bytes(body)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charsets(body: bytes, content_type: str) -> list[str]:
    """Charsets the response declares, strongest first: the HTTP header, then <meta> or <?xml?>."""
    found: list[str] = []
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and (codec := _codec(value)):
            found.append(codec)
    head = body[:4096]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        if (match := pattern.search(head)) and (codec := _codec(match.group(1).decode("ascii"))):
            found.append(codec)
    return list(dict.fromkeys(found))


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _chaos(sample: bytes, codec: str) -> float:
    """How garbled `sample` reads in `codec` (0 = clean), by charset_normalizer's mess detector."""
    match = charset_normalizer.from_bytes(sample, cp_isolation=[codec], threshold=1.0,
                                          preemptive_behaviour=False).best()
    return float(match.chaos) if match is not None else 1.0


def decode_text(body: bytes, content_type: str) -> tuple[str, str]:
    """Bytes → text: BOM, then valid UTF-8, then the declarations, checked against detection; never raises.

    Valid UTF-8 is taken as UTF-8 whatever the header says: a legacy-encoded page is practically never
    valid UTF-8 by accident. A declaration that decodes is kept unless detection finds a charset
    that reads clearly less garbled (a lying header); detection alone decides when nothing else fits.
    """
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace"), "utf-8"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace"), "utf-16"
    if (text := _strict(body, "utf-8")) is not None:
        return text, "utf-8"
    declared = [c for c in declared_charsets(body, content_type) if c != "utf-8"]
    sample = body[:_DETECT_SAMPLE]
    best = charset_normalizer.from_bytes(sample).best()
    detected = _codec(best.encoding) if best is not None else None
    for codec in declared:
        if (text := _strict(body, codec)) is None:
            continue
        if (detected and detected != codec and best is not None
                and best.chaos + _OVERRULE_MARGIN < _chaos(sample, codec)
                and (better := _strict(body, detected)) is not None):
            return better, detected
        return text, codec
    if detected and (text := _strict(body, detected)) is not None:
        return text, detected
    for codec in ("cp949", "gb18030", "shift_jis"):
        if (text := _strict(body, codec)) is not None:
            return text, codec
    codec = declared[0] if declared else detected or "utf-8"
    return body.decode(codec, errors="replace"), codec


def decoded(fetched: Fetched) -> Fetched:
    """The page with its text, decoded from `raw` (by `decode_text`) where that was left for later."""
    if fetched.raw is None:
        return fetched
    text, encoding = decode_text(fetched.raw, fetched.content_type)
    return replace(fetched, text=text, encoding=encoding, raw=None)


# Bytes no text encoding (UTF-16 aside) uses: C0 controls other than \t \n \v \f \r, and DEL.
_CONTROL_BYTES = bytes([*range(0x09), *range(0x0E, 0x20), 0x7F])


def check_textual(body: bytes, url: str) -> None:
    """Refuse bodies that are not text (random bytes, images served as text/html) before decoding."""
    sample = body[:65536]
    if not sample.strip():
        raise Skip("empty", f"empty body: {url}")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # UTF-16 text is full of NUL bytes by design
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))  # counted in C: 65 KB per page
    if control / len(sample) > 0.01:
        raise Skip("binary", f"{control} of {len(sample)} bytes are control bytes: {url}")
