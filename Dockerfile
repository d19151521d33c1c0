# protocolbot: the Slack/Teams server, the review engine and the CLI in one small image.
#
#   docker build -t protocolbot .
#   docker run --env-file .env -p 3000:3000 -v "$PWD/knowledge:/knowledge:ro" protocolbot
#
# tests/test_docker.py runs this file's install, check, start and health-check commands, read
# from this file, in a fresh virtual environment on every CI run (no Docker engine there), so
# what is written here is what is tested. Keep each such command on one RUN/CMD line.

# -- build: the package and its dependencies in a virtual environment ------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY knowledge ./knowledge
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --upgrade pip && /opt/venv/bin/pip install .

# -- run: only the virtual environment, the knowledge and a user without rights ----------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=3000 \
    PROTOCOLBOT_KNOWLEDGE_DIR=/knowledge \
    XDG_DATA_HOME=/data
COPY --from=build /opt/venv /opt/venv
# the shipped knowledge; integrity staff mount their own over it (a volume, read-only is fine)
COPY knowledge /knowledge
RUN useradd --create-home --uid 10001 protocolbot && mkdir -p /data && chown protocolbot /data
USER protocolbot
RUN protocolbot knowledge check
# /data holds the SQLite store when PROTOCOLBOT_DATABASE_URL names no PostgreSQL
VOLUME ["/knowledge", "/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]
# Slack: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (+ SLACK_APP_TOKEN for Socket Mode). Teams:
# MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TENANT_ID. See `protocolbot config check`.
CMD ["protocolbot", "serve"]
