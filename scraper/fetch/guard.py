"""Checks on what we fetch: schemes, private addresses, size caps after decompression, charsets, binary junk."""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import re
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import charset_normalizer
import httpcore
import httpx

from scraper.errors import Skip
from scraper.records import Fetched
from scraper.text import scrub

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
# UTF-8 with stray bytes (`_nearly_utf8`): valid multi-byte characters per invalid byte, at least; or, on a
# page that declares UTF-8 or nothing, invalid bytes per byte of the page, at most.
_VALID_PER_STRAY = 3
_STRAY_SHARE = 0.001


# --- URLs -----------------------------------------------------------------------------------------------
# A DNS label as it goes on the wire (IDNA already applied); "_" is not in the RFCs but real hosts use it.
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
# A last label like "1" or "0x7f" makes resolvers read the whole name as a (legacy) IPv4 address.
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


def host_problem(host: str) -> str | None:
    """Why `host` (IDNA-encoded, as httpx sends it) is neither a host name nor an IP address, or None."""
    if not host:
        return "no host"
    try:
        ipaddress.ip_address(host.split("%")[0])
        return None
    except ValueError:
        pass
    name = host.lower().removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"{host!r} is not a valid host name"
    if _NUMERIC_LABEL.match(labels[-1]):
        return f"{host!r} is neither a host name nor an IPv4 address like 192.0.2.1"
    return None


def url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched (httpx refuses it, its scheme is not http(s), its host or port is not
    one we could connect to), or None. The one check for sources.toml, discovered links and redirect hops.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return f"httpx cannot parse it ({exc})"
    if parsed.scheme not in ALLOWED_SCHEMES:
        return f"only http and https are fetched, not {parsed.scheme or 'a relative URL'}"
    if (problem := host_problem(parsed.raw_host.decode("ascii", errors="replace"))) is not None:
        return problem
    if parsed.port is not None and not 0 < parsed.port < 65536:
        return f"port {parsed.port} is out of range"
    return None


def check_url(url: str) -> str:
    """`url`'s host (lower case), or Skip("bad_url") if it cannot be fetched (`url_problem`)."""
    if (problem := url_problem(url)) is not None:
        raise Skip("bad_url", f"{problem}: {url!r}")
    return httpx.URL(url).host


