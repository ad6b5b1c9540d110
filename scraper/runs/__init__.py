"""Runs over the pipeline's stages: an outlet's links found (discovery.py), a WARC file read (warc.py), an outlet's
captures in the web archive read (archive.py), an outlet's recent articles read again at the end of its poll
(revisits.py)."""
