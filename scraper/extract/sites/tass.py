"""TASS (tass.com English, tass.ru Russian). docs/outlets.md [S5]: the date comes from JSON-LD (generic)."""

from scraper.extract.sites.rules import SiteRules
from scraper.records import Selectors

HOSTS = ("tass.com", "www.tass.com", "tass.ru", "www.tass.ru")
TITLE = "h1.news-header__title"
SUBTITLE = ".news-header__lead"
BODY = "div.text-content p, div.text-block p"
DROP = ".text-include, .tass_pkg_text-include, figure"

RULES = SiteRules("tass", HOSTS, Selectors(body=BODY, title=TITLE), subtitle=SUBTITLE, drop=DROP)
