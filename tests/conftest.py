"""Shared fixtures: the shipped knowledge compiled once, and a profile no code has seen."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import Organisation
from bot.review import Engine
from bot.store import open_store

PG_URL = os.environ.get(
    "PROTOCOLBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any accidental connection to the outside fails the test (loopback stays allowed)."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge()


@pytest.fixture(scope="session")
def engine(knowledge):
    return Engine(knowledge)


@pytest.fixture(scope="session")
def water_board() -> Organisation:
    """A public body that appears nowhere in the knowledge, the code or the dev sets."""
    return Organisation(
        name="Waterschap Lage Velden",
        aliases=["Lage Velden", "@WSLageVelden", "#lagevelden"],
        sector="public",
        clients=[],
        partners=["Rijkswaterstaat", "Veiligheidsregio Oostmark"],
        suppliers=["Gemaalbouw Noordkust", "Hydrosense"],
        competitors=[],
        confidential_terms=["Operatie Kievit", "dijkversterking Oosterpolder"],
        products=["Peilwijzer"],
    )


@pytest.fixture(scope="session")
def bakery() -> Organisation:
    """A private company that appears nowhere in the knowledge, the code or the dev sets."""
    return Organisation(
        name="Bakkerij Korenaar",
        aliases=["Korenaar", "@korenaarbrood"],
        sector="private",
        clients=["Albert Heijn", "Plus", "Sodexo"],
        partners=["Meelfabriek De Hoop"],
        suppliers=["Molen Windlust", "Vandemoortele"],
        competitors=["Bakker Bart", "Broodhuys"],
        confidential_terms=["Project Zuurdesem", "nieuwe vestiging in Deventer"],
    )


# -- the store on SQLite and on a real PostgreSQL (each test in its own schema) -------------------


def _pg_unreachable() -> str | None:
    """Why no PostgreSQL server answers at the test URL, or None when one does.

    Only an unreachable server skips: a server that answers but refuses us (a wrong
    database, user or password) fails every PostgreSQL test instead.
    """
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(PG_URL)
    host = str(params.get("host") or "localhost")
    port = int(params.get("port") or 5432)
    if host.startswith("/"):
        socket_file = Path(host) / f".s.PGSQL.{port}"
        return None if socket_file.exists() else f"no PostgreSQL socket at {socket_file}"
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as error:
        return f"no PostgreSQL server answers at {host}:{port} ({error})"
    return None


@pytest.fixture(scope="session")
def pg_admin():
    """An autocommit connection to the test server, or a skip that says why there is none."""
    reason = _pg_unreachable()
    if reason:
        pytest.skip(f"{reason}; set PROTOCOLBOT_TEST_DATABASE_URL to test on PostgreSQL")
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        yield conn


def _with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url(pg_admin):
    """A URL whose connections live in a fresh schema, dropped after the test."""
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    pg_admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _with_search_path(PG_URL, schema)
    finally:
        pg_admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(url):
    """A store on this test's database (both kinds), closed afterwards."""
    with open_store(url) as opened:
        yield opened
