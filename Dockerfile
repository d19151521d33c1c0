# protocolbot: the review engine, the CLI and the Slack/Teams server in a small image.
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
# Slack: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP on port 3000, POST /slack/events),
# plus SLACK_APP_TOKEN for Socket Mode. Teams: MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and
# MICROSOFT_APP_TENANT_ID (POST /api/messages, same port). PROTOCOLBOT_DATABASE_URL for PostgreSQL.
EXPOSE 3000
ENTRYPOINT ["protocolbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
