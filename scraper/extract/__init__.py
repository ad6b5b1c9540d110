"""Extraction: a fetched page → an Article with clean paragraphs and UTC dates."""

from scraper.extract.generic import extract_article

__all__ = ["extract_article"]
