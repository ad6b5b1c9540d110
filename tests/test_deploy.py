"""The shipped deployment files: the Grafana dashboard asks only for metrics the daemon exports, and compose wires
Prometheus, Grafana and the daemon's config together."""

from __future__ import annotations

import json
import re

from conftest import ROOT

from scraper.metrics import Metrics

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "newsnorm.json"
_METRIC = re.compile(r"\bscraper_[a-z_]+\b")


def _exported() -> set[str]:
    """Every sample name /metrics can carry (counters' _total and _created, histograms' _bucket...)."""
    metrics = Metrics()
    names = set()
    for family in metrics.registry.collect():
        names.add(family.name)
        names.update(f"{family.name}{suffix}" for suffix in ("_total", "_created", "_bucket", "_count", "_sum"))
    return names


def test_every_dashboard_query_uses_metrics_the_daemon_exports() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exported = _exported()
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(queries) >= 8
    for query in queries:
        used = set(_METRIC.findall(query))
        assert used, query
        assert used <= exported, (query, used - exported)
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for subject in ("polls by result", "articles per hour", "skips by reason", "rule misses", "paused hosts",
                    "last successful poll"):
        assert subject in titles, subject


def test_compose_provisions_grafana_with_the_dashboard_and_mounts_a_config() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for expected in ("./deploy/grafana/provisioning:/etc/grafana/provisioning", "./deploy/grafana/dashboards:",
                     "/config/sources.toml", "SCRAPER_CONFIG: /config/sources.toml", "stop_grace_period"):
        assert expected in compose
    provider = (ROOT / "deploy" / "grafana" / "provisioning" / "dashboards" / "newsnorm.yml").read_text()
    assert "/var/lib/grafana/dashboards" in provider
    datasource = (ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    assert "uid: prometheus" in datasource and "http://prometheus:9090" in datasource


def test_the_image_installs_from_the_lock_file() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "requirements.lock" in dockerfile and "-c requirements.lock" in dockerfile
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = dict(re.findall(r"^([a-z0-9_.-]+)==(\S+)", lock, re.MULTILINE | re.IGNORECASE))
    for package in ("httpx", "trafilatura", "selectolax", "apscheduler", "langdetect", "pytest-httpx"):
        assert package in pinned, package
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-c requirements.lock" in ci
