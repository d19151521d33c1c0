# protocolbot: the review engine and CLI in a small image (the Slack/Teams server comes later).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY knowledge ./knowledge
RUN pip install . && useradd --create-home --uid 10001 protocolbot

# Integrity staff can mount their own knowledge over the shipped one.
ENV PROTOCOLBOT_KNOWLEDGE=/app/knowledge
USER protocolbot
RUN protocolbot knowledge check
ENTRYPOINT ["protocolbot"]
CMD ["--help"]
