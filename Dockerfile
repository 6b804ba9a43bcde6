# careerbot: every adapter with a token, in one process. Build: docker build -t careerbot .
# Run: docker run -d --env-file careerbot.env -v careerbot-data:/data careerbot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CAREERBOT_DB=/data/careerbot.db \
    CAREERBOT_LOG_LEVEL=INFO

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY storage ./storage
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home careerbot \
    && mkdir -p /data && chown careerbot:careerbot /data

# The database lives on a volume, so a new image keeps every conversation.
VOLUME /data
USER careerbot
WORKDIR /data

# The adapters finish the turns in flight and close the database on SIGTERM.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["careerbot", "health"]
CMD ["careerbot", "run"]
