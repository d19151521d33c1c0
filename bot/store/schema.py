"""The store's schema as an ordered list of migrations, applied in one transaction on open.

Every migration is DDL shared by both databases; ``{timestamp}`` and ``{identity}`` are filled
in per database (``bot.store.dialect``). Add a migration by appending to ``MIGRATIONS`` with the
next version number; never edit one that has shipped.

Where personal data lives: draft text only in ``conversation_drafts.draft`` and
``escalations.draft``; both are removed by ``Store.purge``. ``addresses`` keeps, per person or
channel that wrote to the bot, how the platform reaches them again (a Teams conversation
reference) and the display name to greet them by; no message text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.store.dialect import Database, Tx

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema: its version number, what it does, and its statements."""

    version: int
    title: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "conversations, drafts, seen events, escalations, audit log, weekly counts",
        (
            """CREATE TABLE conversations (
                platform TEXT NOT NULL,
                tenant TEXT NOT NULL,
                user_id TEXT NOT NULL,
                state TEXT NOT NULL,
                updated_at {timestamp} NOT NULL,
                PRIMARY KEY (platform, tenant, user_id)
            )""",
            """CREATE TABLE conversation_drafts (
                platform TEXT NOT NULL,
                tenant TEXT NOT NULL,
                user_id TEXT NOT NULL,
                draft TEXT NOT NULL,
                expires_at {timestamp} NOT NULL,
                PRIMARY KEY (platform, tenant, user_id)
            )""",
            "CREATE INDEX conversation_drafts_expiry ON conversation_drafts (expires_at)",
            """CREATE TABLE seen_events (
                key TEXT PRIMARY KEY,
                seen_at {timestamp} NOT NULL
            )""",
            "CREATE INDEX seen_events_age ON seen_events (seen_at)",
            """CREATE TABLE escalations (
                id TEXT PRIMARY KEY,
                created_at {timestamp} NOT NULL,
                platform TEXT NOT NULL,
                tenant TEXT NOT NULL,
                requester_id TEXT NOT NULL,
                requester_conversation TEXT NOT NULL,
                contact_role TEXT NOT NULL,
                contact_id TEXT NOT NULL,
                rules TEXT NOT NULL,
                summary TEXT NOT NULL,
                draft TEXT,
                status TEXT NOT NULL CHECK (status IN
                    ('open', 'approved', 'declined', 'discuss', 'cancelled', 'expired')),
                answer TEXT,
                updated_at {timestamp} NOT NULL,
                reminded_at {timestamp},
                closed_at {timestamp}
            )""",
            "CREATE INDEX escalations_status ON escalations (status, created_at)",
            "CREATE INDEX escalations_closed ON escalations (closed_at)",
            """CREATE TABLE audit_log (
                id {identity},
                escalation_id TEXT NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
                at {timestamp} NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT ''
            )""",
            "CREATE INDEX audit_log_escalation ON audit_log (escalation_id, id)",
            """CREATE TABLE weekly_counts (
                week TEXT NOT NULL,
                metric TEXT NOT NULL,
                key TEXT NOT NULL DEFAULT '',
                value BIGINT NOT NULL,
                PRIMARY KEY (week, metric, key)
            )""",
        ),
    ),
    Migration(
        2,
        "addresses: where a platform reaches a person or channel unasked (Teams references)",
        (
            """CREATE TABLE addresses (
                platform TEXT NOT NULL,
                tenant TEXT NOT NULL,
                key TEXT NOT NULL,
                address TEXT NOT NULL,
                name TEXT NOT NULL DEFAULT '',
                updated_at {timestamp} NOT NULL,
                PRIMARY KEY (platform, tenant, key)
            )""",
        ),
    ),
    Migration(
        3,
        "knowledge generation: a reload on one replica tells every replica to reload",
        (
            """CREATE TABLE knowledge_generation (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                generation BIGINT NOT NULL,
                version TEXT NOT NULL,
                updated_at {timestamp} NOT NULL
            )""",
        ),
    ),
)


def migrate(db: Database, migrations: tuple[Migration, ...] | None = None) -> int:
    """Bring the schema up to date in one transaction; return the schema version.

    Safe when several processes open the store at once: they take turns (SQLite's write lock,
    a PostgreSQL advisory lock), and whoever comes second finds nothing left to do. A failing
    migration rolls back every step of this run.
    """
    steps = MIGRATIONS if migrations is None else migrations
    versions = [step.version for step in steps]
    if versions != list(range(1, len(steps) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3, ... in order; got {versions}")
    latest = versions[-1] if versions else 0

    def work(tx: Tx) -> int:
        db.lock_schema(tx)
        tx.execute(
            """CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER PRIMARY KEY,
                title TEXT NOT NULL,
                applied_at {timestamp} NOT NULL
            )""".format(**db.types)
        )
        row = tx.one("SELECT MAX(version) FROM schema_version")
        current = row[0] if row and row[0] is not None else 0
        if current > latest:
            raise RuntimeError(
                f"the database's schema is version {current}, newer than this protocolbot "
                f"knows ({latest}): upgrade protocolbot"
            )
        for step in steps[current:]:
            for statement in step.statements:
                tx.execute(statement.format(**db.types))
            tx.execute(
                "INSERT INTO schema_version (version, title, applied_at) VALUES (?, ?, ?)",
                (step.version, step.title, datetime.now(UTC)),
            )
            log.info("store schema: applied migration %d (%s)", step.version, step.title)
        return latest

    return db.run(work)
