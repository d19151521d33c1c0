"""The knowledge in use: loaded and compiled once, swapped in whole on a reload that passes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.errors import KnowledgeError, KnowledgeInvalid
from bot.knowledge.loader import Knowledge, load_knowledge
from bot.review import Engine


@dataclass(frozen=True)
class Loaded:
    knowledge: Knowledge
    engine: Engine


class KnowledgeSource:
    """The last good knowledge. A reload with errors keeps serving it and returns the errors."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self._directory = directory
        self._lock = threading.Lock()
        knowledge = load_knowledge(directory)  # at start-up broken knowledge is fatal
        self._current = Loaded(knowledge, Engine(knowledge))

    @property
    def current(self) -> Loaded:
        return self._current

    def reload(self) -> list[KnowledgeError]:
        """Load, check and compile; swap in only when everything is valid."""
        with self._lock:
            try:
                knowledge = load_knowledge(self._directory)
            except KnowledgeInvalid as exc:
                return list(exc.errors)
            self._current = Loaded(knowledge, Engine(knowledge))
            return []
