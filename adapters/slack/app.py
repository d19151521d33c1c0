"""The Slack adapter: Bolt (AsyncApp) handlers that turn Slack payloads into core events and the
core's replies into Block Kit, over HTTP (`POST /slack/events`) or Socket Mode.

The core is synchronous and talks to the store, so each event is handled in a worker thread.
Retries need no special case: the core answers an event id once (shared store), and Bolt acks
in time. Draft text never reaches a log line: handlers log event kinds and ids only.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.background import Background
from adapters.slack import convert
from bot.conversation import Bot
from bot.messages import HomeOpened, Notification, Outgoing, Reply

log = logging.getLogger(__name__)

SHORTCUT = "protocol_check"  # the message shortcut's callback_id in manifest.yaml
DEFAULT_API_URL = "https://slack.com/api/"


def build_app(
    bot: Bot,
    *,
    token: str,
    signing_secret: str,
    api_url: str | None = None,
) -> AsyncApp:
    """A Bolt app wired to the core. `api_url` points the Web API client elsewhere (tests)."""
    # slack_sdk logs request bodies at DEBUG, and our replies quote the draft's words: its logger
    # stays at INFO whatever the root level, so no draft text reaches a log.
    quiet = logging.getLogger("protocolbot.slack.web")
    quiet.setLevel(logging.INFO)
    client = AsyncWebClient(token=token, base_url=api_url or DEFAULT_API_URL, logger=quiet)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    bolt_log = logging.getLogger("protocolbot.slack.bolt")
    bolt_log.setLevel(logging.INFO)  # Bolt logs payloads at DEBUG
    # the answer is sent before the HTTP response, so a SIGTERM (which lets requests in flight
    # finish) never drops an acknowledged event; the work is milliseconds, Slack allows 3 s
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        logger=bolt_log,
        process_before_response=True,
    )
    slack = _Delivery(bot)

    @app.event("message")
    async def on_message(body: dict, client: AsyncWebClient) -> None:
        event = convert.event_to_core(body)
        if event is not None:
            await slack.run(client, event)

    @app.event("app_mention")
    async def on_mention(body: dict, client: AsyncWebClient) -> None:
        mention = convert.mention_to_core(body)
        if mention is not None:
            event, thread_ts = mention
            await slack.run(client, event, thread_ts=thread_ts)

    @app.event("app_home_opened")
    async def on_home(body: dict, client: AsyncWebClient) -> None:
        event = convert.event_to_core(body)
        if isinstance(event, HomeOpened):
            await slack.home(client, event)

    @app.command("/protocol")
    async def on_command(ack, body: dict, client: AsyncWebClient, respond) -> None:
        await ack()  # within 3 s; the answer follows through response_url
        await slack.run(client, convert.command_to_core(body), respond=respond)

    @app.action(re.compile(".+"))
    async def on_action(ack, body: dict, client: AsyncWebClient, respond) -> None:
        await ack()
        event = convert.action_to_core(body)
        if event is not None:
            await slack.run(client, event, respond=respond)

    @app.shortcut(SHORTCUT)
    async def on_shortcut(ack, body: dict, client: AsyncWebClient) -> None:
        await ack()
        event = convert.shortcut_to_core(body)
        if event is None:
            return
        opened = await client.conversations_open(users=event.origin.user_id)
        origin = replace(event.origin, conversation_id=opened["channel"]["id"])
        await slack.run(client, replace(event, origin=origin))

    return app


class _Delivery:
    """Runs an event through the core and delivers every outgoing message."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.background = Background(log, "slack: second opinion update")

    async def run(
        self,
        client: AsyncWebClient,
        event: Any,
        *,
        respond: Any = None,
        thread_ts: str | None = None,
    ) -> None:
        log.debug(
            "received",
            extra={
                "platform": "slack",
                "event": type(event).__name__,
                "correlation_id": event.origin.event_id or None,
            },
        )
        out = await asyncio.to_thread(self.bot.handle, event)
        await self.deliver(client, out, respond=respond, thread_ts=thread_ts)

    async def deliver(
        self,
        client: AsyncWebClient,
        out: Iterable[Outgoing],
        *,
        respond: Any = None,
        thread_ts: str | None = None,
    ) -> None:
        for message in out:
            payload = convert.reply_to_message(message)
            if isinstance(message, Notification):
                channel = message.channel_id
                if not channel:
                    opened = await client.conversations_open(users=message.user_id)
                    channel = opened["channel"]["id"]
                await client.chat_postMessage(channel=channel, **payload)
            elif respond is not None:  # a command or a click: answer through response_url
                await respond(
                    **payload,
                    response_type="ephemeral" if message.ephemeral else "in_channel",
                    replace_original=message.replace,
                )
            else:
                extra = {"thread_ts": thread_ts} if thread_ts else {}
                posted = await client.chat_postMessage(
                    channel=message.conversation_id, **payload, **extra
                )
                if isinstance(message, Reply) and message.follow_up is not None:
                    self.background.spawn(
                        self._second_opinion(client, posted["channel"], posted["ts"], message)
                    )

    async def _second_opinion(self, client: AsyncWebClient, channel: str, ts: str, reply) -> None:
        """The model's second opinion replaces the review when it comes within the budget;
        else the review says it did not come. The first answer never waited for it."""
        update = await self.bot.second_opinion(reply.follow_up)
        payload = convert.reply_to_message(update)
        await client.chat_update(channel=channel, ts=ts, **payload)

    async def home(self, client: AsyncWebClient, event: HomeOpened) -> None:
        out = await asyncio.to_thread(self.bot.handle, event)
        blocks: list[dict] = []
        for message in out:
            blocks += convert.reply_to_message(message)["blocks"]
        await client.views_publish(
            user_id=event.origin.user_id, view={"type": "home", "blocks": blocks[:100]}
        )

    async def tick(self, client: AsyncWebClient) -> None:
        await self.deliver(client, await asyncio.to_thread(self.bot.tick, ("slack",)))


async def remind_forever(app: AsyncApp, bot: Bot, every: float = 60.0) -> None:
    """Reminders for unanswered escalations and the retention purge, once a minute."""
    delivery = _Delivery(bot)
    while True:
        try:
            await delivery.tick(app.client)
        except Exception:  # keep reminding; the next round retries
            log.exception("slack reminder round failed")
        await asyncio.sleep(every)
