"""The Teams adapter: the Microsoft 365 Agents SDK's CloudAdapter on `POST /api/messages`, with
the core behind it.

The SDK parses the Activity, runs the turn and talks to the Bot Connector (replies, card
updates, proactive messages, outbound tokens through MSAL). Everything Teams-specific that the
core must not know lives here and in `convert`: who someone is (`convert.user_key`), where to
reach them unasked (a conversation reference, kept in the store's `addresses`), cards, and the
invoke responses Teams waits for. Log lines name event kinds and ids, never message text; the
SDK's own loggers are held at WARNING because they log ids and payload fragments at INFO.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from microsoft_agents.activity import Activity, ConversationReference, InvokeResponse
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity, Connections

from adapters.background import Background
from adapters.teams import convert
from bot.conversation import Bot
from bot.messages import Action, DirectMessage, Notification, Origin, Outgoing, Reply
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)

PLATFORM = "teams"
CHANNEL_PREFIX = "channel:"  # address key of a channel, beside people's Entra object ids
DONE = "✓"
REMEMBERED = 10_000  # addresses kept in memory before the cache starts over


def _quiet_sdk() -> None:
    logging.getLogger("microsoft_agents").setLevel(logging.WARNING)


class TeamsAgent:
    """The SDK's `Agent`: one turn per incoming activity."""

    def __init__(self, bot: Bot, adapter: CloudAdapter, *, app_id: str, anonymous: bool) -> None:
        self.bot = bot
        self.adapter = adapter
        self.app_id = app_id
        self.anonymous = anonymous
        self.background = Background(log, "teams: sending after the answer")
        # what this process last wrote per address, so an unchanged one isn't written again
        self._remembered: dict[tuple[str, str], tuple[dict, str]] = {}
        adapter.on_turn_error = self._on_error

    # -- a turn -----------------------------------------------------------------------------

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity.model_dump(mode="json", by_alias=True, exclude_none=True)
        kind = activity.get("type", "")
        name = activity.get("name", "")
        log.debug(
            "received",
            extra={
                "platform": "teams",
                "event": f"{kind}/{name}" if name else kind,
                "correlation_id": activity.get("id"),
            },
        )
        await self._remember(context, activity)
        if kind == "invoke" and name in convert.MESSAGE_ACTIONS:
            await self._message_action(context, activity)
            return
        event = convert.activity_to_core(activity)
        if event is None:
            if kind == "invoke":  # an invoke we don't serve: say so, don't leave Teams waiting
                await self._invoke_response(context, 501, None)
            return
        out = await asyncio.to_thread(self.bot.handle, event)
        if kind == "invoke":
            await self._answer_invoke(context, out)
        else:
            reply_to = activity.get("replyToId") if isinstance(event, Action) else None
            await self._answer(context, out, replace_id=reply_to)

    async def _answer(
        self, context: TurnContext, out: Iterable[Outgoing], *, replace_id: str | None = None
    ) -> None:
        """Replies into this conversation (a clicked `Action.Submit` card is replaced in
        place), notifications to their addresses."""
        out = list(out)
        names = await self._names(context, out)
        for message in out:
            if isinstance(message, Notification):
                await self.notify(message, names=names)
                continue
            replacing = bool(message.replace and replace_id)
            reply = Activity.model_validate(
                convert.to_activity(message, names=names, card=replacing)
            )
            if replacing:
                reply.id = replace_id
                await context.update_activity(reply)
                continue
            sent = await context.send_activity(reply)
            if isinstance(message, Reply) and message.follow_up is not None and sent and sent.id:
                reference = context.activity.get_conversation_reference()
                self.background.spawn(self._second_opinion(reference, sent.id, message))

    async def _second_opinion(
        self, reference: ConversationReference, activity_id: str, reply: Reply
    ) -> None:
        """The model's second opinion replaces the review card when it comes within the
        budget; else the card says it did not come. The first answer never waited for it."""
        assert reply.follow_up is not None
        update = await self.bot.second_opinion(reply.follow_up)
        activity = Activity.model_validate(convert.to_activity(update, card=True))
        activity.id = activity_id
        reference.activity_id = None
        await self._continue(reference, activity, update=True)

    async def _answer_invoke(self, context: TurnContext, out: list[Outgoing]) -> None:
        """An `Action.Execute` click: the card is replaced through the invoke response (Teams
        waits at most 5 s for it); other replies follow as messages; notifications to others
        go out after the response, so a slow Bot Connector never delays the clicker."""
        names = await self._names(context, out)
        replacing = next((m for m in out if isinstance(m, Reply) and m.replace), None)
        body = (
            convert.card_response(replacing, names=names)
            if replacing is not None
            else convert.message_response(DONE)
        )
        await self._invoke_response(context, 200, body)
        for message in out:
            if isinstance(message, Reply) and message is not replacing:
                await context.send_activity(
                    Activity.model_validate(convert.to_activity(message, names=names))
                )
        later = [m for m in out if isinstance(m, Notification)]
        if later:
            self.background.spawn(self._notify_all(later, names=names))

    async def _invoke_response(self, context: TurnContext, status: int, body: Any) -> None:
        await context.send_activity(
            Activity(type="invokeResponse", value=InvokeResponse(status=status, body=body))
        )

    async def _message_action(self, context: TurnContext, activity: Mapping[str, Any]) -> None:
        """ "Check met het protocol" on a message: the advice goes to the user's personal chat,
        never into the conversation the message came from."""
        text = convert.message_action_text(activity)
        origin = convert.origin_of(activity)
        lang = "en" if (origin.locale or "").lower().startswith("en") else "nl"
        try:
            found = await asyncio.to_thread(
                self.bot.store.get_address, PLATFORM, origin.tenant, origin.user_id
            )
        except StoreUnavailable:
            message = self.bot.phrase(lang, "store_unavailable")
            await self._invoke_response(context, 200, _task_message(message))
            return
        if text is None or found is None:
            key = "action_empty" if text is None else "open_chat_first"
            await self._invoke_response(context, 200, _task_message(self.bot.phrase(lang, key)))
            return
        reference = ConversationReference.model_validate(found[0])
        chat = Origin(
            PLATFORM,
            origin.user_id,
            reference.conversation.id,
            origin.locale,
            origin.tenant,
            origin.event_id,
        )
        out = await asyncio.to_thread(self.bot.handle, DirectMessage(chat, text))
        await self._invoke_response(
            context, 200, _task_message(self.bot.phrase(lang, "advice_in_chat"))
        )
        replies = [m for m in out if isinstance(m, Reply)]
        others = [m for m in out if isinstance(m, Notification)]
        note = [
            Notification(
                PLATFORM,
                user_id=origin.user_id,
                elements=m.elements,
                fallback=m.fallback,
                tenant=origin.tenant,
            )
            for m in replies
        ]
        self.background.spawn(self._notify_all(note + others))

    # -- addresses and names ----------------------------------------------------------------

    async def _remember(self, context: TurnContext, activity: Mapping[str, Any]) -> None:
        """Keep how to reach this person (personal chat) or channel again without being asked,
        and the name to call them by. Not from a message action: that runs in whatever chat
        the message was in, a 1:1 between two people included, where the bot can't write."""
        kind = activity.get("type")
        if kind not in ("message", "conversationUpdate", "installationUpdate", "invoke"):
            return
        if kind == "invoke" and activity.get("name") in convert.MESSAGE_ACTIONS:
            return
        tenant = convert.tenant_of(activity)
        reference = context.activity.get_conversation_reference()
        reference.activity_id = None
        scope = convert.conversation_type(activity)
        if scope == "personal":
            key = convert.user_key(activity)
            name = (activity.get("from") or {}).get("name") or ""
        elif scope == "channel":
            channel = convert.conversation_key(activity)
            reference.conversation.id = channel
            key, name = CHANNEL_PREFIX + channel, ""
        else:
            return
        if not key or not reference.service_url:
            return
        address = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
        known = (tenant, key)
        if self._remembered.get(known) == (address, name):
            return  # kept already: no write on every message
        try:
            await asyncio.to_thread(
                self.bot.store.put_address, PLATFORM, tenant, key, address, name=name
            )
        except StoreUnavailable:  # the turn goes on: the core answers what it can without it
            log.warning("teams: address not kept, the store is unavailable")
            return
        if len(self._remembered) >= REMEMBERED:
            self._remembered.clear()
        self._remembered[known] = (address, name)

    async def _names(self, context: TurnContext, out: Iterable[Outgoing]) -> dict[str, str]:
        """Display names for the people these messages name: the sender of this turn from the
        activity itself (someone answering in a channel may never have opened the personal
        chat), everyone else from the store."""
        activity = context.activity
        sender = activity.from_property
        names: dict[str, str] = {}
        if sender is not None and sender.name:
            names[sender.aad_object_id or sender.id] = sender.name
        tenant = activity.conversation.tenant_id if activity.conversation else ""
        ids = convert.mentioned_ids(m for m in out if isinstance(m, Reply | Notification))
        return await self._lookup(tenant or "", ids, names)

    async def _lookup(
        self, tenant: str, ids: Iterable[str], names: dict[str, str]
    ) -> dict[str, str]:
        for user in ids:
            if user in names:
                continue
            try:
                found = await asyncio.to_thread(self.bot.store.get_address, PLATFORM, tenant, user)
            except StoreUnavailable:
                return names  # "een collega" stands in while the store is away
            if found and found[1]:
                names[user] = found[1]
        return names

    # -- proactive messages -----------------------------------------------------------------

    async def notify(self, note: Notification, *, names: Mapping[str, str] | None = None) -> bool:
        """Deliver a notification to a person's personal chat or a channel through its stored
        conversation reference. Undeliverable (never installed, or removed the app): the core
        closes the question and tells the requester."""
        key = note.user_id or CHANNEL_PREFIX + note.channel_id
        try:
            found = await asyncio.to_thread(self.bot.store.get_address, PLATFORM, note.tenant, key)
        except StoreUnavailable:
            log.warning("teams: notification not sent, the store is unavailable")
            return False
        delivered = False
        if found is not None:
            known = await self._lookup(
                note.tenant, convert.mentioned_ids([note]), dict(names or {})
            )
            activity = Activity.model_validate(convert.to_activity(note, names=known))
            try:
                await self._continue(ConversationReference.model_validate(found[0]), activity)
                delivered = True
            except Exception as exc:  # the Bot Connector refused (403: app removed), or is down
                log.warning("teams: proactive message failed (%s)", type(exc).__name__)
        if not delivered:
            log.info("teams: notification undeliverable (escalation %s)", note.escalation_id or "-")
            for told in await asyncio.to_thread(self.bot.undelivered, note):
                if isinstance(told, Notification):
                    await self.notify(told)
        return delivered

    async def _notify_all(
        self, notes: Iterable[Notification], *, names: Mapping[str, str] | None = None
    ) -> None:
        for note in notes:
            await self.notify(note, names=names)

    async def _continue(
        self, reference: ConversationReference, activity: Activity, *, update: bool = False
    ) -> None:
        """Send `activity` (or, with `update`, replace the message with its id) outside a turn."""
        continuation = reference.get_continuation_activity()
        continuation.id = None  # a new message, not a reply to an old one

        failed: list[Exception] = []

        async def send(context: TurnContext) -> None:
            try:  # caught here: the SDK would hand it to on_turn_error and carry on
                if update:
                    await context.update_activity(activity)
                else:
                    await context.send_activity(activity)
            except Exception as exc:
                failed.append(exc)

        if self.anonymous:
            await self.adapter.continue_conversation_with_claims(
                ClaimsIdentity(), continuation, send, audience=None
            )
        else:
            await self.adapter.continue_conversation(self.app_id, continuation, send)
        if failed:
            raise failed[0]

    async def deliver(self, out: Iterable[Outgoing]) -> None:
        """Outgoing messages outside a turn (reminders): all of them are notifications."""
        for message in out:
            if isinstance(message, Notification):
                await self.notify(message)

    # -- plumbing ---------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait for notifications and updates still on their way (shutdown, tests)."""
        await self.background.drain()

    async def _on_error(self, context: TurnContext, error: Exception) -> None:
        # the SDK's default prints the traceback and sends the error text to the user
        log.error("teams: turn failed (%s)", type(error).__name__, exc_info=error)
        if context.activity.type == "invoke":
            await self._invoke_response(context, 500, None)
            return
        lang = "en" if (context.activity.locale or "").lower().startswith("en") else "nl"
        try:
            await context.send_activity(self.bot.phrase(lang, "turn_failed"))
        except Exception as exc:  # the Bot Connector is unreachable too
            log.warning("teams: could not report the failure (%s)", type(exc).__name__)


def _task_message(text: str) -> dict:
    """The invoke body of a message action that shows a short message in Teams' dialog."""
    return {"task": {"type": "message", "value": text}}


def build_adapter(connections: Connections) -> CloudAdapter:
    _quiet_sdk()
    return CloudAdapter(connection_manager=connections)