# --- addresses ------------------------------------------------------------------------------------------
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def _v4(value: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(value & 0xFFFFFFFF)


def carried_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address leads to, by the forms that reach an IPv4 host: IPv4-mapped,
    IPv4-compatible (::/96, :: and ::1 included), IPv4-translated, NAT64 (64:ff9b::/96, and the local-use
    64:ff9b:1::/48 at every RFC 6052 prefix length, since the prefix length is not in the address),
    6to4 (2002::/16) and Teredo (2001::/32, the client's address). Empty for any other IPv6 address.
    """
    value = int(ip)
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip in _IPV4_COMPATIBLE or ip in _IPV4_TRANSLATED or ip in _NAT64:
        return (_v4(value),)
    if ip in _NAT64_LOCAL:
        # RFC 6052 2.2: for /48 and /56 prefixes the IPv4 address straddles bits 64-71, which stay zero.
        return (_v4((value >> 64 & 0xFFFF) << 16 | value >> 40 & 0xFFFF),  # /48
                _v4((value >> 64 & 0xFF) << 24 | value >> 32 & 0xFFFFFF),  # /56
                _v4(value >> 24),  # /64
                _v4(value))  # /96
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return (ip.teredo[1],)  # ipaddress has already undone the client address's XOR with 0xffffffff
    return ()


def _ip(address: str) -> IPAddress:
    return ipaddress.ip_address(address.split("%")[0])


def _is_public(ip: IPAddress) -> bool:
    return ip.is_global and not ip.is_multicast


def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses, and for an
    IPv6 address that carries such an IPv4 address (`carried_ipv4`): those are judged by the IPv4 alone."""
    return PrivateAllowance().permits("", address)


def parse_allowance(value: object) -> bool | tuple[str, ...]:
    """sources.toml `allow_private`: true (any address), false, or a list of networks ("10.0.0.0/8", "fd00::/8",
    "192.168.1.5") and host names ("mirror.intranet") → the form `Source.allow_private` keeps. ValueError if
    it is none of these."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, list):
        raise ValueError(f'expected true, false or a list of networks and host names like ["10.0.0.0/8", '
                         f'"mirror.intranet"], got {value!r}')
    return _allowed_items(value)


def _allowed_items(items: Iterable[object]) -> tuple[str, ...]:
    """Networks (as `ip_network` prints them, always with a "/") and host names (lower case, no final dot)."""
    allowed: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"expected a network like \"10.0.0.0/8\" or a host name, got {item!r}")
        text = item.strip().lower()
        try:
            allowed.append(str(ipaddress.ip_network(text.removeprefix("[").removesuffix("]"))))
            continue
        except ValueError as exc:
            if "/" in text or ":" in text or not any(c.isalpha() for c in text):
                raise ValueError(f"not a network ({exc}): {item!r}") from None
        if host_problem(text) is not None:
            raise ValueError(f"neither a network like \"10.0.0.0/8\" nor a host name: {item!r}")
        allowed.append(text.removesuffix("."))
    return tuple(dict.fromkeys(allowed))


@dataclass(frozen=True, slots=True)
class PrivateAllowance:
    """What an outlet's `allow_private` lets past the guard besides public addresses: anything, or some
    networks and host names. A host name lets through whatever it resolves to; an address is let through
    when it is public or in an allowed network, and an IPv6 address that carries IPv4 addresses when each
    of them is (or the IPv6 address itself is in an allowed network)."""

    anything: bool = False
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, value: bool | tuple[str, ...]) -> PrivateAllowance:
        """From `Source.allow_private`; ValueError for an item that is neither a network nor a host name
        (read again, not trusted: a Source may be made in code, not only from sources.toml)."""
        if isinstance(value, bool):
            return cls(anything=value)
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for item in _allowed_items(value):
            if "/" in item:
                networks.append(ipaddress.ip_network(item))
            else:
                hosts.add(item)
        return cls(networks=tuple(networks), hosts=frozenset(hosts))

    def permits(self, host: str, address: str) -> bool:
        if self.anything or host.lower().removesuffix(".") in self.hosts:
            return True
        ip = _ip(address)
        if self._allowed(ip):
            return True
        carried = carried_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else ()
        return bool(carried) and all(self._allowed(v4) for v4 in carried)

    def _allowed(self, ip: IPAddress) -> bool:
        if any(ip in network for network in self.networks):
            return True
        return _is_public(ip) and not (isinstance(ip, ipaddress.IPv6Address) and carried_ipv4(ip))


class PrivateAddress(httpcore.ConnectError):
    """Raised inside httpcore when a host resolves to an address we refuse to connect to."""

    def __init__(self, message: str, address: str = "") -> None:
        super().__init__(message)
        self.address = address  # the refused address, for the hint in the skip


Resolver = Callable[[str, int], Awaitable[list[str]]]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses addresses that are neither public nor allowed, and connects to the
    address it checked.

    Connecting to the checked address (not the name) closes the DNS-rebinding gap between check and
    connect; TLS still verifies the original host name, which httpcore passes to start_tls separately.
    Every connection goes through here, so every redirect hop is checked. An IP address as the host is
    checked as it is, never handed to the resolver.
    """

    def __init__(
        self,
        inner: httpcore.AsyncNetworkBackend | None = None,
        resolver: Resolver | None = None,
        allowed: PrivateAllowance | None = None,
    ) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._resolve = resolver or self._getaddrinfo
        self._allowed = allowed or PrivateAllowance()

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
        addresses = await self.check(host, port)
        return await self._inner.connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                             socket_options=socket_options)

    async def check(self, host: str, port: int) -> list[str]:
        """The addresses `host` resolves to, all allowed; PrivateAddress when one is not, httpcore.ConnectError
        when it resolves to none."""
        try:
            addresses = [str(_ip(host))]
        except ValueError:
            try:
                addresses = await self._resolve(host, port)
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}")
        refused = [a for a in addresses if not self._allowed.permits(host, a)]
        if refused:
            what = "is" if addresses == [host] else f"resolves to {refused[0]},"
            raise PrivateAddress(f"{host} {what} a non-public address", refused[0])
        return addresses

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
        raise Skip("bad_encoding", f"unsupported Content-Encoding {encoding}")
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
                    raise Skip("bad_encoding", "corrupt compressed body") from None
                if len(body) > max_bytes:
                    break
                data = inflater.unconsumed_tail
        if len(body) > max_bytes:
            if cut:
                return bytes(body[:max_bytes])
            raise Skip("too_large", f"body passed {max_bytes} bytes")
    return bytes(body)


