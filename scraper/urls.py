"""URL canonicalisation, record ids, and which URLs can be taken apart at all; shared by discovery (is this link
new?) and extraction."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import idna

# Parameters that never change which article a URL points to.
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src"})
# Session ids a server writes into its links for a reader without cookies (Java's ";jsessionid=" path parameter,
# PHP's, ASP's, ColdFusion's): a new one each visit, so each poll would list every article at a new address.
SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "cfid", "cftoken", "sessionid"})
_SESSION_IN_PATH = re.compile(r";jsessionid=[^/;?#]*", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Spellings of one address, made one (RFC 3986, section 6.2.2; what httpx sends is the yardstick): characters a
# request never carries raw (non-ASCII letters, spaces, quotes, ...) percent-encoded as UTF-8, as httpx sends
# them; an escape's hex digits upper-case; an escaped letter, digit or "-._~" unescaped; "." and ".." path
# segments resolved; a non-ASCII host in its ASCII (IDNA) form. Every other character is kept as the site
# wrote it: "=" and "%3D" are not one (a reserved character escaped is data), and Rodong Sinmun's base64 key
# "?MTJA...==" must stay as it is to open the page.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_RAW_IN_PATH = frozenset(chr(i) for i in range(0x21, 0x7F)) - set('"#<>?`{}')  # httpx's path set (WHATWG's)
_RAW_IN_QUERY = frozenset(chr(i) for i in range(0x21, 0x7F)) - set('"#<>')
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# Nothing to normalise: no escape, no character httpx would encode in a path or a query.
_PLAIN = re.compile("[" + re.escape("".join(sorted((_RAW_IN_PATH & _RAW_IN_QUERY) - {"%"}))) + "]*")


def _escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(0)[1:], 16))
    return char if char in _UNRESERVED else match.group(0).upper()


def _encoded(part: str, raw: frozenset[str]) -> str:
    """`part` (a path or a query) as a request carries it, its escapes in one spelling."""
    if _PLAIN.fullmatch(part):
        return part
    quoted = "".join(char if char in raw else "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "replace"))
                     for char in part)
    return _ESCAPE.sub(_escape, quoted)


def _without_dot_segments(path: str) -> str:
    """RFC 3986's remove_dot_segments, as a client resolves "/a/./b/../c" before sending it ("/a/c")."""
    segments = path.split("/")
    if "." not in segments and ".." not in segments:
        return path
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")  # "/a/b/.." is the directory "/a/"
    return "/".join(kept) or "/"


def _ascii_host(host: str) -> str:
    """A host name in the form it is looked up by (IDNA, as httpx does); as it is when it has none."""
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host


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
    """Lower-case scheme and host, drop the default port, the fragment, tracking parameters and session ids;
    spellings of one address (an escape's case, an escaped letter, a raw non-ASCII path, dot segments, a Unicode
    host) are made one, so that a feed and a sitemap that spell one article differently give one record."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = _ascii_host((parts.hostname or "").lower())
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    drop = set(strip_query)
    # Raw segments are kept as the site wrote them: re-encoding would turn Rodong Sinmun's base64 key
    # "?MTJA...==" into "=%3D", a URL that no longer opens the page.
    kept = []
    for segment in parts.query.split("&"):
        key = unquote_plus(segment.split("=", 1)[0])
        folded = key.lower()
        if (segment and key not in drop and key not in TRACKING_PARAMS and not key.startswith("utm_")
                and folded not in SESSION_PARAMS and not folded.startswith("aspsessionid")):
            kept.append(_encoded(segment, _RAW_IN_QUERY))
    path = _SESSION_IN_PATH.sub("", parts.path)
    path = _without_dot_segments(_encoded(path, _RAW_IN_PATH)) if path else "/"
    return urlunsplit((scheme, host, path, "&".join(kept), ""))


def record_id(source_id: str, canonical_url: str) -> str:
    """Stable id of one outlet's report at one canonical URL."""
    digest = hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:20]
    return f"{source_id}-{digest}"


def _site(host: str) -> str:
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix):
            return host[len(prefix):]
    return host


def other_addresses(canonical: str) -> list[str]:
    """A canonical URL on its site's other scheme (http, https) and host names (bare, "www.", the mobile "m."; an
    "amp." host is the site's too): where one article is listed after a move, or by a mobile page (Yonhap's
    m.yna.co.kr)."""
    parts = urlsplit(canonical)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return []
    bare = _site(parts.netloc)
    forms = [urlunsplit(parts._replace(scheme=scheme, netloc=host)) for scheme in ("https", "http")
             for host in (bare, f"www.{bare}", f"m.{bare}")]
    return [form for form in forms if form != canonical]


def same_site(a: str, b: str) -> bool:
    """True when two URLs are on one site (ignoring www./m./amp. host prefixes)."""
    return _site((urlsplit(a).hostname or "").lower()) == _site((urlsplit(b).hostname or "").lower())


def front_page(url: str, homepage: str) -> bool:
    """Whether `url` is a site's root ("/", no query) or the outlet's homepage: never an article, though sitemaps
    list it (WordPress's page sitemap starts with it) and feeds now and then link an item to it. A root with a
    query is a page of its own ("/?p=123", WordPress's plain permalinks)."""
    parts, home = urlsplit(url), urlsplit(homepage)
    return (parts.path in ("", "/") and not parts.query) or (
        parts.netloc.lower() == home.netloc.lower() and parts.path.rstrip("/") == home.path.rstrip("/")
        and parts.query == home.query)


_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "or", "ne", "go", "ac", "gov", "edu", "re", "pe", "mil"})


def _organisation(host: str) -> str:
    """The part of a host name an organisation registers, near enough: "consent.google.com" → "google.com",
    "m.yna.co.kr" → "yna.co.kr" (no public-suffix list: the common second levels of country domains); an address
    stays whole."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) < 3 or labels[-1].isdigit() or ":" in host:
        return host.lower()
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def leads_back(url: str, final_url: str) -> bool:
    """Whether `final_url`, where a request for `url` ended up, is a page standing in the way of it that offers to
    lead back: a consent wall, a login or a paywall page ("consent.example/?continue=<url>", "/login?next=/news/1").
    Such a page's text is never the article's. Told by a parameter of its query naming the address asked for (in
    full, with or without its scheme, or by its path), when that address is more than a site's root and the page
    is the same organisation's (consent.google.com for news.google.com)."""
    if not parsable(url) or not parsable(final_url):
        return False
    asked, final = urlsplit(url), urlsplit(final_url)
    if asked.path in ("", "/") or _organisation(asked.hostname or "") != _organisation(final.hostname or ""):
        return False  # (a redirector, t.co or a feed proxy, that names where it came from is no gate)
    if final.netloc.lower() == asked.netloc.lower() and final.path.startswith(asked.path.rstrip("/")):
        return False  # the page itself, or a form of it (a slash, "/amp"), a parameter added or dropped
    whole = f"{asked.netloc.lower()}{asked.path}"
    for part in final.query.split("&"):
        value = part.partition("=")[2]
        for _ in range(3):  # escaped once, or more when it went through other redirects
            if "%" not in value:
                break
            value = unquote_plus(value)
        if value == asked.path or value.startswith(f"{asked.path}?"):
            return True
        address = value.split("://", 1)[1] if "://" in value else value.removeprefix("//")
        host, slash, rest = address.partition("/")
        named = f"{host.lower()}{slash}{rest}"
        if named.startswith(whole) and named[len(whole):len(whole) + 1] in ("", "?", "#"):
            return True
    return False
