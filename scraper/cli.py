"""The `scraper` command: run | backfill | extract | sources check. A thin shell over the pipeline."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import logging
import os
import re
import sys
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scraper import __version__
from scraper.analyse import Analyser, analyse_texts
from scraper.analyse.names import load_aliases
from scraper.config import load_settings
from scraper.daemon import DEFAULT_GRACE, DEFAULT_HEALTH_GRACE, STOP_SIGNALS, Daemon, flush_while_running
from scraper.db import is_server_address
from scraper.dedup import DedupOptions
from scraper.discover.ccnews import PERIOD_HELP, CCNews, Period, parse_period, period_between
from scraper.discover.probe import Probe, probe_outlet
from scraper.discover.selection import archive_selection
from scraper.drift import DEFAULT_LIMIT as DEFAULT_DRIFT_LIMIT
from scraper.drift import drifted
from scraper.errors import ConfigError, ScraperError, Skip, StateError, StoreInUse
from scraper.evidence import load_captures, verdict
from scraper.extract.dates import parse_date
from scraper.extractors import PAGE_TIMEOUT
from scraper.fetch import Fetcher
from scraper.fetch.client import Kind
from scraper.fetch.guard import check_textual, decode_text
from scraper.fetch.wayback import Wayback
from scraper.fleet import commands as fleet
from scraper.fleet.health import fleet_lines
from scraper.logs import setup_logging
from scraper.metrics import Metrics
from scraper.observe import Observers
from scraper.pipeline import STOP_GRACE, Pipeline, PipelineOptions
from scraper.prepare import analyse_page
from scraper.progress import BackfillProgress
from scraper.records import Fetched, Settings, Source, iso_utc
from scraper.runs.archive import backfill_archive
from scraper.runs.warc import read_warc
from scraper.service import parse_listen
from scraper.sink import JsonlSink, encode
from scraper.state import RuleCheck, State
from scraper.summary import UNREACHABLE, Summary, backfill_result, counted, quiet
from scraper.text import json_line
from scraper.urls import parsable, same_site
from scraper.verify import verify_output
from scraper.workers import available_cpus

log = logging.getLogger("scraper")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_NOTHING_READ = 3  # a backfill whose every outlet could not be read at all (unreachable, refused, error)
EXIT_INTERRUPTED = 130  # a backfill stopped by SIGTERM or Ctrl-C before it was done (the shell's 128 + SIGINT)
FLEET_CONCURRENCY = 2  # jobs at a time in one worker of a fleet (`worker`, `run --database`)
# Used by `scraper extract` for input that belongs to no configured outlet (a file, standard input, another site's
# URL): any site's page, in any language.
LOCAL_SOURCE = Source(id="local", name="local input", languages=(), homepage="http://localhost/", timezone="UTC",
                      any_language=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scraper", description="Multilingual news scraper and normaliser.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--config", default=_env("SCRAPER_CONFIG", "sources.toml"), type=_given,
                        help="outlets file (env SCRAPER_CONFIG; default: sources.toml)")
    parser.add_argument("--output", default=_env("SCRAPER_OUTPUT", "output"), type=_given,
                        help="output directory (env SCRAPER_OUTPUT; default: output/)")
    parser.add_argument("--state", default=_env("SCRAPER_STATE"), type=_given,
                        help="SQLite state file (env SCRAPER_STATE; default: <output>.state.sqlite beside it)")
    parser.add_argument("--database", default=_env("SCRAPER_DATABASE"), metavar="URL",
                        help="keep the state in PostgreSQL instead, e.g. postgresql://user@host/newsnorm "
                             "(env SCRAPER_DATABASE)")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    # A type, not choices: argparse checks choices on the command line only, and SCRAPER_LOG_FORMAT=xml would pass.
    parser.add_argument("--log-format", type=_log_format_arg, metavar="{json,text}",
                        default=_env("SCRAPER_LOG_FORMAT", "json"),
                        help="stderr logs: one JSON object per line (default) or plain text (env SCRAPER_LOG_FORMAT)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    run = verbs.add_parser("run", help="start the daemon: poll every outlet at its interval until SIGTERM")
    run.add_argument("--listen", default=_env("SCRAPER_LISTEN", "127.0.0.1:9108"), type=_listen_arg,
                     help="address of /healthz and /metrics (env SCRAPER_LISTEN; default 127.0.0.1:9108; "
                          "'off' for none)")
    run.add_argument("--grace", type=float, default=DEFAULT_GRACE, metavar="SECONDS",
                     help=f"time in-flight fetches get after SIGTERM (default {DEFAULT_GRACE:g})")
    run.add_argument("--page-timeout", type=_seconds_arg, default=PAGE_TIMEOUT, metavar="SECONDS",
                     help=f"skip a page whose extraction takes longer (extract_timeout; default {PAGE_TIMEOUT:g})")
    run.add_argument("--health-grace", type=_seconds_arg, default=DEFAULT_HEALTH_GRACE, metavar="TIMES",
                     help="/healthz answers 503 for an outlet with no successful poll for this many times its interval "
                          f"(default {DEFAULT_HEALTH_GRACE:g})")

    worker = verbs.add_parser("worker", help="with --database: run the fleet's jobs (polls, files, outlets to "
                                             "backfill) until SIGTERM")
    worker.add_argument("--concurrency", type=_positive_int_arg, default=FLEET_CONCURRENCY, metavar="N",
                        help=f"jobs at a time in this worker (default {FLEET_CONCURRENCY})")
    worker.add_argument("--page-timeout", type=_seconds_arg, default=PAGE_TIMEOUT, metavar="SECONDS",
                        help=f"skip a page whose extraction takes longer (extract_timeout; default {PAGE_TIMEOUT:g})")
    worker.add_argument("--listen", default=_env("SCRAPER_LISTEN", "off"), type=_listen_arg,
                        help="address of this worker's /healthz and /metrics (env SCRAPER_LISTEN; default off: "
                             "workers on one machine each need their own port)")
    run.add_argument("--concurrency", type=_positive_int_arg, default=None, metavar="N",
                     help=f"with --database: jobs at a time in this worker (default {FLEET_CONCURRENCY})")

    backfill = verbs.add_parser("backfill", help="poll the outlets once and exit with a summary")
    backfill.add_argument("--source", action="append", default=[], metavar="ID", help="only this outlet (repeatable)")
    backfill.add_argument("--since", type=_date_arg, help="only articles published on or after this date (UTC)")
    backfill.add_argument("--until", type=_until_arg, help="only articles published up to this date (inclusive)")
    backfill.add_argument("--warc", nargs="+", action="extend", default=[], metavar="PATH",
                          help="read WARC or WARC.gz files (or every one in a directory) instead of the web "
                               "(no network access at all)")
    backfill.add_argument("--cc-news", nargs="?", const="", type=_period_arg, metavar="PERIOD",
                          help=f"read the CC-NEWS files of Common Crawl holding this period's captures ([ccnews]): "
                               f"{PERIOD_HELP}; without PERIOD, --since and --until give it")
    backfill.add_argument("--from-archive", action="store_true",
                          help="read the outlets' articles captured in the range from the web archive ([archive]; "
                               "its CDX index under each outlet's archive_prefixes) instead of the outlets")
    backfill.add_argument("--only-configured", action="store_true",
                          help="with --warc or --cc-news: only pages of hosts of configured outlets")
    backfill.add_argument("--host", action="append", default=[], metavar="HOST",
                          help="with --warc or --cc-news: only pages of this host or its subdomains (repeatable)")
    backfill.add_argument("--workers", type=_positive_int_arg, metavar="N",
                          help="processes for extraction and analysis (default: the CPUs this process may use, "
                               "a container's CPU limit included)")
    backfill.add_argument("--page-timeout", type=_seconds_arg, metavar="SECONDS",
                          help=f"skip a page whose extraction takes longer (extract_timeout; default {PAGE_TIMEOUT:g})")
    backfill.add_argument("--wait", action="store_true",
                          help="with --database, a backfill handed to the fleet: wait until it has committed all of it")
    backfill.add_argument("--progress-every", type=float, default=10.0, metavar="SECONDS",
                          help="when stderr is not a terminal, a progress line this often (default 10)")

    extract = verbs.add_parser("extract", help="print the record of each page file or URL as a JSON line")
    extract.add_argument("inputs", nargs="+", metavar="PATH_OR_URL", help="an HTML file (.gz too), a URL, or -")
    extract.add_argument("--source", metavar="ID", help="apply this outlet's settings (timezone, ...)")
    extract.add_argument("--allow-private", action="store_true",
                         help="allow URLs on private, loopback or link-local addresses")

    analyse = verbs.add_parser("analyse", help="print the language, translation and names of texts as JSON lines")
    analyse.add_argument("inputs", nargs="*", default=["-"], metavar="FILE",
                         help='JSON lines with a "text" field (one document each), or plain text (one document: '
                              "an article's text, paragraphs at blank lines); - for stdin (the default)")
    analyse.add_argument("--languages", default="", metavar="CODES", help="comma-separated priors, e.g. en,ko")
    analyse.add_argument("--every-text", action="store_true",
                         help="give every text a language, a single word included (for langid evaluation); "
                              "by default a one-word text is und, as in a record")

    stats = verbs.add_parser("stats", help="per outlet: last poll, articles today and in 7 days, errors")
    stats.add_argument("--json", action="store_true", help="one JSON object per outlet, for scripts")

    verify = verbs.add_parser("verify-output", help="check an output directory against the output contract")
    verify.add_argument("directory", nargs="?", help="the output directory (default: --output)")

    sources = verbs.add_parser("sources", help="work with sources.toml")
    sources_verbs = sources.add_subparsers(dest="sources_verb", required=True, metavar="ACTION")
    check = sources_verbs.add_parser("check", help="validate sources.toml and list the outlets")
    check.add_argument("--live", action="store_true",
                       help="also read each feed, sitemap and listing now (one request each, robots.txt obeyed) and "
                            "say how many article links it gives; exit 1 if one gives none")
    check.add_argument("--source", action="append", default=[], metavar="ID", help="this outlet only (repeatable)")
    return parser


def _positive_int_arg(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'expected a whole number of at least 1, got "{text}"')
    return int(text)


def _seconds_arg(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    # At most a day: the worker's timers cannot be set much further ahead, and no page needs that long.
    if not 0 < seconds <= 86400:
        raise argparse.ArgumentTypeError(f'expected a number of seconds above 0 and at most 86400, got "{text}"')
    return seconds


def _env(name: str, default: str | None = None) -> str | None:
    """An environment variable's value, or `default` when it is unset or blank (`SCRAPER_OUTPUT=` in a compose
    file means "not set", not "the current directory")."""
    value = os.environ.get(name, "")
    return value if value.strip() else default


def _given(text: str) -> str:
    """A file or directory given on the command line: `--output ""` would be the current directory."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty value")
    return text


