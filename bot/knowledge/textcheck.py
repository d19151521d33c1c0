"""Checks of texts.yaml beyond its schema: the bot's own phrases must fit the code that uses them.

The schema (TextsFile in schema.py) fixes the shape: a mapping `texts:` of keys to nl and en
texts. The code declares which keys it looks up and which {placeholders} it fills in for each
(REQUIRED in bot/texts.py); these checks report a key the code needs that is missing, a key it
does not know (with a did-you-mean), a text that lacks a placeholder or holds one the code does
not fill in, and a brace that is not part of a placeholder ('{' never closed, a lone '}', '{}' or
'{n!r}'). Like walkcheck, they read the raw values, so what the schema already reports (a text
that is not a mapping, a missing 'en') is not reported again, and every problem comes with its
file, line and column.
"""

from __future__ import annotations

import re
import string
from typing import Any

from bot.knowledge.errors import KnowledgeError
from bot.knowledge.messages import did_you_mean, subject
from bot.knowledge.yamlfile import YamlFile
from bot.texts import REQUIRED

TEXTS_FILE = "texts.yaml"
LANGUAGES = ("nl", "en")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACE_HINT = (
    "write a placeholder as its name in braces, e.g. {n}; for a brace as text write {{ or }}"
)


def check_texts(yf: YamlFile) -> list[KnowledgeError]:
    """Every problem of a readable texts.yaml that its schema does not report."""
    texts = yf.data.get("texts") if isinstance(yf.data, dict) else None
    if not isinstance(texts, dict):
        return []  # missing, empty or not a mapping: the schema reports it
    errors: list[KnowledgeError] = []
    unknown = [key for key in texts if key not in REQUIRED]
    guesses: set[str] = set()
    for key in unknown:
        guess = did_you_mean(key, [k for k in REQUIRED if k not in texts])
        if guess:
            guesses.add(guess)
        errors.append(
            yf.error(
                ("texts", key),
                f"'texts': unknown key '{key}'",
                f"did you mean '{guess}'? Otherwise remove it: the bot never shows it"
                if guess
                else "remove it or rename it: the bot never shows a text under this key",
                at="key",
            )
        )
    for key, names in REQUIRED.items():
        if key in texts:
            errors += _placeholders(yf, key, texts[key], names)
        elif key not in guesses:  # the unknown key's message already names it
            errors.append(
                yf.error(
                    ("texts",),
                    f"'texts': missing key '{key}'",
                    f"add '{key}:' with nl and en texts"
                    + (f" that hold {_listed(names)}" if names else ""),
                )
            )
    return sorted(errors, key=lambda e: (e.line, e.col))


def _placeholders(
    yf: YamlFile, key: str, text: Any, required: frozenset[str]
) -> list[KnowledgeError]:
    if not isinstance(text, dict):
        return []  # the schema reports it
    errors: list[KnowledgeError] = []
    for lang in LANGUAGES:
        value = text.get(lang)
        if not isinstance(value, str):
            continue  # missing or not text: the schema reports it
        path = ("texts", key, lang)
        at = subject(path)
        used, problem = _parse(value)
        if problem is not None:
            message, hint = problem
            errors.append(yf.error(path, f"{at} {message}", hint))
            continue
        meant = {did_you_mean(name, required - used) for name in used - required}
        for name in sorted(required - used - meant):  # a misspelt one is reported as unknown
            errors.append(
                yf.error(
                    path,
                    f"{at} does not hold the placeholder {{{name}}}",
                    f"put {{{name}}} back in the text: the bot fills it in there",
                )
            )
        for name in sorted(used - required):
            guess = did_you_mean(name, required - used)
            if guess:
                hint = f"did you mean {{{guess}}}? Otherwise remove it"
            elif required:
                hint = f"remove it: this text takes {_listed(required)}"
            else:
                hint = (
                    "remove it: this text takes no placeholders; for a brace as text write {{ or }}"
                )
            errors.append(yf.error(path, f"{at} holds the unknown placeholder {{{name}}}", hint))
    return errors


def _parse(value: str) -> tuple[set[str], tuple[str, str] | None]:
    """The placeholder names in a text, or the first brace problem as (message, hint)."""
    used: set[str] = set()
    i = 0
    while i < len(value):
        char = value[i]
        if char == "}":
            if value.startswith("}}", i):
                i += 2
                continue
            return used, ("has a '}' without a '{' before it", _BRACE_HINT)
        if char != "{":
            i += 1
            continue
        if value.startswith("{{", i):
            i += 2
            continue
        end = value.find("}", i + 1)
        opened = value.find("{", i + 1)
        if end == -1 or (opened != -1 and opened < end):
            return used, ("has a '{' that is never closed", _BRACE_HINT)
        field = value[i + 1 : end]
        if not _NAME.fullmatch(field):
            name = _NAME.match(field)
            hint = f"write it as {{{name.group()}}}" if name else _BRACE_HINT
            return used, (f"has '{{{field}}}', which is not a placeholder", hint)
        used.add(field)
        i = end + 1
    try:  # what str.format will make of it must agree
        list(string.Formatter().parse(value))
    except ValueError as exc:  # pragma: no cover - the scan above catches these first
        return used, (f"cannot be filled in: {exc}", _BRACE_HINT)
    return used, None


def _listed(names: frozenset[str] | set[str]) -> str:
    shown = [f"{{{name}}}" for name in sorted(names)]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
