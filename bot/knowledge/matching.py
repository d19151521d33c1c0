"""Checks on what the engine will match: lexicon terms and signal patterns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import regex
from ruamel.yaml.nodes import ScalarNode

from bot.knowledge.errors import KnowledgeError
from bot.knowledge.messages import subject
from bot.knowledge.yamlfile import position

if TYPE_CHECKING:
    from bot.knowledge.crossref import Item

# What bot/normalize.py keeps inside a token besides letters and digits ("zo'n", leetspeak such
# as "k@nker"). A hyphen is not among them: drafts are split into words at hyphens.
_WORD_SYMBOLS = "'’_@$€!|"
_GAP = "..."  # in a phrase: a few arbitrary words (bot/lexicon.py)
_EMOJI = regex.compile(r"\p{Extended_Pictographic}")  # one emoji is a word of its own
_NEVER = "can never match: drafts are matched on words of letters and digits"


def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """Compile a signal pattern exactly as the engine does."""
    return regex.compile(pattern, regex.IGNORECASE)


def check_patterns(item: Item) -> list[KnowledgeError]:
    errors = []
    for j, pattern in item.entries("patterns", str):
        try:
            compile_pattern(pattern)
        except regex.error as exc:
            path = (*item.path, "patterns", j)
            where = f" at position {exc.pos + 1} of the pattern" if exc.pos is not None else ""
            line, col = _pattern_position(item, path, pattern, exc.pos)
            errors.append(
                item.file.error_at(
                    line,
                    col,
                    f"{item.label}: pattern {j + 1} does not compile: {exc.msg}{where}",
                    "fix the regular expression (Python 'regex' syntax, matched"
                    " case-insensitively);"
                    " put it in single quotes so backslashes stay as written",
                )
            )
    return errors


def _pattern_position(
    item: Item, path: tuple[Any, ...], pattern: str, pos: int | None
) -> tuple[int, int]:
    """The column of the error inside the pattern, when the source text shows it unescaped."""
    node = item.file.node(path)
    if not isinstance(node, ScalarNode):
        return position(item.file.root, path)
    mark = node.start_mark
    start = mark.column + (1 if node.style in ("'", '"') else 0)
    if pos is not None and node.style in (None, "'", '"'):
        lines = item.file.text.splitlines()
        text = lines[mark.line] if mark.line < len(lines) else ""
        if text[start : start + pos] == pattern[:pos]:
            return mark.line + 1, start + pos + 1
    return mark.line + 1, mark.column + 1


def term_problem(term: str) -> tuple[str, str] | None:
    """What is wrong with a lexicon term (a message and a hint), or None when it is fine."""
    words = term.split()
    if not [word for word in words if word != _GAP]:
        return "is empty", "write a word or phrase, or remove the line"
    for word in words:
        if word == _GAP:
            continue
        if _EMOJI.fullmatch(word):
            continue
        exact, prefix = word.startswith("="), word.endswith("*")
        suffix = word.startswith("*") and not prefix
        core = word[1 if (exact or suffix) else 0 : len(word) - (1 if prefix else 0)]
        if not core or (prefix and word.startswith("*")):
            return (
                f"holds {word!r}, which would match too many words",
                "attach '*' to one end of a word: 'kanker*' (starts with) or '*vergadering'"
                " (ends with); '=' to its start ('=zak')",
            )
        if exact and prefix:
            return (
                f"holds {word!r}, which is both exact ('=') and a prefix ('*')",
                "choose one: '=word' matches only the word itself, 'word*' every longer word",
            )
        if "*" in core:
            return (
                f"holds {word!r}: '*' may only start or end a word",
                "move '*' to the start or the end of the word, or split the word",
            )
        if suffix and len(core) < 4:
            return (
                f"holds {word!r}: a word end shorter than 4 letters matches too much",
                "write a longer word end, or the whole word",
            )
        if "=" in core:
            return (f"holds {word!r}: '=' may only start a word", "move '=' to the start")
        if "-" in core.strip("-"):
            return (
                f"holds {word!r}, but drafts are split into words at '-'",
                f"write the parts as separate words: {' '.join(core.split('-'))!r} also "
                f"matches {core!r}",
            )
        bad = _bad_characters(core)
        if bad:
            return (
                f"holds {word!r}, whose {bad} {_NEVER}",
                "leave the character out, or use a pattern in a signal instead",
            )
    return None


def exclude_problem(word: str) -> tuple[str, str] | None:
    if not word.strip().removesuffix("*"):
        return "is empty", "write a whole word, or remove the line"
    if len(word.split()) > 1:
        return "holds more than one word", "list each word to exclude on its own line"
    core = word.removesuffix("*")
    if "*" in core or "=" in core:
        return (
            "may only hold '*' at its end (every word starting with it) and no '='",
            "write a whole word, or a word start followed by '*'",
        )
    bad = _bad_characters(core)
    if bad:
        return f"holds {bad}, which {_NEVER}", "leave the character out"
    return None


def _bad_characters(core: str) -> str:
    bad = []
    for char in core:
        if not (char.isalnum() or char in _WORD_SYMBOLS) and char not in bad:
            bad.append(char)
    if not bad:
        return ""
    quoted = ", ".join(repr(c) for c in bad)
    return f"character {quoted}" if len(bad) == 1 else f"characters {quoted}"


def check_terms(item: Item) -> list[KnowledgeError]:
    errors = []
    for language in ("nl", "en"):
        for j, term in item.entries(("terms", language), str):
            problem = term_problem(term)
            if problem:
                where = subject(("terms", language, j))
                errors.append(
                    item.error(
                        ("terms", language, j), f"{item.label}: {where} {problem[0]}", problem[1]
                    )
                )
    for j, word in item.entries("exclude", str):
        problem = exclude_problem(word)
        if problem:
            errors.append(
                item.error(
                    ("exclude", j), f"{item.label}: 'exclude' item {j + 1} {problem[0]}", problem[1]
                )
            )
    return errors
