"""Pure conversions for Slack: payloads to core events, core messages to Block Kit dicts.

No network and no Bolt app here; the adapter acknowledges, calls these and sends the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks import (
    Option as SlackOption,
)

from bot.messages import (
    Action,
    Button,
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

# Block Kit limits (https://api.slack.com/reference/block-kit)
MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_CONTEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS = 25
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_SELECT_OPTIONS = 100
MAX_FALLBACK = 3000
MAX_BUTTONS_FOR_CHOICE = 5
SHORTENED = "… ingekort / shortened"
CHOOSE = "Kies / Choose"

# Slack rejects a message whose action_ids repeat; repeats get '#n', which `action_to_core` drops.
_SUFFIX = re.compile(r"#\d+$")

# -- Slack -> core ------------------------------------------------------------------------------


def _unescape(text: str) -> str:
    """Slack sends &, < and > in message text as entities; the core reads plain text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _bot_user_ids(body: dict) -> set[str]:
    return {
        a.get("user_id", "")
        for a in body.get("authorizations") or ()
        if a.get("is_bot") and a.get("user_id")
    }


def event_to_core(body: dict, *, bot_user_id: str = "") -> Event | None:
    """An Events API envelope as a DirectMessage or HomeOpened; None for everything to ignore.

    Only a person's own new message in an IM counts: edits, deletions, bot messages, any other
    subtype and messages from the bot itself (`bot_user_id`, or the envelope's bot
    authorization) are None, and so is `app_mention` (see `mention_reply_target`).
    """
    if body.get("type") != "event_callback":
        return None
    event = body.get("event") or {}
    tenant = body.get("team_id") or event.get("team") or ""
    event_id = body.get("event_id", "")
    locale = event.get("locale") or ""
    kind = event.get("type")
    if kind == "message":
        user = event.get("user") or ""
        own = {bot_user_id} if bot_user_id else _bot_user_ids(body)
        if (
            event.get("channel_type") != "im"
            or "subtype" in event
            or event.get("bot_id")
            or not user
            or user in own
        ):
            return None
        origin = Origin("slack", user, event.get("channel", ""), locale, tenant, event_id)
        return DirectMessage(origin, _unescape(event.get("text") or ""))
    if kind == "app_home_opened" and event.get("tab") == "home":
        origin = Origin(
            "slack", event.get("user", ""), event.get("channel", ""), locale, tenant, event_id
        )
        return HomeOpened(origin)
    return None


def mention_reply_target(body: dict) -> tuple[str, str] | None:
    """Where to answer an `app_mention`: its channel and thread (the mention's own ts if none)."""
    event = body.get("event") or {}
    if body.get("type") != "event_callback" or event.get("type") != "app_mention":
        return None
    return event.get("channel", ""), event.get("thread_ts") or event.get("ts", "")


def mention_to_core(body: dict) -> tuple[Mention, str] | None:
    """An `app_mention` as a core Mention in its channel, with the thread to answer in."""
    target = mention_reply_target(body)
    if target is None:
        return None
    channel, thread_ts = target
    event = body.get("event") or {}
    origin = Origin(
        "slack",
        event.get("user", ""),
        channel,
        event.get("locale") or "",
        body.get("team_id") or event.get("team") or "",
        body.get("event_id", ""),
    )
    return Mention(origin), thread_ts


def command_to_core(payload: dict) -> Command:
    """Slash command form fields: '/protocol rol employee' is 'protocol', ('rol', 'employee')."""
    origin = Origin(
        "slack",
        payload.get("user_id", ""),
        payload.get("channel_id", ""),
        payload.get("locale") or "",
        payload.get("team_id", ""),
        f"command:{payload['trigger_id']}" if payload.get("trigger_id") else "",
    )
    name = (payload.get("command") or "").lstrip("/")
    return Command(origin, name, tuple(_unescape(payload.get("text") or "").split()))


