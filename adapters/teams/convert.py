"""Pure conversions for Microsoft Teams: Activity JSON to core events, core messages to
Adaptive Cards 1.5.

No SDK objects and no network here: the adapter (`adapters.teams.app`) hands in the activity as
the JSON Teams sent and posts what comes out. Buttons are `Action.Execute` (Teams answers them
with an `adaptiveCard/action` invoke, so the card can be replaced in place) with an
`Action.Submit` fallback for hosts without the Universal Action Model; both carry the same
`data`, so either way the click reaches the core as the same Action.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.messages import (
    Action,
    Buttons,
    Choice,
    Command,
    Context,
    DirectMessage,
    Divider,
    Element,
    Event,
    Fields,
    Header,
    HomeOpened,
    Mention,
    Notification,
    Origin,
    Reply,
    Text,
)

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
CARD_ACTION = "adaptiveCard/action"  # the invoke name of an Action.Execute click
# the message action "Check met het protocol": fetchTask when the manifest asks Teams to fetch a
# dialog first (ours does: we answer with a short message), submitAction otherwise
MESSAGE_ACTIONS = ("composeExtension/fetchTask", "composeExtension/submitAction")

MAX_ACTIONS_PER_SET = 5  # Teams shows at most 6 buttons side by side; keep each row readable
MAX_TEXT = 4000  # characters per TextBlock; a card must stay well under Teams' 28 KB
MAX_TITLE = 60
MAX_FALLBACK = 1000
SHORTENED = "… ingekort / shortened"
SOMEONE = "een collega / a colleague"

# -- Teams -> core --------------------------------------------------------------------------------

_AT = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_HELP = {"help", "hulp", "?"}
_COMMAND = re.compile(r"^\s*/?protocol\b", re.IGNORECASE)


def user_key(activity: Mapping[str, Any]) -> str:
    """The id the core knows a Teams user by: the Entra object id (the same in every chat and
    the one a profile names), else the per-bot Teams id."""
    sender = activity.get("from") or {}
    return sender.get("aadObjectId") or sender.get("id") or ""


def tenant_of(activity: Mapping[str, Any]) -> str:
    conversation = activity.get("conversation") or {}
    channel_data = activity.get("channelData") or {}
    return conversation.get("tenantId") or (channel_data.get("tenant") or {}).get("id") or ""


def conversation_key(activity: Mapping[str, Any]) -> str:
    """The conversation's id; a reply thread in a channel ('19:…;messageid=…') counts as the
    channel itself, so an answer from any thread of a contact team's channel is recognised."""
    conversation_id = (activity.get("conversation") or {}).get("id") or ""
    return conversation_id.split(";messageid=")[0]


def conversation_type(activity: Mapping[str, Any]) -> str:
    """'personal', 'channel' or 'groupChat' (personal when Teams leaves it out)."""
    return (activity.get("conversation") or {}).get("conversationType") or "personal"


def origin_of(activity: Mapping[str, Any]) -> Origin:
    return Origin(
        "teams",
        user_key(activity),
        conversation_key(activity),
        activity.get("locale") or "",
        tenant_of(activity),
        activity.get("id") or "",
    )


def plain_text(text: str) -> str:
    """A Teams message as the plain text the author typed: without the bot's @mention and
    without the HTML Teams uses for formatted messages."""
    text = _AT.sub(" ", text)
    text = _BREAK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.replace("\xa0", " ").splitlines()]
    return "\n".join(lines).strip()


def _action(origin: Origin, data: Any) -> Action | None:
    """The data a card button carries ({"action": id, "value": v}) as a core Action."""
    if not isinstance(data, Mapping):
        return None
    action_id = data.get("action")
    if not isinstance(action_id, str) or not action_id:
        return None
    value = data.get("value", "")
    text = data.get("text", "")
    return Action(
        origin,
        action_id,
        value if isinstance(value, str) else "",
        text.strip() if isinstance(text, str) else "",
    )


def _bot_added(activity: Mapping[str, Any]) -> bool:
    bot_id = (activity.get("recipient") or {}).get("id")
    return any((member or {}).get("id") == bot_id for member in activity.get("membersAdded") or ())


