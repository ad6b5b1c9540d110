"""Duplicate detection: fingerprints of normalised text and the index that remembers them."""

from scraper.dedup.fingerprint import content_hash
from scraper.dedup.index import DuplicateIndex

__all__ = ["DuplicateIndex", "content_hash"]
