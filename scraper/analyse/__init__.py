"""Analysis of extracted articles: language (and, later, translation artefacts and name variants)."""

from scraper.analyse.language import LanguageDetector

__all__ = ["LanguageDetector"]
