"""`protocolbot bench --teams`: Teams turns through the real `/api/messages` endpoint.

Everything runs on 127.0.0.1: the bot's aiohttp server with the Agents SDK, a Bot Connector
stand-in that accepts replies, and an OpenID/JWKS server with a freshly generated RSA key, so
every request carries a real signed token that the bot verifies. Measured per request, from
sending the Activity to the bot's HTTP answer: a DM (review, store, reply posted to the
connector, then 202) and a card click (`adaptiveCard/action` invoke, answered with its body;
Teams allows 5 s).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_agents.hosting.core import AgentAuthConfiguration, ConnectionManager

from adapters.teams.auth import BOT_FRAMEWORK_ISSUER
from adapters.teams.server import TeamsConfig, mount

APP_ID = "00000000-0000-4000-8000-00000000b0b0"


class _Token:
    """The outbound token provider: the Bot Connector stand-in takes any token."""

    def __init__(self, configuration: AgentAuthConfiguration) -> None:
        self.configuration = configuration

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh=False):
        return "bench"


async def _serve(application: web.Application, runners: list) -> str:
    runner = web.AppRunner(application)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    runners.append(runner)
    return f"http://127.0.0.1:{runner.addresses[0][1]}"


async def _run(bot, turns: int) -> dict[str, list[float]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="bench", endorsements=["msteams"])
    runners: list[web.AppRunner] = []
    identity = web.Application()
    base = {"url": ""}

    async def metadata(request: web.Request) -> web.Response:
        return web.json_response({"jwks_uri": f"{base['url']}/keys"})

    async def keys(request: web.Request) -> web.Response:
        return web.json_response({"keys": [jwk]})

    identity.router.add_get("/metadata", metadata)
    identity.router.add_get("/keys", keys)
    base["url"] = await _serve(identity, runners)

    connector = web.Application()

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": "bench-activity"})

    connector.router.add_route("*", "/{tail:.*}", accept)
    service_url = await _serve(connector, runners) + "/"

    application = web.Application()
    config = TeamsConfig(
        app_id=APP_ID, app_password="bench", openid_metadata=(f"{base['url']}/metadata",)
    )
    connections = ConnectionManager(
        _Token, connections_configurations={"SERVICE_CONNECTION": AgentAuthConfiguration()}
    )
    mount(application, bot, config, connections=connections, remind_every=3600)
    url = await _serve(application, runners) + "/api/messages"

    def token() -> str:
        now = int(time.time())
        claims = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": APP_ID,
            "serviceurl": service_url,
            "nbf": now - 5,
            "exp": now + 600,
        }
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench"})

    bearer = {"Authorization": f"Bearer {token()}"}
    draft = (
        "Mag ik dit posten? Vandaag ons nieuwe kantoor in Hofstede geopend, trots op het team! "
        "Alleen jammer dat de directie weer eens niks snapt van wat er op de werkvloer gebeurt."
    )

    def activity(n: int, user: str, **fields: Any) -> dict:
        return {
            "type": "message",
            "id": f"bench-{run}-{n}",
            "serviceUrl": service_url,
            "channelId": "msteams",
            "locale": "nl-NL",
            "from": {"id": f"29:{user}", "aadObjectId": f"aad-{user}", "name": user},
            "recipient": {"id": f"28:{APP_ID}"},
            "conversation": {"id": f"a:{user}", "conversationType": "personal", "tenantId": "t"},
            **fields,
        }

    run = uuid.uuid4().hex[:8]  # event ids unique across runs on one database
    timings: dict[str, list[float]] = {"dm": [], "click": []}
    try:
        async with aiohttp.ClientSession() as session:
            for n in range(turns):
                user = f"bench{n % 50}"
                body = activity(2 * n, user, text=draft)
                t0 = time.perf_counter()
                async with session.post(url, json=body, headers=bearer) as response:
                    await response.read()
                    assert response.status == 202, response.status
                timings["dm"].append(time.perf_counter() - t0)
                click = activity(
                    2 * n + 1,
                    user,
                    type="invoke",
                    name="adaptiveCard/action",
                    value={
                        "action": {
                            "type": "Action.Execute",
                            "verb": "walk_start",
                            "data": {"action": "walk_start", "value": ""},
                        }
                    },
                )
                t0 = time.perf_counter()
                async with session.post(url, json=click, headers=bearer) as response:
                    await response.read()
                    assert response.status == 200, response.status
                timings["click"].append(time.perf_counter() - t0)
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
    return timings


def measure(database: str | None, knowledge_dir: Path | None, turns: int) -> dict[str, list[float]]:
    """Seconds per request: {'dm': [...], 'click': [...]}."""
    import tempfile

    from bot.conversation import Bot
    from bot.source import KnowledgeSource
    from bot.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(database or f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            return asyncio.run(_run(Bot(KnowledgeSource(knowledge_dir), store), turns))
        finally:
            store.close()
