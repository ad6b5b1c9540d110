"""Prometheus metrics (prometheus-client), in a registry of their own: an Observer of the pipeline."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from scraper.observe import NullObserver

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def status_class(status: int) -> str:
    return f"{status // 100}xx" if status else "error"


class Metrics(NullObserver):
    """Counters and gauges an operator's Prometheus scrapes from /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.fetches = Counter("scraper_fetches", "HTTP answers by outlet and status class",
                               ["outlet", "status_class"], registry=r)
        self.fetch_seconds = Histogram("scraper_fetch_seconds", "Time to fetch one URL", ["outlet"], registry=r,
                                       buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))
        self.bytes = Counter("scraper_fetched_bytes", "Body bytes fetched (after decompression)", ["outlet"],
                             registry=r)
        self.articles = Counter("scraper_articles_written", "Records written, duplicates included", ["outlet"],
                                registry=r)
        self.duplicates = Counter("scraper_duplicates", "Records written as copies of an earlier report",
                                  ["outlet"], registry=r)
        self.changes = Counter("scraper_article_changes", "Articles read again and written again: revision records "
                               "and tombstones (kind deleted)", ["outlet", "kind"], registry=r)
        self.skips = Counter("scraper_skips", "Items skipped on purpose, by reason", ["outlet", "reason"],
                             registry=r)
        self.last_success = Gauge("scraper_last_successful_poll_timestamp_seconds",
                                  "Unix time of the outlet's last poll that read one of its feeds, sitemaps, listings "
                                  "(result ok)", ["outlet"],
                                  registry=r)
        self.last_new = Gauge("scraper_last_new_article_timestamp_seconds",
                              "Unix time of the outlet's last poll that found an article not written before",
                              ["outlet"], registry=r)
        self.polls = Counter("scraper_polls", "Polls by outlet and result (ok, unreachable, refused, error)",
                             ["outlet", "result"], registry=r)
        self.paused = Gauge("scraper_hosts_paused", "Hosts paused by the circuit breaker", registry=r)
        self.segments = Counter("scraper_segments_written", "Output segments published", registry=r)
        self.rule_misses = Counter("scraper_rule_misses", "Pages on which one of the outlet's own rules (a selector) "
                                   "matched nothing and the generic path stood in", ["outlet", "rule"], registry=r)
        self.drifting = Gauge("scraper_rule_drift", "1 while an outlet's rule has matched nothing on its last "
                                "pages (drift_after of them in a row)", ["outlet", "rule"], registry=r)
        # A fleet worker's (scraper/fleet/health.py); absent from the one-process daemon's page until set.
        self.fleet_waiting = Gauge("scraper_fleet_handoffs_waiting", "Records and calls workers handed to the "
                                   "committer and not yet committed", registry=r)
        self.fleet_committer = Gauge("scraper_fleet_committer", "1 while this worker is the fleet's committer",
                                     registry=r)
        self.fleet_beat = Gauge("scraper_fleet_committer_silent_seconds", "Seconds since the committer's last "
                                "heartbeat", registry=r)
        self.fleet_problems = Gauge("scraper_fleet_problems", "Problems this worker's /healthz reports (0: healthy)",
                                    registry=r)

    def fetched(self, outlet: str, status: int, seconds: float, size: int) -> None:
        self.fetches.labels(outlet, status_class(status)).inc()
        self.fetch_seconds.labels(outlet).observe(seconds)
        self.bytes.labels(outlet).inc(size)

    def written(self, outlet: str, duplicate: bool) -> None:
        self.articles.labels(outlet).inc()
        if duplicate:
            self.duplicates.labels(outlet).inc()

    def skipped(self, outlet: str, reason: str) -> None:
        self.skips.labels(outlet, reason).inc()

    def revisited(self, outlet: str, kind: str) -> None:
        self.changes.labels(outlet, kind).inc()

    def found_new(self, outlet: str, at: float) -> None:
        self.last_new.labels(outlet).set(at)

    def polled(self, outlet: str, result: str, at: float) -> None:
        self.polls.labels(outlet, result).inc()
        if result == "ok":
            self.last_success.labels(outlet).set(at)

    def segments_written(self, count: int) -> None:
        self.segments.inc(count)

    def hosts_paused(self, count: int) -> None:
        self.paused.set(count)

    def rule_missed(self, outlet: str, rule: str) -> None:
        self.rule_misses.labels(outlet, rule).inc()

    def rule_drift(self, outlet: str, rule: str, drifting: bool) -> None:
        self.drifting.labels(outlet, rule).set(1 if drifting else 0)

    def fleet(self, *, waiting: int, committer: bool, silent: float | None, problems: int) -> None:
        self.fleet_waiting.set(waiting)
        self.fleet_committer.set(1 if committer else 0)
        if silent is not None:
            self.fleet_beat.set(silent)
        self.fleet_problems.set(problems)

    def render(self) -> bytes:
        return generate_latest(self.registry)