def _log_format_arg(text: str) -> str:
    if text.strip().lower() not in ("json", "text"):
        raise argparse.ArgumentTypeError(f'expected "json" or "text" (also in SCRAPER_LOG_FORMAT), got "{text}"')
    return text.strip().lower()


def _listen_arg(text: str) -> tuple[str, int] | None:
    if text.strip().lower() in ("off", "none", ""):
        return None
    try:
        return parse_listen(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date_arg(text: str) -> datetime:
    moment = parse_date(text, "UTC") if any(c.isdigit() for c in text) else None
    if moment is None:
        raise argparse.ArgumentTypeError(f'expected a date like 2026-07-23 or 2026-07-23T12:00Z, got "{text}"')
    return moment


def _period_arg(text: str) -> Period | str:
    if not text:
        return text  # --cc-news alone: the period of --since and --until (`_check_backfill`)
    try:
        return parse_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _check_backfill(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What argparse cannot check alone: a period that ends before it starts, --cc-news's company, and its period
    from --since/--until."""
    if args.verb != "backfill":
        return
    if args.since is not None and args.until is not None and args.until <= args.since:
        parser.error("--until is before --since: the period holds nothing (a bare --until day counts to its end)")
    archives = bool(args.warc) or args.cc_news is not None
    if (args.host or args.only_configured) and not archives:
        option = "--host" if args.host else "--only-configured"
        parser.error(f"{option} selects pages of --warc or --cc-news files; an outlet's own backfill reads its "
                     "hosts only (--source picks outlets)")
    if args.warc and args.from_archive:
        parser.error("--from-archive reads the web archive's captures: not with --warc")
    if args.wait and not args.database:
        parser.error("--wait is for a backfill handed to a fleet (--database); a backfill run here always waits for "
                     "its end")
    if args.database and archives and (local := _local_options(args)):
        parser.error(f"{' and '.join(local)}: a fleet's workers read --warc and --cc-news files (one extraction "
                     "process per job, each worker with its own `scraper worker --page-timeout`); this process would "
                     "not use it")
    if args.cc_news is None:
        return
    if args.warc or args.from_archive:
        parser.error("--cc-news reads Common Crawl's files: not with --warc or --from-archive")
    if args.cc_news == "":
        try:
            args.cc_news = period_between(args.since, args.until, datetime.now(UTC))
        except ValueError as exc:
            parser.error(f"argument --cc-news: {exc}")


def _local_options(args: argparse.Namespace) -> list[str]:
    """The backfill's options that only a backfill run in this process uses, as given."""
    return [option for option, value in (("--workers", args.workers), ("--page-timeout", args.page_timeout))
            if value is not None]


def _until_arg(text: str) -> datetime:
    moment = _date_arg(text)
    # A bare day means "to the end of that day".
    return moment + timedelta(days=1) if len(text.strip()) <= 10 else moment


def _state_path(args: argparse.Namespace) -> Path | str:
    """The state store: a PostgreSQL server's URL (`--database`), else a SQLite file."""
    if args.database:
        if not is_server_address(args.database):
            raise ConfigError(f"--database: expected a postgresql://... URL, got {args.database!r}")
        return str(args.database)
    if args.state:
        return Path(args.state)
    output = Path(args.output).resolve()
    return output.parent / f"{output.name}.state.sqlite"


def _select(settings: Settings, ids: Sequence[str]) -> tuple[Source, ...]:
    for source_id in ids:
        try:
            settings.source(source_id)
        except KeyError:
            known = ", ".join(s.id for s in settings.sources)
            raise ConfigError(f'no outlet "{source_id}" (configured: {known})', path=settings.path,
                              key="--source") from None
    return tuple(s for s in settings.sources if not ids or s.id in ids)


async def _with_pipeline(args: argparse.Namespace, settings: Settings, verb: str) -> Summary:
    state = State(_state_path(args))
    try:
        state.claim(args.output)  # one output per store, one process at a time (a running fleet's: see main)
    except StateError:
        state.close()
        raise
    sink = JsonlSink(args.output, segment_records=settings.segment_records,
                     segment_seconds=settings.segment_seconds)
    metrics = Metrics()
    progress = BackfillProgress(every=args.progress_every) if verb == "backfill" else None
    observer = Observers(metrics, progress) if progress else metrics
    fetcher = Fetcher(concurrency=settings.concurrency, pause_after_failures=settings.pause_after_failures,
                      pause_for=settings.pause_for, observer=observer)
    # SCRAPER_FAULT is a test hook: "after_publish" dies between a segment's rename and its state commit; the
    # worker processes have theirs (workers.py).
    dedup = DedupOptions(window=timedelta(seconds=settings.dedup_window))
    # A backfill extracts in `--workers` processes; the daemon in one: a page that crashes a C library, or loops,
    # costs that page, not the daemon, and extraction does not hold the event loop (health, fetching) up.
    workers = (args.workers or available_cpus()) if verb == "backfill" else 1
    # Each worker process builds its own Analyser and the parent never analyses: it only checks the alias files,
    # so that a mistake in one still stops start-up.
    load_aliases(settings.alias_files)
    wayback = Wayback.of(fetcher, settings)
    options = PipelineOptions(workers=workers, alias_files=settings.alias_files,
                              page_timeout=PAGE_TIMEOUT if args.page_timeout is None else args.page_timeout,
                              drift_after=settings.drift_after, dedup=dedup, fault=os.environ.get("SCRAPER_FAULT", ""))
    pipeline = Pipeline(fetcher, state, sink, None, options, observer=observer, wayback=wayback)
    try:
        pipeline.reconcile({s.id: s.strip_query for s in settings.sources})
        if verb == "run":
            daemon = Daemon(settings, pipeline, grace=args.grace, listen=args.listen, metrics=metrics,
                            output_root=args.output, health_grace=args.health_grace)
            return await daemon.run()
        return await _backfill(args, settings, pipeline)
    finally:
        try:
            pipeline.flush()
        finally:
            if progress is not None:
                progress.close()
            pipeline.close()
            sink.close()
            state.close()
            await fetcher.aclose()


@contextlib.asynccontextmanager
async def _interruptible(pipeline: Pipeline, settings: Settings) -> AsyncIterator[asyncio.Event]:
    """A one-shot run: SIGTERM/SIGINT/SIGHUP set the event it yields; segments close on their age meanwhile."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    flusher = asyncio.create_task(flush_while_running(pipeline, settings.segment_seconds / 4))
    try:
        yield stop
    finally:
        flusher.cancel()
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
    if stop.is_set():
        log.warning("interrupted: what was fetched is written; run the same command again to continue")


async def _backfill(args: argparse.Namespace, settings: Settings, pipeline: Pipeline) -> Summary:
    if args.warc:
        return await _backfill_warc(args, settings, pipeline)
    if args.cc_news is not None:
        return await _backfill_ccnews(args, settings, pipeline)
    sources = _select(settings, args.source)
    async with _interruptible(pipeline, settings) as stop:
        if args.from_archive:
            results = await asyncio.gather(*(backfill_archive(pipeline, s, Summary(), args.since, args.until, stop)
                                             for s in sources))
        else:
            results = await asyncio.gather(
                *(pipeline.poll(s, since=args.since, until=args.until, stop=stop, backfill=True,
                                stop_grace=STOP_GRACE) for s in sources)
            )
    total = Summary(interrupted=stop.is_set())
    for source, result in zip(sources, results, strict=True):
        total.merge(result)
        total.results[source.id] = backfill_result(result)
    return total


def _archive_selection(args: argparse.Namespace, settings: Settings
                       ) -> tuple[set[str] | None, Callable[[str], Source]]:
    """The hosts a WARC backfill takes pages of (None: all), and the outlet of a page's host."""
    return archive_selection(_select(settings, args.source), args.host, args.only_configured or bool(args.source))


async def _backfill_warc(args: argparse.Namespace, settings: Settings, pipeline: Pipeline) -> Summary:
    """The WARC files given, in order. Each file's result is in the summary's `results` under its path: `error`
    when it cannot be opened or holds no record that could be read (a file of anything but WARC records), so that
    a run which could read none of them ends as a backfill that could read nothing does."""
    hosts, source_for = _archive_selection(args, settings)
    summary = Summary()
    paths = _warc_files(args.warc, summary)
    sizes: dict[str, int] = {}
    for path in paths:
        with contextlib.suppress(OSError):  # a missing file is reported when its turn comes
            sizes[path] = os.path.getsize(path)
    pipeline.observer.archives(sizes)
    async with _interruptible(pipeline, settings) as stop:
        for path in paths:
            if stop.is_set():
                break
            before = summary.written, summary.already, summary.skips.copy()
            summary.results[path] = ("ok", "")
            try:
                await read_warc(pipeline, path, source_for, summary, hosts=hosts, since=args.since,
                                             until=args.until, stop=stop)
            except Skip as skip:
                summary.skips[skip.reason] += 1
                log.error("%s: %s", path, skip, extra={"event": "skip", "reason": skip.reason})
                summary.results[path] = ("error", str(skip))
            else:
                damage = summary.skips - before[2]
                if (summary.written, summary.already) == before[:2] and set(damage) == {"corrupt_warc"}:
                    summary.results[path] = ("error", "no record could be read: not a WARC file, or damaged "
                                                      "from its first record")
            pipeline.flush()
    summary.interrupted = stop.is_set()
    return summary


async def _backfill_ccnews(args: argparse.Namespace, settings: Settings, pipeline: Pipeline) -> Summary:
    """The CC-NEWS files holding the period's captures, read from Common Crawl's server as `--warc` reads files.

    Each file's result is in the summary's `results` under its name, so that a run which could read none of them
    (nor the listings) ends as a backfill that could read nothing does."""
    hosts, source_for = _archive_selection(args, settings)
    period: Period = args.cc_news
    summary = Summary()
    ccnews = CCNews.of(pipeline.fetcher, settings)
    async with _interruptible(pipeline, settings) as stop:
        urls, failed = await ccnews.listed(period)
        if failed is not None:
            summary.results["cc-news"] = failed
            return summary
        log.info("CC-NEWS %s: %d files to read", period, len(urls), extra={"event": "ccnews_files"})
        # Progress by bytes: a file's size is known once its download starts; until then, 1 GB (their usual).
        pipeline.observer.archives(dict.fromkeys(urls, 1_000_000_000))
        for url in urls:
            if stop.is_set():
                break
            name = url.rsplit("/", 1)[-1]
            before = (summary.written, summary.already, summary.skips.total())
            warc = ccnews.warc(url, stop=stop)
            summary.results[name] = ("ok", "")
            try:
                await read_warc(pipeline, warc, source_for, summary, hosts=hosts, since=args.since,
                                             until=args.until, stop=stop)
            except Skip as skip:
                if stop.is_set():
                    break
                log.error("%s: %s; the next run goes on where this one stopped", url, skip,
                          extra={"event": "skip", "reason": skip.reason, "url": url})
                if before == (summary.written, summary.already, summary.skips.total()):  # none of it was read
                    summary.results[name] = ("unreachable" if skip.reason in UNREACHABLE else "error", str(skip))
                summary.skips["unreadable"] += 1
            pipeline.flush()
    summary.interrupted = stop.is_set()
    return summary


def _warc_files(given: Sequence[str], summary: Summary) -> list[str]:
    """The files to read: each file given, and a directory's .warc and .warc.gz files at any depth, in name
    order (CC-NEWS names its files by time). A directory with none is an `unreadable` skip, logged."""
    files: list[str] = []
    for item in given:
        path = Path(item)
        if not path.is_dir():
            files.append(item)
            continue
        found = sorted(str(f) for f in path.rglob("*") if f.name.lower().endswith((".warc", ".warc.gz"))
                       and f.is_file())
        if not found:
            summary.skips["unreadable"] += 1
            summary.results[item] = ("error", "no .warc or .warc.gz files in this directory")
            log.error("%s: no .warc or .warc.gz files in this directory", item,
                      extra={"event": "skip", "reason": "unreadable"})
        files.extend(found)
    return list(dict.fromkeys(files))  # a file named twice is read once


def _read_input(item: str, source: Source) -> Fetched | None:
    """A local file or stdin as a Fetched page; None for a URL (fetched by the caller).

    Capped as a fetched body is, at the outlet's max_bytes after decompression: at most one byte more is read
    (a .gz file is inflated only that far), so a file too large, or a small gzip bomb, is refused (too_large)
    without being read whole into memory.
    """
    if item.lower().startswith(("http://", "https://")):  # a URL, even one the fetch guard will refuse as such
        return None
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", item) and not Path(item).exists():
        raise Skip("bad_url", f"{item}: only http and https URLs are fetched (or name a local file)")
    cap = source.max_bytes
    if item == "-":
        body, url = sys.stdin.buffer.read(cap + 1), "stdin:"
    else:
        path = Path(item)
        try:
            with gzip.open(path) if path.suffix == ".gz" else path.open("rb") as handle:
                body = handle.read(cap + 1)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise Skip("unreadable", f"{item}: not gzip: {exc}") from None
        except OSError as exc:
            raise Skip("unreadable", f"{item}: {exc.strerror}") from None
        url = path.resolve().as_uri()
    if len(body) > cap:
        raise Skip("too_large", f"{item}: more than {cap} bytes{' once decompressed' if item.endswith('.gz') else ''}"
                                f" (the outlet's max_bytes)")
    check_textual(body, url)
    text, encoding = decode_text(body, "")
    return Fetched(url=url, final_url=url, status=200, content_type="text/html", text=text,
                   encoding=encoding, fetched_at=datetime.now(UTC))


def _source_for(item: str, settings: Settings | None, chosen: Source | None) -> Source:
    if chosen is not None or settings is None:
        return chosen or LOCAL_SOURCE
    if parsable(item) and urlsplit(item).scheme in ("http", "https"):
        for source in settings.sources:
            if any(same_site(item, url) for url in (source.homepage, *source.feeds, *source.sitemaps)):
                return source
    return replace(LOCAL_SOURCE, proxy=settings.proxy)  # (another site: through [defaults]' proxy, if any)


async def _extract(args: argparse.Namespace) -> int:
    settings: Settings | None = None
    if args.source or Path(args.config).exists():
        settings = load_settings(args.config)
    chosen = _select(settings, [args.source])[0] if settings and args.source else None
    analyser = Analyser(alias_files=settings.alias_files if settings else ())
    failed = 0
    async with Fetcher() as fetcher:
        for item in args.inputs:
            source = _source_for(item, settings, chosen)
            if args.allow_private:
                source = replace(source, allow_private=True)
            try:
                fetched = _read_input(item, source) or await fetcher.page(item, source)
                record, _ = analyse_page(fetched, source, analyser)
            except Skip as skip:
                failed += 1
                hint = "; pass --allow-private to fetch it" if skip.reason == "private_address" else ""
                print(f"scraper extract: {item}: skipped: {skip}{hint}", file=sys.stderr)
                continue
            sys.stdout.write(encode(record))
            sys.stdout.flush()
    return EXIT_FAILED if failed else EXIT_OK


def _analyse(args: argparse.Namespace) -> int:
    settings = load_settings(args.config) if Path(args.config).exists() else None
    analyser = Analyser(alias_files=settings.alias_files if settings else ())
    priors = tuple(code.strip() for code in args.languages.split(",") if code.strip())
    bad = 0
    for item in args.inputs:
        def on_error(line: int, reason: str, item: str = item) -> None:
            nonlocal bad
            bad += 1
            where = f"{item}: line {line}" if line else item
            print(f"scraper analyse: {where}: {reason}", file=sys.stderr)

        try:
            stream = sys.stdin if item == "-" else open(item, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            on_error(0, exc.strerror or str(exc))
            continue
        try:
            for result in analyse_texts(stream, analyser, priors=priors, every_text=args.every_text,
                                        on_error=on_error, name=None if item == "-" else item):
                sys.stdout.write(json_line(result, compact=False) + "\n")
        except UnicodeDecodeError:
            on_error(0, "not UTF-8 text")
        finally:
            if stream is not sys.stdin:
                stream.close()
    return EXIT_FAILED if bad else EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    path = _state_path(args)
    if isinstance(path, Path) and not path.exists():
        raise StateError(f"{path}: no state store yet (run a backfill or the daemon first)")
    # Every configured outlet is listed (one never polled too), and the drift limit is the configuration's;
    # `stats` still answers without one (another directory, a typo in it).
    try:
        settings: Settings | None = load_settings(args.config)
    except ConfigError:
        settings = None
    limit = settings.drift_after if settings is not None else DEFAULT_DRIFT_LIMIT
    state = State(path)
    try:
        rows = state.outlets.outlet_stats(datetime.now(UTC))
        checks = state.outlets.rule_checks()
    finally:
        state.close()
    known = {str(row["outlet"]) for row in rows}
    for source in settings.sources if settings is not None else ():
        if source.id not in known:
            rows.append({"outlet": source.id, "last_poll": None, "last_success": None, "last_new": None,
                         "last_result": None,
                         "last_error": None, "paused_hosts": [], "articles_today": 0, "articles_7d": 0,
                         "articles_total": 0, "duplicates_7d": 0, "failing_urls": 0, "revisions": 0, "deleted": 0})
    rows.sort(key=lambda row: str(row["outlet"]))
    drifting: dict[str, list[RuleCheck]] = {}
    for check in drifted(checks, limit):
        drifting.setdefault(check.outlet, []).append(check)
    for row in rows:
        row["rules_drifting"] = [{"rule": c.rule, "misses_in_row": c.misses_in_row,
                                  "last_match": iso_utc(c.last_match) if c.last_match else None}
                                 for c in drifting.get(str(row["outlet"]), [])]
    if args.json:
        for row in rows:
            print(json_line(row, compact=False))
        return EXIT_OK
    header = ["outlet", "last poll", "last success", "last new", "result", "today", "7 days", "in all", "dups 7d",
              "revised", "deleted", "failing", "paused", "drifting rules"]
    table = [header] + [
        [str(r["outlet"]), _short_time(r["last_poll"]), _short_time(r["last_success"]), _short_time(r["last_new"]),
         str(r["last_result"] or "-"),
         str(r["articles_today"]), str(r["articles_7d"]), str(r["articles_total"]), str(r["duplicates_7d"]),
         str(r["revisions"]), str(r["deleted"]), str(r["failing_urls"]),
         ",".join(map(str, r["paused_hosts"])) if r["paused_hosts"] else "-",  # type: ignore[call-overload]
         ",".join(f"{c.rule}({c.misses_in_row})" for c in drifting.get(str(r["outlet"]), [])) or "-"]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    problems = [(str(r["outlet"]), str(r["last_result"]), str(r["last_error"])) for r in rows
                if r["last_result"] not in (None, "ok")]
    for outlet, result, why in problems:
        print(f"{outlet}: last poll {result}: {why}")
    now = datetime.now(UTC)
    for source in settings.sources if settings is not None else ():
        row = next(r for r in rows if r["outlet"] == source.id)
        last_new = datetime.fromisoformat(str(row["last_new"])) if row["last_new"] else None
        if row["last_result"] == "ok" and (said := quiet(source.id, source.quiet_after, last_new, now, now)):
            print(said)
    if not isinstance(path, Path):  # a database: the fleet that may work on it
        for said in fleet_lines(path):
            print(said)
    return EXIT_OK


def _short_time(value: object) -> str:
    return str(value).replace("T", " ").removesuffix("Z")[:16] if value else "never"


def _verify_output(args: argparse.Namespace) -> int:
    directory = args.directory or args.output
    report = verify_output(directory)
    for problem in report.problems:
        print(problem)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    verdict = "ok" if report.ok else counted(len(report.problems), "problem")
    print(f"verify-output: {directory}: {counted(report.segments, 'segment')}, {counted(report.records, 'record')}, "
          f"{verdict}")
    return EXIT_OK if report.ok else EXIT_FAILED


def _sources_check(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    chosen = _select(settings, args.source)
    print(f"{settings.path}: {counted(len(settings.sources), 'outlet')}, valid")
    captures = load_captures()
    for s in chosen:
        every = f"{s.interval / 60:g}m" if s.interval >= 60 else f"{s.interval:g}s"
        print(f"  {s.id:<22} {','.join(s.languages) or '-':<6} every {every:<5} "
              f"{counted(len(s.feeds), 'feed')}, {counted(len(s.sitemaps), 'sitemap')}, "
              f"{counted(len(s.listings), 'listing')}  {s.name}")
        print(f"  {'':<22} {verdict(s, captures)}")
    if not args.live:
        return EXIT_OK
    probes = asyncio.run(_probe_sources(settings, chosen))
    print("live:")
    for probe in probes:
        if not probe.ok:
            found = f"NOTHING: {probe.problem}"
        elif probe.kind == "article":
            found = f"extracted (dated {iso_utc(probe.newest)})" if probe.newest else "extracted (no date)"
        else:
            newest = f", newest {iso_utc(probe.newest)}" if probe.newest else ""
            only = f", {probe.feed_only} feed-only" if probe.feed_only else ""
            found = f"{counted(probe.links, 'link')} ({probe.dated} dated{newest}{only})"
        if probe.rules:
            matched = [outcome.rule for outcome in probe.rules if outcome.matched]
            found += f"; rules matched: {', '.join(matched) or 'none'}"
            if probe.fell_back:
                found += f"; FELL BACK: {', '.join(probe.fell_back)}"
        print(f"  {probe.outlet:<22} {probe.kind:<8} {found}  {probe.url}")
    failing = sum(not probe.ok for probe in probes)
    drifting = sum(bool(probe.fell_back) for probe in probes)
    indexes = [probe for probe in probes if probe.kind != "article"]
    summary = f"{sum(probe.ok for probe in indexes)} of {len(indexes)} feeds, sitemaps and listings give article links"
    print(f"{summary}; {drifting} read with a rule that fell back" if drifting else summary)
    return EXIT_FAILED if failing or drifting else EXIT_OK


async def _probe_sources(settings: Settings, sources: Sequence[Source]) -> list[Probe]:
    async with Fetcher(concurrency=settings.concurrency, pause_after_failures=settings.pause_after_failures,
                       pause_for=settings.pause_for) as fetcher:
        now = datetime.now(UTC)

        async def get(url: str, source: Source, kind: Kind) -> Fetched:
            # An article page as the pipeline reads it (a meta refresh followed); indexes as they are.
            return await (fetcher.page(url, source) if kind == "page" else fetcher.get(url, source, kind))

        found = await asyncio.gather(*(probe_outlet(source, get, now) for source in sources))
    return [probe for probes in found for probe in probes]


def _handed(batch: Coroutine[Any, Any, Summary | None]) -> Summary | None:
    """Run a backfill handed to the fleet: its summary when waited for; None when only queued, or when Ctrl-C
    ended the waiting (the batch is the fleet's and goes on)."""
    try:
        return asyncio.run(batch)
    except KeyboardInterrupt:
        print("scraper: no longer waiting; the fleet goes on with the batch (`scraper --database ... stats`)",
              file=sys.stderr)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_backfill(parser, args)
    if args.verb == "run" and args.concurrency is not None and not args.database:
        parser.error("run --concurrency is for a fleet's worker (with --database); the daemon alone polls every "
                     "outlet at its interval (see [defaults] concurrency for requests in flight)")
    setup_logging(args.log_format, args.verbose, args.quiet)
    os.environ["SCRAPER_LOG_FORMAT"] = args.log_format  # for worker processes, which start afresh
    try:
        if args.verb == "sources":
            return _sources_check(args)
        if args.verb == "verify-output":
            return _verify_output(args)
        if args.verb == "stats":
            return _stats(args)
        if args.verb == "analyse":
            return _analyse(args)
        if args.verb == "extract":
            return asyncio.run(_extract(args))
        settings = load_settings(args.config)
        if args.verb == "worker" or (args.database and args.verb == "run"):
            if not args.database:
                raise ConfigError("worker: needs --database postgresql://... (the fleet's database)")
            healthy = asyncio.run(fleet.work(
                str(_state_path(args)), settings, args.output, schedule=args.verb == "run",
                concurrency=args.concurrency or FLEET_CONCURRENCY, page_timeout=args.page_timeout, listen=args.listen,
                health_grace=getattr(args, "health_grace", DEFAULT_HEALTH_GRACE),
                fault=os.environ.get("SCRAPER_FAULT", "")))
            return EXIT_OK if healthy else EXIT_FAILED
        if args.database and args.verb == "backfill" and (args.warc or args.cc_news is not None):
            selection = {"outlets": list(args.source), "hosts": list(args.host),
                         "only_configured": args.only_configured, "since": args.since, "until": args.until,
                         "wait": args.wait}
            database = str(_state_path(args))
            handed = _handed(
                fleet.backfill_warc(database, _warc_files(args.warc, Summary()), **selection) if args.warc
                else fleet.backfill_ccnews(database, settings, args.cc_news, **selection))
            if handed is None:
                return EXIT_OK
            summary = handed
        else:
            try:
                summary = asyncio.run(_with_pipeline(args, settings, args.verb))
            except StoreInUse:
                # The store is a running fleet's (its committer holds it): the outlets are handed to the fleet.
                if not (args.database and args.verb == "backfill" and fleet.committer_running(args.database)):
                    raise
                if local := _local_options(args):
                    print(f"scraper: {' and '.join(local)} not used: a running fleet holds this database, and its "
                          "workers read the outlets, each with its own", file=sys.stderr)
                handed = _handed(fleet.backfill_outlets(
                    args.database, [s.id for s in _select(settings, args.source)], since=args.since,
                    until=args.until, from_archive=args.from_archive, wait=args.wait))
                if handed is None:
                    return EXIT_OK
                summary = handed
        if args.verb == "backfill":
            print(summary.line("backfill"))
            unread = {outlet: outcome for outlet, outcome in summary.results.items() if outcome[0] != "ok"}
            for outlet, (result, why) in sorted(unread.items()):
                print(f"scraper: {outlet}: nothing could be read ({result}: {why})", file=sys.stderr)
            if summary.interrupted:
                print("scraper: backfill: interrupted before it was done; the same command continues where it "
                      "stopped", file=sys.stderr)
                return EXIT_INTERRUPTED
            if summary.results and len(unread) == len(summary.results):
                read = "no CC-NEWS file" if args.cc_news is not None else "no WARC file" if args.warc else "no outlet"
                print(f"scraper: backfill: {read} could be read at all", file=sys.stderr)
                return EXIT_NOTHING_READ
        return EXIT_OK
    except ConfigError as exc:
        print(f"scraper: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ScraperError as exc:
        print(f"scraper: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # `scraper extract ... | head` closed the pipe: not an error worth a traceback.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        # The first Ctrl-C (or SIGTERM) of a run or backfill asks it to stop and is handled where it runs; this
        # is another one while it stops, or one before it started: stop at once. A segment is published and
        # committed as one step, so nothing written is lost or written twice by stopping here. The process ends
        # now: interpreter exit would wait for the extraction workers' pages in flight (up to --page-timeout); the
        # workers end themselves within a second of their parent.
        print("scraper: stopped at once; what was written is kept, and the same command continues where it "
              "stopped", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    raise SystemExit(main())
