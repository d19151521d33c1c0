"""The bot's one persistent store: conversations, drafts, seen events, escalations, counters.

The same SQL runs on SQLite (zero configuration) and PostgreSQL; ``bot.store.dialect`` holds
the few differences. Draft text is kept only in the two draft columns, expires, and is really
deleted by ``purge``; it never reaches a log line or the audit log.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from types import EllipsisType
from typing import TypeVar

from bot.store.dialect import Database, Tx, connect, default_sqlite_path, to_datetime
from bot.store.records import (
    ESCALATION_COLUMNS,
    FINAL_STATUSES,
    STATUSES,
    AuditEntry,
    Escalation,
    EscalationClosedError,
    audit,
    escalation_from_row,
    fetch_escalation,
    find_escalation,
    iso_week,
    utc,
)
from bot.store.schema import migrate

__all__ = ["AuditEntry", "Escalation", "EscalationClosedError", "Store", "open_store"]

T = TypeVar("T")

SEEN_EVENT_RETENTION = timedelta(days=7)  # platforms retry within minutes; a week is plenty


class Store:
    """Persistent state of the bot; open one with ``open_store``. Safe to share between threads."""

    def __init__(
        self, db: Database, *, draft_ttl: timedelta, escalation_retention: timedelta
    ) -> None:
        if draft_ttl <= timedelta(0) or escalation_retention < timedelta(0):
            raise ValueError("draft_ttl must be positive and escalation_retention not negative")
        self._db = db
        self.draft_ttl = draft_ttl
        self.escalation_retention = escalation_retention

    @property
    def dialect(self) -> str:
        """``'sqlite'`` or ``'postgresql'``."""
        return self._db.name

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- conversations ---------------------------------------------------------------------

    def get_conversation(self, platform: str, tenant: str, user_id: str) -> dict | None:
        """The stored state of one person's conversation, or None."""
        row = self._read(
            lambda tx: tx.one(
                "SELECT state FROM conversations WHERE platform = ? AND tenant = ? AND user_id = ?",
                (platform, tenant, user_id),
            )
        )
        return json.loads(row[0]) if row else None

    def put_conversation(
        self,
        platform: str,
        tenant: str,
        user_id: str,
        state: dict,
        *,
        draft: str | None | EllipsisType = ...,
        now: datetime | None = None,
    ) -> None:
        """Store a conversation's state; ``draft`` left out keeps the stored draft, None deletes
        it, a text stores it until ``now + draft_ttl``."""
        if not isinstance(state, dict):
            raise TypeError(f"conversation state must be a dict, not {type(state).__name__}")
        if draft is not ... and draft is not None and not isinstance(draft, str):
            raise TypeError("draft must be a str, None, or left out")
        encoded = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
        moment = utc(now)
        who = (platform, tenant, user_id)

        def work(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO conversations (platform, tenant, user_id, state, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, tenant, user_id) "
                "DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                (*who, encoded, moment),
            )
            if draft is None:
                tx.execute(
                    "DELETE FROM conversation_drafts "
                    "WHERE platform = ? AND tenant = ? AND user_id = ?",
                    who,
                )
            elif isinstance(draft, str):
                tx.execute(
                    "INSERT INTO conversation_drafts "
                    "(platform, tenant, user_id, draft, expires_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (platform, tenant, user_id) "
                    "DO UPDATE SET draft = excluded.draft, expires_at = excluded.expires_at",
                    (*who, draft, moment + self.draft_ttl),
                )

        self._db.run(work)

    def get_draft(
        self, platform: str, tenant: str, user_id: str, *, now: datetime | None = None
    ) -> str | None:
        """The draft kept with a conversation, or None when there is none or it has expired."""
        row = self._read(
            lambda tx: tx.one(
                "SELECT draft FROM conversation_drafts "
                "WHERE platform = ? AND tenant = ? AND user_id = ? AND expires_at > ?",
                (platform, tenant, user_id, utc(now)),
            )
        )
        return row[0] if row else None

    # -- platform retries ------------------------------------------------------------------

    def seen_event(self, key: str, *, now: datetime | None = None) -> bool:
        """Record an event key; True when it was already recorded (a platform's retry).

        The primary key decides, so of any number of concurrent callers, in any number of
        processes, exactly one gets False.
        """
        inserted = self._db.run(
            lambda tx: tx.execute(
                "INSERT INTO seen_events (key, seen_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, utc(now)),
            )
        )
        return inserted == 0

    # -- health and shared knowledge ------------------------------------------------------

    def ping(self) -> None:
        """A round trip to the database; StoreUnavailable (or another error) when it fails."""
        self._read(lambda tx: tx.one("SELECT 1"))

    def knowledge_generation(self) -> tuple[int, str]:
        """How many times an admin has reloaded the knowledge (on any replica), and the
        version that reload loaded; (0, '') before the first."""
        row = self._read(
            lambda tx: tx.one("SELECT generation, version FROM knowledge_generation WHERE id = 1")
        )
        return (int(row[0]), row[1]) if row else (0, "")

    def bump_knowledge_generation(self, version: str, *, now: datetime | None = None) -> int:
        """Record a reload, so every replica reloads too; returns the new generation."""

        def work(tx: Tx) -> int:
            tx.execute(
                "INSERT INTO knowledge_generation (id, generation, version, updated_at) "
                "VALUES (1, 1, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "generation = knowledge_generation.generation + 1, "
                "version = excluded.version, updated_at = excluded.updated_at",
                (version, utc(now)),
            )
            row = tx.one("SELECT generation FROM knowledge_generation WHERE id = 1")
            return int(row[0])

        return self._db.run(work)

    # -- addresses (how to reach someone unasked) -----------------------------------------

    def put_address(
        self,
        platform: str,
        tenant: str,
        key: str,
        address: dict,
        *,
        name: str = "",
        now: datetime | None = None,
    ) -> None:
        """Remember how `platform` reaches `key` (a person's or a channel's id) without being
        asked: a Teams conversation reference, say. Newer replaces older."""
        if not isinstance(address, dict):
            raise TypeError(f"an address must be a dict, not {type(address).__name__}")
        encoded = json.dumps(address, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        self._db.run(
            lambda tx: tx.execute(
                "INSERT INTO addresses (platform, tenant, key, address, name, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, tenant, key) DO UPDATE SET "
                "address = excluded.address, name = excluded.name, "
                "updated_at = excluded.updated_at",
                (platform, tenant, key, encoded, name, utc(now)),
            )
        )

    def get_address(self, platform: str, tenant: str, key: str) -> tuple[dict, str] | None:
        """The stored address and display name for `key`, or None when it never wrote to us."""
        row = self._read(
            lambda tx: tx.one(
                "SELECT address, name FROM addresses WHERE platform = ? AND tenant = ? AND key = ?",
                (platform, tenant, key),
            )
        )
        return (json.loads(row[0]), row[1]) if row else None

    # -- escalations -----------------------------------------------------------------------

    def create_escalation(
        self,
        *,
        platform: str,
        tenant: str,
        requester_id: str,
        requester_conversation: str,
        contact_role: str,
        contact_id: str,
        rules: Iterable[int],
        summary: str,
        draft: str | None,
        now: datetime | None = None,
    ) -> Escalation:
        """Open an escalation (status 'open'); audited as 'created' by the requester."""
        rule_numbers = tuple(rules)
        if not all(isinstance(r, int) and not isinstance(r, bool) for r in rule_numbers):
            raise TypeError("rules must be rule numbers (int)")
        moment = utc(now)
        escalation_id = uuid.uuid4().hex
        detail = f"rules {', '.join(map(str, rule_numbers)) or 'none'}; contact {contact_role}" + (
            "; draft attached" if draft is not None else ""
        )

        def work(tx: Tx) -> Escalation:
            tx.execute(
                f"INSERT INTO escalations ({ESCALATION_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL, ?, NULL, NULL)",
                (
                    escalation_id,
                    moment,
                    platform,
                    tenant,
                    requester_id,
                    requester_conversation,
                    contact_role,
                    contact_id,
                    json.dumps(rule_numbers),
                    summary,
                    draft,
                    moment,
                ),
            )
            audit(tx, escalation_id, moment, requester_id, "created", detail)
            return fetch_escalation(tx, escalation_id)

        return self._db.run(work)

    def get_escalation(self, escalation_id: str) -> Escalation | None:
        """One escalation by id, or None."""
        return self._read(lambda tx: find_escalation(tx, escalation_id))

    def set_escalation_status(
        self,
        escalation_id: str,
        status: str,
        *,
        actor: str,
        answer: str | None = None,
        now: datetime | None = None,
    ) -> Escalation:
        """Give an escalation a new status (and the answer that goes with it); audited.

        A final status (approved, declined, cancelled, expired) closes it: ``closed_at`` is set
        and it can't change again (``EscalationClosedError``, a ValueError), so of two people
        answering at once exactly one wins. 'discuss' keeps it open. An unknown id raises
        KeyError, an unknown status ValueError.
        """
        if status not in STATUSES:
            raise ValueError(f"unknown escalation status {status!r}; one of {', '.join(STATUSES)}")
        moment = utc(now)
        closed_at = moment if status in FINAL_STATUSES else None

        def work(tx: Tx) -> Escalation:
            for _ in range(10):  # compare-and-set: retry if someone changed it in between
                row = tx.one("SELECT status FROM escalations WHERE id = ?", (escalation_id,))
                if row is None:
                    raise KeyError(f"no escalation {escalation_id!r}")
                previous = row[0]
                if previous in FINAL_STATUSES:
                    raise EscalationClosedError(f"escalation {escalation_id} is already {previous}")
                changed = tx.execute(
                    "UPDATE escalations SET status = ?, answer = ?, updated_at = ?, "
                    "closed_at = ? WHERE id = ? AND status = ?",
                    (status, answer, moment, closed_at, escalation_id, previous),
                )
                if changed:
                    break
            else:
                raise RuntimeError(f"escalation {escalation_id} keeps changing; try again")
            detail = f"{previous} -> {status}" + ("; answer given" if answer else "")
            audit(tx, escalation_id, moment, actor, status, detail)
            return fetch_escalation(tx, escalation_id)

        return self._db.run(work)

    def open_escalations(self) -> list[Escalation]:
        """Escalations still waiting (status open or discuss), oldest first."""
        rows = self._read(
            lambda tx: tx.all(
                f"SELECT {ESCALATION_COLUMNS} FROM escalations "
                "WHERE status IN ('open', 'discuss') ORDER BY created_at, id"
            )
        )
        return [escalation_from_row(row) for row in rows]

    def due_reminders(self, *, after: timedelta, now: datetime | None = None) -> list[Escalation]:
        """Open escalations older than ``after`` whose contact was not reminded within
        ``after``, oldest first."""
        cutoff = utc(now) - after
        rows = self._read(
            lambda tx: tx.all(
                f"SELECT {ESCALATION_COLUMNS} FROM escalations "
                "WHERE status = 'open' AND created_at <= ? "
                "AND (reminded_at IS NULL OR reminded_at <= ?) ORDER BY created_at, id",
                (cutoff, cutoff),
            )
        )
        return [escalation_from_row(row) for row in rows]

    def claim_reminder(
        self, escalation_id: str, *, after: timedelta, now: datetime | None = None
    ) -> bool:
        """Mark the escalation reminded if it is still due; False when another replica (or an
        answer) got there first, so each reminder goes out once. Audited as 'reminded'."""
        moment = utc(now)
        cutoff = moment - after

        def work(tx: Tx) -> bool:
            changed = tx.execute(
                "UPDATE escalations SET reminded_at = ? WHERE id = ? AND status = 'open' "
                "AND (reminded_at IS NULL OR reminded_at <= ?)",
                (moment, escalation_id, cutoff),
            )
            if changed:
                audit(tx, escalation_id, moment, "protocolbot", "reminded", "")
            return bool(changed)

        return self._db.run(work)

    def mark_reminded(self, escalation_id: str, *, now: datetime | None = None) -> None:
        """Note that the contact was reminded; audited as 'reminded'. Unknown id: KeyError."""
        moment = utc(now)

        def work(tx: Tx) -> None:
            changed = tx.execute(
                "UPDATE escalations SET reminded_at = ? WHERE id = ?", (moment, escalation_id)
            )
            if not changed:
                raise KeyError(f"no escalation {escalation_id!r}")
            audit(tx, escalation_id, moment, "protocolbot", "reminded", "")

        self._db.run(work)

    def audit_trail(self, escalation_id: str) -> list[AuditEntry]:
        """Everything that happened to an escalation, in order."""
        rows = self._read(
            lambda tx: tx.all(
                "SELECT escalation_id, at, actor, action, detail FROM audit_log "
                "WHERE escalation_id = ? ORDER BY id",
                (escalation_id,),
            )
        )
        return [AuditEntry(r[0], to_datetime(r[1]), r[2], r[3], r[4]) for r in rows]

    # -- anonymous counters ----------------------------------------------------------------

    def count(
        self, metric: str, key: str = "", *, now: datetime | None = None, by: int = 1
    ) -> None:
        """Add ``by`` to an anonymous counter of the ISO week of ``now`` ('YYYY-Www')."""
        if not metric:
            raise ValueError("a counter needs a metric name")
        week = iso_week(utc(now))
        self._db.run(
            lambda tx: tx.execute(
                "INSERT INTO weekly_counts (week, metric, key, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (week, metric, key) "
                "DO UPDATE SET value = weekly_counts.value + excluded.value",
                (week, metric, key, by),
            )
        )

    def weekly_counts(
        self, *, weeks: int = 8, now: datetime | None = None
    ) -> list[tuple[str, str, str, int]]:
        """(week, metric, key, value) of the last ``weeks`` ISO weeks up to ``now``'s, newest
        week first, then by metric and key."""
        if weeks < 1:
            raise ValueError("weeks must be at least 1")
        moment = utc(now)
        newest, oldest = iso_week(moment), iso_week(moment - timedelta(weeks=weeks - 1))
        rows = self._read(
            lambda tx: tx.all(
                "SELECT week, metric, key, value FROM weekly_counts "
                "WHERE week >= ? AND week <= ? ORDER BY week DESC, metric, key",
                (oldest, newest),  # 'YYYY-Www' labels sort as the weeks do
            )
        )
        return [(week, metric, key, int(value)) for week, metric, key, value in rows]

    # -- privacy ---------------------------------------------------------------------------

    def purge(self, *, now: datetime | None = None) -> int:
        """Delete expired conversation drafts, and the drafts of escalations closed longer than
        ``escalation_retention`` ago (the escalation stays, its draft becomes NULL; audited as
        'draft_purged'). Old seen-event keys go too. Returns how many drafts were removed."""
        moment = utc(now)
        closed_before = moment - self.escalation_retention

        def work(tx: Tx) -> int:
            removed = tx.execute("DELETE FROM conversation_drafts WHERE expires_at <= ?", (moment,))
            stale = tx.all(
                "SELECT id FROM escalations "
                "WHERE draft IS NOT NULL AND closed_at IS NOT NULL AND closed_at < ?",
                (closed_before,),
            )
            for (escalation_id,) in stale:
                if tx.execute(
                    "UPDATE escalations SET draft = NULL WHERE id = ? AND draft IS NOT NULL",
                    (escalation_id,),
                ):
                    removed += 1
                    audit(tx, escalation_id, moment, "protocolbot", "draft_purged", "")
            tx.execute(
                "DELETE FROM seen_events WHERE seen_at < ?", (moment - SEEN_EVENT_RETENTION,)
            )
            return removed

        removed = self._db.run(work)
        self._db.compact()  # also drafts deleted earlier with put_conversation(draft=None)
        return removed

    def close(self) -> None:
        """Close the store's connections. Closing twice is fine."""
        self._db.close()

    def _read(self, work: Callable[[Tx], T]) -> T:
        return self._db.run(work, write=False)


def open_store(
    url: str | None = None,
    *,
    draft_ttl: timedelta = timedelta(hours=24),
    escalation_retention: timedelta = timedelta(days=30),
) -> Store:
    """Open (and create or migrate) the store.

    ``url`` None means ``$PROTOCOLBOT_DATABASE_URL``, else an SQLite file
    ``($XDG_DATA_HOME or ~/.local/share)/protocolbot/state.db``, created with its folder.
    Otherwise ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
    ``sqlite:///:memory:`` or ``postgresql://user@host:port/db``.
    """
    if url is None:
        url = os.environ.get("PROTOCOLBOT_DATABASE_URL") or f"sqlite:///{default_sqlite_path()}"
    db = connect(url)
    try:
        migrate(db)
        return Store(db, draft_ttl=draft_ttl, escalation_retention=escalation_retention)
    except BaseException:
        db.close()
        raise
