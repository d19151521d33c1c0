"""Run the Teams adapter: configuration from the environment, `POST /api/messages` on an aiohttp
application (the same one that serves Slack), and the reminder loop."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization import ClaimsIdentity, Connections
from pydantic import ValidationError

from adapters.teams.app import TeamsAgent, build_adapter
from adapters.teams.auth import (
    BOT_FRAMEWORK_METADATA,
    TokenValidator,
    Unauthorized,
    entra_metadata_for,
    issuers_for,
)
from bot.conversation import Bot

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
VARIABLES = (
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TENANT_ID",
    "TEAMS_ALLOW_ANONYMOUS",
)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


@dataclass(frozen=True)
class TeamsConfig:
    app_id: str
    app_password: str = ""
    tenant_id: str = ""
    allow_anonymous: bool = False
    openid_metadata: tuple[str, ...] = (BOT_FRAMEWORK_METADATA,)


def _guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def config_from_env(env: Mapping[str, str] = os.environ) -> tuple[TeamsConfig | None, str]:
    """The Teams configuration, or None with why: '' when Teams is simply not configured, a
    message naming each problem when it is configured wrongly. Anonymous access (no token
    check) only when TEAMS_ALLOW_ANONYMOUS says so, never because an id is missing."""
    values = {name: env.get(name, "").strip() for name in VARIABLES}
    if not any(values.values()):
        return None, ""
    problems: list[str] = []
    flag = values["TEAMS_ALLOW_ANONYMOUS"].lower()
    if flag not in _TRUE | _FALSE:
        problems.append(f"TEAMS_ALLOW_ANONYMOUS must be true or false, not {flag!r}")
    anonymous = flag in _TRUE
    app_id, tenant = values["MICROSOFT_APP_ID"], values["MICROSOFT_APP_TENANT_ID"]
    if not anonymous:
        missing = [n for n in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD") if not values[n]]
        if missing:
            problems.append(
                f"Teams is half configured: {', '.join(missing)} missing (or set "
                "TEAMS_ALLOW_ANONYMOUS=true for a local test without tokens)"
            )
    if app_id and not _guid(app_id):
        problems.append("MICROSOFT_APP_ID must be the bot's Application (client) ID, a GUID")
    if tenant and not _guid(tenant):
        problems.append("MICROSOFT_APP_TENANT_ID must be your Directory (tenant) ID, a GUID")
    if problems:
        return None, "; ".join(problems)
    metadata = tuple(
        url.strip() for url in env.get("TEAMS_OPENID_METADATA", "").split(",") if url.strip()
    ) or (
        (BOT_FRAMEWORK_METADATA, entra_metadata_for(tenant))
        if tenant
        else (BOT_FRAMEWORK_METADATA,)
    )
    return (
        TeamsConfig(
            app_id=app_id,
            app_password=values["MICROSOFT_APP_PASSWORD"],
            tenant_id=tenant,
            allow_anonymous=anonymous,
            openid_metadata=metadata,
        ),
        "",
    )


def msal_connections(config: TeamsConfig) -> Connections:
    """Outbound tokens for the Bot Connector, from Entra ID through MSAL (the SDK's own)."""
    from microsoft_agents.authentication.msal import MsalConnectionManager

    auth = AgentAuthConfiguration(
        client_id=config.app_id or None,
        tenant_id=config.tenant_id or None,
        client_secret=config.app_password or None,
        anonymous_allowed=config.allow_anonymous,
    )
    return MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": auth})


def _bad(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def mount(
    application: web.Application,
    bot: Bot,
    config: TeamsConfig,
    *,
    connections: Connections | None = None,
    remind_every: float = 60.0,
) -> TeamsAgent:
    """Add `POST /api/messages` (and the Teams reminder loop) to `application`."""
    adapter = build_adapter(connections or msal_connections(config))
    agent = TeamsAgent(bot, adapter, app_id=config.app_id, anonymous=config.allow_anonymous)
    validator = (
        None
        if config.allow_anonymous
        else TokenValidator(
            config.app_id,
            issuers=issuers_for(config.tenant_id),
            metadata_urls=config.openid_metadata,
        )
    )
    if validator is None:
        # without an app id the SDK warns on every turn that its user-token client lacks one
        logging.getLogger(
            "microsoft_agents.hosting.core.connector.client.user_token_client"
        ).setLevel(logging.ERROR)
        log.warning(
            "teams: TEAMS_ALLOW_ANONYMOUS=true: requests to %s are NOT authenticated; "
            "use this only for a local test, never where the internet can reach it",
            ROUTE,
        )

    async def messages(request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/json":
            return _bad(415, "send the Activity as application/json")
        try:
            body = await request.json()
        except ValueError:
            return _bad(400, "the body is not valid JSON")
        if not isinstance(body, dict):
            return _bad(400, "the body must be a JSON object (an Activity)")
        for field in ("type", "serviceUrl"):
            if not isinstance(body.get(field), str) or not body[field]:
                return _bad(400, f"the Activity has no '{field}'")
        conversation = body.get("conversation")
        if not isinstance(conversation, dict) or not conversation.get("id"):
            return _bad(400, "the Activity has no 'conversation.id'")
        if validator is not None:
            try:
                claims = await validator.validate(request.headers.get("Authorization"), body)
            except Unauthorized as exc:
                log.warning("teams: 401 on %s: %s", ROUTE, exc)
                return _bad(401, "unauthorized")
        else:
            claims = ClaimsIdentity()
        try:
            Activity.model_validate(body)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"]) if exc.errors() else "?"
            return _bad(400, f"the Activity is malformed at '{where}'")
        with warnings.catch_warnings():  # the SDK reads it under this plain string key
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            request["claims_identity"] = claims
        response = await adapter.process(request, agent)
        return response if response is not None else web.Response(status=202)

    application.router.add_post(ROUTE, messages)

    async def reminders(app: web.Application):
        task = asyncio.create_task(remind_forever(agent, bot, every=remind_every))
        yield
        task.cancel()
        await agent.drain()

    application.cleanup_ctx.append(reminders)
    return agent


async def remind_forever(agent: TeamsAgent, bot: Bot, every: float = 60.0) -> None:
    """Reminders for unanswered Teams escalations and the retention purge."""
    while True:
        try:
            await agent.deliver(await asyncio.to_thread(bot.tick, ("teams",)))
        except Exception:  # keep reminding; the next round retries
            log.exception("teams reminder round failed")
        await asyncio.sleep(every)
