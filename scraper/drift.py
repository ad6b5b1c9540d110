"""Drift of an outlet's own rules: a selector that stops matching its pages after a redesign.

Extraction and discovery fall back to the generic path when an outlet's selector (title, date, body; a
listing's item, links, dates; a feed's article_url) finds nothing, so collection goes on; `RuleWatch`
makes the fallback visible. It counts each rule's misses (the `scraper_rule_misses_total` metric, through
the observer), and a rule that has missed on `limit` pages in a row is a problem: `/healthz` names it,
`scraper stats` shows it, a log line says so once. A page on which the rule matches again ends the streak.
The counters live in the state store, so a restart does not hide a drift.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from scraper.observe import Observer
from scraper.records import RuleOutcome
from scraper.state import RuleCheck, State

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 3


def drifted(checks: Iterable[RuleCheck], limit: int) -> list[RuleCheck]:
    """The rules that have matched nothing on `limit` pages in a row or more."""
    return [check for check in checks if check.misses_in_row >= limit]


def describe(check: RuleCheck) -> str:
    """One line for /healthz and the logs."""
    since = f", last matched {check.last_match:%Y-%m-%d %H:%M}Z" if check.last_match else ", never matched"
    return (f'{check.outlet}: rule "{check.rule}" matched nothing on its last {check.misses_in_row} pages'
            f"{since}; the generic path stands in (check it: scraper sources check --live --source {check.outlet})")


class RuleWatch:
    """Per (outlet, rule): misses in a row and in all, kept in memory and written to the state store by
    `save()` (the pipeline calls it when it flushes)."""

    def __init__(self, state: State, observer: Observer, limit: int = DEFAULT_LIMIT) -> None:
        self._state = state
        self._observer = observer
        self.limit = limit
        self._checks = {(c.outlet, c.rule): c for c in state.outlets.rule_checks()}
        self._changed: set[tuple[str, str]] = set()
        self._warned: set[tuple[str, str]] = set()  # rules whose first miss this process has logged
        for check in drifted(self._checks.values(), limit):
            observer.rule_drift(check.outlet, check.rule, True)

    def note(self, outlet: str, outcomes: Iterable[RuleOutcome], now: datetime | None = None) -> None:
        """Count one page's outcomes for an outlet's rules."""
        for outcome in outcomes:
            key = (outlet, outcome.rule)
            moment = now or datetime.now(UTC)
            check = self._checks.get(key) or RuleCheck(outlet, outcome.rule)
            if outcome.matched:
                if check.misses_in_row >= self.limit:
                    log.info("%s: rule %r matches again after %d pages that fell back", outlet, outcome.rule,
                             check.misses_in_row, extra={"event": "rule_recovered", "outlet": outlet})
                    self._observer.rule_drift(outlet, outcome.rule, False)
                check = replace(check, misses_in_row=0, pages=check.pages + 1, last_match=moment)
            else:
                check = replace(check, misses_in_row=check.misses_in_row + 1, misses=check.misses + 1,
                                pages=check.pages + 1, last_miss=moment)
                self._observer.rule_missed(outlet, outcome.rule)
                if check.misses_in_row == self.limit:
                    log.error("%s", describe(check), extra={"event": "rule_drift", "outlet": outlet})
                    self._observer.rule_drift(outlet, outcome.rule, True)
                elif key not in self._warned and check.misses_in_row < self.limit:
                    log.warning("%s: rule %r matched nothing on a page; the generic path stands in (counted in "
                                "scraper_rule_misses_total; logged once)", outlet, outcome.rule,
                                extra={"event": "rule_miss", "outlet": outlet})
                self._warned.add(key)
            self._checks[key] = check
            self._changed.add(key)

    def drifted(self) -> list[RuleCheck]:
        return drifted(self._checks.values(), self.limit)

    def problems(self) -> list[str]:
        """What /healthz says of the rules that drifted."""
        return [describe(check) for check in self.drifted()]

    def save(self) -> None:
        """Write the counters that changed since the last save."""
        if not self._changed:
            return
        changed = [self._checks[key] for key in sorted(self._changed)]
        self._state.outlets.save_rule_checks(changed)
        self._changed.clear()