def activity_to_core(activity: Mapping[str, Any]) -> Event | None:
    """An incoming Activity as a core event; None for everything the core need not see.

    - a message in the personal chat: a draft, or `protocol …` / `help` as a command;
    - a message in a channel or group chat (the bot only gets those when @mentioned): a Mention,
      whatever it says, so no draft is ever reviewed where others read along;
    - a card click, as `Action.Submit` (a message with `value`) or as an `adaptiveCard/action`
      invoke (`Action.Execute`): an Action;
    - the bot installed in the personal chat (`conversationUpdate`): HomeOpened, the welcome.
    """
    kind = activity.get("type")
    origin = origin_of(activity)
    if not origin.user_id:
        return None
    if kind == "message":
        value = activity.get("value")
        if value is not None:
            return _action(origin, value)
        if conversation_type(activity) != "personal":
            return Mention(origin)
        text = plain_text(activity.get("text") or "")
        if not text:
            return None
        if text.lower() in _HELP:
            return Command(origin, "protocol", ("help",))
        if _COMMAND.match(text) and "\n" not in text:
            return Command(origin, "protocol", tuple(_COMMAND.sub("", text, count=1).split()))
        return DirectMessage(origin, text)
    if kind == "invoke" and activity.get("name") == CARD_ACTION:
        action = (activity.get("value") or {}).get("action") or {}
        return _action(origin, action.get("data"))
    if (
        kind == "conversationUpdate"
        and _bot_added(activity)
        and conversation_type(activity) == "personal"
    ):
        return HomeOpened(origin)  # the person who installed it
    return None


def message_action_text(activity: Mapping[str, Any]) -> str | None:
    """The text of the message a user ran "Check met het protocol" on, or None."""
    if activity.get("type") != "invoke" or activity.get("name") not in MESSAGE_ACTIONS:
        return None
    payload = (activity.get("value") or {}).get("messagePayload") or {}
    body = payload.get("body") or {}
    text = plain_text(body.get("content") or "")
    return text or None


# -- core -> Adaptive Card ------------------------------------------------------------------------

_MENTION = re.compile(r"<@([^>|]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?://|mailto:)[^|>\s]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<((?:https?://|mailto:)[^|>\s]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_SLASH = re.compile(r"(?<![\w/])/protocol\b")


def to_plain(text: str, names: Mapping[str, str] | None = None) -> str:
    """Text shown without Markdown (titles, buttons): names for <@id>, commands as typed."""
    names = names or {}
    text = _MENTION.sub(lambda m: names.get(m.group(1)) or m.group(2) or SOMEONE, text)
    return _SLASH.sub("protocol", text)


def to_markdown(text: str, names: Mapping[str, str] | None = None) -> str:
    """The core's markup as the Markdown a TextBlock shows: *bold* -> **bold**, <url|label> ->
    [label](url), and what `to_plain` does."""
    text = _LINK.sub(r"[\2](\1)", to_plain(text, names))
    text = _BARE_LINK.sub(r"\1", text)
    return _BOLD.sub(r"**\1**", text)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(SHORTENED) - 1].rstrip() + SHORTENED


def _text_block(text: str, **style: Any) -> dict:
    return {"type": "TextBlock", "text": _clip(text, MAX_TEXT), "wrap": True, **style}


def _text(text: str, names: Mapping[str, str]) -> list[dict]:
    """A Text element: runs of plain lines as TextBlocks, runs of '> ' lines as an emphasised
    Container (TextBlock Markdown has no quotes)."""
    blocks: list[dict] = []
    run: list[str] = []
    quoted = False

    def flush() -> None:
        body = "\n".join(run).strip("\n")
        if body.strip():
            block = _text_block(to_markdown(body, names))
            blocks.append(
                {"type": "Container", "style": "emphasis", "items": [block]} if quoted else block
            )
        run.clear()

    for line in text.split("\n"):
        is_quote = line.startswith(">")
        if is_quote != quoted and run:
            flush()
        quoted = is_quote
        run.append(line[1:].lstrip() if is_quote else line)
    flush()
    return blocks


_STYLES = {"primary": "positive", "danger": "destructive"}


def _data(action_id: str, value: str) -> dict:
    return {"action": action_id, "value": value}


def _button(title: str, action_id: str, value: str, style: str = "default") -> dict:
    data = _data(action_id, value)
    title = _clip(to_plain(title), MAX_TITLE)
    submit = {"type": "Action.Submit", "title": title, "data": data}
    execute: dict[str, Any] = {
        "type": "Action.Execute",
        "title": title,
        "verb": action_id,
        "data": data,
        "fallback": submit,
    }
    if style in _STYLES:
        execute["style"] = submit["style"] = _STYLES[style]
    return execute


def _action_sets(buttons: Sequence[dict]) -> list[dict]:
    return [
        {"type": "ActionSet", "actions": list(buttons[i : i + MAX_ACTIONS_PER_SET])}
        for i in range(0, len(buttons), MAX_ACTIONS_PER_SET)
    ]


