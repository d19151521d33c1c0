"""The rule-15 doubt walk: a few questions that end in post, revise or consult.

The walk itself is data (``knowledge/walk.yaml``, checked when the knowledge loads); this module
is the runner. It is pure: no I/O, no clock, no globals. Every call takes the walk, a state and
the facts of the review, and returns what to do next; the caller (an adapter, the conversation)
shows the question, stores the state and passes the person's answer back in.

States
    A walk is in one of two states:

    * :class:`Ask` -- waiting for an answer to ``ask.step`` (its ``question``, ``help`` and
      ``choices``). ``ask.state`` is what to keep until the answer comes; ``ask.prefilled``
      lists the steps answered from the review on the way here, so the caller can say so
      ("the bot saw confidential information, so ...").
    * :class:`Done` -- the walk has ended in ``done.outcome``: ``post`` (go ahead), ``revise``
      (change the draft first) or ``consult`` (with ``outcome.contact``: ``manager``,
      ``communications``, ``integrity`` or ``confidential_adviser``). ``done.answers`` holds
      every answer, asked and prefilled, in order. There is no state after Done: the walk is
      over, like ``ConversationHandler.END``.

Entry
    :func:`start` begins at ``walk.start``. It never raises for a walk that loaded.

Answers
    :func:`answer` takes one of the step's choice values (trimmed and lower-cased before
    matching). Any other value raises ``ValueError`` naming the allowed values; the state is
    unchanged, so the caller asks again. The step's ``next`` branches are tried in order and
    the first whose condition holds is taken; the last one is always an ``else``.

Prefill
    A step with ``prefill`` is not asked when its condition holds for the facts of the review:
    it is answered with ``prefill_value``, recorded in the answers and in ``Ask.prefilled``,
    and the walk moves on, possibly through several such steps or straight to an outcome.
    Conditions see the facts (``verdict``, ``rules``, ``role``, ``sector``, ``has_finding``)
    and the answers so far (``answer.<step id>``); an answer not given is missing: ``eq`` and
    ``in`` are false for it, ``ne`` and ``not_in`` true.

Back
    :func:`back` returns to the previous step that was asked (prefilled steps are skipped, as
    the person never saw them) and forgets the answers from that step on. At the first asked
    step it stays where it is. It never ends a walk.

Cancel
    There is no cancel call: the caller forgets the state, and nothing is kept anywhere else.
    Offer cancel on every question ("stop" / "laat maar"), as ConversationHandler's fallbacks do.

Timeout
    The runner has no clock. The caller stores ``state.to_dict()`` with its own time and drops
    it after its time-out (the walk is about one draft: an hour is plenty). A dropped walk is
    simply not resumed; nothing needs cleaning up.

Resume
    :func:`resume` continues from a stored ``to_dict()`` after a restart, with the facts of
    the same review. The knowledge may have changed in between: when the stored step is gone,
    or an answer or history entry no longer fits the walk (a removed step, a renamed choice),
    it returns ``None`` and the caller starts over with :func:`start`. Malformed data also
    gives ``None``. A stored step that is now prefilled for these facts is skipped as usual.

Pitfalls
    * Pass the facts of the review the walk is about, and the same facts on every call: the
      prefill and the branches depend on them. Build them with :meth:`WalkFacts.from_review`.
    * A state belongs to one walk. After the knowledge is reloaded, continue with
      :func:`resume`, not :func:`answer`: the stored step may be gone.
    * States are plain values (frozen, JSON-able through ``to_dict``); never store an Ask or a
      Step, which hold texts that change with the knowledge.
    * Nothing of the draft is in a state: only step ids and choice values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.knowledge.schema import ANSWER_FACT, VERDICTS, Condition, Outcome, Step, Walk

if TYPE_CHECKING:
    from bot.models import Review

_RANK = {verdict: rank for rank, verdict in enumerate(VERDICTS)}


@dataclass(frozen=True)
class WalkFacts:
    """What the walk may know about the review: its conditions test these."""

    verdict: str  # go / caution / stop
    rules: tuple[int, ...]  # the rules the review cites
    role: str  # employee, manager, communications, policy_advisor, executive
    sector: str  # public / private
    has_finding: bool  # the review found anything at all (notes included)

    @classmethod
    def from_review(cls, review: Review, *, role: str, sector: str) -> WalkFacts:
        return cls(
            verdict=review.verdict,
            rules=tuple(review.rules),
            role=role,
            sector=sector,
            has_finding=bool(review.findings),
        )


@dataclass(frozen=True)
class WalkState:
    """Where a walk stands: the step being asked, the answers so far, the steps asked before.

    `answers` holds (step id, choice value) in the order given, prefilled ones included;
    `history` the ids of the steps that were asked (not prefilled) before `step`, for `back`.
    """

    step: str
    answers: tuple[tuple[str, str], ...] = ()
    history: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "answers": [[step, value] for step, value in self.answers],
            "history": list(self.history),
        }

    @classmethod
    def from_dict(cls, data: Any) -> WalkState:
        """The state `to_dict` gave; ValueError when `data` is not such a state."""
        if not isinstance(data, dict) or not isinstance(data.get("step"), str):
            raise ValueError("a walk state is a mapping with a 'step' text")
        answers, history = data.get("answers", []), data.get("history", [])
        if not isinstance(answers, list) or not all(
            isinstance(a, list | tuple) and len(a) == 2 and all(isinstance(x, str) for x in a)
            for a in answers
        ):
            raise ValueError("a walk state's 'answers' is a list of [step, value] pairs")
        if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            raise ValueError("a walk state's 'history' is a list of step ids")
        return cls(
            step=data["step"],
            answers=tuple((step, value) for step, value in answers),
            history=tuple(history),
        )


@dataclass(frozen=True)
class Ask:
    """Ask `step` now; keep `state` until the answer comes."""

    state: WalkState
    step: Step
    prefilled: tuple[tuple[str, str], ...] = ()  # (step id, value) filled in on the way here


@dataclass(frozen=True)
class Done:
    """The walk ended in `outcome`."""

    outcome: Outcome
    answers: tuple[tuple[str, str], ...]


def start(walk: Walk, facts: WalkFacts) -> Ask | Done:
    """Begin the walk at `walk.start` (skipping steps the review already answers)."""
    return _settle(walk, WalkState(step=walk.start), facts)


def answer(walk: Walk, state: WalkState, value: str, facts: WalkFacts) -> Ask | Done:
    """Answer the current step with one of its choice values and move on."""
    step = _step(walk, state.step)
    chosen = value.strip().lower() if isinstance(value, str) else value
    if step.choice(chosen) is None:
        allowed = ", ".join(c.value for c in step.choices)
        raise ValueError(f"{value!r} is not an answer to step '{step.id}'; allowed: {allowed}")
    answers = (*state.answers, (step.id, chosen))
    target = _next(step, answers, facts)
    history = (*state.history, step.id)
    return _go(walk, target, answers, history, facts, ())


def back(walk: Walk, state: WalkState, facts: WalkFacts) -> Ask:
    """Go back to the previous asked step, forgetting the answers from there on.

    `facts` is not needed to go back (the step was asked with the same facts); it is taken so
    every call of the runner has the same shape.
    """
    if not state.history:
        return Ask(state=state, step=_step(walk, state.step))
    previous = state.history[-1]
    kept = state.answers
    for i, (step, _value) in enumerate(state.answers):
        if step == previous:
            kept = state.answers[:i]
            break
    return Ask(
        state=WalkState(step=previous, answers=kept, history=state.history[:-1]),
        step=_step(walk, previous),
    )


def resume(walk: Walk, data: dict, facts: WalkFacts) -> Ask | Done | None:
    """Continue from a stored `WalkState.to_dict()`; None when it no longer fits the walk."""
    try:
        state = WalkState.from_dict(data)
    except ValueError:
        return None
    steps = {s.id: s for s in walk.steps}
    if state.step not in steps or any(h not in steps for h in state.history):
        return None
    for step_id, value in state.answers:
        if step_id not in steps or steps[step_id].choice(value) is None:
            return None
    return _settle(walk, state, facts)


# --- inside ----------------------------------------------------------------------------------


def _step(walk: Walk, ident: str) -> Step:
    step = walk.step(ident)
    if step is None:
        raise ValueError(f"the walk has no step '{ident}' (use resume() after a reload)")
    return step


def _settle(walk: Walk, state: WalkState, facts: WalkFacts) -> Ask | Done:
    """From `state.step`: fill in the steps the review answers, until one must be asked."""
    return _go(walk, state.step, state.answers, state.history, facts, ())


def _go(
    walk: Walk,
    target: str,
    answers: tuple[tuple[str, str], ...],
    history: tuple[str, ...],
    facts: WalkFacts,
    prefilled: tuple[tuple[str, str], ...],
) -> Ask | Done:
    for _ in range(len(walk.steps) + 1):  # a checked walk has no cycles; this guards the rest
        outcome = walk.outcome(target)
        if outcome is not None:
            return Done(outcome=outcome, answers=answers)
        step = _step(walk, target)
        if step.prefill is None or step.prefill_value is None:
            return Ask(WalkState(target, answers, history), step, prefilled)
        if not holds(step.prefill, facts, dict(answers)):
            return Ask(WalkState(target, answers, history), step, prefilled)
        filled = (step.id, step.prefill_value)
        answers, prefilled = (*answers, filled), (*prefilled, filled)
        target = _next(step, answers, facts)
    raise ValueError("the walk goes round in circles; check walk.yaml")


def _next(step: Step, answers: tuple[tuple[str, str], ...], facts: WalkFacts) -> str:
    given = dict(answers)
    for branch in step.next:
        if branch.if_ is None or holds(branch.if_, facts, given):
            return branch.target
    raise ValueError(f"step '{step.id}' has no branch for these answers; check walk.yaml")


def holds(condition: Condition, facts: WalkFacts, answers: dict[str, str]) -> bool:
    """Whether a condition holds for the facts of the review and the answers so far."""
    if condition.all_ is not None:
        return all(holds(c, facts, answers) for c in condition.all_)
    if condition.any_ is not None:
        return any(holds(c, facts, answers) for c in condition.any_)
    if condition.not_ is not None:
        return not holds(condition.not_, facts, answers)
    fact, op, expected = condition.fact or "", condition.op, condition.value
    if fact.startswith(ANSWER_FACT):
        actual: Any = answers.get(fact[len(ANSWER_FACT) :])
    else:
        actual = getattr(facts, fact, None) if fact in _FACT_NAMES else None
    if op == "eq":
        return actual is not None and actual == expected
    if op == "ne":
        return actual is None or actual != expected
    if op == "in":
        return actual is not None and actual in (expected or ())
    if op == "not_in":
        return actual is None or actual not in (expected or ())
    if op in ("gte", "lte"):
        if actual not in _RANK or expected not in _RANK:
            return False
        return _RANK[actual] >= _RANK[expected] if op == "gte" else _RANK[actual] <= _RANK[expected]
    if op == "contains":
        return isinstance(actual, tuple | list) and expected in actual
    return False


_FACT_NAMES = frozenset(WalkFacts.__dataclass_fields__)
