"""Pure conversions for the console: typed lines to core events, core replies to text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text as RichText

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


_MENTION = re.compile(r"<@([^>|]+)(?:\|[^>]*)?>")


def _mentions(text: str) -> str:
    """Platform mentions (<@id>) read as @id in a terminal."""
    return _MENTION.sub(r"@\1", text)


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
        return _mentions(element.text).splitlines() or [""]
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


# -- rich rendering for a terminal ----------------------------------------------------------------

_MARKUP = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"[bold]\1[/bold]"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"[italic]\1[/italic]"),
    (re.compile(r"`([^`\n]+)`"), r"[cyan]\1[/cyan]"),
    (re.compile(r"<(https?://[^|>\s]+)\|([^>]+)>"), r"[link=\1]\2[/link]"),
)
_VERDICT_STYLE = (("🔴", "red"), ("🟠", "yellow"), ("🟡", "yellow"), ("🟢", "green"))


def _rich_line(line: str) -> RichText:
    """The core's simple markup (*bold*, _italic_, `code`, <url|label>, > quote) as styled text."""
    line = _mentions(line)
    quote = line.startswith("> ")
    markup = escape(line[2:] if quote else line)
    for pattern, replacement in _MARKUP:
        markup = pattern.sub(replacement, markup)
    try:
        text = RichText.from_markup(markup)
    except Exception:  # markup the patterns did not foresee: show the words as they are
        text = RichText(line)
    if quote:
        text = RichText("▌ ", style="dim") + text
        text.stylize("italic")
    return text


def render_rich(message: Outgoing, menu: Menu) -> RenderableType:
    """One outgoing message as a panel: header as title, styled text, numbered options."""
    parts: list[RenderableType] = []
    title: str | None = None
    border = "blue"
    menu.items.clear()
    for element in message.elements:
        if isinstance(element, Header) and title is None:
            title = element.text
            border = next((s for mark, s in _VERDICT_STYLE if mark in element.text), border)
        elif isinstance(element, Header):
            parts.append(RichText(element.text, style="bold"))
        elif isinstance(element, Text):
            for line in element.text.splitlines() or [""]:
                parts.append(_rich_line(line))
                border = next((s for mark, s in _VERDICT_STYLE if line.startswith(mark)), border)
        elif isinstance(element, Context):
            parts.append(RichText(element.text, style="dim"))
        elif isinstance(element, Divider):
            parts.append(RichText(""))
        elif isinstance(element, Fields):
            for key, value in element.pairs:
                parts.append(RichText.assemble((f"{key}: ", "bold"), value))
        elif isinstance(element, Buttons):
            for b in element.buttons:
                parts.append(_rich_option(menu, b.label, b.action_id, b.value, b.style))
        elif isinstance(element, Choice):
            parts.append(_rich_line(element.question))
            for o in element.options:
                parts.append(_rich_option(menu, o.label, element.action_id, o.value, ""))
    subtitle = None
    if isinstance(message, Notification):
        who = message.user_id or f"#{message.channel_id}"
        title = f"📨 bericht aan {who}" + (f" — {title}" if title else "")
        border = "magenta"
    elif isinstance(message, Reply) and message.ephemeral:
        subtitle = "alleen voor jou"
    return Panel(
        Group(*parts),
        title=escape(title) if title else None,
        title_align="left",
        subtitle=subtitle,
        subtitle_align="right",
        border_style=border,
        box=box.ROUNDED,
    )


def _rich_option(menu: Menu, label: str, action_id: str, value: str, style: str) -> RichText:
    menu.items.append((label, action_id, value))
    colour = {"primary": "bold green", "danger": "bold red"}.get(style, "bold")
    return RichText.assemble(
        ("  [", "dim"), (str(len(menu.items)), "bold cyan"), ("] ", "dim"), (label, colour)
    )


__all__ = ["Button", "Menu", "Reply", "render", "render_rich", "to_event"]
