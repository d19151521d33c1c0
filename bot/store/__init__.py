"""The bot's persistent store on SQLite or PostgreSQL: ``open_store()`` and what it returns."""

from bot.store.dialect import StoreUnavailable
from bot.store.sql import AuditEntry, Escalation, EscalationClosedError, Store, open_store

__all__ = [
    "AuditEntry",
    "Escalation",
    "EscalationClosedError",
    "Store",
    "StoreUnavailable",
    "open_store",
]
