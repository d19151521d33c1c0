"""`knowledge check`: load errors, golden examples through an engine, summary and exit code."""

from __future__ import annotations

import io
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.check import check_knowledge, run_check
from bot.knowledge.loader import Knowledge

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"

# the golden examples of the minimal set (rule 8), with {organisation} filled in
DO_NL = "Ik ben het niet eens met dit plan."
DO_EN = "I disagree with this plan."
DONT_NL = "Wat een sukkel is onze klant."
DONT_EN = "What an idiot our client is."


@dataclass(frozen=True)
class FakeReview:
    rules: tuple[int, ...]
    verdict: str


class FakeEngine:
    """Cites the rules listed for a text; records every call."""

    def __init__(self, knowledge: Knowledge, cites: dict[str, tuple[int, ...]]) -> None:
        self.knowledge = knowledge
        self.cites = cites
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def review(self, text: str, **options: Any) -> FakeReview:
        self.calls.append((text, options))
        rules = self.cites.get(text, ())
        return FakeReview(rules, "stop" if rules else "go")


def factory(cites: dict[str, tuple[int, ...]], engines: list[FakeEngine] | None = None):
    def make(knowledge: Knowledge) -> FakeEngine:
        engine = FakeEngine(knowledge, cites)
        if engines is not None:
            engines.append(engine)
        return engine

    return make


GOOD = {DONT_NL: (8,), DONT_EN: (8, 15), DO_NL: (2,)}


def copy_minimal(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(MINIMAL, target)
    return target


def test_all_golden_examples_pass() -> None:
    engines: list[FakeEngine] = []
    out = io.StringIO()
    assert run_check(MINIMAL, out=out, engine_factory=factory(GOOD, engines)) == 0
    assert out.getvalue() == (
        "knowledge OK: 15 rules, 2 cases, 1 signals, 1 lexicons; 4 golden examples pass\n"
    )
    [engine] = engines
    profile = engine.knowledge.organisation
    assert engine.calls == [
        (DO_NL, {"profile": profile, "role": "employee", "platform": "other"}),
        (DO_EN, {"profile": profile, "role": "employee", "platform": "other"}),
        (DONT_NL, {"profile": profile, "role": "employee", "platform": "x"}),
        (DONT_EN, {"profile": profile, "role": "employee", "platform": "x"}),
    ]


def test_failing_examples_are_reported_at_their_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(MINIMAL.parent)
    cites = {DONT_NL: (8,), DONT_EN: (2,), DO_NL: (8, 15)}
    errors = check_knowledge(Path("minimal"), engine_factory=factory(cites))
    assert [str(e) for e in errors] == [
        "minimal/rules.yaml:42:13: rule 8 'do' example 1 (nl) is flagged for rule 8 (engine "
        "cited [8, 15]) — adjust the example or the signals for this rule",
        "minimal/rules.yaml:46:13: rule 8 'dont' example 1 (en) is not flagged for rule 8 "
        "(engine cited [2]) — adjust the example or the signals for this rule",
    ]
    out = io.StringIO()
    assert run_check(MINIMAL, out=out, engine_factory=factory(cites)) == 1
    assert out.getvalue().splitlines()[-1] == "2 problems found"


def test_organisation_name_is_filled_in(tmp_path: Path) -> None:
    directory = copy_minimal(tmp_path)
    rules = directory / "rules.yaml"
    rules.write_text(rules.read_text().replace(DONT_EN, "'{organisation} hires idiots.'"))
    engines: list[FakeEngine] = []
    errors = check_knowledge(
        directory, engine_factory=factory({**GOOD, "Voorbeeld B.V. hires idiots.": (8,)}, engines)
    )
    assert errors == []
    assert "Voorbeeld B.V. hires idiots." in [text for text, _ in engines[0].calls]


def test_load_errors_come_first_and_skip_the_examples(tmp_path: Path) -> None:
    directory = copy_minimal(tmp_path)
    cases = directory / "cases.yaml"
    cases.write_text(cases.read_text().replace("rules: [8, 10]", "rules: [8, 16]"))
    engines: list[FakeEngine] = []
    out = io.StringIO()
    assert run_check(directory, out=out, engine_factory=factory(GOOD, engines)) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(
        "case 'blokker-2012' cites rule 16; rules are 1-15 — cite a rule number from 1 to 15"
    )
    assert lines[1] == "1 problem found"
    assert engines == []


def test_engine_unavailable_is_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bot.review", None)  # makes `import bot.review` fail
    errors = check_knowledge(MINIMAL)
    assert len(errors) == 1
    assert errors[0].message.startswith("the review engine (bot.review) is not available")
    assert (Path(errors[0].file).name, errors[0].line, errors[0].col) == ("rules.yaml", 1, 1)
    out = io.StringIO()
    assert run_check(MINIMAL, out=out) == 1
    assert out.getvalue().splitlines()[-1] == "1 problem found"


def test_engine_that_cannot_be_built_is_reported() -> None:
    def broken(knowledge: Knowledge) -> Any:
        raise ValueError("pattern 3 of signal 'x' is bad")

    [error] = check_knowledge(MINIMAL, engine_factory=broken)
    assert error.message == (
        "the review engine could not be built from this knowledge: "
        "ValueError: pattern 3 of signal 'x' is bad"
    )


def test_engine_failing_on_an_example_is_reported_and_the_rest_still_run() -> None:
    class Flaky(FakeEngine):
        def review(self, text: str, **options: Any) -> FakeReview:
            if text == DO_EN:
                raise RuntimeError("boom")
            return super().review(text, **options)

    errors = check_knowledge(MINIMAL, engine_factory=lambda k: Flaky(k, GOOD))
    assert [e.message for e in errors] == [
        "the engine failed on rule 8 'do' example 1 (en): RuntimeError: boom"
    ]
    assert (errors[0].line, errors[0].col) == (43, 13)


def test_run_check_reports_load_problems_for_a_missing_directory(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_check(tmp_path / "nowhere", out=out) == 1
    assert "the knowledge directory does not exist" in out.getvalue()


def test_run_check_uses_the_default_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTOCOLBOT_KNOWLEDGE", str(MINIMAL))
    out = io.StringIO()
    assert run_check(None, out=out, engine_factory=factory(GOOD)) == 0
    assert out.getvalue().startswith("knowledge OK: 15 rules")


def test_minimal_set_passes_with_the_real_engine() -> None:
    pytest.importorskip("bot.review", reason="the review engine is not written yet")
    assert check_knowledge(MINIMAL) == []
