"""`protocolbot serve`: one aiohttp server for Slack (`/slack/events`), Teams (`/api/messages`),
`/healthz`, `/readyz` and `/metrics`.

Configuration comes from the environment and an optional `.env` file (the environment wins),
checked at start with a message per problem: the server settings here (a pydantic model), the
platforms' own in their adapters. Only configured platforms are mounted. Each replica follows
the knowledge generation in the store (an admin's reload on any replica reloads all), counts
what happens for Prometheus, logs one JSON line per request without personal data, and on
SIGTERM stops accepting, finishes the requests in flight and closes the store.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from adapters.metrics import Metrics
from adapters.slack import server as slack_server
from adapters.teams import server as teams_server
from bot.conversation import Bot
from bot.second_opinion import LLMConfig
from bot.second_opinion import config_from_env as llm_config_from_env
from bot.source import KnowledgeSource
from bot.store import Store

log = logging.getLogger("protocolbot.serve")

QUIET_ROUTES = ("/healthz", "/readyz", "/metrics")  # probed often: logged at DEBUG only


class Settings(BaseModel):
    """The server's own settings (the platforms' are checked by their adapters)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    host: str = Field("0.0.0.0", alias="PROTOCOLBOT_HOST", min_length=1)
    port: int = Field(3000, alias="PORT", ge=1, le=65535)
    database_url: SecretStr | None = Field(None, alias="PROTOCOLBOT_DATABASE_URL")
    knowledge_dir: Path | None = Field(None, alias="PROTOCOLBOT_KNOWLEDGE_DIR")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", alias="PROTOCOLBOT_LOG_LEVEL"
    )
    log_format: Literal["json", "text"] = Field("json", alias="PROTOCOLBOT_LOG_FORMAT")
    log_salt: SecretStr | None = Field(None, alias="PROTOCOLBOT_LOG_SALT")
    sync_seconds: float = Field(5.0, alias="PROTOCOLBOT_SYNC_SECONDS", gt=0)
    shutdown_seconds: float = Field(30.0, alias="PROTOCOLBOT_SHUTDOWN_SECONDS", ge=0)

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        return (
            value.upper()
            if value.upper() in ("DEBUG", "INFO", "WARNING", "ERROR")
            else value.lower()
        )

    @field_validator("knowledge_dir")
    @classmethod
    def _exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory (it should hold rules.yaml)")
        return value


SECRETS = {
    "SLACK_BOT_TOKEN": "token",
    "SLACK_APP_TOKEN": "token",
    "SLACK_SIGNING_SECRET": "secret",
    "MICROSOFT_APP_PASSWORD": "secret",
    "PROTOCOLBOT_LOG_SALT": "secret",
    "PROTOCOLBOT_DATABASE_URL": "url",
    "PROTOCOLBOT_LLM_API_KEY": "secret",
}
PLATFORM_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TENANT_ID",
    "TEAMS_ALLOW_ANONYMOUS",
    "TEAMS_OPENID_METADATA",
    "PROTOCOLBOT_LLM_URL",
    "PROTOCOLBOT_LLM_MODEL",
    "PROTOCOLBOT_LLM_API_KEY",
    "PROTOCOLBOT_LLM_TIMEOUT",
    "PROTOCOLBOT_LLM_BUDGET",
)


@dataclass(frozen=True)
class ServeConfig:
    settings: Settings
    slack: slack_server.SlackConfig | None
    teams: teams_server.TeamsConfig | None
    llm: LLMConfig | None = None


