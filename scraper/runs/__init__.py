"""Runs over the pipeline's stages that are not a poll of an outlet: a WARC file (warc.py)."""
