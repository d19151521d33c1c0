"""Logs an IT department can ship: one JSON object per line, and nothing personal in them.

A line carries what happened (platform, event kind, verdict, cited rules, latency, correlation
id), never draft text, names or ids in clear: `pseudonym()` turns a user id into a keyed hash
(HMAC-SHA256 with `PROTOCOLBOT_LOG_SALT`, else a random key per process), so the lines of one
person can be followed within a run without saying who it is. `configure()` sets the root
logger once: JSON (default) or plain text, level by `PROTOCOLBOT_LOG_LEVEL`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sys
import traceback
from datetime import UTC, datetime

# the fields a log line may carry besides its message; anything else passed as `extra` is dropped
FIELDS = (
    "platform",
    "event",
    "verdict",
    "rules",
    "latency_ms",
    "correlation_id",
    "user",
    "route",
    "method",
    "status",
    "outcome",
    "version",
    "generation",
)
_key = (os.environ.get("PROTOCOLBOT_LOG_SALT") or secrets.token_hex(32)).encode()


def pseudonym(value: str) -> str:
    """A stable, keyed stand-in for an id in logs ('' stays '')."""
    if not value:
        return ""
    return hmac.new(_key, value.encode(), hashlib.sha256).hexdigest()[:16]


class JsonFormatter(logging.Formatter):
    """`{"ts": ..., "level": ..., "logger": ..., "msg": ..., <FIELDS>}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            # the type and where, not the message: an exception's message may quote input
            line["error"] = record.exc_info[0].__name__
            line["where"] = [
                f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(record.exc_info[2])[-5:]
            ]
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def configure(level: str = "INFO", fmt: str = "json", salt: str | None = None) -> None:
    """Send every log line to stderr as JSON (or text); third-party loggers that log payloads
    at DEBUG stay at INFO or WARNING whatever the level. `salt` keys the pseudonyms (set the
    same on every replica to follow a person's lines across them)."""
    global _key
    if salt:
        _key = salt.encode()
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("slack_bolt", "slack_sdk", "urllib3", "msal", "asyncio"):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    logging.getLogger("microsoft_agents").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # our middleware logs requests
    for name in ("httpx", "httpcore"):  # the language model's requests: nothing to log
        logging.getLogger(name).setLevel(logging.WARNING)
