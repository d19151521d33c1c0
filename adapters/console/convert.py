"""Pure conversions for the console: typed lines to core events, core replies to text."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    Notification,
    Origin,
    Outgoing,
    Reply,
    Text,
)


@dataclass
class Menu:
    """The numbered options of the last message shown to the current user."""

    items: list[tuple[str, str, str]] = field(default_factory=list)  # (label, action_id, value)

    def pick(self, line: str) -> tuple[str, str] | None:
        """A number or an option's label chooses it; anything else is no choice."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.items):
            _, action_id, value = self.items[int(text) - 1]
            return action_id, value
        for label, action_id, value in self.items:
            if text.casefold() == label.casefold():
                return action_id, value
        return None


def to_event(line: str, origin: Origin, menu: Menu) -> Event | None:
    """A typed line: an option of the last message, a /protocol command, or a draft."""
    text = line.rstrip("\n")
    if not text.strip():
        return None
    picked = menu.pick(text)
    if picked:
        return Action(origin, picked[0], picked[1])
    stripped = text.strip()
    if stripped.lower().startswith(("/protocol", "protocol ")) or stripped.lower() == "protocol":
        return Command(origin, "protocol", tuple(stripped.split()[1:]))
    return DirectMessage(origin, text)


def render(message: Outgoing, menu: Menu) -> str:
    """Plain text for one outgoing message; options are numbered and remembered in `menu`."""
    lines: list[str] = []
    if isinstance(message, Notification):
        who = message.user_id or message.channel_id
        lines.append(f"📨 bericht aan {who}:")
    menu.items.clear()
    for element in message.elements:
        lines.extend(_element(element, menu))
    prefix = "    " if isinstance(message, Notification) else ""
    return "\n".join(prefix + line for line in lines)


def _element(element: Element, menu: Menu) -> list[str]:
    if isinstance(element, Header):
        return [element.text, "─" * min(60, max(10, len(element.text)))]
    if isinstance(element, Text):
        return element.text.splitlines() or [""]
    if isinstance(element, Context):
        return [f"  ({element.text})"]
    if isinstance(element, Divider):
        return [""]
    if isinstance(element, Fields):
        return [f"{k}: {v}" for k, v in element.pairs]
    if isinstance(element, Buttons):
        return [_option(menu, b.label, b.action_id, b.value) for b in element.buttons]
    if isinstance(element, Choice):
        return [element.question] + [
            _option(menu, o.label, element.action_id, o.value) for o in element.options
        ]
    return []


def _option(menu: Menu, label: str, action_id: str, value: str) -> str:
    menu.items.append((label, action_id, value))
    return f"  [{len(menu.items)}] {label}"


__all__ = ["Button", "Menu", "Reply", "render", "to_event"]
