"""The seam: platform-neutral events in, replies and notifications out (frozen plain values).

Adapters turn a platform payload into one of the events below and render the outgoing messages
as Block Kit or Adaptive Cards; `Bot.handle(event)` never sees a payload, an SDK object or a
client, and never sends anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Platform = Literal["slack", "teams", "console", "test"]

# -- incoming ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Origin:
    """Who and where: the same fields for every event."""

    platform: Platform
    user_id: str
    conversation_id: str
    locale: str = "nl"  # 'nl', 'en', or a platform locale such as 'en-GB'
    tenant: str = ""  # Slack team / Teams tenant; '' for single-tenant use
    event_id: str = ""  # the platform's id of this delivery, so a retry is answered once


@dataclass(frozen=True, slots=True)
class DirectMessage:
    origin: Origin
    text: str


@dataclass(frozen=True, slots=True)
class Command:
    """'/protocol 8' (Slack) or 'protocol 8' (Teams): name 'protocol', args ('8',)."""

    origin: Origin
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """A button press or a choice, with the value the core put on it."""

    origin: Origin
    action_id: str
    value: str = ""
    text: str = ""  # free text typed with the action (an answer to an escalation)


@dataclass(frozen=True, slots=True)
class HomeOpened:
    origin: Origin


@dataclass(frozen=True, slots=True)
class Mention:
    """The bot was named in a channel: it never reviews a draft in public, it invites to a DM."""

    origin: Origin


Event = DirectMessage | Command | Action | HomeOpened | Mention

# -- outgoing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    """Text with simple markup: *bold*, _italic_, `code`, > quote, '- ' list items, links."""

    text: str


@dataclass(frozen=True, slots=True)
class Fields:
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Context:
    """A small note under the main content."""

    text: str


@dataclass(frozen=True, slots=True)
class Divider:
    pass


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action_id: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(frozen=True, slots=True)
class Buttons:
    buttons: tuple[Button, ...]


@dataclass(frozen=True, slots=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A single-choice question; the answer arrives as an Action with `action_id` and the value."""

    question: str
    action_id: str
    options: tuple[Option, ...]


Element = Header | Text | Fields | Context | Divider | Buttons | Choice


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A second opinion still to come for a review just sent. The adapter awaits
    `Bot.second_opinion(follow_up)` (which keeps to `budget` seconds) and replaces the review
    message with what comes back. Holds the draft: keep it in memory
    only, never log it."""

    origin: Origin
    draft: str
    role: str
    budget: float
    previous: tuple[int, ...] = ()  # the rules of the draft before, for "fixed / remaining"


@dataclass(frozen=True, slots=True)
class Reply:
    """A message in the conversation the event came from."""

    conversation_id: str
    elements: tuple[Element, ...]
    ephemeral: bool = False  # only visible to the asker
    replace: bool = False  # replaces the message the action came from
    fallback: str = ""  # plain text for notifications and screen readers
    follow_up: FollowUp | None = field(default=None, repr=False)  # see FollowUp


@dataclass(frozen=True, slots=True)
class Notification:
    """A message to another user (or channel) than the asker: a contact, a requester.

    When an adapter cannot deliver one (the contact never opened the bot on a platform that
    only lets a bot write to people who did), it hands it to `Bot.undelivered`, which closes
    the escalation it belongs to and tells the requester."""

    platform: Platform
    user_id: str = ""
    channel_id: str = ""
    elements: tuple[Element, ...] = field(default_factory=tuple)
    fallback: str = ""
    tenant: str = ""
    escalation_id: str = ""  # the escalation this message is about, if any


Outgoing = Reply | Notification
