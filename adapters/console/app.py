"""`protocolbot chat`: a terminal session with the core; also reads a dialogue from a pipe.

Lines starting with `als <id>:` / `as <id>:` are typed as someone else (a contact answering an
escalation); numbers or labels choose the options of the last message shown to that person.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Iterable
from itertools import count
from typing import TextIO

from rich.console import Console

from adapters.console.convert import Menu, render, render_rich, to_event
from bot.conversation import Bot
from bot.knowledge.errors import KnowledgeInvalid
from bot.messages import Notification, Origin, Outgoing
from bot.source import KnowledgeSource
from bot.store import open_store

PROMPT = "jij> "


def run(
    lines: Iterable[str],
    out: TextIO,
    *,
    bot: Bot,
    user: str = "me",
    locale: str = "nl",
    interactive: bool = False,
    rich: bool = False,
) -> None:
    """Feed each line to the core and print what comes back: plain text, or panels when
    `rich` (a terminal)."""
    show: Callable[[Outgoing, Menu], None]
    if rich:
        console = Console(file=out, highlight=False)

        def show(message: Outgoing, menu: Menu) -> None:
            console.print(render_rich(message, menu))

    else:

        def show(message: Outgoing, menu: Menu) -> None:
            out.write(render(message, menu) + "\n\n")

    menus: dict[str, Menu] = {}
    ids = count(1)
    current = user
    if interactive:
        out.write(
            "protocolbot — typ je concept, `/protocol` voor hulp, `als <id>:` om als iemand "
            "anders te antwoorden, Ctrl-D om te stoppen.\n"
        )
    for raw in lines:
        line = raw.rstrip("\n")
        speaker = current
        lowered = line.lower()
        for marker in ("als ", "as "):
            if lowered.startswith(marker) and ":" in line:
                speaker, line = line[len(marker) :].split(":", 1)
                speaker, line = speaker.strip(), line.strip()
                break
        origin = Origin("console", speaker, f"dm-{speaker}", locale, "", f"console-{next(ids)}")
        menu = menus.setdefault(speaker, Menu())
        event = to_event(line, origin, menu)
        if event is None:
            continue
        for message in bot.handle(event):
            target = _recipient(message, speaker)
            show(message, menus.setdefault(target, Menu()))
            follow_up = getattr(message, "follow_up", None)
            if follow_up is not None:  # the model's second opinion, shown when it comes
                update = asyncio.run(bot.second_opinion(follow_up))
                show(update, menus.setdefault(target, Menu()))
        for message in bot.tick():
            show(message, menus.setdefault(_recipient(message, speaker), Menu()))
        if interactive:
            out.write(PROMPT)
            out.flush()


def main(
    argv: list[str] | None = None,
    *,
    database: str | None = None,
    user: str = "me",
    locale: str = "nl",
    knowledge: str | None = None,
) -> int:
    try:
        source = KnowledgeSource(knowledge)
    except KnowledgeInvalid as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"{len(exc.errors)} problem(s) in the knowledge; chat not started.", file=sys.stderr)
        return 2
    try:
        store = open_store(database)
    except (ValueError, OSError) as exc:
        print(f"protocolbot chat: cannot open the store: {exc}", file=sys.stderr)
        return 1
    from bot.second_opinion import SecondOpinion, config_from_env

    llm, problem = config_from_env(os.environ)
    if problem:
        print(f"protocolbot chat: {problem}", file=sys.stderr)
        return 1
    bot = Bot(source, store, llm=SecondOpinion(llm) if llm else None)
    interactive = sys.stdin.isatty()
    if interactive:
        sys.stdout.write(PROMPT)
        sys.stdout.flush()
    run(
        sys.stdin,
        sys.stdout,
        bot=bot,
        user=user,
        locale=locale,
        interactive=interactive,
        rich=interactive and sys.stdout.isatty(),
    )
    return 0


def _recipient(message: Outgoing, speaker: str) -> str:
    """Whose options a message holds: the person or channel a notification goes to, else the
    speaker. In the console a channel's messages are answered with `als <channel>: …`."""
    if isinstance(message, Notification):
        return message.user_id or message.channel_id
    return speaker