def environment(env_file: str | Path | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The effective variables (a `.env` file's, overridden by the real environment) and where
    each came from. The file: `env_file`, else $PROTOCOLBOT_ENV_FILE, else ./.env if present."""
    from dotenv import dotenv_values

    path = Path(env_file or os.environ.get("PROTOCOLBOT_ENV_FILE") or ".env")
    from_file = (
        {k: v for k, v in dotenv_values(path).items() if v is not None} if path.is_file() else {}
    )
    merged = {**from_file, **os.environ}
    sources = {k: ("environment" if k in os.environ else str(path)) for k in merged}
    return merged, sources


def check(env: Mapping[str, str]) -> tuple[ServeConfig | None, list[str]]:
    """The configuration, or every problem with it (one message each, naming the variable)."""
    problems: list[str] = []
    settings = None
    try:
        settings = Settings.model_validate(
            {k: v for k, v in env.items() if k in _aliases() and v.strip() != ""}
        )
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            shown = "" if name in SECRETS else f" (got {error.get('input')!r})"
            problems.append(f"{name}: {error['msg']}{shown}")
    slack, slack_problem = slack_server.config_from_env(env)
    teams, teams_problem = teams_server.config_from_env(env)
    llm, llm_problem = llm_config_from_env(env)
    problems += [p for p in (slack_problem, teams_problem, llm_problem) if p]
    if settings is not None and not problems and slack is None and teams is None:
        problems.append(
            "nothing to serve: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (Slack; see README "
            "'Install in Slack') and/or MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and "
            "MICROSOFT_APP_TENANT_ID (Teams; see README 'Install in Teams')"
        )
    if problems or settings is None:
        return None, problems
    return ServeConfig(settings, slack, teams, llm), []


def _aliases() -> set[str]:
    return {field.alias for field in Settings.model_fields.values() if field.alias}


def mask(name: str, value: str) -> str:
    """A setting as `config check` shows it: secrets never in full."""
    kind = SECRETS.get(name)
    if kind == "secret":
        return f"set ({len(value)} characters)"
    if kind == "token":
        return f"{value[:5]}… ({len(value)} characters)"
    if kind == "url":
        parts = urlsplit(value)
        if parts.password:
            host = parts.hostname or ""
            netloc = f"{parts.username}:****@{host}" + (f":{parts.port}" if parts.port else "")
            return urlunsplit(parts._replace(netloc=netloc))
    return value


def describe(env: Mapping[str, str], sources: Mapping[str, str]) -> list[str]:
    """Every setting `serve` reads: its effective value (masked) and where it came from."""
    lines = []
    names = [field.alias for field in Settings.model_fields.values()] + list(PLATFORM_VARIABLES)
    defaults = {f.alias: f.default for f in Settings.model_fields.values()}
    for name in names:
        value = env.get(name, "")
        if value.strip():
            lines.append(f"{name:<30} {mask(name, value)}   [{sources.get(name, 'environment')}]")
        else:
            default = defaults.get(name)
            if name in _fallback:
                shown = _fallback[name]()
            else:
                shown = "(not set)" if default is None else f"{default}   [default]"
            lines.append(f"{name:<30} {shown}")
    return lines


def _default_store() -> str:
    from bot.store.dialect import default_sqlite_path

    return f"(not set: SQLite in {default_sqlite_path()})"


def _default_knowledge() -> str:
    from bot.knowledge.loader import default_knowledge_dir

    return f"(not set: {default_knowledge_dir()})"


_fallback = {
    "PROTOCOLBOT_DATABASE_URL": _default_store,
    "PROTOCOLBOT_KNOWLEDGE_DIR": _default_knowledge,
}


# -- the application ------------------------------------------------------------------------------


def build(
    config: ServeConfig,
    bot: Bot,
    store: Store,
    source: KnowledgeSource,
    *,
    teams_connections=None,
) -> web.Application:
    """The aiohttp application: health, readiness, metrics and the configured platforms."""
    metrics = Metrics()
    bot.on_tally = metrics.tally
    metrics.knowledge.info({"version": source.current.knowledge.version})

    @web.middleware
    async def observe(request: web.Request, handler):
        started = time.perf_counter()
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        correlation = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
        status = 500
        try:
            response = await handler(request)
            status = response.status
            response.headers["X-Request-Id"] = correlation
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            seconds = time.perf_counter() - started
            metrics.request(route, request.method, status, seconds)
            log.log(
                logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
                "request",
                extra={
                    "route": route,
                    "method": request.method,
                    "status": status,
                    "latency_ms": round(seconds * 1000, 2),
                    "correlation_id": correlation,
                },
            )

    application = web.Application(middlewares=[observe])

    async def store_lifetime(app: web.Application):
        yield
        store.close()  # the last thing on the way out: after every platform's cleanup
        log.info("store closed; stopped")

    application.cleanup_ctx.append(store_lifetime)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(request: web.Request) -> web.Response:
        version = source.current.knowledge.version
        try:
            await asyncio.wait_for(asyncio.to_thread(store.ping), timeout=3)
        except Exception as exc:  # unreachable, closed, or too slow
            metrics.store_up.set(0)
            body = {"status": "not ready", "knowledge": version, "store": type(exc).__name__}
            return web.json_response(body, status=503)
        metrics.store_up.set(1)
        return web.json_response({"status": "ready", "knowledge": version, "store": "ok"})

    async def metrics_page(request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})

    application.router.add_get("/healthz", healthz)
    application.router.add_get("/readyz", readyz)
    application.router.add_get("/metrics", metrics_page)

    if config.slack is not None and config.slack.app_token is None:
        slack_server.mount(application, bot, config.slack)
    if config.teams is not None:
        teams_server.mount(application, bot, config.teams, connections=teams_connections)

    async def follow_knowledge(app: web.Application):
        task = asyncio.create_task(_follow(bot, metrics, config.settings.sync_seconds))
        yield
        task.cancel()

    application.cleanup_ctx.append(follow_knowledge)
    return application


async def _follow(bot: Bot, metrics: Metrics, every: float) -> None:
    """Reload when another replica did; keep the version metric and store gauge current."""
    while True:
        try:
            await asyncio.to_thread(bot.sync_knowledge)
            metrics.store_up.set(1)
        except Exception as exc:  # the store is down: readiness says so, we try again
            metrics.store_up.set(0)
            log.warning("knowledge sync skipped", extra={"outcome": type(exc).__name__})
        metrics.knowledge.info({"version": bot.source.current.knowledge.version})
        await asyncio.sleep(every)


def run(config: ServeConfig, application: web.Application, bot: Bot, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT; then finish in-flight requests (up to
    PROTOCOLBOT_SHUTDOWN_SECONDS) and close the store. Slack in Socket Mode runs beside it."""
    slack = config.slack
    if slack is None or slack.app_token is None:
        web.run_app(
            application,
            host=host,
            port=port,
            print=None,
            access_log=None,
            shutdown_timeout=config.settings.shutdown_seconds,
        )
        return

    async def both() -> None:
        runner = web.AppRunner(
            application, access_log=None, shutdown_timeout=config.settings.shutdown_seconds
        )
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        try:
            await slack_server.run_socket_mode(bot, slack)
        finally:
            await runner.cleanup()

    asyncio.run(both())
