"""Load `sources.toml` into validated Settings; any mistake stops start-up naming file, outlet and key."""

from __future__ import annotations

import difflib
import math
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from scraper.analyse.names import load_aliases
from scraper.discover.listings import page_urls, parse_listing_tables
from scraper.errors import ConfigError
from scraper.fetch.guard import parse_allowance, url_problem
from scraper.records import Selectors, Settings, Source
from scraper.urls import canonicalize

OUTLET_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


_DAY = 86400.0
MAX_DURATION = 365 * _DAY  # no duration in sources.toml may be longer; most keys have a smaller cap (below)
MAX_SIZE = 1_000_000_000  # 1 GB: a body is held in memory whole


def parse_duration(value: object, maximum: float = MAX_DURATION) -> float:
    """`"15m"`, `"1h30m"`, `"500ms"`, `"2s"` or a number of seconds → seconds (> 0, finite, ≤ `maximum`)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like \"15m\" or \"1s\"")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower()
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f'expected a duration like "15m", "1h30m" or "2s", got "{value}"')
        seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    else:
        raise ValueError(f'expected a duration like "15m" or "1s", got {value!r}')
    if math.isnan(seconds) or seconds <= 0:
        raise ValueError(f"a duration must be a positive number, got {value!r}")
    if seconds > maximum:
        raise ValueError(f"a duration of at most {_spelled(maximum)} is expected here, got {value!r}")
    return seconds


def _spelled(seconds: float) -> str:
    for unit, size in (("d", _DAY), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _duration(maximum: float) -> Callable[[object], float]:
    def parse(value: object) -> float:
        return parse_duration(value, maximum)

    return parse


def parse_size(value: object) -> int:
    """`"8MB"`, `"512KiB"` or a number of bytes → bytes (> 0, ≤ 1 GB)."""
    if isinstance(value, bool):
        raise ValueError('expected a size like "8MB"')
    if isinstance(value, int):
        size: float = value
    elif isinstance(value, str) and (match := _SIZE.match(value.strip())):
        size = float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()]
    else:
        raise ValueError(f'expected a size like "8MB" or "512KiB", got {value!r}')
    if size < 1:
        raise ValueError(f"a size must be positive, got {value!r}")
    if size > MAX_SIZE:  # inf included: a string of 400 digits is a float overflow, not an error, above
        raise ValueError(f"a size of at most 1GB is expected, got {value!r}")
    return int(size)


# Characters a URL in sources.toml may not hold, wherever they are (Unicode categories): controls, format
# characters (bidi overrides and isolates, zero-width ones) and spaces. httpx would refuse some and quietly
# percent-encode others; either way the file does not say what it seems to.
_ODD_CHARACTERS = frozenset({"Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp"})


def check_url(value: object) -> str:
    """An http(s) URL that can be fetched as written (scraper.fetch.guard.url_problem), else ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"expected a URL string, got {value!r}")
    for position, character in enumerate(value):
        if unicodedata.category(character) in _ODD_CHARACTERS:
            name = unicodedata.name(character, "a control character")
            raise ValueError(f"expected an http(s) URL without U+{ord(character):04X} ({name}), found at position "
                             f"{position} of {value!a}: remove it, or percent-encode it in a path")
    if (problem := url_problem(value)) is not None:
        raise ValueError(f"expected an http(s) URL that can be fetched, got {value!a}: {problem}")
    return value


def check_timezone(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f'expected an IANA timezone like "Asia/Seoul", got {value!r}')
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long to be a file's
        raise ValueError(f'unknown timezone "{value[:100]}" (expected an IANA name like "Asia/Seoul")') from None
    return value


