"""The store, every test on SQLite (a temporary file) and on a real PostgreSQL (its own schema)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import EscalationClosedError, open_store
from bot.store import schema as store_schema
from bot.store.schema import MIGRATIONS, Migration

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday, ISO week 2026-W47
DRAFT = "Uniek-concept-7f3a9c: onze Q3-cijfers zijn dramatisch, zeg het niet door"


@pytest.fixture
def opener(url):
    """Opens stores on this test's database and closes them all afterwards."""
    stores = []

    def open_(**options):
        store = open_store(url, **options)
        stores.append(store)
        return store

    yield open_
    for store in stores:
        store.close()


@pytest.fixture
def store(opener):
    return opener()


def _rows(store, sql):
    """Read the database directly, past the store's API: what is really there?"""
    return store._db.run(lambda tx: tx.all(sql), write=False)


def _escalate(store, *, now=T0, draft=DRAFT, requester="U-req"):
    return store.create_escalation(
        platform="slack",
        tenant="T1",
        requester_id=requester,
        requester_conversation="D-req",
        contact_role="manager",
        contact_id="U-boss",
        rules=(2, 15),
        summary="Mag dit over de Q3-cijfers? Regels 2 en 15.",
        draft=draft,
        now=now,
    )


def test_conversation_round_trip(store):
    assert store.get_conversation("slack", "T1", "U1") is None
    state = {"step": "review", "verdict": "caution", "rules": [2, 15], "taal": "nl", "é": None}
    store.put_conversation("slack", "T1", "U1", state, now=T0)
    assert store.get_conversation("slack", "T1", "U1") == state

    store.put_conversation("slack", "T1", "U1", {"step": "done"}, now=T0)
    assert store.get_conversation("slack", "T1", "U1") == {"step": "done"}
    # platform, tenant and user all tell conversations apart
    assert store.get_conversation("teams", "T1", "U1") is None
    assert store.get_conversation("slack", "T2", "U1") is None
    assert store.get_conversation("slack", "T1", "U2") is None
    with pytest.raises(TypeError):
        store.put_conversation("slack", "T1", "U1", ["not", "a", "dict"])


def test_draft_is_kept_apart_expires_and_is_purged(store, tmp_path):
    store.put_conversation("slack", "T1", "U1", {"step": "review"}, draft=DRAFT, now=T0)
    store.put_conversation(
        "slack", "T1", "U2", {"step": "review"}, draft="later", now=T0 + timedelta(hours=20)
    )
    assert DRAFT not in str(store.get_conversation("slack", "T1", "U1"))
    assert store.get_draft("slack", "T1", "U1", now=T0 + timedelta(hours=23)) == DRAFT

    # draft left out keeps it; the state alone changes
    store.put_conversation("slack", "T1", "U1", {"step": "walk"}, now=T0 + timedelta(hours=1))
    assert store.get_draft("slack", "T1", "U1", now=T0 + timedelta(hours=2)) == DRAFT

    # expired: gone for readers at once, gone from the database after purge
    later = T0 + timedelta(hours=25)
    assert store.get_draft("slack", "T1", "U1", now=later) is None
    assert store.purge(now=later) == 1
    assert store.purge(now=later) == 0
    assert _rows(store, "SELECT user_id FROM conversation_drafts") == [("U2",)]
    assert store.get_draft("slack", "T1", "U2", now=later) == "later"
    assert store.get_conversation("slack", "T1", "U1") == {"step": "walk"}

    # None deletes at once
    store.put_conversation("slack", "T1", "U2", {"step": "done"}, draft=None, now=later)
    assert _rows(store, "SELECT draft FROM conversation_drafts") == []

    if store.dialect == "sqlite":  # secure_delete and the WAL checkpoint: not even on disk
        store.purge(now=later)  # nothing left to purge: the files are compacted anyway
        for file in tmp_path.glob("state.db*"):  # while the store is open (and -wal exists)
            assert b"Uniek-concept" not in file.read_bytes(), file.name
        store.close()
        for file in tmp_path.glob("state.db*"):
            assert b"Uniek-concept" not in file.read_bytes(), file.name


def test_draft_ttl_is_configurable(opener):
    store = opener(draft_ttl=timedelta(minutes=30))
    store.put_conversation("teams", "T1", "U1", {}, draft=DRAFT, now=T0)
    assert store.get_draft("teams", "T1", "U1", now=T0 + timedelta(minutes=29)) == DRAFT
    assert store.get_draft("teams", "T1", "U1", now=T0 + timedelta(minutes=31)) is None


