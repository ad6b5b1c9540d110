"""Discovery: where article URLs come from (feeds, sitemaps). Parsers here are pure: text in, Links out."""

from scraper.discover.feeds import parse_feed
from scraper.discover.sitemaps import Sitemap, parse_sitemap

__all__ = ["Sitemap", "parse_feed", "parse_sitemap"]
