"""Plain-English wording for schema problems: who is affected, what is wrong, how to fix it."""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from bot.knowledge.errors import KnowledgeError
from bot.knowledge.yamlfile import YamlFile

# the list keys whose items are named things, and what one item is called
KINDS: dict[str, str] = {
    "rules": "rule",
    "cases": "case",
    "legal": "legal item",
    "roles": "role",
    "tips": "tip",
    "playbook": "playbook step",
    "lexicons": "lexicon",
    "signals": "signal",
    "contacts": "contact",
}
# named things in lists below a mapping (walk.yaml): the path of the list -> what one item is
NESTED_KINDS: dict[tuple[str, ...], str] = {
    ("walk", "steps"): "step",
    ("walk", "outcomes"): "outcome",
}


def kind_of(path: tuple[Any, ...]) -> str:
    """What the item at `path` (a list key and an index, maybe below a mapping) is called."""
    for prefix, kind in NESTED_KINDS.items():
        if path[: len(prefix)] == prefix:
            return kind
    return KINDS.get(path[0], str(path[0])) if path else ""


def keys_of(model: type[BaseModel]) -> list[str]:
    """The keys a model takes in a file (a field's alias where it has one: 'if', 'not')."""
    return [field.alias or name for name, field in model.model_fields.items()]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def owner(data: Any, path: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """The named item a path lies in ("case 'blokker-2012'", "rule 3"), and the path below it."""
    for prefix, kind in NESTED_KINDS.items():
        size = len(prefix)
        if path[:size] == prefix and len(path) > size and isinstance(path[size], int):
            container: Any = data
            for key in prefix:
                container = container.get(key) if isinstance(container, dict) else None
            index = path[size]
            item = (
                container[index] if isinstance(container, list) and index < len(container) else None
            )
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str) and ident.strip():
                return f"{kind} '{ident.strip()}'", path[size + 1 :]
            return f"{prefix[-1]} item {index + 1}", path[size + 1 :]
    if len(path) < 2 or path[0] not in KINDS or not isinstance(path[1], int):
        return "", path
    key, index = path[0], path[1]
    item = None
    if isinstance(data, dict) and isinstance(data.get(key), list) and index < len(data[key]):
        item = data[key][index]
    if isinstance(item, dict):
        number, ident, name = item.get("number"), item.get("id"), item.get("name")
        if key == "rules" and isinstance(number, int) and not isinstance(number, bool):
            return f"rule {number}", path[2:]
        if key == "contacts" and isinstance(name, str) and name:
            return f"contact '{name}'", path[2:]
        if key not in ("rules", "contacts") and isinstance(ident, str) and ident:
            return f"{KINDS[key]} '{ident}'", path[2:]
    return f"{key} item {index + 1}", path[2:]


def subject(path: tuple[Any, ...]) -> str:
    """('dont', 1, 'en') -> "'dont' item 2, 'en'"; ('title', 'nl') -> "'title.nl'"."""
    groups: list[str] = []
    keys: list[str] = []
    for step in path:
        if isinstance(step, int):
            groups.append(f"'{'.'.join(keys)}' item {step + 1}" if keys else f"item {step + 1}")
            keys = []
        else:
            keys.append(str(step))
    if keys:
        groups.append(f"'{'.'.join(keys)}'")
    return ", ".join(groups)


def where(data: Any, path: tuple[Any, ...]) -> str:
    """The owner and container of a path, as the start of a message ("rule 3, 'dont' item 2")."""
    name, rest = owner(data, path)
    return ", ".join(part for part in (name, subject(rest)) if part)


def _with(prefix: str, body: str) -> str:
    return f"{prefix}: {body}" if prefix else body


def describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the yes/no value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of keys"
    return type(value).__name__


