"""Knowledge errors: one problem at one place in a file, phrased for the person who edits it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def display_path(file: str) -> str:
    """The file relative to the current directory when it lies below it, else as given."""
    try:
        return Path(file).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return file


@dataclass(frozen=True)
class KnowledgeError:
    """A problem at file:line:col (1-based), with a hint how to fix it."""

    file: str
    line: int
    col: int
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.line}:{self.col}: {self.message} — {self.hint}"


class KnowledgeInvalid(Exception):
    """The knowledge could not be loaded; `errors` holds every problem found, in file order."""

    def __init__(self, errors: Iterable[KnowledgeError]) -> None:
        self.errors: list[KnowledgeError] = list(errors)
        super().__init__(self.errors)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)
