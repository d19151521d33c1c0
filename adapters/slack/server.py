"""Run the Slack adapter: configuration from the environment, HTTP or Socket Mode."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from adapters.slack.app import build_app, remind_forever
from bot.conversation import Bot

REQUIRED = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


@dataclass(frozen=True)
class SlackConfig:
    token: str
    signing_secret: str
    app_token: str | None = None  # Socket Mode when set
    api_url: str | None = None


def config_from_env(env: Mapping[str, str] = os.environ) -> tuple[SlackConfig | None, str]:
    """The Slack configuration, or None with why: '' when Slack is simply not configured, a
    message naming the missing variables when it is half configured."""
    present = [name for name in (*REQUIRED, "SLACK_APP_TOKEN") if env.get(name, "").strip()]
    if not present:
        return None, ""
    missing = [name for name in REQUIRED if not env.get(name, "").strip()]
    if missing:
        return None, (
            f"Slack is half configured: {', '.join(present)} set, {', '.join(missing)} missing"
        )
    token = env["SLACK_BOT_TOKEN"].strip()
    if not token.startswith("xoxb-"):
        return None, "SLACK_BOT_TOKEN must be a bot token (xoxb-…)"
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token and not app_token.startswith("xapp-"):
        return None, "SLACK_APP_TOKEN must be an app-level token (xapp-…) for Socket Mode"
    return (
        SlackConfig(
            token=token,
            signing_secret=env["SLACK_SIGNING_SECRET"].strip(),
            app_token=app_token,
            api_url=env.get("SLACK_API_URL", "").strip() or None,
        ),
        "",
    )


def mount(application: web.Application, bot: Bot, config: SlackConfig) -> None:
    """Add `POST /slack/events` (events, commands, clicks) and the Slack reminder loop to an
    aiohttp application, beside whatever else it serves (Teams)."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    slack = build_app(
        bot, token=config.token, signing_secret=config.signing_secret, api_url=config.api_url
    )

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await slack.async_dispatch(await to_bolt_request(request)))

    application.router.add_post("/slack/events", events)

    async def reminders(app: web.Application):
        task = asyncio.create_task(remind_forever(slack, bot))
        yield
        task.cancel()

    application.cleanup_ctx.append(reminders)


def web_app(bot: Bot, config: SlackConfig) -> web.Application:
    """An aiohttp application serving only Slack."""
    application = web.Application()
    mount(application, bot, config)
    return application


def socket_mode_handler(bot: Bot, config: SlackConfig):
    """The Socket Mode handler: it asks the Web API (`SLACK_API_URL`) for a WebSocket address
    with the app token and receives events, commands and clicks over it."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    slack = build_app(
        bot, token=config.token, signing_secret=config.signing_secret, api_url=config.api_url
    )
    return AsyncSocketModeHandler(slack, config.app_token)


async def run_socket_mode(bot: Bot, config: SlackConfig) -> None:
    """Socket Mode: no public address; Slack delivers over a WebSocket."""
    handler = socket_mode_handler(bot, config)
    task = asyncio.create_task(remind_forever(handler.app, bot))
    try:
        await handler.start_async()
    finally:
        task.cancel()
