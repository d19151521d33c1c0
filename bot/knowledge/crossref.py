"""Checks across items and files: unique ids, rules 1-15, and references that must resolve.

They work on the raw values, so an item with a schema error still counts as defined (no
follow-on 'unknown case' for a case with a typo in one key), and every problem is reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from bot.contexts import BUILTIN_CONTEXTS
from bot.knowledge.errors import KnowledgeError
from bot.knowledge.matching import check_patterns, check_terms
from bot.knowledge.messages import did_you_mean, kind_of, owner
from bot.knowledge.schema import RULE_NUMBERS
from bot.knowledge.yamlfile import YamlFile, position


def _is(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value  # as the schema strips them


@dataclass(frozen=True)
class Item:
    """One entry of a list in a knowledge file, valid or not."""

    file: YamlFile
    path: tuple[Any, ...]  # (list key, index); below a mapping ("walk", "steps", index)
    raw: Any
    model: BaseModel | None  # None when the entry has schema errors

    @property
    def kind(self) -> str:
        return kind_of(self.path)

    @property
    def label(self) -> str:
        return owner(self.file.data, self.path)[0]

    def get(self, key: str, kind: type) -> Any:
        value = self.raw.get(key) if isinstance(self.raw, dict) else None
        return _clean(value) if _is(value, kind) else None

    def entries(self, key: str | tuple[str, ...], kind: type) -> list[tuple[int, Any]]:
        """(index, value) for the values of the right type in the list at `key`."""
        value: Any = self.raw
        for step in (key,) if isinstance(key, str) else key:
            value = value.get(step) if isinstance(value, dict) else None
        if not isinstance(value, list):
            return []
        return [(j, _clean(v)) for j, v in enumerate(value) if _is(v, kind)]

    def where(self, sub: tuple[Any, ...] = ()) -> tuple[int, int]:
        return position(self.file.root, self.path + sub)

    def error(self, sub: tuple[Any, ...], message: str, hint: str) -> KnowledgeError:
        return self.file.error(self.path + sub, message, hint)


@dataclass
class Collected:
    """The entries of every list, by list key, and which lists were read completely."""

    items: dict[str, list[Item]] = field(default_factory=dict)
    sources: dict[str, YamlFile] = field(default_factory=dict)  # the (first) file of each list
    complete: set[str] = field(default_factory=set)  # lists read from every file that has them

    def ids(self, *keys: str) -> set[str] | None:
        """Every id defined under the keys, or None when a file was unreadable (skip checks)."""
        if any(key not in self.complete for key in keys):
            return None
        return {i.get("id", str) for key in keys for i in self.items.get(key, [])} - {None}


def check_references(found: Collected) -> list[KnowledgeError]:
    errors: list[KnowledgeError] = []
    for keys in (
        ("cases",),
        ("legal",),
        ("roles",),
        ("tips", "playbook"),
        ("lexicons",),
        ("signals",),
    ):
        errors += _unique_ids(item for key in keys for item in found.items.get(key, []))
    errors += _rule_numbers(found)
    for key in ("cases", "legal", "roles", "tips"):
        for item in found.items.get(key, []):
            errors += _cited_rules(item, "rules", "cites")
    cases = found.ids("cases")
    signals = found.ids("signals")
    lexicons = found.ids("lexicons")
    for item in found.items.get("rules", []):
        errors += _references(
            item, "cases", cases, "case", "is not in cases.yaml", "add the case to cases.yaml"
        )
        errors += _references(
            item,
            "signals",
            signals,
            "signal",
            "is not defined in signals/",
            "define the signal in a file in signals/",
        )
    for item in found.items.get("signals", []):
        errors += _cited_rules(item, "also", "also cites")
        errors += _signal(item, cases, lexicons)
        errors += check_patterns(item)
    for item in found.items.get("lexicons", []):
        errors += check_terms(item)
    return errors


def _ref(first: Item, second: Item) -> str:
    line, col = first.where()
    return f"line {line}" if first.file is second.file else f"{first.file.name}:{line}:{col}"


def _unique_ids(items: Iterable[Item]) -> list[KnowledgeError]:
    errors = []
    seen: dict[str, Item] = {}
    for item in items:
        ident = item.get("id", str)
        if ident is None:
            continue
        first = seen.setdefault(ident, item)
        if first is item:
            continue
        if first.kind == item.kind:
            message = f"{item.label} is defined twice (first at {_ref(first, item)})"
        else:
            message = f"{item.label} has the same id as {first.label} ({_ref(first, item)})"
        errors.append(
            item.error(("id",), message, f"give each {item.kind} its own id, or merge the two")
        )
    return errors


def _rule_numbers(found: Collected) -> list[KnowledgeError]:
    errors = []
    seen: dict[int, Item] = {}
    for item in found.items.get("rules", []):
        number = item.get("number", int)
        if number is None:
            continue
        first = seen.setdefault(number, item)
        if first is not item:
            errors.append(
                item.error(
                    ("number",),
                    f"rule {number} is defined twice (first at {_ref(first, item)})",
                    "each rule number from 1 to 15 appears once: renumber one of them or merge"
                    " them",
                )
            )
    rules_file = found.sources.get("rules")
    if "rules" in found.complete and rules_file is not None:
        for number in RULE_NUMBERS:
            if number not in seen:
                errors.append(
                    rules_file.error(
                        ("rules",),
                        f"rule {number} is missing; the protocol has rules 1-15",
                        f"add a rule with 'number: {number}'",
                        at="key",
                    )
                )
    return errors


def _cited_rules(item: Item, key: str, verb: str) -> list[KnowledgeError]:
    return [
        item.error(
            (key, j),
            f"{item.label} {verb} rule {number}; rules are 1-15",
            "cite a rule number from 1 to 15",
        )
        for j, number in item.entries(key, int)
        if number not in RULE_NUMBERS
    ]


def _references(
    item: Item, key: str, known: set[str] | None, noun: str, missing: str, fix: str
) -> list[KnowledgeError]:
    if known is None:
        return []
    return [
        _dangling(
            item,
            (key, j),
            f"{item.label} names {noun} '{name}', which {missing}",
            name,
            known,
            f"{fix}, or remove it here",
        )
        for j, name in item.entries(key, str)
        if name not in known
    ]


def _dangling(
    item: Item, sub: tuple[Any, ...], message: str, name: str, known: Iterable[str], fix: str
) -> KnowledgeError:
    guess = did_you_mean(name, set(known))
    hint = f"did you mean '{guess}'? Otherwise {fix}" if guess else fix
    return item.error(sub, message, hint)


def _signal(item: Item, cases: set[str] | None, lexicons: set[str] | None) -> list[KnowledgeError]:
    errors = []
    if not isinstance(item.raw, dict):
        return errors
    case = item.get("case", str)
    if cases is not None and case is not None and case not in cases:
        errors.append(
            _dangling(
                item,
                ("case",),
                f"{item.label} names case '{case}', which is not in cases.yaml",
                case,
                cases,
                "add the case to cases.yaml, or remove it here",
            )
        )
    if not any(item.raw.get(key) for key in ("lexicons", "patterns", "on")):
        errors.append(
            item.error(
                (),
                f"{item.label} has no 'lexicons', 'patterns' or 'on', so it can never fire",
                "add 'lexicons:', 'patterns:' or 'on:' (a built-in context)",
            )
        )
    if lexicons is None:
        return errors
    for j, name in item.entries("lexicons", str):
        if name not in lexicons:
            errors.append(
                _dangling(
                    item,
                    ("lexicons", j),
                    f"{item.label} uses lexicon '{name}', which is not defined in signals/",
                    name,
                    lexicons,
                    "define the lexicon in a file in signals/, or remove it here",
                )
            )
    contexts = lexicons | set(BUILTIN_CONTEXTS)
    for key in ("on", "requires", "requires_any", "unless"):
        for j, name in item.entries(key, str):
            if name not in contexts:
                errors.append(
                    _dangling(
                        item,
                        (key, j),
                        f"{item.label}: '{key}' names '{name}', which is neither a lexicon nor a "
                        "built-in context",
                        name,
                        contexts,
                        "use a lexicon id or one of the built-in contexts in bot/contexts.py",
                    )
                )
    return errors
