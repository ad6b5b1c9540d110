"""Logging for operators: one JSON object per line on stderr (or plain text), secrets never written."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime

from scraper.text import json_line

FIELDS = ("event", "outlet", "url", "reason")
_USERINFO = re.compile(r"(?<=://)[^/@\s:]+(:[^/@\s]*)?@")
_SECRET_PARAM = re.compile(r"(?i)([?&](?:token|key|api_key|apikey|access_token|password|passwd|secret|sig|"
                           r"signature|auth|session|sessionid|jsessionid)=)[^&#\s\"]*")
_SECRET_HEADER = re.compile(r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie)(\s*[:=]\s*)[^\n,}]*")


def redact(text: str) -> str:
    """Remove credentials from URLs (user:password@, token=...) and cookie/authorization values."""
    text = _USERINFO.sub("***@", text)
    text = _SECRET_PARAM.sub(r"\1***", text)
    return _SECRET_HEADER.sub(r"\1\2***", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or record.name.rsplit(".", 1)[-1],
            "message": redact(record.getMessage()),
        }
        for name in FIELDS[1:]:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = redact(str(value))
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json_line(entry, compact=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(fmt: str = "json", verbose: bool = False, quiet: bool = False) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if not verbose:
        # Libraries' chatter (one line per request or job run) drowns what an operator needs.
        # (APScheduler's warnings of a missed or still running poll are said by the daemon itself, once.)
        for noisy, at in (("httpx", logging.WARNING), ("apscheduler", logging.ERROR),
                          ("trafilatura", logging.ERROR), ("htmldate", logging.ERROR),
                          ("charset_normalizer", logging.ERROR),
                          # (the task queue's "Deferred 1 job" at every poll the schedule queues, and its
                          # "Adding tasks from blueprint" in every command that queues a batch)
                          ("procrastinate.jobs", logging.WARNING), ("procrastinate.blueprints", logging.WARNING)):
            logging.getLogger(noisy).setLevel(at)
