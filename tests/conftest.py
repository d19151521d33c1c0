"""Shared fixtures: the shipped knowledge compiled once, and a profile no code has seen."""

from __future__ import annotations

import socket

import pytest

from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import Organisation
from bot.review import Engine


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
