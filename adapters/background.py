"""Work an adapter starts after it has answered (notifications to others, a second opinion's
update): held until done so it isn't garbage-collected, failures logged by type only (a message
could quote a draft), and awaited on shutdown or in tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any


class Background:
    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log = log
        self._what = what
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._log.error("%s failed (%s)", self._what, type(task.exception()).__name__)

    async def drain(self) -> None:
        """Wait until nothing is left running."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