def _blocks(element: Element, names: Mapping[str, str]) -> list[dict]:
    if isinstance(element, Header):
        return [
            _text_block(
                to_plain(element.text, names), size="Large", weight="Bolder", style="heading"
            )
        ]
    if isinstance(element, Text):
        return _text(element.text, names)
    if isinstance(element, Fields):
        facts = [
            {"title": _clip(to_markdown(k, names), MAX_TITLE), "value": to_markdown(v, names)}
            for k, v in element.pairs
        ]
        return [{"type": "FactSet", "facts": facts}] if facts else []
    if isinstance(element, Context):
        return [_text_block(to_markdown(element.text, names), size="Small", isSubtle=True)]
    if isinstance(element, Buttons):
        return _action_sets(
            [_button(b.label, b.action_id, b.value, b.style) for b in element.buttons]
        )
    if isinstance(element, Choice):
        question = [_text_block(to_markdown(element.question, names), weight="Bolder")]
        options = [_button(o.label, element.action_id, o.value) for o in element.options]
        return question + _action_sets(options)
    return []  # Divider: a separator on what follows


def to_card(
    elements: Iterable[Element], *, names: Mapping[str, str] | None = None, fallback: str = ""
) -> dict:
    """Core elements as an Adaptive Card 1.5 (valid against the adaptivecards.io schema)."""
    names = names or {}
    body: list[dict] = []
    separate = False
    for element in elements:
        if isinstance(element, Divider):
            separate = bool(body)
            continue
        blocks = _blocks(element, names)
        if blocks and separate:
            blocks[0] = {**blocks[0], "separator": True, "spacing": "Medium"}
            separate = False
        body += blocks
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    if fallback:
        card["fallbackText"] = _clip(fallback, MAX_FALLBACK)
    return card


def fallback_text(message: Reply | Notification, names: Mapping[str, str] | None = None) -> str:
    """The plain words of a message, for notifications, screen readers and hosts without cards."""
    if message.fallback:
        return _clip(to_markdown(message.fallback, names), MAX_FALLBACK)
    parts = [
        (e.question if isinstance(e, Choice) else e.text).strip()
        for e in message.elements
        if isinstance(e, Header | Text | Choice)
    ]
    return _clip(to_markdown("\n".join(p for p in parts if p), names), MAX_FALLBACK)


def _only_text(elements: Sequence[Element]) -> bool:
    return (
        bool(elements)
        and all(isinstance(e, Text) for e in elements)
        and not any(
            line.startswith(">")
            for e in elements
            for line in e.text.split("\n")  # type: ignore[union-attr]
        )
    )


def attachment(card: dict) -> dict:
    return {"contentType": CARD_CONTENT_TYPE, "content": card}


def to_activity(
    message: Reply | Notification,
    *,
    names: Mapping[str, str] | None = None,
    card: bool = False,
) -> dict:
    """A core message as the JSON of a Teams message activity: plain Markdown text when it is
    only text (and `card` is not asked for: an update of a card stays a card), else an Adaptive
    Card with the plain words as `summary` (shown in notifications)."""
    names = names or {}
    summary = fallback_text(message, names)
    if not card and _only_text(message.elements):
        text = "\n\n".join(to_markdown(e.text, names) for e in message.elements)  # type: ignore[union-attr]
        return {"type": "message", "textFormat": "markdown", "text": _clip(text, MAX_TEXT)}
    content = to_card(message.elements, names=names, fallback=summary)
    return {"type": "message", "summary": summary, "attachments": [attachment(content)]}


def card_response(message: Reply | Notification, *, names: Mapping[str, str] | None = None) -> dict:
    """The body of an `adaptiveCard/action` invoke response that replaces the clicked card."""
    names = names or {}
    card = to_card(message.elements, names=names, fallback=fallback_text(message, names))
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card}


def message_response(text: str) -> dict:
    """The body of an `adaptiveCard/action` invoke response that leaves the card as it is and
    shows a short message."""
    return {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": _clip(text, MAX_FALLBACK)}


def mentioned_ids(messages: Iterable[Reply | Notification]) -> set[str]:
    """The ids of everyone a message names (<@id>), whose display names the adapter looks up."""
    found: set[str] = set()
    for message in messages:
        texts = [message.fallback]
        for e in message.elements:
            if isinstance(e, Header | Text | Context):
                texts.append(e.text)
            elif isinstance(e, Choice):
                texts.append(e.question)
            elif isinstance(e, Fields):
                texts += [v for pair in e.pairs for v in pair]
        for text in texts:
            found.update(m.group(1) for m in _MENTION.finditer(text))
    return found


__all__ = [
    "activity_to_core",
    "card_response",
    "fallback_text",
    "message_action_text",
    "message_response",
    "to_activity",
    "to_card",
]
