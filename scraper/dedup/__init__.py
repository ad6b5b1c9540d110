"""Duplicate detection: fingerprints of normalised text and the index that groups reports into stories."""

from scraper.dedup.credits import ReportText, read_report
from scraper.dedup.fingerprint import Fingerprint, content_hash, fingerprint
from scraper.dedup.index import DedupOptions, DuplicateIndex, StoryPrint, story_print

__all__ = [
    "DedupOptions",
    "DuplicateIndex",
    "Fingerprint",
    "ReportText",
    "StoryPrint",
    "content_hash",
    "fingerprint",
    "read_report",
    "story_print",
]
