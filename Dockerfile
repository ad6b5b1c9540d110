# newsnorm: the scraper daemon. Output and state live in the /data volume; /healthz and /metrics on 9108.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SCRAPER_CONFIG=/app/sources.toml \
    SCRAPER_OUTPUT=/data/output \
    SCRAPER_STATE=/data/state.sqlite \
    SCRAPER_LISTEN=0.0.0.0:9108

WORKDIR /app
COPY pyproject.toml README.md sources.toml requirements.lock ./
COPY scraper ./scraper
# The package only, at the exact versions the tests ran with (requirements.lock): no test or dev extras.
RUN pip install -c requirements.lock . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin scraper \
    && mkdir -p /data \
    && chown scraper:scraper /data

USER scraper
VOLUME ["/data"]
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4).status == 200 else 1)"]
# Your own outlets: mount a file and point SCRAPER_CONFIG at it (docs/operations.md, "Running in a container").
# SIGTERM (docker stop) drains in-flight work and writes it out within 10 s: fetches get --grace (7 s), a page
# still being extracted 2 s more before its worker is stopped (its link stays pending for the next run).
STOPSIGNAL SIGTERM
ENTRYPOINT ["scraper"]
CMD ["run"]
