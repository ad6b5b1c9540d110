"""URL canonicalisation, record ids, and which URLs can be taken apart at all; shared by discovery (is this link
new?) and extraction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

# Parameters that never change which article a URL points to.
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def parsable(url: str) -> bool:
    """Whether urllib can take `url` apart, its port included ("http://[::1" and "https://x.org:99999/" it
    cannot): a URL every later stage can canonicalise. One that is not is left out where it enters, where it
    would otherwise fail the feed, page or archive it came in with."""
    try:
        _ = urlsplit(url).port  # urlsplit raises for a malformed host, .port for a port out of range
    except ValueError:
        return False
    return True


def joined(base: str, href: str) -> str | None:
    """`href` made absolute against `base`; None when that is no `parsable` URL."""
    try:
        url = urljoin(base, href.strip())
    except ValueError:
        return None
    return url if parsable(url) else None


def canonicalize(url: str, strip_query: Iterable[str] = ()) -> str:
    """Lower-case scheme and host, drop the default port, the fragment and tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    drop = set(strip_query)
    # Raw segments are kept as the site wrote them: re-encoding would turn Rodong Sinmun's base64 key
    # "?MTJA...==" into "=%3D", a URL that no longer opens the page.
    kept = []
    for segment in parts.query.split("&"):
        key = unquote_plus(segment.split("=", 1)[0])
        if segment and key not in drop and key not in TRACKING_PARAMS and not key.startswith("utm_"):
            kept.append(segment)
    return urlunsplit((scheme, host, parts.path or "/", "&".join(kept), ""))


def record_id(source_id: str, canonical_url: str) -> str:
    """Stable id of one outlet's report at one canonical URL."""
    digest = hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:20]
    return f"{source_id}-{digest}"


def _site(host: str) -> str:
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix):
            return host[len(prefix):]
    return host


def same_site(a: str, b: str) -> bool:
    """True when two URLs are on one site (ignoring www./m./amp. host prefixes)."""
    return _site((urlsplit(a).hostname or "").lower()) == _site((urlsplit(b).hostname or "").lower())
