"""Checking walk.yaml: every broken walk with its exact messages, the optional file, the shipped walk."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge.errors import KnowledgeError, KnowledgeInvalid
from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import Walk
from bot.walk import Ask, WalkFacts, answer, start

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "minimal"
WALKS = FIXTURES / "walk"
BROKEN = sorted(p.name for p in (WALKS / "broken").iterdir() if p.is_dir())
SHIPPED = Path(__file__).resolve().parent.parent / "knowledge"
FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def knowledge_with_walk(tmp_path: Path, walk: Path | str | None) -> Path:
    """The minimal set copied to tmp_path/knowledge, with `walk` as its walk.yaml."""
    target = tmp_path / "knowledge"
    shutil.copytree(MINIMAL, target)
    if isinstance(walk, Path):
        shutil.copy(walk, target / "walk.yaml")
    elif walk is not None:
        (target / "walk.yaml").write_text(walk, encoding="utf-8")
    return target


def load_errors(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeInvalid) as caught:
        load_knowledge(directory)
    return [str(error) for error in caught.value.errors]


def expected_lines(name: str) -> list[str]:
    text = (WALKS / "broken" / name / "expected.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# --- the file is optional ----------------------------------------------------------------------


def test_without_walk_yaml_there_is_no_walk() -> None:
    assert load_knowledge(MINIMAL).walk is None


def test_a_valid_walk_loads(tmp_path: Path) -> None:
    knowledge = load_knowledge(knowledge_with_walk(tmp_path, WALKS / "valid.yaml"))
    walk = knowledge.walk
    assert isinstance(walk, Walk)
    assert walk.start == "facts"
    assert [s.id for s in walk.steps] == ["facts", "secret", "role", "angry", "doubt"]
    assert walk.step("secret").prefill_value == "ja"
    assert walk.step("secret").next[0].if_.fact == "answer.secret"
    assert walk.step("angry").prefill.all_[2].not_.fact == "sector"
    assert walk.step("facts").next[-1].else_ == "secret"
    assert walk.outcome("talk-in-confidence").contact == "confidential_adviser"
    assert walk.step("nothing") is None and walk.outcome("facts") is None


def test_the_walk_counts_in_the_version(tmp_path: Path) -> None:
    without = load_knowledge(knowledge_with_walk(tmp_path / "a", None)).version
    with_walk = load_knowledge(knowledge_with_walk(tmp_path / "b", WALKS / "valid.yaml")).version
    assert without != with_walk


# --- broken walks: every problem, at its place, in plain words ----------------------------------


@pytest.mark.parametrize("broken", BROKEN)
def test_broken_walk_reports_exactly(
    broken: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge_with_walk(tmp_path, WALKS / "broken" / broken / "walk.yaml")
    monkeypatch.chdir(tmp_path)
    assert load_errors(Path("knowledge")) == expected_lines(broken)


def test_every_walk_error_has_a_place_a_message_and_a_hint(tmp_path: Path) -> None:
    errors: list[KnowledgeError] = []
    for broken in BROKEN:
        directory = knowledge_with_walk(tmp_path / broken, WALKS / "broken" / broken / "walk.yaml")
        with pytest.raises(KnowledgeInvalid) as caught:
            load_knowledge(directory)
        errors += caught.value.errors
    assert len(errors) >= 50
    for error in errors:
        assert error.file.endswith("walk.yaml")
        assert error.line >= 1 and error.col >= 1
        assert error.message and error.hint
        assert "Input should" not in error.message  # pydantic's wording never leaks through
        assert not re.search(r"\b(if|else|all|any|not)_\b", error.message)  # aliases, not fields


def test_walk_errors_come_with_those_of_other_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = knowledge_with_walk(tmp_path, WALKS / "broken" / "cycle" / "walk.yaml")
    cases = directory / "cases.yaml"
    cases.write_text(
        cases.read_text(encoding="utf-8").replace("sector: private", "sector: privaat", 1),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    errors = load_errors(Path("knowledge"))
    assert len(errors) == 3
    assert errors[0].startswith("knowledge/cases.yaml:") and "'privaat'" in errors[0]
    assert [e.split(": ")[0] for e in errors[1:]] == [
        "knowledge/walk.yaml:19:17",
        "knowledge/walk.yaml:29:17",
    ]


def test_a_walk_with_a_syntax_error_gives_no_follow_on_errors(tmp_path: Path) -> None:
    directory = knowledge_with_walk(tmp_path, "walk:\n  start: [facts\n")
    [error] = load_errors(directory)
    assert "walk.yaml:" in error and "YAML syntax error" in error


def test_duplicate_keys_in_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (WALKS / "valid.yaml").read_text(encoding="utf-8")
    text = text.replace("  start: facts\n", "  start: facts\n  start: secret\n", 1)
    knowledge_with_walk(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    assert load_errors(Path("knowledge")) == [
        "knowledge/walk.yaml:4:3: 'walk': duplicate key 'start' (first at line 3) — remove one "
        "of the two; only the first one is used"
    ]


def test_walk_yml_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = knowledge_with_walk(tmp_path, None)
    shutil.copy(WALKS / "valid.yaml", directory / "walk.yml")
    monkeypatch.chdir(tmp_path)
    assert load_errors(Path("knowledge")) == [
        "knowledge/walk.yml:1:1: walk.yml is not read: the walk file is called walk.yaml — "
        "rename it to walk.yaml"
    ]


def test_a_walk_that_is_not_a_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    knowledge_with_walk(tmp_path, "- start: facts\n")
    monkeypatch.chdir(tmp_path)
    [error] = load_errors(Path("knowledge"))
    assert error.startswith("knowledge/walk.yaml:1:1: walk.yaml holds a list, but it should hold")


def test_a_walk_without_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    knowledge_with_walk(tmp_path, "walk:\n  start: facts\n  outcomes: []\n")
    monkeypatch.chdir(tmp_path)
    assert [e.split(" — ")[0] for e in load_errors(Path("knowledge"))] == [
        "knowledge/walk.yaml:2:3: 'walk': missing key 'steps'",
        "knowledge/walk.yaml:2:10: 'walk.start' names 'facts', which is not a step of this walk",
    ]


@FUZZ
@given(data=st.data())
def test_any_single_character_edit_gives_a_walk_or_errors(
    tmp_path: Path, data: st.DataObject
) -> None:
    directory = tmp_path / "k"
    if not directory.exists():
        shutil.copytree(MINIMAL, directory)
    original = (WALKS / "valid.yaml").read_text(encoding="utf-8")
    at = data.draw(st.integers(0, len(original) - 1))
    char = data.draw(st.sampled_from(list(" \t\n:-[]{}'\"*=#&!%|>x1")))
    (directory / "walk.yaml").write_text(original[:at] + char + original[at + 1 :], "utf-8")
    try:
        knowledge = load_knowledge(directory)
    except KnowledgeInvalid as exc:
        assert exc.errors and all(e.line >= 1 and e.message and e.hint for e in exc.errors)
    else:
        assert knowledge.walk is not None


@FUZZ
@given(data=st.data())
def test_any_line_moved_or_dropped_gives_a_walk_or_errors(
    tmp_path: Path, data: st.DataObject
) -> None:
    """Lines of the valid walk shuffled about: structure breaks, the checks never do."""
    directory = tmp_path / "k"
    if not directory.exists():
        shutil.copytree(MINIMAL, directory)
    lines = (WALKS / "valid.yaml").read_text(encoding="utf-8").splitlines()
    i = data.draw(st.integers(0, len(lines) - 1))
    j = data.draw(st.integers(0, len(lines) - 1))
    moved = lines[:i] + lines[i + 1 :]
    if data.draw(st.booleans()):
        moved.insert(min(j, len(moved)), lines[i])
    (directory / "walk.yaml").write_text("\n".join(moved) + "\n", "utf-8")
    try:
        load_knowledge(directory)
    except KnowledgeInvalid as exc:
        assert exc.errors and all(e.line >= 1 and e.message and e.hint for e in exc.errors)


# --- the shipped walk --------------------------------------------------------------------------


def test_shipped_walk_loads_cleanly() -> None:
    if not (SHIPPED / "walk.yaml").is_file():
        pytest.skip("no knowledge/walk.yaml in this checkout")
    walk = load_knowledge(SHIPPED).walk
    assert walk is not None
    assert 6 <= len(walk.steps) <= 9
    kinds = {outcome.kind for outcome in walk.outcomes}
    contacts = {outcome.contact for outcome in walk.outcomes if outcome.kind == "consult"}
    assert kinds == {"post", "revise", "consult"}
    assert contacts == {"manager", "communications", "integrity", "confidential_adviser"}
    for item in (*walk.steps, *walk.outcomes):
        assert item.source.title and item.source.ref, item.id


def test_shipped_walk_texts_are_in_both_languages() -> None:
    if not (SHIPPED / "walk.yaml").is_file():
        pytest.skip("no knowledge/walk.yaml in this checkout")
    walk = load_knowledge(SHIPPED).walk
    for step in walk.steps:
        texts = [step.question, *(c.label for c in step.choices)]
        texts += [step.help] if step.help else []
        for text in texts:
            assert text.nl != text.en, step.id
    for outcome in walk.outcomes:
        assert outcome.text.nl != outcome.text.en


def test_shipped_walk_runs_from_the_knowledge(knowledge) -> None:
    """The walk the bot ships with starts with a question and accepts its own choices."""
    if knowledge.walk is None:
        pytest.skip("no knowledge/walk.yaml in this checkout")
    facts = WalkFacts("go", (), "employee", "public", False)
    first = start(knowledge.walk, facts)
    assert isinstance(first, Ask)
    for choice in first.step.choices:
        assert answer(knowledge.walk, first.state, choice.value, facts) is not None
