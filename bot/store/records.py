"""The store's records (escalations, audit entries) and how they map to and from rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from bot.store.dialect import Tx, to_datetime

OPEN_STATUSES = ("open", "discuss")
FINAL_STATUSES = ("approved", "declined", "cancelled", "expired")
STATUSES = OPEN_STATUSES + FINAL_STATUSES


class EscalationClosedError(ValueError):
    """The escalation already has a final status; it can't change any more."""


@dataclass(frozen=True, slots=True)
class Escalation:
    """A draft put before a contact (rule 15), and what became of it."""

    id: str
    created_at: datetime
    platform: str
    tenant: str
    requester_id: str
    requester_conversation: str
    contact_role: str
    contact_id: str
    rules: tuple[int, ...]
    summary: str
    draft: str | None  # None once purged
    status: str  # 'open' | 'approved' | 'declined' | 'discuss' | 'cancelled' | 'expired'
    answer: str | None
    updated_at: datetime
    reminded_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing that happened to an escalation: who, when, what (never the draft)."""

    escalation_id: str
    at: datetime
    actor: str
    action: str
    detail: str


_FIELDS = tuple(field.name for field in fields(Escalation))
ESCALATION_COLUMNS = ", ".join(_FIELDS)  # the table's columns are the record's fields


def iso_week(moment: datetime) -> str:
    """The ISO week of a moment in UTC, as 'YYYY-Www'."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year:04d}-W{week:02d}"


def utc(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime; the current time when None."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return now.astimezone(UTC)


def audit(tx: Tx, escalation_id: str, at: datetime, actor: str, action: str, detail: str) -> None:
    tx.execute(
        "INSERT INTO audit_log (escalation_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
        (escalation_id, at, actor, action, detail),
    )


def find_escalation(tx: Tx, escalation_id: str) -> Escalation | None:
    row = tx.one(f"SELECT {ESCALATION_COLUMNS} FROM escalations WHERE id = ?", (escalation_id,))
    return escalation_from_row(row) if row else None


def fetch_escalation(tx: Tx, escalation_id: str) -> Escalation:
    found = find_escalation(tx, escalation_id)
    if found is None:
        raise KeyError(f"no escalation {escalation_id!r}")
    return found


def escalation_from_row(row: tuple[Any, ...]) -> Escalation:
    """A row of ``ESCALATION_COLUMNS`` as an Escalation."""
    values = dict(zip(_FIELDS, row, strict=True))
    values["rules"] = tuple(json.loads(values["rules"]))
    for name in ("created_at", "updated_at", "reminded_at", "closed_at"):
        if values[name] is not None:
            values[name] = to_datetime(values[name])
    return Escalation(**values)
