"""The rule-15 walk runner: every path to every outcome, prefill, back, resume, bad answers."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest

from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import Condition, Walk
from bot.models import Finding, Review
from bot.walk import Ask, Done, WalkFacts, WalkState, answer, back, holds, resume, start

FIXTURES = Path(__file__).parent / "fixtures"


def load_walk(tmp_path: Path) -> Walk:
    directory = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "minimal", directory)
    shutil.copy(FIXTURES / "walk" / "valid.yaml", directory / "walk.yaml")
    walk = load_knowledge(directory).walk
    assert walk is not None
    return walk


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Walk:
    """tests/fixtures/walk/valid.yaml: facts -> secret -> role -> angry -> doubt."""
    return load_walk(tmp_path_factory.mktemp("walk"))


@pytest.fixture(scope="module")
def shipped(knowledge) -> Walk:
    if knowledge.walk is None:
        pytest.skip("no knowledge/walk.yaml in this checkout")
    return knowledge.walk


def facts(
    verdict: str = "go",
    rules: tuple[int, ...] = (),
    role: str = "employee",
    sector: str = "public",
    has_finding: bool = False,
) -> WalkFacts:
    return WalkFacts(verdict, rules, role, sector, has_finding)


def run(walk: Walk, given: WalkFacts, answers: list[str]) -> Ask | Done:
    """Start, then give the answers in turn (each must be asked for)."""
    now = start(walk, given)
    for value in answers:
        assert isinstance(now, Ask), f"the walk ended before the answer {value!r}"
        now = answer(walk, now.state, value, given)
    return now


def explore(walk: Walk, given: WalkFacts) -> dict[str, list[tuple[str, ...]]]:
    """Every way through the walk for these facts: outcome id -> the answer sequences."""
    found: dict[str, list[tuple[str, ...]]] = {}

    def go(now: Ask | Done, path: tuple[str, ...]) -> None:
        assert len(path) <= len(walk.steps), "a walk asks each step at most once"
        if isinstance(now, Done):
            found.setdefault(now.outcome.id, []).append(path)
            return
        assert now.step.id not in now.state.history
        for choice in now.step.choices:
            go(answer(walk, now.state, choice.value, given), (*path, choice.value))

    go(start(walk, given), ())
    return found


FACT_GRID = [
    facts(verdict, rules, role, sector, has_finding)
    for verdict, rules, role, sector, has_finding in itertools.product(
        ("go", "caution", "stop"),
        ((), (6, 15), (8, 15), (2, 15), (13, 15), (2, 6, 7, 8, 15)),
        ("employee", "manager", "communications", "policy_advisor", "executive"),
        ("public", "private"),
        (False, True),
    )
]


# --- every path to every outcome (the fixture walk) ---------------------------------------------

PATHS = [
    # (facts, answers, outcome, answers recorded)
    (facts(), ["nee"], "fix-it", [("facts", "nee")]),
    (facts(), ["ja", "ja"], "ask-manager", [("facts", "ja"), ("secret", "ja")]),
    (facts(rules=(6, 15)), ["ja"], "ask-manager", [("facts", "ja"), ("secret", "ja")]),
    (facts(), ["ja", "nee", "voice"], "ask-comms", None),
    (facts(), ["ja", "nee", "staff", "ja"], "wait", None),
    (facts(), ["ja", "nee", "staff", "nee"], "post", None),
    (facts(verdict="stop"), ["ja", "nee", "staff", "nee", "nee"], "post", None),
    (facts(verdict="stop"), ["ja", "nee", "staff", "nee", "ja"], "report", None),
    (
        facts("caution", (8, 15), "manager", "private", True),
        ["ja", "nee", "nee", "ja"],
        "ask-comms",
        [("facts", "ja"), ("secret", "nee"), ("role", "lead"), ("angry", "nee"), ("doubt", "ja")],
    ),
    (
        facts("stop", (8, 15), "executive", "private", True),
        ["ja", "nee", "nee", "ja"],
        "talk-in-confidence",
        None,
    ),
    (facts("caution", (8, 15), has_finding=True), ["ja", "nee", "staff"], "wait", None),
]


@pytest.mark.parametrize(("given", "answers", "outcome", "recorded"), PATHS)
def test_paths_to_every_outcome(
    walk: Walk, given: WalkFacts, answers: list[str], outcome: str, recorded: list | None
) -> None:
    done = run(walk, given, answers)
    assert isinstance(done, Done)
    assert done.outcome.id == outcome
    if recorded is not None:
        assert list(done.answers) == recorded


def test_the_table_covers_every_outcome(walk: Walk) -> None:
    assert {p[2] for p in PATHS} == {o.id for o in walk.outcomes}


def test_every_outcome_and_step_is_reached_on_some_path(walk: Walk) -> None:
    outcomes: set[str] = set()
    asked: set[str] = set()
    for given in FACT_GRID:
        for outcome, paths in explore(walk, given).items():
            outcomes.add(outcome)
            for path in paths:
                now = start(walk, given)
                for value in path:
                    asked.add(now.step.id)
                    now = answer(walk, now.state, value, given)
    assert outcomes == {o.id for o in walk.outcomes}
    assert asked == {s.id for s in walk.steps}


def test_done_holds_every_answer_in_order(walk: Walk) -> None:
    given = facts("caution", (8, 15), "manager", "public", True)
    done = run(walk, given, ["ja", "nee"])
    assert isinstance(done, Done) and done.outcome.id == "wait"
    assert done.answers == (("facts", "ja"), ("secret", "nee"), ("role", "lead"), ("angry", "ja"))


# --- prefill -----------------------------------------------------------------------------------


def test_a_prefilled_step_is_skipped_and_reported(walk: Walk) -> None:
    now = run(walk, facts(role="manager"), ["ja", "nee"])
    assert isinstance(now, Ask)
    assert now.step.id == "angry"
    assert now.prefilled == (("role", "lead"),)
    assert now.state.answers == (("facts", "ja"), ("secret", "nee"), ("role", "lead"))
    assert now.state.history == ("facts", "secret")  # asked steps only


def test_prefilled_only_lists_this_move(walk: Walk) -> None:
    now = run(walk, facts(role="manager"), ["ja", "nee", "nee"])
    assert isinstance(now, Ask) and now.step.id == "doubt"
    assert now.prefilled == ()
    assert ("role", "lead") in now.state.answers


def test_a_step_is_asked_when_its_prefill_does_not_hold(walk: Walk) -> None:
    now = run(walk, facts(role="communications"), ["ja", "nee"])
    assert isinstance(now, Ask) and now.step.id == "role" and now.prefilled == ()


def test_prefill_can_lead_straight_to_an_outcome(walk: Walk) -> None:
    done = run(walk, facts(rules=(6, 15)), ["ja"])
    assert isinstance(done, Done) and done.outcome.id == "ask-manager"


def test_several_prefills_in_a_row_end_the_walk(walk: Walk) -> None:
    # role filled in from the role, angry from the verdict: no question after 'secret'
    done = run(walk, facts("stop", (8, 15), "executive", "public", True), ["ja", "nee"])
    assert isinstance(done, Done) and done.outcome.id == "wait"
    assert done.answers[-2:] == (("role", "lead"), ("angry", "ja"))


def test_the_first_step_can_be_prefilled(walk: Walk) -> None:
    from_secret = walk.model_copy(update={"start": "secret"})
    done = start(from_secret, facts(rules=(6, 15)))
    assert isinstance(done, Done) and done.answers == (("secret", "ja"),)
    now = start(from_secret, facts(role="manager"))
    assert isinstance(now, Ask) and now.step.id == "secret" and now.prefilled == ()


# --- back --------------------------------------------------------------------------------------


def test_back_at_the_first_step_stays(walk: Walk) -> None:
    first = start(walk, facts())
    assert isinstance(first, Ask)
    again = back(walk, first.state, facts())
    assert again.step.id == "facts" and again.state == first.state


def test_back_goes_to_the_previous_step_and_forgets_the_answers(walk: Walk) -> None:
    now = run(walk, facts(), ["ja", "nee"])
    assert isinstance(now, Ask) and now.step.id == "role"
    previous = back(walk, now.state, facts())
    assert previous.step.id == "secret"
    assert previous.state == WalkState("secret", (("facts", "ja"),), ("facts",))
    first = back(walk, previous.state, facts())
    assert first.state == WalkState("facts", (), ())
    assert back(walk, first.state, facts()).state == first.state


def test_back_skips_prefilled_steps(walk: Walk) -> None:
    given = facts(role="manager")
    now = run(walk, given, ["ja", "nee"])
    assert isinstance(now, Ask) and now.step.id == "angry"
    previous = back(walk, now.state, given)
    assert previous.step.id == "secret"
    assert previous.state.answers == (("facts", "ja"),)


def test_after_back_another_answer_takes_another_way(walk: Walk) -> None:
    now = run(walk, facts(), ["ja"])
    assert isinstance(now, Ask)
    previous = back(walk, now.state, facts())
    done = answer(walk, previous.state, "nee", facts())
    assert isinstance(done, Done) and done.outcome.id == "fix-it"
    assert done.answers == (("facts", "nee"),)


# --- resume ------------------------------------------------------------------------------------


def test_state_round_trips_through_json(walk: Walk) -> None:
    now = run(walk, facts(role="manager"), ["ja", "nee"])
    assert isinstance(now, Ask)
    data = json.loads(json.dumps(now.state.to_dict()))
    assert data == {
        "step": "angry",
        "answers": [["facts", "ja"], ["secret", "nee"], ["role", "lead"]],
        "history": ["facts", "secret"],
    }
    assert WalkState.from_dict(data) == now.state


def test_resume_after_a_restart(walk: Walk, tmp_path: Path) -> None:
    given = facts()
    now = run(walk, given, ["ja", "nee"])
    assert isinstance(now, Ask)
    stored = json.dumps(now.state.to_dict())
    reloaded = load_walk(tmp_path)  # a new process: the knowledge loaded again
    resumed = resume(reloaded, json.loads(stored), given)
    assert isinstance(resumed, Ask)
    assert resumed.state == now.state and resumed.step == now.step
    done = answer(reloaded, resumed.state, "voice", given)
    assert isinstance(done, Done) and done.outcome.id == "ask-comms"
    assert back(reloaded, resumed.state, given).step.id == "secret"


def test_resume_skips_a_step_that_is_now_prefilled(walk: Walk) -> None:
    stored = WalkState("secret", (("facts", "ja"),), ("facts",)).to_dict()
    done = resume(walk, stored, facts(rules=(6, 15)))
    assert isinstance(done, Done) and done.outcome.id == "ask-manager"


def test_resume_gives_none_when_the_step_is_gone(walk: Walk) -> None:
    stored = WalkState("role", (("facts", "ja"), ("secret", "nee")), ("facts", "secret")).to_dict()
    without_role = walk.model_copy(update={"steps": [s for s in walk.steps if s.id != "role"]})
    assert resume(without_role, stored, facts()) is None
    assert resume(walk, stored, facts()) is not None


def test_resume_gives_none_when_an_earlier_step_or_choice_changed(walk: Walk) -> None:
    stored = WalkState("role", (("facts", "ja"), ("secret", "nee")), ("facts", "secret")).to_dict()
    without_secret = walk.model_copy(update={"steps": [s for s in walk.steps if s.id != "secret"]})
    assert resume(without_secret, stored, facts()) is None
    facts_step = walk.step("facts")
    renamed = facts_step.model_copy(
        update={"choices": [c.model_copy(update={"value": "yes"}) for c in facts_step.choices]}
    )
    changed = walk.model_copy(
        update={"steps": [renamed if s.id == "facts" else s for s in walk.steps]}
    )
    assert resume(changed, stored, facts()) is None


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {},
        {"step": 3},
        {"step": "role", "answers": "ja"},
        {"step": "role", "answers": [["facts"]]},
        {"step": "role", "answers": [["facts", 1]]},
        {"step": "role", "history": "facts"},
        {"step": "role", "history": [1]},
    ],
)
def test_resume_gives_none_for_malformed_data(walk: Walk, data: object) -> None:
    assert resume(walk, data, facts()) is None  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WalkState.from_dict(data)


# --- answers -----------------------------------------------------------------------------------


def test_an_unknown_answer_names_the_allowed_values(walk: Walk) -> None:
    first = start(walk, facts())
    assert isinstance(first, Ask)
    with pytest.raises(
        ValueError, match=r"^'misschien' is not an answer to step 'facts'; allowed: ja, nee$"
    ):
        answer(walk, first.state, "misschien", facts())
    with pytest.raises(ValueError, match="allowed: staff, lead, voice"):
        answer(walk, WalkState("role"), "boss", facts())


def test_answers_are_trimmed_and_lower_cased(walk: Walk) -> None:
    first = start(walk, facts())
    assert isinstance(first, Ask)
    now = answer(walk, first.state, "  JA ", facts())
    assert isinstance(now, Ask) and now.state.answers == (("facts", "ja"),)


def test_answering_a_step_the_walk_no_longer_has(walk: Walk) -> None:
    with pytest.raises(ValueError, match="no step 'gone'.*resume"):
        answer(walk, WalkState("gone"), "ja", facts())


# --- conditions --------------------------------------------------------------------------------


def cond(fact: str, op: str, value: object) -> Condition:
    return Condition(fact=fact, op=op, value=value)


def test_a_missing_answer_is_missing() -> None:
    given = facts()
    assert not holds(cond("answer.x", "eq", "ja"), given, {})
    assert holds(cond("answer.x", "ne", "ja"), given, {})
    assert not holds(cond("answer.x", "in", ["ja"]), given, {})
    assert holds(cond("answer.x", "not_in", ["ja"]), given, {})
    assert holds(cond("answer.x", "eq", "ja"), given, {"x": "ja"})
    assert not holds(cond("answer.x", "not_in", ["ja"]), given, {"x": "ja"})


@pytest.mark.parametrize(
    ("verdict", "op", "value", "expected"),
    [
        ("stop", "gte", "caution", True),
        ("caution", "gte", "caution", True),
        ("go", "gte", "caution", False),
        ("go", "lte", "caution", True),
        ("stop", "lte", "caution", False),
        ("stop", "eq", "stop", True),
        ("stop", "in", ["go", "caution"], False),
    ],
)
def test_verdicts_are_ordered(verdict: str, op: str, value: object, expected: bool) -> None:
    assert holds(cond("verdict", op, value), facts(verdict=verdict), {}) is expected


def test_rules_contains_and_combinations() -> None:
    given = facts(rules=(6, 15), sector="private", has_finding=True)
    six, eight = cond("rules", "contains", 6), cond("rules", "contains", 8)
    assert holds(six, given, {}) and not holds(eight, given, {})
    assert holds(Condition(any=[six, eight]), given, {})
    assert not holds(Condition(all=[six, eight]), given, {})
    assert holds(Condition(**{"not": eight}), given, {})
    assert holds(cond("has_finding", "eq", True), given, {})
    assert holds(cond("sector", "ne", "public"), given, {})
    assert holds(cond("role", "in", ["employee", "manager"]), given, {})


def test_facts_from_a_review() -> None:
    finding = Finding(8, "caution", "insult", 0, 5, "idiot", "e", "s")
    review = Review("caution", (8, 15), (finding,), "en")
    assert WalkFacts.from_review(review, role="manager", sector="public") == WalkFacts(
        "caution", (8, 15), "manager", "public", True
    )
    quiet = Review("go", (), (), "nl")
    assert not WalkFacts.from_review(quiet, role="employee", sector="private").has_finding


# --- the shipped walk --------------------------------------------------------------------------


def test_shipped_walk_reaches_every_outcome_and_asks_every_step(shipped: Walk) -> None:
    outcomes: set[str] = set()
    asked: set[str] = set()
    for given in FACT_GRID:
        for outcome, paths in explore(shipped, given).items():
            outcomes.add(outcome)
            for path in paths:
                now = start(shipped, given)
                for value in path:
                    asked.add(now.step.id)
                    now = answer(shipped, now.state, value, given)
    assert outcomes == {o.id for o in shipped.outcomes}
    assert asked == {s.id for s in shipped.steps}


SHIPPED_PATHS = [
    (facts(), ["nee"], "eerst-de-feiten"),
    (facts(), ["ja", "ja"], "eerst-toestemming"),
    (facts(), ["ja", "weet-niet"], "eerst-toestemming"),
    (facts("stop", (6, 15), has_finding=True), ["ja"], "eerst-toestemming"),
    (facts(), ["ja", "nee", "zonder-goedkeuring"], "eerst-goedkeuring"),
    (facts(), ["ja", "nee", "met-goedkeuring", "ja", "namens"], "namens-de-organisatie"),
    (facts(), ["ja", "nee", "nee", "ja", "medewerker", "misstand"], "meld-het-intern"),
    (
        facts(),
        ["ja", "nee", "nee", "ja", "medewerker", "behandeling"],
        "praat-met-de-vertrouwenspersoon",
    ),
    (facts(), ["ja", "nee", "nee", "nee", "ja"], "wacht-even"),
    (facts("stop", (8, 15), has_finding=True), ["ja", "nee", "nee", "nee"], "wacht-even"),
    (facts(), ["ja", "nee", "nee", "nee", "nee", "nee"], "plaatsen"),
    (
        facts("caution", (1, 15), has_finding=True),
        ["ja", "nee", "nee", "nee", "nee", "nee"],
        "plaatsen",
    ),
    (
        facts("stop", (5, 15), has_finding=True),
        ["ja", "nee", "nee", "nee", "nee", "nee"],
        "eerst-de-bevindingen",
    ),
    (facts(), ["ja", "nee", "nee", "nee", "nee", "ja"], "vraag-je-leidinggevende"),
    (facts(role="manager"), ["ja", "nee", "nee", "ja", "nee", "nee", "ja"], "vraag-communicatie"),
    (
        facts(rules=(2, 15)),
        ["ja", "nee", "nee", "leidinggevend", "nee", "nee", "ja"],
        "vraag-communicatie",
    ),
]


@pytest.mark.parametrize(("given", "answers", "outcome"), SHIPPED_PATHS)
def test_shipped_walk_paths(
    shipped: Walk, given: WalkFacts, answers: list[str], outcome: str
) -> None:
    done = run(shipped, given, answers)
    assert isinstance(done, Done), f"still asking {done.step.id}"
    assert done.outcome.id == outcome


def test_shipped_walk_fills_in_what_the_review_knows(shipped: Walk) -> None:
    # a manager whose draft speaks for the organisation: 'eigen-werk' and 'rol' are not asked
    now = run(
        shipped, facts("caution", (2, 13, 15), "executive", "public", True), ["ja", "nee", "nee"]
    )
    assert isinstance(now, Ask) and now.step.id == "misstand"
    assert now.prefilled == (("eigen-werk", "ja"), ("rol", "leidinggevend"))
    assert back(shipped, now.state, facts("caution", (2, 13, 15), "executive")).step.id == "anderen"
