"""The two databases behind one seam: connections, transactions, placeholders and column types.

The store writes its SQL once, with ``?`` placeholders, and runs it through ``Database.run``.
What differs between SQLite and PostgreSQL lives here and nowhere else:

- placeholders (``?`` for sqlite3, ``%s`` for psycopg);
- timestamps (ISO-8601 text in UTC with a fixed width, so text order is time order, versus
  ``TIMESTAMPTZ``) and the identity column;
- connections: SQLite is one connection behind a lock, in WAL mode with a busy timeout;
  PostgreSQL is a small pool of connections with autocommit off, and a transaction that finds
  its connection dropped is run once more on a fresh one.

No SQL parameter is ever logged: they hold draft text.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000  # how long a SQLite writer waits for another process's write lock
CONNECT_TIMEOUT_S = 5  # a PostgreSQL that doesn't answer is unavailable, not waited for
POOL_SIZE = 4  # PostgreSQL connections per store; the bot's work per event is a few short queries
_SCHEMA_LOCK = 0x70726F746F626F74  # "protobot": the advisory lock that serialises migrations


class StoreUnavailable(ConnectionError):
    """The database can't be reached right now (PostgreSQL down, the network gone). Callers may
    carry on without the store and try again later; the connection pool reconnects by itself."""


class Tx:
    """One open transaction: runs the shared SQL (``?`` placeholders) on either database."""

    def __init__(self, cursor: Any, db: Database) -> None:
        self._cursor = cursor
        self._db = db

    @property
    def dialect(self) -> str:
        """``'sqlite'`` or ``'postgresql'``."""
        return self._db.name

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        self._cursor.execute(self._db.sql(sql), [self._db.param(p) for p in params])
        return self._cursor.rowcount

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run a query; return its first row, or None."""
        self._cursor.execute(self._db.sql(sql), [self._db.param(p) for p in params])
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query; return all its rows."""
        self._cursor.execute(self._db.sql(sql), [self._db.param(p) for p in params])
        return [tuple(row) for row in self._cursor.fetchall()]


def to_datetime(value: Any) -> datetime:
    """A timestamp column as read from either database -> an aware UTC datetime."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class Database(ABC):
    """What the store needs from a database: transactions, types and a few hooks."""

    name: str
    types: dict[str, str]  # names the migrations' DDL uses: {timestamp}, {identity}

    def sql(self, sql: str) -> str:
        """The store's SQL in this driver's placeholder style."""
        return sql

    def param(self, value: Any) -> Any:
        """A Python value as this database stores it."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("timestamps must be timezone-aware")
            return self.timestamp(value.astimezone(UTC))
        return value

    @abstractmethod
    def timestamp(self, value: datetime) -> Any:
        """An aware UTC datetime as this database stores it."""

    @abstractmethod
    def run(self, work: Callable[[Tx], T], *, write: bool = True) -> T:
        """Run ``work`` in one transaction: committed when it returns, rolled back if it raises."""

    @abstractmethod
    def lock_schema(self, tx: Tx) -> None:
        """Within ``tx``, wait until no other process is migrating the schema."""

    @abstractmethod
    def compact(self) -> None:
        """After a purge: make deleted text leave the files as far as the database allows."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection; the database can't be used afterwards."""


class SQLiteDatabase(Database):
    """One SQLite file (or ``:memory:``): one connection shared by threads behind a lock."""

    name = "sqlite"
    types = {"timestamp": "TEXT", "identity": "INTEGER PRIMARY KEY AUTOINCREMENT"}

    def __init__(self, path: str) -> None:
        memory = path == ":memory:"
        if not memory:
            _create_private_file(Path(path))
        conn = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # we issue BEGIN and COMMIT ourselves
            check_same_thread=False,  # the lock below serialises all use
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")  # deleted drafts are overwritten with zeros
            if not memory:
                _enable_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.Lock()

    def timestamp(self, value: datetime) -> str:
        return value.isoformat(timespec="microseconds")  # fixed width: text order is time order

    def run(self, work: Callable[[Tx], T], *, write: bool = True) -> T:
        with self._lock:
            conn = self._open()
            cursor = conn.cursor()
            # IMMEDIATE takes the write lock up front, so a writer waits (busy timeout) instead
            # of failing when it upgrades from reading.
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = work(Tx(cursor, self))
                cursor.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    cursor.execute("ROLLBACK")
                raise
            finally:
                cursor.close()
            return result

    def lock_schema(self, tx: Tx) -> None:
        pass  # BEGIN IMMEDIATE already holds the database's only write lock

    def compact(self) -> None:
        with self._lock:
            # Copy the WAL into the database file and empty it: the old page images holding
            # the deleted text go with it.
            self._open().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the store is closed")
        return self._conn


