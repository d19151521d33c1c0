"""Loading knowledge: the minimal set, every broken set with its exact messages, the shipped set."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot
from bot.knowledge.errors import KnowledgeError, KnowledgeInvalid
from bot.knowledge.loader import (
    Knowledge,
    default_knowledge_dir,
    load_knowledge,
    load_organisation,
)

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "minimal"
BROKEN = sorted(p.name for p in (FIXTURES / "broken").iterdir() if p.is_dir())
REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "knowledge"
EVAL = REPO.parent / "shared" / "eval"
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
REQUIRED = (
    "organisation.yaml",
    "rules.yaml",
    "cases.yaml",
    "legal.yaml",
    "roles.yaml",
    "tips.yaml",
)


def knowledge_set(tmp_path: Path, broken: str | None = None) -> Path:
    """The minimal set copied to tmp_path/knowledge, with a broken set laid over it."""
    target = tmp_path / "knowledge"
    shutil.copytree(MINIMAL, target)
    if broken:
        source = FIXTURES / "broken" / broken
        shutil.copytree(source, target, dirs_exist_ok=True)
        (target / "expected.txt").unlink()
        remove = target / "remove.txt"
        if remove.exists():
            for name in remove.read_text().split():
                (target / name).unlink()
            remove.unlink()
    return target


def load_errors(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeInvalid) as caught:
        load_knowledge(directory)
    return [str(error) for error in caught.value.errors]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- the minimal set ---------------------------------------------------------------------------


def test_minimal_set_loads() -> None:
    knowledge = load_knowledge(MINIMAL)
    assert isinstance(knowledge, Knowledge)
    assert sorted(knowledge.rules) == list(range(1, 16))
    assert knowledge.rules[8].dont[0].platform == "x"
    assert list(knowledge.cases) == ["blokker-2012", "good-2020"]
    assert knowledge.cases["blokker-2012"].date == "2012-02"
    assert knowledge.organisation.name == "Voorbeeld B.V."
    assert [lexicon for lexicon in knowledge.lexicons] == ["insults"]
    assert [signal.id for signal in knowledge.signals] == ["insult"]
    assert [tip.id for tip in knowledge.tips] == ["think-first"]
    assert [step.id for step in knowledge.playbook] == ["talk-first"]
    assert list(knowledge.roles) == ["manager"]
    assert [item.id for item in knowledge.legal] == ["grondwet-7"]
    assert re.fullmatch(r"[0-9a-f]{12}", knowledge.version)
    assert knowledge.directory == MINIMAL


def test_positions_find_items_and_keys() -> None:
    positions = load_knowledge(MINIMAL).positions
    assert positions.find("rule", 8) == ("rules.yaml", ("rules", 7))
    assert positions.find("signal", "insult") == ("signals/base.yaml", ("signals", 0))
    assert positions.of("rules.yaml", ("rules", 7)) == (37, 5)
    assert positions.of("rules.yaml", ("rules", 7, "dont", 0, "en")) == (46, 13)
    assert positions.of("cases.yaml", ("cases", 1, "rules"), key=True) == (19, 5)
    assert positions.of("cases.yaml", ("cases", 1, "rules")) == (19, 12)
    # a path that leads nowhere stops at the deepest node on the way
    assert positions.of("cases.yaml", ("cases", 1, "nothing")) == (11, 5)
    assert positions.path("rules.yaml") == MINIMAL / "rules.yaml"
    with pytest.raises(KeyError):
        positions.of("nothing.yaml", ())


def test_version_follows_the_contents(tmp_path: Path) -> None:
    directory = knowledge_set(tmp_path)
    first = load_knowledge(directory).version
    assert load_knowledge(directory).version == first
    edit(directory / "cases.yaml", "Mind your tone.", "Mind your words.")
    assert load_knowledge(directory).version != first


def test_unquoted_dates_stay_as_written(tmp_path: Path) -> None:
    directory = knowledge_set(tmp_path)
    edit(directory / "cases.yaml", 'date: "2020"', "date: 2020-06-01")
    assert load_knowledge(directory).cases["good-2020"].date == "2020-06-01"


def test_signal_files_are_merged(tmp_path: Path) -> None:
    directory = knowledge_set(tmp_path)
    (directory / "signals" / "more.yaml").write_text(
        "lexicons:\n"
        "  - id: cursing\n"
        "    description: Swearing\n"
        "    terms: {nl: [verdorie], en: [damn]}\n"
        "signals:\n"
        "  - id: curse\n"
        "    rule: 8\n"
        "    severity: caution\n"
        "    lexicons: [cursing, insults]\n"
        "    patterns: ['\\bgvd\\b']\n"
        "    requires: [org]\n"
        "    explanation: {nl: Vloeken., en: Cursing.}\n"
        "    suggestion: {nl: Niet doen., en: Don't.}\n",
        encoding="utf-8",
    )
    knowledge = load_knowledge(directory)
    assert list(knowledge.lexicons) == ["insults", "cursing"]
    assert [s.id for s in knowledge.signals] == ["insult", "curse"]
    assert knowledge.positions.find("lexicon", "cursing") == ("signals/more.yaml", ("lexicons", 0))


# --- broken sets: every problem, at its place, in plain words -----------------------------------


@pytest.mark.parametrize("broken", BROKEN)
def test_broken_set_reports_exactly(
    broken: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected_file = FIXTURES / "broken" / broken / "expected.txt"
    expected = [
        line
        for line in expected_file.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    knowledge_set(tmp_path, broken)
    monkeypatch.chdir(tmp_path)
    assert load_errors(Path("knowledge")) == expected


def test_every_error_has_a_message_and_a_hint(tmp_path: Path) -> None:
    errors: list[KnowledgeError] = []
    for broken in BROKEN:
        with pytest.raises(KnowledgeInvalid) as caught:
            load_knowledge(knowledge_set(tmp_path / broken, broken))
        errors += caught.value.errors
    assert errors
    for error in errors:
        assert error.line >= 1 and error.col >= 1
        assert error.message and error.hint
        assert "Input should" not in error.message  # pydantic's wording never leaks through


def test_missing_directory() -> None:
    with pytest.raises(KnowledgeInvalid) as caught:
        load_knowledge("/nonexistent/knowledge")
    assert "does not exist" in str(caught.value)


def test_no_signal_files(tmp_path: Path) -> None:
    directory = knowledge_set(tmp_path)
    shutil.rmtree(directory / "signals")
    [error] = load_errors(directory)
    assert "signals/ holds no .yaml files" in error


def test_first_duplicate_key_wins_and_checks_go_on(tmp_path: Path) -> None:
    directory = knowledge_set(tmp_path)
    edit(directory / "cases.yaml", "    rules: [8, 10]\n", "    rules: [8, 10]\n    rules: [99]\n")
    edit(directory / "rules.yaml", "cases: [blokker-2012]", "cases: [nope]")
    errors = load_errors(directory)
    assert len(errors) == 2  # rules.yaml comes before cases.yaml
    assert "rule 8 names case 'nope'" in errors[0]
    assert "case 'blokker-2012': duplicate key 'rules' (first at line 9)" in errors[1]
    assert "cites rule 99" not in " ".join(errors)


def test_a_broken_file_does_not_cause_follow_on_errors(tmp_path: Path) -> None:
    """With cases.yaml unreadable, references to cases are not reported as dangling."""
    directory = knowledge_set(tmp_path)
    (directory / "cases.yaml").write_text("cases: [\n", encoding="utf-8")
    errors = load_errors(directory)
    assert len(errors) == 1 and "YAML syntax error" in errors[0]


def test_an_invalid_item_still_counts_as_defined(tmp_path: Path) -> None:
    directory = knowledge_set(tmp_path)
    edit(directory / "cases.yaml", "    sector: private\n", "    sector: privaat\n")
    errors = load_errors(directory)
    assert len(errors) == 1 and "'sector'" in errors[0]


@FUZZ
@given(content=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_any_file_content_gives_knowledge_or_errors(tmp_path: Path, content: bytes) -> None:
    directory = tmp_path / "k"
    if not directory.exists():
        shutil.copytree(MINIMAL, directory)
    (directory / "cases.yaml").write_bytes(content)
    try:
        load_knowledge(directory)
    except KnowledgeInvalid as exc:
        assert exc.errors


@FUZZ
@given(data=st.data())
def test_any_single_character_edit_gives_knowledge_or_errors(
    tmp_path: Path, data: st.DataObject
) -> None:
    directory = tmp_path / "k"
    if not directory.exists():
        shutil.copytree(MINIMAL, directory)
    original = (MINIMAL / "signals" / "base.yaml").read_text(encoding="utf-8")
    at = data.draw(st.integers(0, len(original) - 1))
    char = data.draw(st.sampled_from(list(" \t\n:-[]{}'\"*=#&!%|>x1")))
    (directory / "signals" / "base.yaml").write_text(
        original[:at] + char + original[at + 1 :], encoding="utf-8"
    )
    try:
        load_knowledge(directory)
    except KnowledgeInvalid as exc:
        assert all(e.line >= 1 for e in exc.errors)


# --- errors ------------------------------------------------------------------------------------


def test_error_shows_the_file_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = KnowledgeError(
        str(tmp_path / "knowledge" / "cases.yaml"),
        41,
        5,
        "case 'x' cites rule 16; rules are 1-15",
        "cite a rule number from 1 to 15",
    )
    monkeypatch.chdir(tmp_path)
    assert str(error) == (
        "knowledge/cases.yaml:41:5: case 'x' cites rule 16; rules are 1-15 — "
        "cite a rule number from 1 to 15"
    )
    monkeypatch.chdir(tmp_path.parent.parent)
    outside = KnowledgeError("/elsewhere/cases.yaml", 1, 2, "m", "h")
    assert str(outside) == "/elsewhere/cases.yaml:1:2: m — h"


def test_invalid_lists_every_error_on_its_own_line() -> None:
    errors = [
        KnowledgeError("/a.yaml", 1, 1, "one", "fix"),
        KnowledgeError("/b.yaml", 2, 3, "two", "fix"),
    ]
    assert str(KnowledgeInvalid(errors)) == "/a.yaml:1:1: one — fix\n/b.yaml:2:3: two — fix"


# --- organisation profiles ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["org-dev-private.yaml", "org-dev-public.yaml"])
def test_eval_profiles_load(name: str) -> None:
    path = EVAL / name
    if not path.exists():
        pytest.skip(f"{path} is not there (shared/ is expected beside the repository)")
    organisation, warnings = load_organisation(path, strict=False)
    assert organisation.name and organisation.sector in ("public", "private")
    assert warnings == []


def test_profile_unknown_keys_warn_when_not_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(
        "name: Gemeente X\nsector: public\nwebsite: https://x.example\naliasses: [X]\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    organisation, warnings = load_organisation(path, strict=False)
    assert organisation.name == "Gemeente X" and organisation.aliases == []
    assert [str(w).split(" — ")[0] for w in warnings] == [
        "org.yaml:3:1: unknown key 'website' is ignored",
        "org.yaml:4:1: unknown key 'aliasses' is ignored",
    ]
    assert "did you mean 'aliases'?" in str(warnings[1])
    with pytest.raises(KnowledgeInvalid) as caught:
        load_organisation(path)
    assert str(caught.value).startswith("org.yaml:3:1: unknown key 'website' — remove it")


def test_profile_other_errors_raise_even_when_not_strict(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("name: Gemeente X\nsector: publiek\nextra: 1\n", encoding="utf-8")
    with pytest.raises(KnowledgeInvalid) as caught:
        load_organisation(path, strict=False)
    [error] = caught.value.errors
    assert (error.line, error.col) == (2, 9) and "'sector'" in error.message


def test_profile_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("name: [Gemeente X\n", encoding="utf-8")
    with pytest.raises(KnowledgeInvalid) as caught:
        load_organisation(path)
    assert "YAML syntax error" in caught.value.errors[0].message


# --- where the knowledge is --------------------------------------------------------------------


def test_default_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PROTOCOLBOT_KNOWLEDGE_DIR", raising=False)
    monkeypatch.setenv("PROTOCOLBOT_KNOWLEDGE", str(tmp_path))  # the older name still works
    assert default_knowledge_dir() == tmp_path
    monkeypatch.setenv("PROTOCOLBOT_KNOWLEDGE_DIR", str(tmp_path / "volume"))
    assert default_knowledge_dir() == tmp_path / "volume"


def test_default_dir_repository_then_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PROTOCOLBOT_KNOWLEDGE", raising=False)
    monkeypatch.delenv("PROTOCOLBOT_KNOWLEDGE_DIR", raising=False)
    package = tmp_path / "site" / "bot"
    package.mkdir(parents=True)
    monkeypatch.setattr(bot, "__file__", str(package / "__init__.py"))
    assert default_knowledge_dir() == package / "_shipped_knowledge"
    (tmp_path / "site" / "knowledge").mkdir()
    assert default_knowledge_dir() == tmp_path / "site" / "knowledge"


def test_default_dir_in_this_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROTOCOLBOT_KNOWLEDGE", raising=False)
    monkeypatch.delenv("PROTOCOLBOT_KNOWLEDGE_DIR", raising=False)
    if not SHIPPED.is_dir():
        pytest.skip("no knowledge/ in this checkout")
    assert default_knowledge_dir() == SHIPPED


# --- the shipped knowledge ---------------------------------------------------------------------


def test_shipped_knowledge_loads_cleanly() -> None:
    missing = [name for name in REQUIRED if not (SHIPPED / name).is_file()]
    if missing or not list((SHIPPED / "signals").glob("*.yaml")):
        pytest.skip(
            f"the shipped knowledge is not complete yet (missing: "
            f"{', '.join(missing) or 'signals/*.yaml'})"
        )
    try:
        knowledge = load_knowledge(SHIPPED)
    except KnowledgeInvalid as exc:
        cwd = os.getcwd()
        pytest.fail(f"knowledge/ has {len(exc.errors)} problems (cwd {cwd}):\n{exc}")
    assert sorted(knowledge.rules) == list(range(1, 16))
    assert knowledge.signals and knowledge.lexicons and knowledge.cases