def _interaction_origin(payload: dict, conversation_id: str, stamp: str) -> Origin:
    user = payload.get("user") or {}
    tenant = (payload.get("team") or {}).get("id") or user.get("team_id") or ""
    event_id = f"{payload.get('type', '')}:{payload.get('trigger_id') or stamp}"
    return Origin(
        "slack", user.get("id", ""), conversation_id, user.get("locale") or "", tenant, event_id
    )


def action_to_core(payload: dict) -> Action | None:
    """The first action of a `block_actions` payload with the value the core put on it.

    Buttons carry `value`; selects, radio buttons and overflow menus their `selected_option`.
    The event id is the payload's type and trigger id, so a retried delivery is answered once.
    """
    if payload.get("type") != "block_actions" or not payload.get("actions"):
        return None
    action = payload["actions"][0]
    if "selected_option" in action:
        value = (action.get("selected_option") or {}).get("value", "")
    else:
        value = action.get("value") or ""
    channel = (payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get(
        "channel_id", ""
    )
    origin = _interaction_origin(payload, channel, action.get("action_ts", ""))
    return Action(origin, _SUFFIX.sub("", action.get("action_id", "")), value)


def shortcut_to_core(payload: dict) -> DirectMessage | None:
    """A message shortcut: the chosen message's text as a draft from the user who chose it.

    The conversation id is '': the reply belongs in the user's DM, which the adapter opens
    (`conversations.open`) and puts on the replies before sending them.
    """
    if payload.get("type") != "message_action":
        return None
    text = _unescape((payload.get("message") or {}).get("text") or "")
    if not text.strip():
        return None
    origin = _interaction_origin(payload, "", payload.get("action_ts", ""))
    return DirectMessage(origin, text)


# -- core -> Block Kit --------------------------------------------------------------------------

# Slack's own markup that must stay as it is: mentions, channels, special mentions, links.
_TOKEN = re.compile(r"<(?:[@#!][^<>\s]+|(?:https?://|mailto:)[^<>\s|]+(?:\|[^<>]*)?)>")


def escape(text: str) -> str:
    """&, < and > as entities, except in Slack links and mentions (<@U1>, <url|label>) and a
    quote marker ('> ') at a line start."""
    out: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        out.append(_entities(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_entities(text[last:]))
    return "".join(out)


def _entities(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _QUOTE.sub(">", text)  # a quote marker at a line start stays Slack's '>'


_QUOTE = re.compile(r"^&gt;(?= |$)", re.MULTILINE)


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in '…', never inside an entity or a link."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    open_ = cut.rfind("<")
    if open_ > cut.rfind(">"):
        cut = cut[:open_]
    return cut.rstrip() + "…"


def _plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _breaks(line: str) -> list[int]:
    """Positions of spaces a line may be broken at: not inside a link or mention."""
    inside = [False] * len(line)
    for match in _TOKEN.finditer(line):
        for i in range(match.start(), match.end()):
            inside[i] = True
    return [i for i, ch in enumerate(line) if ch == " " and not inside[i]]


def _split_line(line: str, limit: int) -> list[str]:
    """A line longer than `limit` in pieces at spaces; a word longer than `limit` is cut."""
    pieces: list[str] = []
    while len(line) > limit:
        spaces = [i for i in _breaks(line) if 0 < i <= limit]
        if spaces:
            at = spaces[-1]
            pieces.append(line[:at])
            line = line[at + 1 :]
        else:
            at = limit
            amp = line.rfind("&", 0, at)
            if amp > 0 and ";" not in line[amp:at]:
                at = amp  # not inside an entity such as &amp;
            pieces.append(line[:at])
            line = line[at:]
    pieces.append(line)
    return pieces


def split_text(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Text in chunks of at most `limit` characters, broken at line ends, else between words."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _split_line(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if current and len(candidate) > limit:
                chunks.append(current)
                current = piece
            else:
                current = candidate
    if current.strip():
        chunks.append(current)
    return [c for c in (c.strip("\n") for c in chunks) if c.strip()]


def _unique(action_id: str, used: dict[str, int]) -> str:
    count = used.get(action_id, 0)
    used[action_id] = count + 1
    return action_id if count == 0 else f"{action_id}#{count}"


def _button(button: Button, used: dict[str, int]) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=_plain(button.label, MAX_BUTTON_TEXT), emoji=True),
        action_id=_unique(button.action_id, used),
        value=button.value[:MAX_BUTTON_VALUE] or None,
        style=button.style if button.style in ("primary", "danger") else None,
    )


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _blocks(element: Element, used: dict[str, int]) -> list[Block]:
    if isinstance(element, Header):
        text = element.text.strip()
        return [HeaderBlock(text=_plain(text, MAX_HEADER))] if text else []
    if isinstance(element, Text):
        return [
            SectionBlock(text=MarkdownTextObject(text=chunk))
            for chunk in split_text(escape(element.text))
        ]
    if isinstance(element, Context):
        text = element.text.strip()
        if not text:
            return []
        return [ContextBlock(elements=[MarkdownTextObject(text=_clip(escape(text), MAX_CONTEXT))])]
    if isinstance(element, Divider):
        return [DividerBlock()]
    if isinstance(element, Fields):
        fields = [
            MarkdownTextObject(text=_clip(f"*{escape(k)}*\n{escape(v)}", MAX_FIELD))
            for k, v in element.pairs
        ]
        return [SectionBlock(fields=list(group)) for group in _chunks(fields, MAX_FIELDS)]
    if isinstance(element, Buttons):
        buttons = [_button(b, used) for b in element.buttons]
        return [ActionsBlock(elements=list(group)) for group in _chunks(buttons, MAX_ACTIONS)]
    if isinstance(element, Choice):
        return _choice(element, used)
    return []


def _choice(choice: Choice, used: dict[str, int]) -> list[Block]:
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=chunk))
        for chunk in split_text(escape(choice.question))
    ]
    if len(choice.options) <= MAX_BUTTONS_FOR_CHOICE:
        buttons = [
            _button(Button(o.label, choice.action_id, o.value), used) for o in choice.options
        ]
        if buttons:
            blocks.append(ActionsBlock(elements=buttons))
        return blocks
    select = StaticSelectElement(
        placeholder=PlainTextObject(text=CHOOSE, emoji=True),
        action_id=_unique(choice.action_id, used),
        options=[
            SlackOption(
                text=PlainTextObject(text=_plain(o.label, MAX_OPTION_TEXT), emoji=True),
                value=o.value[:MAX_OPTION_VALUE],
            )
            for o in choice.options[:MAX_SELECT_OPTIONS]
        ],
    )
    blocks.append(ActionsBlock(elements=[select]))
    return blocks