def annotation_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The type annotation a schema gives to `loc` below `model` (None when unknown)."""
    current: Any = model
    for step in loc:
        current = _unwrap(current)
        if isinstance(step, int):
            if get_origin(current) is not list:
                return None
            current = get_args(current)[0]
        elif get_origin(current) is dict:  # a mapping of names to values (texts.yaml)
            current = get_args(current)[1]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(step)) or next(
                (f for f in current.model_fields.values() if f.alias == str(step)), None
            )
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    return _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _choices(annotation: Any) -> list[str]:
    return [str(a) for a in get_args(annotation)] if get_origin(annotation) is Literal else []


def _fill_hint(field: str, annotation: Any) -> str:
    """How to write a missing value."""
    if _is_model(annotation):
        fields = list(annotation.model_fields)
        if fields == ["nl", "en"]:
            return f"add '{field}:' with nl and en texts"
        if "title" in fields and "ref" in fields:
            return f"add '{field}:' with a 'title' (and a 'ref' when there is one)"
        required = [n for n, f in annotation.model_fields.items() if f.is_required()]
        return f"add '{field}:' with the keys {', '.join(required)}"
    if get_origin(annotation) is list:
        return f"add '{field}:' with a list (one '- item' per line)"
    if choices := _choices(annotation):
        return f"add '{field}:' with one of: {', '.join(choices)}"
    if annotation is int:
        return f"add '{field}:' with a number" + (" from 1 to 15" if field in RULE_FIELDS else "")
    if field == "id":
        return "add 'id:' with a short lower-case id, e.g. 'blokker-2012'"
    return f"add '{field}:' with a text"


RULE_FIELDS = ("number", "rule", "rules", "also")


def _slug(value: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-_")
    return slug or "my-id"


def schema_errors(
    yf: YamlFile, model: type[BaseModel], base: tuple[Any, ...], errs: list[Any]
) -> list[KnowledgeError]:
    """All pydantic errors of one validation, worded; see `schema_error`.

    A missing key is not reported when an unknown key beside it looks like a typo of it: the
    unknown key's message already says "did you mean ...?".
    """
    typos = set()
    for err in errs:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            parent = annotation_at(model, base + loc[:-1])
            if _is_model(parent) and (guess := did_you_mean(str(loc[-1]), keys_of(parent))):
                typos.add((*loc[:-1], guess))
    return [
        schema_error(yf, model, base, err)
        for err in errs
        if not (err["type"] == "missing" and tuple(err["loc"]) in typos)
    ]


def schema_error(
    yf: YamlFile, model: type[BaseModel], base: tuple[Any, ...], err: dict[str, Any]
) -> KnowledgeError:
    """Turn one pydantic error into a KnowledgeError.

    `model` is the schema of the whole file, `base` the path of the validated value within it
    (("cases", 3) when one case was validated), and the error's loc is relative to that value.
    """
    loc = tuple(err["loc"])
    path = base + loc
    kind = err["type"]
    value = err.get("input")
    data = yf.data
    if kind == "missing":
        field = str(loc[-1])
        return yf.error(
            path[:-1],
            _with(where(data, path[:-1]), f"missing key '{field}'"),
            _fill_hint(field, annotation_at(model, path)),
        )
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = annotation_at(model, path[:-1])
        allowed = keys_of(parent) if _is_model(parent) else []
        guess = did_you_mean(key, allowed)
        listed = f"Allowed keys: {', '.join(allowed)}"
        hint = f"did you mean '{guess}'? {listed}" if guess else f"remove it or rename it. {listed}"
        return yf.error(path, _with(where(data, path[:-1]), f"unknown key '{key}'"), hint, at="key")
    name, rest = owner(data, path)
    what = subject(rest) or name or "the file"
    if not rest:
        name = ""  # the whole item is wrong: "cases item 2 is empty"
    field = next((str(s) for s in reversed(path) if not isinstance(s, int)), "")
    annotation = annotation_at(model, path)
    if _is_model(annotation) and (value is None or kind in _MAPPING_TYPES):
        item = bool(path) and isinstance(path[-1], int)
        message, hint = _mapping_problem(what, field, value, annotation, item=item)
    else:
        message, hint = _value_problem(kind, what, field, value, annotation, err, yf, path)
    return yf.error(path, _with(name, message), hint)


_MAPPING_TYPES = ("model_type", "dict_type", "model_attributes_type")


def _mapping_problem(
    what: str, field: str, value: Any, annotation: type[BaseModel], *, item: bool
) -> tuple[str, str]:
    """A mapping (a Text, a Source, a whole case) that is empty or something else."""
    required = [k for k, f in annotation.model_fields.items() if f.is_required()]
    if not required:  # every key is optional (a walk's branch or condition)
        keys = keys_of(annotation)
        start = f"'- {keys[0]}: ...'" if item else f"'{field}:' with keys indented below it"
        hint = f"write {start}; it takes {', '.join(keys)}"
    elif item:
        hint = f"write the item as keys, starting with '- {required[0]}: ...'; it needs " + (
            ", ".join(required)
        )
    else:
        keys = " and ".join(f"'{k}: ...'" for k in required)
        hint = f"write '{field}:' with {keys} indented below it"
    if value is None:
        return f"{what} is empty", hint
    allowed = ", ".join(keys_of(annotation))
    return f"{what} must be a mapping with the keys {allowed}, not {describe(value)}", hint


def _value_problem(
    kind: str,
    what: str,
    field: str,
    value: Any,
    annotation: Any,
    err: dict[str, Any],
    yf: YamlFile,
    path: tuple[Any, ...],
) -> tuple[str, str]:
    if value is None and kind in (
        "string_type",
        "list_type",
        "int_type",
        "literal_error",
        "bool_type",
    ):
        return f"{what} is empty", _fill_hint(field, annotation).replace("add", "write", 1)
    if kind == "string_type":
        node = yf.node(path)
        raw = getattr(node, "value", value)
        if isinstance(value, bool | int | float):
            return (
                f"{what} must be text, not {describe(value)}",
                f"put it in quotes: {field}: '{raw}'",
            )
        return f"{what} must be text, not {describe(value)}", "write a single text here"
    if kind == "string_too_short":
        return f"{what} is empty", "write a text here"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return (
            f"{what} must be a whole number, not {describe(value)}",
            "write a number without quotes, e.g. 3",
        )
    if kind == "bool_type":
        return f"{what} must be true or false, not {describe(value)}", "write true or false"
    if kind == "list_type":
        example = f"[{value}]" if isinstance(value, str | int) else "[first, second]"
        return (
            f"{what} must be a list, not {describe(value)}",
            f"write it as a list: {field}: {example}, or one '- item' per line",
        )
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", ""))
        choices = _choices(annotation) or re.findall(r"'([^']*)'", expected)
        guess = did_you_mean(str(value), choices) if isinstance(value, str) else None
        allowed = f"use one of: {', '.join(choices)}"
        return (
            f"{what} is {describe(value)}, which is not allowed",
            f"did you mean '{guess}'? Or {allowed}" if guess else allowed,
        )
    if kind == "too_short":
        noun = "rule" if field in RULE_FIELDS else "item"
        return f"{what} is an empty list", f"name at least one {noun}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        if field in RULE_FIELDS:
            return f"{what} is {value}; rules are 1-15", "use a rule number from 1 to 15"
        return f"{what} is {value}: {err['msg'].lower()}", "change the number"
    if kind == "value_error":
        problem = str(err.get("ctx", {}).get("error", err["msg"]))
        if field in ("id", "value") and isinstance(value, str):
            return problem, f"rename it, e.g. '{_slug(value)}'"
        if field == "date":
            return problem, "write the date as YYYY-MM-DD, or YYYY-MM or YYYY if that is all"
        return problem, "correct the value"
    return f"{what}: {err['msg']}", "see bot/knowledge/schema.py for what is expected here"
