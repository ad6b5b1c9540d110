# newsnorm: the scraper daemon. Output and state live in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SCRAPER_CONFIG=/app/sources.toml \
    SCRAPER_OUTPUT=/data/output \
    SCRAPER_STATE=/data/state.sqlite

WORKDIR /app
COPY pyproject.toml README.md sources.toml ./
COPY scraper ./scraper
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin scraper \
    && mkdir -p /data \
    && chown scraper:scraper /data

USER scraper
VOLUME ["/data"]
# SIGTERM (docker stop) drains in-flight work and writes it out within 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["scraper"]
CMD ["run"]
