"""Fetching: an httpx client behind per-host politeness and input guards."""

from scraper.fetch.client import Fetcher

__all__ = ["Fetcher"]