def test_seen_event_answers_a_retry_once(store):
    assert store.seen_event("slack:Ev123") is False
    assert store.seen_event("slack:Ev123") is True
    assert store.seen_event("slack:Ev123") is True
    assert store.seen_event("teams:Ev123") is False


def test_seen_event_concurrent_inserts_let_exactly_one_through(opener):
    stores = [opener() for _ in range(3)]  # as if three processes
    threads_per_store = 6
    barrier = threading.Barrier(len(stores) * threads_per_store)
    answers: list[bool] = []
    lock = threading.Lock()

    def deliver(store):
        barrier.wait()
        seen = store.seen_event("slack:Ev-race")
        with lock:
            answers.append(seen)

    threads = [
        threading.Thread(target=deliver, args=(s,))
        for s in stores
        for _ in range(threads_per_store)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == len(threads)
    assert answers.count(False) == 1


def test_old_seen_events_are_purged(store):
    store.seen_event("old", now=T0)
    store.seen_event("new", now=T0 + timedelta(days=6))
    assert store.purge(now=T0 + timedelta(days=8)) == 0  # keys are no drafts: not counted
    assert _rows(store, "SELECT key FROM seen_events") == [("new",)]
    assert store.seen_event("old", now=T0 + timedelta(days=8)) is False


def test_escalation_lifecycle_with_audit_trail(store):
    escalation = _escalate(store)
    assert len(escalation.id) == 32 and int(escalation.id, 16) >= 0
    assert escalation.status == "open"
    assert escalation.rules == (2, 15)
    assert escalation.draft == DRAFT
    assert escalation.created_at == escalation.updated_at == T0
    assert escalation.closed_at is None and escalation.reminded_at is None
    assert escalation.answer is None
    assert store.get_escalation(escalation.id) == escalation

    talk = store.set_escalation_status(
        escalation.id, "discuss", actor="U-boss", answer="Bel me even", now=T0 + timedelta(hours=1)
    )
    assert talk.status == "discuss" and talk.closed_at is None and talk.answer == "Bel me even"
    assert talk.updated_at == T0 + timedelta(hours=1)
    assert [e.id for e in store.open_escalations()] == [escalation.id]

    done = store.set_escalation_status(
        escalation.id,
        "approved",
        actor="U-boss",
        answer="Prima, zonder de cijfers",
        now=T0 + timedelta(hours=2),
    )
    assert done.status == "approved"
    assert done.closed_at == T0 + timedelta(hours=2)
    assert done.answer == "Prima, zonder de cijfers"
    assert store.open_escalations() == []
    assert store.get_escalation(escalation.id) == done

    # closed is final: of two people answering at once, one wins
    with pytest.raises(EscalationClosedError):
        store.set_escalation_status(escalation.id, "cancelled", actor="U-req")
    with pytest.raises(ValueError):
        store.set_escalation_status(escalation.id, "maybe", actor="U-boss")
    with pytest.raises(KeyError):
        store.set_escalation_status("0" * 32, "approved", actor="U-boss")
    assert store.get_escalation("0" * 32) is None

    trail = store.audit_trail(escalation.id)
    assert [(e.actor, e.action) for e in trail] == [
        ("U-req", "created"),
        ("U-boss", "discuss"),
        ("U-boss", "approved"),
    ]
    assert [e.at for e in trail] == [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    assert trail[1].detail == "open -> discuss; answer given"
    assert trail[2].detail == "discuss -> approved; answer given"
    assert all(e.escalation_id == escalation.id for e in trail)
    assert all("Uniek-concept" not in e.detail for e in trail)  # never the draft
    assert all(e.at.tzinfo is not None and e.at.utcoffset() == timedelta(0) for e in trail)


def test_every_final_status_closes(store):
    for number, status in enumerate(("approved", "declined", "cancelled", "expired")):
        escalation = _escalate(store, now=T0 + timedelta(minutes=number))
        closed = store.set_escalation_status(
            escalation.id, status, actor="x", now=T0 + timedelta(days=1)
        )
        assert closed.status == status and closed.closed_at == T0 + timedelta(days=1)
    assert store.open_escalations() == []


def test_open_escalations_oldest_first(store):
    second = _escalate(store, now=T0 + timedelta(hours=1))
    first = _escalate(store, now=T0)
    third = _escalate(store, now=T0 + timedelta(hours=2))
    store.set_escalation_status(third.id, "discuss", actor="U-boss", now=T0 + timedelta(hours=3))
    closed = _escalate(store, now=T0 - timedelta(hours=1))
    store.set_escalation_status(closed.id, "declined", actor="U-boss", now=T0)
    assert [e.id for e in store.open_escalations()] == [first.id, second.id, third.id]


def test_reminders_due_and_not_due(store):
    after = timedelta(hours=24)
    waiting = _escalate(store, now=T0)
    talking = _escalate(store, now=T0)
    store.set_escalation_status(talking.id, "discuss", actor="U-boss", now=T0 + timedelta(hours=1))
    answered = _escalate(store, now=T0)
    store.set_escalation_status(
        answered.id, "approved", actor="U-boss", now=T0 + timedelta(hours=1)
    )
    fresh = _escalate(store, now=T0 + timedelta(hours=20))

    assert store.due_reminders(after=after, now=T0 + timedelta(hours=23)) == []
    due = store.due_reminders(after=after, now=T0 + timedelta(hours=25))
    assert [e.id for e in due] == [waiting.id]

    store.mark_reminded(waiting.id, now=T0 + timedelta(hours=25))
    assert store.get_escalation(waiting.id).reminded_at == T0 + timedelta(hours=25)
    assert store.due_reminders(after=after, now=T0 + timedelta(hours=30)) == []
    later = store.due_reminders(after=after, now=T0 + timedelta(hours=49))
    assert [e.id for e in later] == [waiting.id, fresh.id]  # reminded a day ago; fresh now due

    assert [e.action for e in store.audit_trail(waiting.id)] == ["created", "reminded"]
    with pytest.raises(KeyError):
        store.mark_reminded("f" * 32)


def test_weekly_counters_across_two_weeks(store):
    last_week = T0 - timedelta(days=3)  # Friday of 2026-W46
    store.count("review", "caution", now=last_week)
    store.count("review", "stop", now=last_week, by=2)
    store.count("review", "caution", now=T0)
    store.count("review", "caution", now=T0 + timedelta(days=6, hours=14))  # Sunday night
    store.count("escalation", now=T0)
    store.count("review", "go", now=T0 - timedelta(weeks=9))  # beyond 8 weeks

    now = T0 + timedelta(days=2)
    assert store.weekly_counts(now=now) == [
        ("2026-W47", "escalation", "", 1),
        ("2026-W47", "review", "caution", 2),
        ("2026-W46", "review", "caution", 1),
        ("2026-W46", "review", "stop", 2),
    ]
    assert store.weekly_counts(weeks=1, now=now) == [
        ("2026-W47", "escalation", "", 1),
        ("2026-W47", "review", "caution", 2),
    ]
    assert len(store.weekly_counts(weeks=10, now=now)) == 5
    with pytest.raises(ValueError):
        store.weekly_counts(weeks=0)


def test_weekly_counters_across_a_year_boundary(store):
    store.count("review", "go", now=datetime(2026, 12, 31, 12, tzinfo=UTC))  # 2026-W53
    store.count("review", "go", now=datetime(2027, 1, 4, 12, tzinfo=UTC))  # 2027-W01
    assert store.weekly_counts(weeks=2, now=datetime(2027, 1, 5, tzinfo=UTC)) == [
        ("2027-W01", "review", "go", 1),
        ("2026-W53", "review", "go", 1),
    ]


def test_counters_and_stores_are_thread_safe(store):
    def work():
        for _ in range(25):
            store.count("review", "go", now=T0)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert store.weekly_counts(weeks=1, now=T0) == [("2026-W47", "review", "go", 200)]


def test_purge_removes_escalated_drafts_after_retention(store):
    closed = _escalate(store, now=T0)
    store.set_escalation_status(closed.id, "declined", actor="U-boss", now=T0 + timedelta(days=1))
    still_open = _escalate(store, now=T0 - timedelta(days=90))
    recently = _escalate(store, now=T0)
    store.set_escalation_status(
        recently.id, "approved", actor="U-boss", now=T0 + timedelta(days=20)
    )
    no_draft = _escalate(store, now=T0, draft=None)
    store.set_escalation_status(no_draft.id, "cancelled", actor="U-req", now=T0 + timedelta(days=1))

    assert store.purge(now=T0 + timedelta(days=30)) == 0
    assert store.get_escalation(closed.id).draft == DRAFT

    assert store.purge(now=T0 + timedelta(days=32)) == 1
    purged = store.get_escalation(closed.id)
    assert purged.draft is None
    assert purged.status == "declined" and purged.summary and purged.rules == (2, 15)
    assert store.get_escalation(still_open.id).draft == DRAFT  # the contact still needs it
    assert store.get_escalation(recently.id).draft == DRAFT
    assert store.audit_trail(closed.id)[-1].action == "draft_purged"

    assert store.purge(now=T0 + timedelta(days=60)) == 1  # recently's turn
    assert _rows(store, "SELECT id FROM escalations WHERE draft IS NOT NULL") == [(still_open.id,)]


def test_escalation_retention_is_configurable(opener):
    store = opener(escalation_retention=timedelta(days=1))
    escalation = _escalate(store, now=T0)
    store.set_escalation_status(escalation.id, "approved", actor="U-boss", now=T0)
    assert store.purge(now=T0 + timedelta(days=2)) == 1


def test_nothing_about_a_draft_is_logged(store, caplog):
    caplog.set_level(logging.DEBUG)
    store.put_conversation("slack", "T1", "U1", {"step": "review"}, draft=DRAFT, now=T0)
    store.get_draft("slack", "T1", "U1", now=T0)
    escalation = _escalate(store, now=T0)
    store.set_escalation_status(escalation.id, "approved", actor="U-boss", now=T0)
    store.purge(now=T0 + timedelta(days=90))
    assert "Uniek-concept" not in caplog.text


def test_migrations_are_idempotent(opener, url):
    first = opener()
    first.put_conversation("slack", "T1", "U1", {"step": "review"}, now=T0)
    first.close()
    second = opener()
    assert second.get_conversation("slack", "T1", "U1") == {"step": "review"}
    third = opener()  # while the second is still open
    assert third.get_conversation("slack", "T1", "U1") == {"step": "review"}
    versions = _rows(third, "SELECT version FROM schema_version ORDER BY version")
    assert versions == [(m.version,) for m in MIGRATIONS]


def test_concurrent_first_opens_migrate_once(url):
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []
    stores = []

    def open_():
        barrier.wait()
        try:
            stores.append(open_store(url))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        assert len(stores) == 4
        versions = _rows(stores[0], "SELECT version FROM schema_version ORDER BY version")
        assert versions == [(m.version,) for m in MIGRATIONS]
    finally:
        for store in stores:
            store.close()


def test_a_failing_migration_leaves_nothing_behind(opener, url, monkeypatch):
    opener().close()
    broken = Migration(
        len(MIGRATIONS) + 1,
        "broken on purpose",
        ("CREATE TABLE half_done (id TEXT)", "CREATE TABLE conversations (id TEXT)"),
    )
    monkeypatch.setattr(store_schema, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(Exception, match="(?i)already exists"):
        open_store(url)
    monkeypatch.undo()
    store = opener()
    assert _rows(store, "SELECT MAX(version) FROM schema_version") == [(len(MIGRATIONS),)]
    with pytest.raises(Exception, match="half_done"):
        _rows(store, "SELECT * FROM half_done")


def test_a_newer_schema_is_refused(opener, url):
    store = opener()
    store._db.run(
        lambda tx: tx.execute(
            "INSERT INTO schema_version (version, title, applied_at) VALUES (?, ?, ?)",
            (999, "from the future", T0),
        )
    )
    with pytest.raises(RuntimeError, match="newer"):
        open_store(url)


def test_default_url_needs_no_configuration(url, tmp_path, monkeypatch):
    data_home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    if url.startswith("sqlite"):
        monkeypatch.delenv("PROTOCOLBOT_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("PROTOCOLBOT_DATABASE_URL", url)
    with open_store() as store:
        store.put_conversation("slack", "T1", "U1", {"step": "review"}, now=T0)
        assert store.get_conversation("slack", "T1", "U1") == {"step": "review"}
    created = data_home / "protocolbot" / "state.db"
    if url.startswith("sqlite"):
        assert created.is_file()
        assert created.stat().st_mode & 0o077 == 0  # it holds drafts: the owner's only
        assert (data_home / "protocolbot").stat().st_mode & 0o077 == 0
    else:
        assert store.dialect == "postgresql"
        assert not created.exists()


def test_default_path_falls_back_to_local_share(tmp_path, monkeypatch):
    monkeypatch.delenv("PROTOCOLBOT_DATABASE_URL", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with open_store() as store:
        assert store.dialect == "sqlite"
    assert (tmp_path / ".local" / "share" / "protocolbot" / "state.db").is_file()


def test_sqlite_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///relative/state.db") as store:
        store.count("review", now=T0)
    assert (tmp_path / "relative" / "state.db").is_file()
    with open_store("sqlite:///:memory:") as store:
        assert store.seen_event("k") is False and store.seen_event("k") is True
    with pytest.raises(ValueError, match="unsupported"):
        open_store("mysql://root:secret@localhost/db")
    with pytest.raises(ValueError, match="names no file"):
        open_store("sqlite:///")


def test_sqlite_is_in_wal_mode_with_a_busy_timeout(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'state.db'}") as store:
        assert _rows(store, "PRAGMA journal_mode") == [("wal",)]
        assert _rows(store, "PRAGMA busy_timeout")[0][0] >= 1000


def test_postgresql_reconnects_once_after_a_dropped_connection(pg_url, pg_admin, caplog):
    caplog.set_level(logging.WARNING, logger="bot.store")
    with open_store(pg_url) as store:
        store.count("review", now=T0)
        pids = [conn.info.backend_pid for conn in store._db._idle]
        assert pids
        for pid in pids:
            pg_admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        store.count("review", now=T0)  # the idle connection is dead: reconnect, run again
        assert store.weekly_counts(weeks=1, now=T0) == [("2026-W47", "review", "", 2)]
    assert "reconnecting once" in caplog.text


def test_naive_timestamps_are_refused(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        store.seen_event("k", now=datetime(2026, 11, 16, 9, 0))
    stamp = _escalate(store, now=datetime(2026, 11, 16, 10, 0, tzinfo=UTC)).created_at
    assert stamp.utcoffset() == timedelta(0) and stamp == T0 + timedelta(hours=1)


def test_the_store_is_closed_after_close(store):
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.seen_event("k")


def test_the_schema_keeps_draft_text_in_two_columns():
    words = [
        line.split()[0]
        for migration in MIGRATIONS
        for statement in migration.statements
        for line in statement.splitlines()
        if line.strip()
    ]
    assert [word for word in words if "draft" in word] == ["draft", "draft"]


def test_a_reminder_is_claimed_once_across_replicas(store):
    after = timedelta(hours=24)
    esc = _escalate(store, now=T0)
    later = T0 + timedelta(hours=25)
    # two replicas saw it due in the same minute; only the first claim sends a reminder
    assert store.claim_reminder(esc.id, after=after, now=later) is True
    assert store.claim_reminder(esc.id, after=after, now=later) is False
    assert store.due_reminders(after=after, now=later) == []
    assert store.claim_reminder(esc.id, after=after, now=later + after) is True  # next day again
    assert [a.action for a in store.audit_trail(esc.id)].count("reminded") == 2


def test_addresses_round_trip_and_replace(store):
    assert store.get_address("teams", "tid", "aad-1") is None
    reference = {"conversation": {"id": "a:1"}, "serviceUrl": "https://smba.example/"}
    store.put_address("teams", "tid", "aad-1", reference, name="Sanne de Vries", now=T0)
    assert store.get_address("teams", "tid", "aad-1") == (reference, "Sanne de Vries")
    assert store.get_address("teams", "other-tenant", "aad-1") is None
    newer = {"conversation": {"id": "a:2"}, "serviceUrl": "https://smba.example/"}
    store.put_address("teams", "tid", "aad-1", newer, name="Sanne", now=T0 + timedelta(hours=1))
    assert store.get_address("teams", "tid", "aad-1") == (newer, "Sanne")
    assert _rows(store, "SELECT COUNT(*) FROM addresses") == [(1,)]
    with pytest.raises(TypeError):
        store.put_address("teams", "tid", "aad-1", "not a dict")  # type: ignore[arg-type]


def test_the_knowledge_generation_counts_reloads_across_stores(opener):
    first, second = opener(), opener()  # two replicas on one database
    first.ping()
    assert second.knowledge_generation() == (0, "")
    assert first.bump_knowledge_generation("abc123", now=T0) == 1
    assert second.knowledge_generation() == (1, "abc123")
    assert second.bump_knowledge_generation("def456", now=T0) == 2
    assert first.knowledge_generation() == (2, "def456")
