"""Checks on what we fetch: allowed schemes, size caps while streaming, charset decoding, binary junk."""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from scraper.errors import Skip

ALLOWED_SCHEMES = ("http", "https")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# Labels that servers send but Python's codecs spell differently or mean a superset of.
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",  # browsers decode EUC-KR as windows-949
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "shift_jis",
    "iso-8859-1": "cp1252",  # the WHATWG rule: latin-1 labels mean windows-1252
    "latin1": "cp1252",
    "us-ascii": "cp1252",
}


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise Skip("bad_url", f"only http and https are fetched, not {scheme or 'a relative URL'}: {url}")


async def read_capped(chunks: AsyncIterator[bytes], max_bytes: int, declared: int | None = None) -> bytes:
    """Collect a streamed body, refusing it as soon as it passes `max_bytes` (or says it will)."""
    if declared is not None and declared > max_bytes:
        raise Skip("too_large", f"Content-Length {declared} > {max_bytes}")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
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


def sniff_charset(body: bytes, content_type: str) -> str | None:
    """The charset a browser would use: BOM, then the HTTP header, then <meta>/<?xml?> in the head."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and (codec := _codec(value)):
            return codec
    head = body[:4096]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        if (match := pattern.search(head)) and (codec := _codec(match.group(1).decode("ascii"))):
            return codec
    return None


def decode_text(body: bytes, content_type: str) -> tuple[str, str]:
    """Decode a page: the declared charset, else UTF-8, else the CJK legacy codecs; never raises."""
    declared = sniff_charset(body, content_type)
    candidates = [declared] if declared else []
    candidates += [c for c in ("utf-8", "cp949", "gb18030", "shift_jis") if c != declared]
    for codec in candidates:
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    # A declared charset that lies on a few bytes: keep the declared one, mark the bad bytes.
    codec = declared or "utf-8"
    return body.decode(codec, errors="replace"), codec


def check_textual(body: bytes, url: str) -> None:
    """Refuse bodies that are not text (random bytes, images served as text/html) before decoding."""
    sample = body[:65536]
    if not sample.strip():
        raise Skip("empty", f"empty body: {url}")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # UTF-16 text is full of NUL bytes by design
    control = sum(1 for byte in sample if byte < 0x09 or 0x0E <= byte < 0x20 or byte == 0x7F)
    if control / len(sample) > 0.01:
        raise Skip("binary", f"{control} of {len(sample)} bytes are control bytes: {url}")
