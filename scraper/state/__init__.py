"""The state store, one SQL database in parts: `store.py` opens, locks and commits it and records which URLs became
which reports; `stories.py` holds the near-duplicate index, `revisits.py` what reading articles again needs,
`outlets.py` how each outlet's collection goes, `links.py` the links waiting and the URLs failing; `staging.py`
what waits for the next commit, `schema.py` the tables."""

from scraper.state.outlets import RuleCheck
from scraper.state.revisits import Due
from scraper.state.store import STORE_LOCK, State
from scraper.state.stories import StoredPrint, StoryRow

__all__ = ["STORE_LOCK", "Due", "RuleCheck", "State", "StoredPrint", "StoryRow"]
