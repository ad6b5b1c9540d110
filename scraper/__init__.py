"""newsnorm: scheduled news scraping and normalisation into one JSONL record per article."""

__version__ = "0.1.0"
