"""Loading the knowledge directory into typed, cross-checked values, or every problem at once.

Layout: organisation.yaml, rules.yaml, cases.yaml, legal.yaml, roles.yaml, tips.yaml, and
signals/*.yaml (lexicons and signals are merged over all signal files, in file-name order);
optionally walk.yaml, the rule-15 doubt walk (checked by walkcheck.py); and texts.yaml, the
bot's own phrases (checked against the keys and placeholders the code needs by textcheck.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

import bot
from bot.knowledge.crossref import Collected, Item, check_references
from bot.knowledge.errors import KnowledgeError, KnowledgeInvalid
from bot.knowledge.messages import describe, did_you_mean, schema_error, schema_errors, where
from bot.knowledge.schema import (
    Case,
    CasesFile,
    LegalFile,
    LegalItem,
    Lexicon,
    Organisation,
    PlaybookStep,
    RoleGuidance,
    RolesFile,
    Rule,
    RulesFile,
    Signal,
    SignalsFile,
    Text,
    TextsFile,
    Tip,
    TipsFile,
    Walk,
    WalkFile,
)
from bot.knowledge.textcheck import TEXTS_FILE, check_texts
from bot.knowledge.walkcheck import WALK_FILE, check_walk
from bot.knowledge.yamlfile import YamlFile, position, read_yaml

LIST_FILES: dict[str, type[BaseModel]] = {
    "rules.yaml": RulesFile,
    "cases.yaml": CasesFile,
    "legal.yaml": LegalFile,
    "roles.yaml": RolesFile,
    "tips.yaml": TipsFile,
}
SIGNALS_DIR = "signals"
_CREATE_HINTS = {
    "organisation.yaml": "create it with at least the organisation's 'name:' and 'sector:'",
    "rules.yaml": "create it with a 'rules:' list holding rules 1 to 15",
    "cases.yaml": "create it with a 'cases:' list",
    "legal.yaml": "create it with a 'legal:' list",
    "roles.yaml": "create it with a 'roles:' list",
    "tips.yaml": "create it with a 'tips:' list and a 'playbook:' list",
    TEXTS_FILE: "copy it from the shipped knowledge/texts.yaml; it holds the bot's own phrases",
}
# how each kind of item is found again: list key -> (kind, key field)
_INDEXED = {
    "rules": ("rule", "number"),
    "cases": ("case", "id"),
    "legal": ("legal", "id"),
    "roles": ("role", "id"),
    "tips": ("tip", "id"),
    "playbook": ("playbook", "id"),
    "lexicons": ("lexicon", "id"),
    "signals": ("signal", "id"),
}


class Positions:
    """Where things stand in the files: `of("rules.yaml", ("rules", 7, "dont", 1))` -> (l, c)."""

    def __init__(self, files: dict[str, YamlFile]) -> None:
        self._files = files
        self._index: dict[tuple[str, Any], tuple[str, tuple[Any, ...]]] = {}
        for name, yf in files.items():
            if not isinstance(yf.data, dict):
                continue
            for key, (kind, id_field) in _INDEXED.items():
                entries = yf.data.get(key)
                for i, entry in enumerate(entries if isinstance(entries, list) else []):
                    if isinstance(entry, dict) and isinstance(entry.get(id_field), str | int):
                        self._index.setdefault((kind, entry[id_field]), (name, (key, i)))

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(self._files)

    def path(self, file_name: str) -> Path:
        return self._files[file_name].path

    def of(
        self, file_name: str, path: tuple[Any, ...] = (), *, key: bool = False
    ) -> tuple[int, int]:
        """1-based (line, col) of the value at `path` (of its key with key=True).

        A path that leads nowhere gives the deepest node on the way; an unknown file a KeyError.
        """
        return position(self._files[file_name].root, path, at="key" if key else "value")

    def find(self, kind: str, key: Any) -> tuple[str, tuple[Any, ...]]:
        """(file name, path) of an item: find("rule", 8), find("signal", "insult-colleague")."""
        return self._index[(kind, key)]


@dataclass(frozen=True)
class Knowledge:
    directory: Path
    organisation: Organisation
    rules: dict[int, Rule]  # 1..15
    cases: dict[str, Case]
    legal: tuple[LegalItem, ...]
    roles: dict[str, RoleGuidance]
    tips: tuple[Tip, ...]
    playbook: tuple[PlaybookStep, ...]
    lexicons: dict[str, Lexicon]
    signals: tuple[Signal, ...]
    positions: Positions
    version: str  # sha256 over every file's name and bytes, first 12 hex digits
    walk: Walk | None = None  # the rule-15 doubt walk; None when there is no walk.yaml
    texts: dict[str, Text] = dataclasses.field(
        default_factory=dict
    )  # the bot's phrases (bot/texts.py)


def default_knowledge_dir() -> Path:
    """$PROTOCOLBOT_KNOWLEDGE_DIR (or the older $PROTOCOLBOT_KNOWLEDGE), else the repository's
    knowledge/, else the copy in the package."""
    configured = os.environ.get("PROTOCOLBOT_KNOWLEDGE_DIR") or os.environ.get(
        "PROTOCOLBOT_KNOWLEDGE"
    )
    if configured:
        return Path(configured)
    package = Path(bot.__file__).resolve().parent
    repository = package.parent / "knowledge"
    return repository if repository.is_dir() else package / "_shipped_knowledge"


def load_knowledge(directory: Path | str | None = None) -> Knowledge:
    """Load and check every file; raises KnowledgeInvalid holding every problem found."""
    root = Path(directory) if directory is not None else default_knowledge_dir()
    files, errors = _read_directory(root)
    found = Collected()
    models: dict[str, list[BaseModel]] = {}
    organisation = None
    walk: Walk | None = None
    texts: dict[str, Text] = {}
    incomplete: set[str] = set()
    for name, yf in files.items():
        errors += yf.errors
        if name == WALK_FILE:
            walk, problems = _load_walk(yf)
            errors += problems
            continue
        if name == TEXTS_FILE:
            texts, problems = _load_texts(yf)
            errors += problems
            continue
        file_model = _file_model(name)
        if not yf.readable:
            incomplete.update(file_model.model_fields if file_model else ())
            continue
        errors += duplicate_key_errors(yf)
        if file_model is None:
            organisation, problems = validate_model(yf, Organisation, yf.data)
            errors += problems
            continue
        items, problems = validate_lists(yf, file_model)
        errors += problems
        incomplete.update(key for key in file_model.model_fields if key not in items)
        for key, entries in items.items():
            found.sources.setdefault(key, yf)
            found.items.setdefault(key, []).extend(entries)
            models.setdefault(key, []).extend(e.model for e in entries if e.model is not None)
    found.complete = {key for key in found.items if key not in incomplete}
    errors += check_references(found)
    if errors or organisation is None:
        raise KnowledgeInvalid(_sorted(errors, files))
    return _assemble(root, organisation, models, files, walk, texts)


def _load_walk(yf: YamlFile) -> tuple[Walk | None, list[KnowledgeError]]:
    """The walk of a readable walk.yaml, with its schema problems and those of walkcheck."""
    if not yf.readable:
        return None, []
    walk_file, errors = validate_model(yf, WalkFile, yf.data)
    errors = duplicate_key_errors(yf) + errors + check_walk(yf)
    return (walk_file.walk if walk_file is not None and not errors else None), errors


def _load_texts(yf: YamlFile) -> tuple[dict[str, Text], list[KnowledgeError]]:
    """The texts of a readable texts.yaml, with its schema problems and those of textcheck."""
    if not yf.readable:
        return {}, []
    texts_file, errors = validate_model(yf, TextsFile, yf.data)
    errors = duplicate_key_errors(yf) + errors + check_texts(yf)
    return (dict(texts_file.texts) if texts_file is not None and not errors else {}), errors


def load_organisation(
    path: Path | str, *, strict: bool = True
) -> tuple[Organisation, list[KnowledgeError]]:
    """Load one organisation profile; with strict=False unknown top-level keys only warn."""
    path = Path(path)
    yf = read_yaml(path, path.name)
    errors = list(yf.errors)
    warnings: list[KnowledgeError] = []
    organisation = None
    if yf.readable:
        errors += duplicate_key_errors(yf)
        data = yf.data
        if not strict and isinstance(data, dict):
            allowed = list(Organisation.model_fields)
            for key in [k for k in data if k not in allowed]:
                guess = did_you_mean(key, allowed)
                warnings.append(
                    yf.error(
                        (key,),
                        f"unknown key '{key}' is ignored",
                        (f"did you mean '{guess}'? " if guess else "")
                        + f"Allowed keys: {', '.join(allowed)}",
                        at="key",
                    )
                )
            data = {k: v for k, v in data.items() if k in allowed}
        organisation, problems = validate_model(yf, Organisation, data)
        errors += problems
    if errors or organisation is None:
        raise KnowledgeInvalid(sorted(errors, key=lambda e: (e.line, e.col)))
    return organisation, warnings


def duplicate_key_errors(yf: YamlFile) -> list[KnowledgeError]:
    errors = []
    for dup in yf.duplicates:
        prefix = where(yf.data, dup.mapping)
        message = f"duplicate key '{dup.key}' (first at line {dup.first_line})"
        mark = dup.node.start_mark
        errors.append(
            yf.error_at(
                mark.line + 1,
                mark.column + 1,
                f"{prefix}: {message}" if prefix else message,
                "remove one of the two; only the first one is used",
            )
        )
    return errors


def validate_model(
    yf: YamlFile, model: type[BaseModel], data: Any
) -> tuple[Any, list[KnowledgeError]]:
    """Validate a whole file against one model (organisation.yaml)."""
    if not isinstance(data, dict):
        return None, [_not_a_mapping(yf, model, data)]
    try:
        return model.model_validate(data, strict=True), []
    except ValidationError as exc:
        return None, schema_errors(yf, model, (), exc.errors())


def validate_lists(
    yf: YamlFile, file_model: type[BaseModel]
) -> tuple[dict[str, list[Item]], list[KnowledgeError]]:
    """Validate a file of lists entry by entry, so each valid entry is kept for later checks."""
    data = yf.data
    if not isinstance(data, dict):
        return {}, [_not_a_mapping(yf, file_model, data)]
    errors = [
        schema_error(yf, file_model, (), {"type": "extra_forbidden", "loc": (key,)})
        for key in data
        if key not in file_model.model_fields
    ]
    items: dict[str, list[Item]] = {}
    for key, field in file_model.model_fields.items():
        if key not in data:
            if field.is_required():
                errors.append(schema_error(yf, file_model, (), {"type": "missing", "loc": (key,)}))
            else:
                items[key] = []
            continue
        entries = data[key]
        if not isinstance(entries, list):
            errors.append(
                schema_error(
                    yf, file_model, (), {"type": "list_type", "loc": (key,), "input": entries}
                )
            )
            continue
        item_model = get_args(field.annotation)[0]
        items[key] = []
        for i, entry in enumerate(entries):
            model = None
            try:
                model = item_model.model_validate(entry, strict=True)
            except ValidationError as exc:
                errors += schema_errors(yf, file_model, (key, i), exc.errors())
            items[key].append(Item(yf, (key, i), entry, model))
    return items, errors


def _not_a_mapping(yf: YamlFile, model: type[BaseModel], data: Any) -> KnowledgeError:
    required = [f"'{k}:'" for k, f in model.model_fields.items() if f.is_required()]
    keys = " and ".join(required)
    if data is None:
        return yf.error_at(1, 1, f"{yf.name} is empty", f"it should hold {keys}")
    return yf.error(
        (),
        f"{yf.name} holds {describe(data)}, but it should hold {keys}",
        f"put {keys} at the start of a line and indent the entries below it",
    )


def _read_directory(root: Path) -> tuple[dict[str, YamlFile], list[KnowledgeError]]:
    errors: list[KnowledgeError] = []
    if not root.is_dir():
        error = KnowledgeError(
            str(root),
            1,
            1,
            "the knowledge directory does not exist",
            "pass the directory that holds rules.yaml, or set PROTOCOLBOT_KNOWLEDGE_DIR",
        )
        raise KnowledgeInvalid([error])
    files: dict[str, YamlFile] = {}
    for name in ("organisation.yaml", *LIST_FILES):
        path = root / name
        if path.is_file():
            files[name] = read_yaml(path, name)
        else:
            errors.append(
                KnowledgeError(str(path), 1, 1, f"{name} is missing", _CREATE_HINTS[name])
            )
    if (root / WALK_FILE).is_file():  # optional
        files[WALK_FILE] = read_yaml(root / WALK_FILE, WALK_FILE)
    elif (root / "walk.yml").is_file():
        errors.append(
            KnowledgeError(
                str(root / "walk.yml"),
                1,
                1,
                "walk.yml is not read: the walk file is called walk.yaml",
                "rename it to walk.yaml",
            )
        )
    if (root / TEXTS_FILE).is_file():
        files[TEXTS_FILE] = read_yaml(root / TEXTS_FILE, TEXTS_FILE)
    elif (root / "texts.yml").is_file():
        errors.append(
            KnowledgeError(
                str(root / "texts.yml"),
                1,
                1,
                "texts.yml is not read: the texts file is called texts.yaml",
                "rename it to texts.yaml",
            )
        )
    else:
        path = root / TEXTS_FILE
        errors.append(
            KnowledgeError(str(path), 1, 1, f"{TEXTS_FILE} is missing", _CREATE_HINTS[TEXTS_FILE])
        )
    signals = root / SIGNALS_DIR
    names = sorted(p.name for p in signals.iterdir()) if signals.is_dir() else []
    for name in names:
        if name.endswith(".yml"):
            errors.append(
                KnowledgeError(
                    str(signals / name),
                    1,
                    1,
                    f"{SIGNALS_DIR}/{name} is not read: signal files end in .yaml",
                    f"rename it to {name[:-4]}.yaml",
                )
            )
        elif name.endswith(".yaml"):
            files[f"{SIGNALS_DIR}/{name}"] = read_yaml(signals / name, f"{SIGNALS_DIR}/{name}")
    if not any(n.endswith(".yaml") for n in names):
        errors.append(
            KnowledgeError(
                str(signals),
                1,
                1,
                f"{SIGNALS_DIR}/ holds no .yaml files",
                f"add a file such as {SIGNALS_DIR}/base.yaml with 'lexicons:' and 'signals:'",
            )
        )
    return files, errors


def _file_model(name: str) -> type[BaseModel] | None:
    """The schema of a file of lists; None for organisation.yaml."""
    if name.startswith(SIGNALS_DIR + "/"):
        return SignalsFile
    return LIST_FILES.get(name)


def _sorted(errors: list[KnowledgeError], files: dict[str, YamlFile]) -> list[KnowledgeError]:
    """File order as listed (organisation, rules, ...), then line and column; no repeats."""
    order = {str(yf.path): i for i, yf in enumerate(files.values())}
    unique = list(dict.fromkeys(errors))
    return sorted(unique, key=lambda e: (order.get(e.file, -1), e.file, e.line, e.col))


def _assemble(
    root: Path,
    organisation: Organisation,
    models: dict[str, list[Any]],
    files: dict[str, YamlFile],
    walk: Walk | None = None,
    texts: dict[str, Text] | None = None,
) -> Knowledge:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].raw + b"\0")
    return Knowledge(
        directory=root,
        organisation=organisation,
        rules={rule.number: rule for rule in sorted(models["rules"], key=lambda r: r.number)},
        cases={case.id: case for case in models.get("cases", [])},
        legal=tuple(models.get("legal", [])),
        roles={role.id: role for role in models.get("roles", [])},
        tips=tuple(models.get("tips", [])),
        playbook=tuple(models.get("playbook", [])),
        lexicons={lexicon.id: lexicon for lexicon in models.get("lexicons", [])},
        signals=tuple(models.get("signals", [])),
        positions=Positions(files),
        version=digest.hexdigest()[:12],
        walk=walk,
        texts=texts or {},
    )