class PostgresDatabase(Database):
    """A PostgreSQL database (psycopg 3): a small pool of connections with autocommit off."""

    name = "postgresql"
    types = {
        "timestamp": "TIMESTAMPTZ",
        "identity": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    }

    def __init__(self, url: str, *, size: int = POOL_SIZE) -> None:
        import psycopg  # only needed, and only imported, when PostgreSQL is used

        self._psycopg = psycopg
        self._url = url
        self._size = size
        self._idle: list[Any] = []
        self._opened = 0  # connections open, idle or in use
        self._closed = False
        self._changed = threading.Condition()
        self._sql: dict[str, str] = {}
        self._opened += 1
        try:
            first = self._psycopg.connect(url, autocommit=False, connect_timeout=CONNECT_TIMEOUT_S)
        except self._psycopg.OperationalError as exc:  # fail on open, not on the first event
            self._opened -= 1
            raise ConnectionError(f"PostgreSQL unreachable: {str(exc).strip()}") from exc
        first.execute("SET TIME ZONE 'UTC'")
        first.commit()
        self._release(first)

    def sql(self, sql: str) -> str:
        converted = self._sql.get(sql)
        if converted is None:
            converted = self._sql[sql] = sql.replace("%", "%%").replace("?", "%s")
        return converted

    def timestamp(self, value: datetime) -> datetime:
        return value

    def lock_schema(self, tx: Tx) -> None:
        tx.one("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))

    def compact(self) -> None:
        pass  # autovacuum reclaims the dead row versions; VACUUM can't run in a transaction

    def run(self, work: Callable[[Tx], T], *, write: bool = True) -> T:
        for attempt in (1, 2):
            conn = self._acquire()
            committing = False
            try:
                with conn.cursor() as cursor:
                    result = work(Tx(cursor, self))
                committing = True
                conn.commit()
            except self._psycopg.OperationalError:
                if not conn.broken:
                    self._rollback_and_release(conn)
                    raise
                self._release(conn, broken=True)
                # Once COMMIT was sent we can't know whether it happened: running the work
                # again could apply it twice.
                if attempt == 2 or committing:
                    raise StoreUnavailable("PostgreSQL connection lost") from None
                log.warning("PostgreSQL connection lost; reconnecting once")
            except BaseException:
                self._rollback_and_release(conn)
                raise
            else:
                self._release(conn)
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._opened -= len(idle)
            self._changed.notify_all()
        for conn in idle:
            conn.close()

    def _connect(self) -> Any:
        try:
            conn = self._psycopg.connect(
                self._url, autocommit=False, connect_timeout=CONNECT_TIMEOUT_S
            )
            conn.execute("SET TIME ZONE 'UTC'")
            conn.commit()
            return conn
        except BaseException as exc:
            with self._changed:
                self._opened -= 1
                self._changed.notify()
            if isinstance(exc, self._psycopg.OperationalError):
                raise StoreUnavailable("PostgreSQL unreachable") from None
            raise

    def _acquire(self) -> Any:
        with self._changed:
            while True:
                if self._closed:
                    raise RuntimeError("the store is closed")
                if self._idle:
                    return self._idle.pop()
                if self._opened < self._size:
                    self._opened += 1
                    break
                self._changed.wait()
        return self._connect()

    def _release(self, conn: Any, *, broken: bool = False) -> None:
        with self._changed:
            keep = not (broken or self._closed or conn.closed or conn.broken)
            if keep:
                self._idle.append(conn)
            else:
                self._opened -= 1
            self._changed.notify()
        if not keep:
            conn.close()

    def _rollback_and_release(self, conn: Any) -> None:
        try:
            if not conn.closed:
                conn.rollback()
        except self._psycopg.Error:
            self._release(conn, broken=True)
        else:
            self._release(conn)


def connect(url: str) -> Database:
    """Open the database a URL names: ``sqlite:///path.db``, ``sqlite:///:memory:``, or
    ``postgresql://user@host:port/db`` (``sqlite:///rel.db`` is relative, ``sqlite:////abs.db``
    absolute, as in SQLAlchemy)."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path:
            raise ValueError("the SQLite URL names no file: use sqlite:///path/to/state.db")
        return SQLiteDatabase(path)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url)
    if "://" not in url:
        raise ValueError(
            f"{url!r} is not a database URL: for a SQLite file write sqlite:///{url}"
            " (an absolute path gets four slashes), for PostgreSQL postgresql://user@host:port/db"
        )
    scheme = url.split(":", 1)[0]
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: "
        "use sqlite:///path/to/state.db or postgresql://user@host:port/db"
    )


def default_sqlite_path() -> Path:
    """Where the zero-configuration SQLite file lives: the user's data folder (XDG)."""
    data_home = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data_home) if os.path.isabs(data_home) else Path.home() / ".local" / "share"
    return base / "protocolbot" / "state.db"


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL mode (readers and a writer don't block each other).

    The switch needs the file to itself and SQLite won't wait for that (no busy handler), so
    when several processes open a new file at once we wait here, up to the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    if str(mode).lower() != "wal":
        log.warning("SQLite could not use WAL mode here (journal mode %s)", mode)


def _create_private_file(path: Path) -> None:
    """Create the database file (and its folder) readable by its owner only: it holds drafts.
    SQLite gives its -wal and -shm files the same permissions."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
