"""Runs over the pipeline's stages beside a poll's discovery: a WARC file (warc.py), an outlet's recent articles
read again at the end of its poll (revisits.py)."""