GZIP_MAGIC = b"\x1f\x8b"


def gunzipped(body: bytes, max_bytes: int, *, cut: bool = False) -> bytes:
    """The content of a gzip file served as it is stored (a `sitemap.xml.gz` sent as application/x-gzip, or
    gzipped once more on the wire), bounded as `read_capped` bounds a compressed body: refused past
    `max_bytes` of output (or, with `cut`, cut there); several members are read one after another."""
    out = bytearray()
    data = body
    while data:
        inflater = zlib.decompressobj(31)
        try:
            out += inflater.decompress(data, max_bytes + 1 - len(out))
            while inflater.unconsumed_tail and len(out) <= max_bytes:
                out += inflater.decompress(inflater.unconsumed_tail, max_bytes + 1 - len(out))
        except zlib.error:
            raise Skip("bad_encoding", "corrupt gzip file") from None
        if len(out) > max_bytes:
            if cut:
                return bytes(out[:max_bytes])
            raise Skip("too_large", f"gzip file passed {max_bytes} bytes unpacked")
        if not inflater.eof:
            raise Skip("bad_encoding", "gzip file cut off")
        data = inflater.unused_data if inflater.unused_data.startswith(GZIP_MAGIC) else b""
    return bytes(out)


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


def _nearly_utf8(body: bytes, *, lenient: bool) -> str | None:
    """`body` as UTF-8 with U+FFFD for its invalid bytes, if they are strays in a UTF-8 page; else None.

    Legacy encodings make valid UTF-8 multi-byte sequences only by accident (a few percent of their
    non-ASCII bytes at most), so many more valid sequences than invalid bytes means UTF-8 with strays
    (a pasted cp1252 quote, a character cut in two). A page that declares UTF-8, or declares nothing
    (`lenient`), is also read as UTF-8 when its invalid bytes are a tiny share of it, as browsers read a
    page declared UTF-8: an ASCII page with one stray byte is not worth a guess at a legacy charset.
    """
    text = body.decode("utf-8", errors="replace")
    replacements = text.count("\ufffd")
    invalid = replacements - body.count("\ufffd".encode())  # U+FFFD may be in the page itself
    valid = len(text) - len(text.encode("ascii", errors="ignore")) - replacements
    if valid >= _VALID_PER_STRAY * invalid or (lenient and invalid <= len(body) * _STRAY_SHARE):
        return text
    return None


def decode_text(body: bytes, content_type: str) -> tuple[str, str]:
    """Bytes → text (lone surrogates, which a few codecs a page may name make, as U+FFFD: scraper/text.py) and
    the codec it was read in; never raises."""
    text, codec = _decode(body, content_type)
    return scrub(text), codec


def _decode(body: bytes, content_type: str) -> tuple[str, str]:
    """Bytes → text: BOM, then valid UTF-8, then the declarations, checked against detection.

    Valid UTF-8 is taken as UTF-8 whatever the header says: a legacy-encoded page is practically never
    valid UTF-8 by accident; so is UTF-8 with a few stray bytes (`_nearly_utf8`), read with U+FFFD for
    them rather than as mojibake in a single-byte charset. A declaration that decodes is kept unless
    detection finds a charset that reads clearly less garbled (a lying header); detection alone decides
    when nothing else fits.
    """
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace"), "utf-8"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace"), "utf-16"
    if (text := _strict(body, "utf-8")) is not None:
        return text, "utf-8"
    declarations = declared_charsets(body, content_type)
    if (text := _nearly_utf8(body, lenient=declarations[:1] in ([], ["utf-8"]))) is not None:
        return text, "utf-8"
    declared = [c for c in declarations if c != "utf-8"]
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