def to_blocks(elements: Iterable[Element]) -> list[dict]:
    """Core elements as Block Kit dicts within Slack's limits; `to_dict()` validates each block.

    More than 50 blocks are cut to 49 plus a context block saying the answer was shortened.
    """
    used: dict[str, int] = {}
    blocks: list[Block] = []
    for element in elements:
        blocks.extend(_blocks(element, used))
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[: MAX_BLOCKS - 1]
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=SHORTENED)]))
    return [b.to_dict() for b in blocks]


def fallback_text(message: Reply | Notification) -> str:
    """The notification text Slack requires: the fallback, else the first Header, Text or
    question, else the first context note."""
    text = message.fallback.strip()
    candidates = [
        (e.question if isinstance(e, Choice) else e.text).strip()
        for e in message.elements
        if isinstance(e, Header | Text | Choice)
    ] + [e.text.strip() for e in message.elements if isinstance(e, Context)]
    text = text or next((c for c in candidates if c), "")
    return _clip(escape(text), MAX_FALLBACK)


def reply_to_message(message: Reply | Notification) -> dict[str, Any]:
    """`{"text": ..., "blocks": [...]}` for chat.postMessage / chat.postEphemeral / chat.update.

    Where it goes (channel, user, ephemeral, replace) is the adapter's business.
    """
    return {"text": fallback_text(message), "blocks": to_blocks(message.elements)}


__all__ = [
    "action_to_core",
    "command_to_core",
    "escape",
    "event_to_core",
    "fallback_text",
    "mention_reply_target",
    "reply_to_message",
    "shortcut_to_core",
    "split_text",
    "to_blocks",
]