def _string(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value.strip()


def _string_list(check: Callable[[object], str]) -> Callable[[object], tuple[str, ...]]:
    def parse(value: object) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {value!r}")
        return tuple(check(item) for item in value)

    return parse


def _language(value: object) -> str:
    if not isinstance(value, str) or not LANGUAGE.match(value):
        raise ValueError(f'expected an ISO 639-1 code like "en" or "ko", got {value!r}')
    return value


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number ≥ 0, got {value!r}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _outlet_id(value: object) -> str:
    if not isinstance(value, str) or not OUTLET_ID.match(value):
        raise ValueError(f"expected lowercase letters, digits and dashes ([a-z0-9-]+), got {value!r}")
    return value


def _param_name(value: object) -> str:
    return _string(value)


def _article_url(value: object) -> re.Pattern[str]:
    """A regular expression (Python syntax) searched in an article's absolute URL."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'expected a regular expression like "^https?://example\\.com/news/\\d+", got {value!r}')
    try:
        pattern = re.compile(value.strip())
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc}): {value!r}") from None
    if pattern.search(""):
        raise ValueError(f"the pattern matches any URL, even an empty one: {value!r}")
    return pattern


_SELECTOR_KEYS = ("body", "title", "date", "authors")
FALLBACKS = ("none", "wayback")


def _fallback(value: object) -> str | None:
    """How to reach an outlet that does not answer: "wayback" (the Internet Archive's captures) or "none"."""
    if value not in FALLBACKS:
        raise ValueError(f'expected one of {", ".join(repr(f) for f in FALLBACKS)}, got {value!r}')
    return None if value == "none" else str(value)


def _proxy(value: object) -> str | None:
    """An HTTP proxy to fetch through: "http://[user:password@]host:port" (or https:// for a proxy spoken to over
    TLS), or "none" (directly: the default)."""
    if value == "none":
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'expected a proxy URL like "http://proxy.example:3128", or "none", got {value!r}')
    # (an error message shows the URL without its password)
    shown = ascii(re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", value.strip()))
    try:
        parts = urlsplit(value.strip())
        _ = parts.port  # ValueError for a port out of range
    except ValueError as exc:
        raise ValueError(f'expected a proxy URL like "http://proxy.example:3128", got {shown}: {exc}') from None
    if parts.scheme.startswith("socks"):
        raise ValueError(f"{parts.scheme} proxies are not supported, got {shown}: give an HTTP proxy (http://...)")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ValueError(f'expected a proxy URL like "http://proxy.example:3128" (http or https, a host, an optional '
                         f"port, no path), got {shown}")
    return value.strip()


def _duration_or_off(maximum: float) -> Callable[[object], float | None]:
    """A duration, or "off" (None)."""
    def parse(value: object) -> float | None:
        if value == "off":
            return None
        try:
            return parse_duration(value, maximum)
        except ValueError as exc:
            if str(exc).startswith("expected a duration"):  # (not a duration at all: say what else is allowed)
                raise ValueError(f'expected a duration like "1d" or "12h", or "off", got {value!r}') from None
            raise

    return parse


def _archive_prefix(value: object) -> str:
    """Where an outlet's articles sit, for the archive's prefix search: "www.kcna.kp/en/article/detail/"."""
    if not isinstance(value, str) or not value.strip() or any(ch.isspace() for ch in value.strip()):
        raise ValueError(f'expected a URL prefix like "www.kcna.kp/en/article/", got {value!r}')
    return value.strip()


def _css_selector(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a CSS selector string, got {value!r}")
    try:
        LexborHTMLParser("<p></p>").css(value.strip())
    except SelectolaxError:
        raise ValueError(f'not a valid CSS selector: "{value}"') from None
    return value.strip()


def _selectors(value: object) -> Selectors:
    """[outlet.selectors] body/title/date/authors: CSS selectors that win over generic extraction."""
    if not isinstance(value, dict):
        raise ValueError('expected a table like {body = "div.article p", title = "h1"}')
    for name in value:
        if name not in _SELECTOR_KEYS:
            known = ", ".join(sorted(_SELECTOR_KEYS))
            close = difflib.get_close_matches(name, _SELECTOR_KEYS, n=1)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            raise ValueError(f'unknown selector "{name}" ({hint}known selectors: {known})')
    return Selectors(**{name: _css_selector(selector) for name, selector in value.items()})


# Caps on durations, documented in docs/configuration.md: longer ones are mistakes (a unit typed wrong) that would
# otherwise overflow a timer at run time, or hold a host, a poll or a segment for ever.
MAX_INTERVAL = 30 * _DAY
MAX_DELAY = 3600.0  # between two requests to a host; robots.txt's Crawl-delay cap too
MAX_TIMEOUT = 3600.0  # timeout, connect_timeout, read_timeout
MAX_HOLD = _DAY  # max_retry_after, pause_for, segment_seconds

# key -> (parser, Source field name). Keys allowed in [defaults] and in every [[outlet]].
_INHERITED: dict[str, tuple[Callable[[object], Any], str]] = {
    "user_agent": (_string, "user_agent"),
    "interval": (_duration(MAX_INTERVAL), "interval"),
    "delay": (_duration(MAX_DELAY), "delay"),
    "timezone": (check_timezone, "timezone"),
    "timeout": (_duration(MAX_TIMEOUT), "timeout"),
    "max_bytes": (parse_size, "max_bytes"),
    "max_articles": (_positive_int, "max_articles"),
    "strip_query": (_string_list(_param_name), "strip_query"),
    "connect_timeout": (_duration(MAX_TIMEOUT), "connect_timeout"),
    "read_timeout": (_duration(MAX_TIMEOUT), "read_timeout"),
    "max_concurrency_per_host": (_positive_int, "max_concurrency_per_host"),
    "retries": (_count, "retries"),
    "max_retry_after": (_duration(MAX_HOLD), "max_retry_after"),
    "max_crawl_delay": (_duration(MAX_DELAY), "max_crawl_delay"),
    "allow_private": (parse_allowance, "allow_private"),
    "proxy": (_proxy, "proxy"),
    "revisit_every": (_duration_or_off(MAX_INTERVAL), "revisit_every"),
    "revisit_for": (_duration(MAX_DURATION), "revisit_for"),
    "quiet_after": (_duration_or_off(MAX_DURATION), "quiet_after"),
}
_OUTLET_ONLY: dict[str, tuple[Callable[[object], Any], str]] = {
    "id": (_outlet_id, "id"),
    "name": (_string, "name"),
    "languages": (_string_list(_language), "languages"),
    "homepage": (check_url, "homepage"),
    "feeds": (_string_list(check_url), "feeds"),
    "sitemaps": (_string_list(check_url), "sitemaps"),
    "from_feed": (_bool, "from_feed"),
    "selectors": (_selectors, "selectors"),
    "article_url": (_article_url, "article_url"),
    "fallback": (_fallback, "fallback"),
    "archive_prefixes": (_string_list(_archive_prefix), "archive_prefixes"),
}
_REQUIRED = ("id", "name", "homepage")
_GLOBAL: dict[str, Callable[[object], Any]] = {
    "concurrency": _positive_int,
    "pause_after_failures": _positive_int,
    "pause_for": _duration(MAX_HOLD),
    "drift_after": _positive_int,
}
# [output]: how segments of the output directory are cut.
_OUTPUT: dict[str, tuple[Callable[[object], Any], str]] = {
    "segment_records": (_positive_int, "segment_records"),
    "segment_seconds": (_duration(MAX_HOLD), "segment_seconds"),
}
_DEDUP: dict[str, tuple[Callable[[object], Any], str]] = {"window": (_duration(MAX_DURATION), "dedup_window")}
# [archive]: the web archive an outlet with `fallback = "wayback"` is read through.
_ARCHIVE: dict[str, tuple[Callable[[object], Any], str]] = {
    "url": (check_url, "archive_url"),
    "delay": (_duration(MAX_DELAY), "archive_delay"),
    "max_age": (_duration(MAX_DURATION), "archive_max_age"),
    "allow_private": (parse_allowance, "archive_allow_private"),
}
# [ccnews]: Common Crawl's server, which `backfill --cc-news` reads CC-NEWS from.
_CCNEWS: dict[str, tuple[Callable[[object], Any], str]] = {
    "url": (check_url, "ccnews_url"),
    "delay": (_duration(MAX_DELAY), "ccnews_delay"),
    "retries": (_count, "ccnews_retries"),
    "allow_private": (parse_allowance, "ccnews_allow_private"),
}
_TOP_LEVEL = {"defaults", "outlet", "output", "analyse", "dedup", "archive", "ccnews"}


def _parse_table(
    table: Mapping[str, object],
    allowed: Mapping[str, tuple[Callable[[object], Any], str]],
    *,
    path: str,
    outlet: str = "",
) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for key, value in table.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            raise ConfigError(f"unknown key ({hint}known keys: {known})", path=path, outlet=outlet, key=key)
        parser, name = allowed[key]
        try:
            parsed[name] = parser(value)
        except ValueError as exc:
            raise ConfigError(str(exc), path=path, outlet=outlet, key=key) from None
    return parsed


def parse_settings(data: Mapping[str, object], path: str = "sources.toml") -> Settings:
    """Validate already-parsed TOML; raise ConfigError at the first mistake."""
    for key in data:
        if key not in _TOP_LEVEL:
            raise ConfigError("unknown top-level table (expected [defaults], [output], [analyse], [dedup], "
                              "[archive], [ccnews], [[outlet]])",
                              path=path, key=key)
    output_table = data.get("output", {})
    if not isinstance(output_table, dict):
        raise ConfigError("expected a table", path=path, key="output")
    output = _parse_table(output_table, _OUTPUT, path=path)
    dedup_table = data.get("dedup", {})
    if not isinstance(dedup_table, dict):
        raise ConfigError("expected a table", path=path, key="dedup")
    output.update(_parse_table(dedup_table, _DEDUP, path=path))
    archive_table = data.get("archive", {})
    if not isinstance(archive_table, dict):
        raise ConfigError("expected a table", path=path, key="archive")
    output.update(_parse_table(archive_table, _ARCHIVE, path=path))
    ccnews_table = data.get("ccnews", {})
    if not isinstance(ccnews_table, dict):
        raise ConfigError("expected a table", path=path, key="ccnews")
    output.update(_parse_table(ccnews_table, _CCNEWS, path=path))
    alias_files = _alias_files(data.get("analyse", {}), path)
    defaults_table = data.get("defaults", {})
    if not isinstance(defaults_table, dict):
        raise ConfigError("expected a table", path=path, key="defaults")
    global_keys = {k: v for k, v in defaults_table.items() if k in _GLOBAL}
    inherited_keys = {k: v for k, v in defaults_table.items() if k not in _GLOBAL}
    defaults = _parse_table(inherited_keys, _INHERITED, path=path)
    globals_: dict[str, Any] = {}
    for key, value in global_keys.items():
        try:
            globals_[key] = _GLOBAL[key](value)
        except ValueError as exc:
            raise ConfigError(str(exc), path=path, key=f"defaults.{key}") from None

    outlets = data.get("outlet", [])
    if not isinstance(outlets, list) or not all(isinstance(o, dict) for o in outlets):
        raise ConfigError("expected [[outlet]] tables", path=path, key="outlet")
    if not outlets:
        raise ConfigError("no [[outlet]] is configured", path=path, key="outlet")

    sources: list[Source] = []
    seen: set[str] = set()
    indexes: dict[str, tuple[str, str]] = {}  # a feed's or sitemap's address -> the outlet and key listing it
    for number, table in enumerate(outlets, start=1):
        label = str(table.get("id") or f"#{number}")
        listings = parse_listing_tables(table.get("listings", []), path=path, outlet=label)
        table = {key: value for key, value in table.items() if key != "listings"}
        fields = {**defaults, **_parse_table(table, {**_INHERITED, **_OUTLET_ONLY}, path=path, outlet=label)}
        fields["listings"] = listings
        missing = [key for key in _REQUIRED if key not in fields]
        if missing:
            if len(missing) == 1:
                raise ConfigError("missing (required)", path=path, outlet=label, key=missing[0])
            names = ", ".join(f'"{key}"' for key in missing)
            raise ConfigError(f"keys {names} missing (required)", path=path, outlet=label)
        if fields["id"] in seen:
            raise ConfigError("duplicate outlet id", path=path, outlet=label, key="id")
        seen.add(fields["id"])
        if not fields.get("feeds") and not fields.get("sitemaps") and not listings:
            raise ConfigError("an outlet needs at least one of feeds, sitemaps or listings", path=path,
                              outlet=label, key="feeds")
        for key in ("feeds", "sitemaps"):
            for url in fields.get(key, ()):
                other = indexes.get(canonicalize(url))
                if other is not None:
                    where = "listed twice" if other[0] == fields["id"] else f'also in outlet "{other[0]}"'
                    raise ConfigError(f"{url} is {where} ({other[1]}): an article is written once, for one outlet, "
                                      "so a second listing of the same address collects nothing; keep one",
                                      path=path, outlet=label, key=key)
                indexes[canonicalize(url)] = (fields["id"], key)
        for index, listing in enumerate(listings):
            _check_listing_url(page_urls(listing, None, None, date(2000, 1, 1)), path=path, outlet=label,
                               key=f"listings[{index}].url")
            if listing.links is None and fields.get("article_url") is None:
                raise ConfigError('missing key "links" (or give the outlet an "article_url" pattern: the listing then '
                                  "takes every link matching it)", path=path, outlet=label,
                                  key=f"listings[{index}].links")
        fields.setdefault("languages", ())
        fields.setdefault("timezone", "UTC")
        source = Source(**fields)
        if "quiet_after" not in fields and source.quiet_after is not None:
            # Not set: the default, or two polls of an outlet polled less often than that.
            source = replace(source, quiet_after=max(source.quiet_after, 2 * source.interval))
        if source.quiet_after is not None and source.quiet_after < 2 * source.interval:
            # (every poll that found nothing new would be an alarm)
            raise ConfigError(f"quiet_after ({source.quiet_after:g}s) must be at least two polls long (interval "
                              f'{source.interval:g}s), or "off"', path=path, outlet=label, key="quiet_after")
        sources.append(source)
    return Settings(path=path, sources=tuple(sources), alias_files=alias_files, proxy=defaults.get("proxy"),
                    **globals_, **output)


def _check_listing_url(urls: Iterator[str], *, path: str, outlet: str, key: str) -> None:
    """A listing's first page URL must be fetchable like any other URL in the file (its template is
    checked by listings.py; what it makes is checked here)."""
    try:
        check_url(next(urls))
    except ValueError as exc:
        raise ConfigError(str(exc), path=path, outlet=outlet, key=key) from None
    except StopIteration:
        pass


def _alias_files(table: object, path: str) -> tuple[str, ...]:
    """[analyse] aliases: the user's own alias tables, relative to the sources file."""
    if not isinstance(table, dict):
        raise ConfigError("expected a table", path=path, key="analyse")
    for key in table:
        if key != "aliases":
            raise ConfigError("unknown key (known keys: aliases)", path=path, key=f"analyse.{key}")
    value = table.get("aliases", [])
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise ConfigError(f"expected a file name or a list of them, got {value!r}", path=path, key="analyse.aliases")
    base = Path(path).parent
    files = tuple(str(base / name) for name in names)
    # Read now, so that a missing or broken alias file stops start-up and `sources check`, not a run later.
    for name in files:
        if not Path(name).is_file():
            raise ConfigError(f"alias file not found: {name}", path=path, key="analyse.aliases")
    try:
        load_aliases(files)
    except ConfigError as exc:
        raise ConfigError(str(exc), path=path, key="analyse.aliases") from None
    return files


def load_settings(path: str | Path) -> Settings:
    """Read and validate a sources file."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        where = "" if Path(path).is_absolute() else f" in {Path.cwd()}"
        raise ConfigError(f"file not found{where} (run from the directory that holds it, or give --config FILE "
                          "or SCRAPER_CONFIG; README's quick start writes one)", path=name) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=name) from None
    try:
        # utf-8-sig: the byte-order mark some Windows editors put first is no TOML statement
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=name) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=name) from None
    return parse_settings(data, name)
