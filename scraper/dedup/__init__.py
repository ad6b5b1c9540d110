"""Stories: fingerprints of normalised text, anchors a translation keeps, and the index that groups reports."""

from scraper.dedup.credits import ReportText, read_report
from scraper.dedup.fingerprint import Fingerprint, content_hash, fingerprint, samples_agree, text_sample
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
    "samples_agree",
    "story_print",
    "text_sample",
]
