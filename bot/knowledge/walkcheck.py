"""Checks of walk.yaml beyond its schema: the rule-15 walk must always lead to an outcome.

The schema (WalkFile in schema.py) fixes the shape; these checks cover what a type cannot say:
ids are unique across steps and outcomes; `start`, every `then` and every `else` name a step or
an outcome that exists; `next` ends with exactly one `else`; conditions name a known fact, an
operator that fits it and values it can take (a verdict, a role, one of the step's choices);
`prefill` comes with a `prefill_value` that is one of the step's choices; a consult outcome
names a contact; every step and outcome can be reached from `start`; and no step can be
reached from itself, so every walk ends.

Like crossref, they read the raw values, so an item with a schema error still counts as
defined, a problem the schema already reports is not reported again, and every problem is
reported with its file, line and column.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from bot.knowledge.crossref import Item, _dangling, _unique_ids
from bot.knowledge.errors import KnowledgeError
from bot.knowledge.messages import describe, did_you_mean, subject
from bot.knowledge.schema import (
    ANSWER_FACT,
    ANSWER_OPS,
    CONDITION_OPS,
    CONTACT_TYPES,
    REVIEW_FACTS,
    ROLES,
    RULE_NUMBERS,
    SECTORS,
    VERDICTS,
    Condition,
)
from bot.knowledge.yamlfile import YamlFile

WALK_FILE = "walk.yaml"
_FORMS = ("fact", "all", "any", "not")
_CONDITION_KEYS = {f.alias or n for n, f in Condition.model_fields.items()}
_BRANCH_KEYS = {"if", "then", "else"}
_FACTS = f"{ANSWER_FACT}<step id>, " + ", ".join(REVIEW_FACTS)
_BRANCH_HINT = (
    "a branch is '- if: <condition>' with 'then: <id>', or, as the last one, '- else: <id>'"
)
# what values each review fact takes, and how one of them is called
_REVIEW_VALUES: dict[str, tuple[tuple[Any, ...], str]] = {
    "verdict": (VERDICTS, "a verdict"),
    "rules": (tuple(RULE_NUMBERS), "a rule number"),
    "role": (ROLES, "a role"),
    "sector": (SECTORS, "a sector"),
    "has_finding": ((True, False), "true or false"),
}


def check_walk(yf: YamlFile) -> list[KnowledgeError]:
    """Every problem of a readable walk.yaml that its schema does not report."""
    return _WalkCheck(yf).run()


def _same(value: Any, allowed: Any) -> bool:
    """Equal and of the same kind: true is no rule number, 1 is no yes/no value."""
    return value == allowed and isinstance(value, bool) == isinstance(allowed, bool)


class _WalkCheck:
    def __init__(self, yf: YamlFile) -> None:
        self.yf = yf
        walk = yf.data.get("walk") if isinstance(yf.data, dict) else None
        self.walk: dict[str, Any] = walk if isinstance(walk, dict) else {}
        self.steps = self._items("steps")
        self.outcomes = self._items("outcomes")
        self.errors: list[KnowledgeError] = []
        self.step_ids: dict[str, Item] = {}
        self.outcome_ids: dict[str, Item] = {}
        for item in self.steps:
            if (ident := item.get("id", str)) is not None:
                self.step_ids.setdefault(ident, item)
        for item in self.outcomes:
            if (ident := item.get("id", str)) is not None and ident not in self.step_ids:
                self.outcome_ids.setdefault(ident, item)
        self.choices = {ident: self._choice_values(item) for ident, item in self.step_ids.items()}
        # step id -> (branch index, 'then' or 'else', target) for the targets that exist
        self.edges: dict[str, list[tuple[int, str, str]]] = {ident: [] for ident in self.step_ids}
        self.complete = True  # every step's 'next' could be read, and every target exists
        self.guesses: set[str] = set()  # ids a dangling target probably meant
        self.answer_uses: list[tuple[Item, tuple[Any, ...], str, bool]] = []

    def _items(self, key: str) -> list[Item]:
        entries = self.walk.get(key)
        if not isinstance(entries, list):
            return []
        return [Item(self.yf, ("walk", key, i), entry, None) for i, entry in enumerate(entries)]

    def run(self) -> list[KnowledgeError]:
        items = sorted(self.steps + self.outcomes, key=lambda item: item.where())
        self.errors += _unique_ids(items)
        for item in self.steps:
            self._step(item)
        for item in self.outcomes:
            self._outcome(item)
        start = self._start()
        self._graph(start)
        return self.errors

    # --- reporting -------------------------------------------------------------------------

    def _error(
        self, item: Item, sub: tuple[Any, ...], message: str, hint: str, *, key: bool = False
    ) -> None:
        self.errors.append(
            self.yf.error(item.path + sub, message, hint, at="key" if key else "value")
        )

    @staticmethod
    def _at(item: Item, sub: tuple[Any, ...]) -> str:
        """The place of `sub` in an item: "step 'feiten': 'next' item 1, 'if.fact'"."""
        below = subject(sub)
        return f"{item.label}: {below}" if below else item.label

    # --- steps and outcomes -----------------------------------------------------------------

    @staticmethod
    def _choice_values(item: Item) -> list[str] | None:
        choices = item.raw.get("choices") if isinstance(item.raw, dict) else None
        if not isinstance(choices, list):
            return None
        values = [c.get("value") if isinstance(c, dict) else None for c in choices]
        if not all(isinstance(v, str) for v in values):
            return None  # a choice without a value: the schema reports it; values go unchecked
        return [v.strip() for v in values]

    def _step(self, item: Item) -> None:
        raw = item.raw
        if not isinstance(raw, dict):
            return
        self._duplicate_choices(item)
        self._prefill(item, raw)
        branches = raw.get("next")
        if not isinstance(branches, list):
            self.complete = False  # missing or not a list: the schema reports it
            return
        elses = [j for j, b in enumerate(branches) if isinstance(b, dict) and "else" in b]
        for j, branch in enumerate(branches):
            if isinstance(branch, dict):
                self._branch(item, j, branch, last=j == len(branches) - 1)
        last = branches[-1] if branches else {}
        # a last branch that is no mapping or has a typo in a key: the schema reports it
        if not elses and isinstance(last, dict) and not set(last) - _BRANCH_KEYS:
            self._error(
                item,
                ("next",),
                f"{item.label}: 'next' does not end with an 'else' branch, so the walk can get "
                "stuck here",
                "add '- else: <step or outcome id>' as the last branch",
                key=True,
            )

    def _duplicate_choices(self, item: Item) -> None:
        seen: dict[str, int] = {}
        for j, choice in item.entries("choices", dict):
            value = choice.get("value")
            if not isinstance(value, str):
                continue
            first = seen.setdefault(value.strip(), j)
            if first != j:
                line, _col = item.where(("choices", first))
                self._error(
                    item,
                    ("choices", j, "value"),
                    f"{self._at(item, ('choices', j))}: the value '{value.strip()}' is used "
                    f"twice (first at line {line})",
                    "give each choice its own value",
                )

    def _prefill(self, item: Item, raw: dict[str, Any]) -> None:
        ident = item.get("id", str)
        has_prefill, value = "prefill" in raw, raw.get("prefill_value")
        choices = self.choices.get(ident) if ident is not None else None
        listed = ", ".join(choices or []) or "<a choice value>"
        if has_prefill and raw["prefill"] is None:
            self._error(
                item,
                ("prefill",),
                f"{item.label}: 'prefill' is empty",
                "write the condition under which the step is answered without asking, or "
                "remove 'prefill'",
                key=True,
            )
        elif has_prefill:
            self._condition(item, ("prefill",), raw["prefill"], prefill=True)
            if value is None:
                self._error(
                    item,
                    ("prefill",),
                    f"{item.label} has 'prefill' but no 'prefill_value'",
                    f"add 'prefill_value:' with the answer to fill in, one of: {listed}",
                    key=True,
                )
        if value is not None and not has_prefill:
            self._error(
                item,
                ("prefill_value",),
                f"{item.label} has 'prefill_value' but no 'prefill'",
                "add 'prefill:' with the condition under which this answer is filled in, or "
                "remove 'prefill_value'",
                key=True,
            )
        if isinstance(value, str) and choices is not None and value.strip() not in choices:
            guess = did_you_mean(value.strip(), choices)
            self._error(
                item,
                ("prefill_value",),
                f"{item.label}: 'prefill_value' is '{value.strip()}', which is not one of its "
                "choices",
                (f"did you mean '{guess}'? Otherwise use" if guess else "use")
                + f" one of: {listed}",
            )

    def _branch(self, item: Item, j: int, branch: dict[str, Any], *, last: bool) -> None:
        sub: tuple[Any, ...] = ("next", j)
        at = self._at(item, sub)
        if set(branch) - _BRANCH_KEYS:  # a typo in a key ('iff'): the schema says so
            self.complete = False
            for key in ("if", "then", "else"):
                if key == "if" and key in branch:
                    self._condition(item, (*sub, "if"), branch["if"], prefill=False)
                elif key in branch:
                    self._target(item, (*sub, key), branch[key])
            return
        if "else" in branch:
            if "if" in branch or "then" in branch:
                other = "'if'" if "if" in branch else "'then'"
                self._error(item, sub, f"{at} has 'else' together with {other}", _BRANCH_HINT)
            elif not last:
                self._error(
                    item,
                    (*sub, "else"),
                    f"{at} is an 'else' branch but not the last one, so the branches after it "
                    "are never used",
                    "move the 'else' branch to the end of 'next'",
                    key=True,
                )
            self._target(item, (*sub, "else"), branch["else"])
            return
        if "if" not in branch:
            if "then" in branch:
                self._error(
                    item,
                    (*sub, "then"),
                    f"{at} has 'then' but no 'if'",
                    "add 'if:' with the condition, or write '- else: <id>' if it is the last "
                    "branch",
                    key=True,
                )
            else:
                self._error(item, sub, f"{at} is empty", _BRANCH_HINT)
        elif "then" not in branch:
            self._error(
                item,
                (*sub, "if"),
                f"{at} has 'if' but no 'then'",
                "add 'then: <step or outcome id>' below the condition",
                key=True,
            )
        if "if" in branch:
            self._condition(item, (*sub, "if"), branch["if"], prefill=False)
        if "then" in branch:
            self._target(item, (*sub, "then"), branch["then"])

    def _target(self, item: Item, sub: tuple[Any, ...], target: Any) -> None:
        if target is None:
            self.complete = False
            self._error(
                item,
                sub,
                f"{self._at(item, sub)} is empty",
                "write the id of the step or outcome this branch leads to",
                key=True,
            )
            return
        if not isinstance(target, str):
            self.complete = False
            return  # the schema reports it
        target = target.strip()
        known = set(self.step_ids) | set(self.outcome_ids)
        if target not in known:
            self.complete = False
            if guess := did_you_mean(target, known):
                self.guesses.add(guess)
            self.errors.append(
                _dangling(
                    item,
                    sub,
                    f"{self._at(item, sub)} names '{target}', which is neither a step nor an "
                    "outcome",
                    target,
                    known,
                    "use the id of a step or an outcome of this walk",
                )
            )
            return
        ident = item.get("id", str)
        if ident is not None and self.step_ids.get(ident) is item:
            self.edges[ident].append((sub[1], sub[2], target))

    def _outcome(self, item: Item) -> None:
        raw = item.raw
        if not isinstance(raw, dict):
            return
        kind, contact = item.get("kind", str), raw.get("contact")
        if kind == "consult" and contact is None:
            self._error(
                item,
                ("kind",),
                f"{item.label} is a consult but names no contact",
                f"add 'contact:' with one of: {', '.join(CONTACT_TYPES)}",
            )
        elif kind in ("post", "revise") and contact is not None:
            self._error(
                item,
                ("contact",),
                f"{item.label} names a contact, but only a consult outcome has one",
                "remove 'contact:', or make it 'kind: consult'",
                key=True,
            )

    def _start(self) -> str | None:
        start = self.walk.get("start")
        if not isinstance(start, str):
            return None  # missing or not text: the schema reports it
        start = start.strip()
        if start in self.step_ids:
            return start
        if start in self.outcome_ids:
            message = f"'walk.start' names outcome '{start}', but a walk begins with a question"
            self.errors.append(
                self.yf.error(("walk", "start"), message, "name the step the walk begins with")
            )
            return None
        guess = did_you_mean(start, self.step_ids)
        fix = "name the step the walk begins with"
        self.errors.append(
            self.yf.error(
                ("walk", "start"),
                f"'walk.start' names '{start}', which is not a step of this walk",
                f"did you mean '{guess}'? Otherwise {fix}" if guess else fix,
            )
        )
        return None

    # --- conditions --------------------------------------------------------------------------

    def _condition(self, item: Item, sub: tuple[Any, ...], cond: Any, *, prefill: bool) -> None:
        at = self._at(item, sub)
        if cond is None:
            self._error(
                item,
                sub,
                f"{at} is empty",
                "write a condition, e.g. {fact: verdict, op: eq, value: stop}",
            )
            return
        if not isinstance(cond, dict) or set(cond) - _CONDITION_KEYS:
            return  # not a mapping, or unknown keys: the schema reports it
        forms = [key for key in _FORMS if key in cond]
        extra = [key for key in ("op", "value") if key in cond]
        if not forms:
            if extra:
                self._error(
                    item,
                    sub,
                    f"{at} has {' and '.join(repr(k) for k in extra)} but no 'fact'",
                    f"add 'fact:' with one of the facts: {_FACTS}",
                )
            else:
                self._error(
                    item,
                    sub,
                    f"{at} is an empty condition",
                    "write {fact: <fact>, op: <operator>, value: ...}, or use 'all:', 'any:' "
                    "or 'not:'",
                )
            return
        if len(forms) > 1 or (forms[0] != "fact" and extra):
            parts = forms + (extra if forms[0] != "fact" else [])
            self._error(
                item,
                sub,
                f"{at} mixes {' and '.join(repr(p) for p in parts)}; a condition is exactly one "
                "of: fact (with op and value), all, any, not",
                "put the parts in a list under 'all:' (every one must hold) or 'any:' (one "
                "must hold)",
            )
            return
        form = forms[0]
        if form == "not":
            self._condition(item, (*sub, "not"), cond["not"], prefill=prefill)
        elif form in ("all", "any"):
            parts_list = cond[form]
            if isinstance(parts_list, list) and not parts_list:
                self._error(
                    item,
                    (*sub, form),
                    f"{self._at(item, (*sub, form))} is an empty list",
                    "name at least one condition",
                )
            for k, part in enumerate(parts_list if isinstance(parts_list, list) else []):
                self._condition(item, (*sub, form, k), part, prefill=prefill)
        else:
            self._fact(item, sub, cond, prefill=prefill)

    def _fact(self, item: Item, sub: tuple[Any, ...], cond: dict, *, prefill: bool) -> None:
        fact = cond["fact"]
        if not isinstance(fact, str):
            return  # the schema reports it
        fact = fact.strip()
        at_fact = self._at(item, (*sub, "fact"))
        if fact.startswith(ANSWER_FACT):
            ref = fact[len(ANSWER_FACT) :]
            if ref not in self.step_ids:
                guess = did_you_mean(ref, self.step_ids)
                fix = f"use {ANSWER_FACT}<step id> with the id of a step that comes before"
                self._error(
                    item,
                    (*sub, "fact"),
                    f"{at_fact} names '{fact}', but the walk has no step '{ref}'",
                    f"did you mean '{ANSWER_FACT}{guess}'? Otherwise {fix}" if guess else fix,
                )
                return
            self.answer_uses.append((item, sub, ref, prefill))
            ops: tuple[str, ...] = ANSWER_OPS
            values = self.choices.get(ref)
            allowed: tuple[Any, ...] | None = tuple(values) if values is not None else None
            noun = f"a choice of step '{ref}'"
        elif fact in REVIEW_FACTS:
            ops = REVIEW_FACTS[fact]
            allowed, noun = _REVIEW_VALUES[fact]
        else:
            guess = did_you_mean(fact, [*REVIEW_FACTS, ANSWER_FACT.rstrip(".")])
            self._error(
                item,
                (*sub, "fact"),
                f"{at_fact} is the unknown fact '{fact}'",
                (f"did you mean '{guess}'? Otherwise use" if guess else "use")
                + f" one of the facts: {_FACTS}",
            )
            return
        op = cond.get("op")
        at = self._at(item, sub)
        if "op" not in cond or op is None:
            self._error(
                item,
                sub,
                f"{at} has 'fact' but no 'op'",
                f"add 'op:' with one of: {', '.join(ops)}",
            )
        elif isinstance(op, str) and op.strip() in CONDITION_OPS and op.strip() not in ops:
            self._error(
                item,
                (*sub, "op"),
                f"{self._at(item, (*sub, 'op'))} is '{op.strip()}', which does not work with "
                f"the fact '{fact}'",
                f"use one of: {', '.join(ops)}",
            )
            return
        if "value" not in cond:
            self._error(
                item,
                sub,
                f"{at} has 'fact' but no 'value'",
                "add 'value:' with "
                + (f"one of: {', '.join(map(_show, allowed))}" if allowed else "the value to test"),
            )
            return
        if not isinstance(op, str) or op.strip() not in ops or allowed is None:
            return
        value, vsub = cond["value"], (*sub, "value")
        if op.strip() in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                shown = f"[{_show(value)}]" if isinstance(value, str | int) else "[first, second]"
                self._error(
                    item,
                    vsub,
                    f"{self._at(item, vsub)} must be a list for '{op.strip()}', not "
                    f"{describe(value) if value != [] else 'an empty list'}",
                    f"write it as a list: value: {shown}",
                )
                return
            for k, element in enumerate(value):
                self._value(item, (*vsub, k), element, allowed, noun)
        else:
            self._value(item, vsub, value, allowed, noun)

    def _value(
        self, item: Item, sub: tuple[Any, ...], value: Any, allowed: Iterable[Any], noun: str
    ) -> None:
        allowed = tuple(allowed)
        if any(_same(value, a) for a in allowed):
            return
        at = self._at(item, sub)
        if allowed == (True, False):
            self._error(
                item,
                sub,
                f"{at} must be true or false, not {describe(value)}",
                "write true or false, without quotes",
            )
            return
        if allowed and isinstance(allowed[0], int):
            self._error(
                item,
                sub,
                f"{at} is {describe(value)}, which is not {noun}",
                "use a rule number from 1 to 15, without quotes",
            )
            return
        listed = ", ".join(map(str, allowed))
        guess = did_you_mean(value, [str(a) for a in allowed]) if isinstance(value, str) else None
        self._error(
            item,
            sub,
            f"{at} is {describe(value)}, which is not {noun}",
            (f"did you mean '{guess}'? Otherwise use" if guess else "use") + f" one of: {listed}",
        )

    # --- the graph ---------------------------------------------------------------------------

    def _graph(self, start: str | None) -> None:
        if start is not None and self.complete:
            reachable = _reach(start, self.edges)
            for item in sorted(self.steps + self.outcomes, key=lambda i: i.where()):
                ident = item.get("id", str)
                first = self.step_ids.get(ident) or self.outcome_ids.get(ident)
                if first is not item or ident in reachable or ident in self.guesses:
                    continue
                self._error(
                    item,
                    ("id",),
                    f"{item.label} can never be reached from the start ('{start}')",
                    "let a 'then' or 'else' of another step lead to it, or remove it",
                )
        self._cycles(start)
        if not self.complete:
            return  # with targets missing, which step comes before which is not known
        before: dict[str, set[str]] = {ident: set() for ident in self.step_ids}
        for ident in self.step_ids:
            for later in _reach(ident, self.edges) - {ident}:
                if later in before:
                    before[later].add(ident)
        for item, sub, ref, prefill in self.answer_uses:
            ident = item.get("id", str)
            if ident is None or ref in before.get(ident, set()):
                continue
            if ref == ident and not prefill:
                continue  # a step's 'next' tests its own answer
            at = self._at(item, (*sub, "fact"))
            if ref == ident:
                message = f"{at} tests the step's own answer, which is not known before it is asked"
                hint = "test the review's facts here, or the answer of an earlier step"
            else:
                message = (
                    f"{at} tests the answer to '{ref}', which is never given before step '{ident}'"
                )
                hint = "test the answer of this step or of a step that comes before it"
            self._error(item, (*sub, "fact"), message, hint)

    def _cycles(self, start: str | None) -> None:
        """Report every branch that leads back to a step on the way to it (depth-first)."""
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        path: list[str] = []

        def visit(ident: str) -> None:
            state[ident] = 1
            path.append(ident)
            for j, key, target in self.edges.get(ident, []):
                if state.get(target) == 1:
                    ring = [*path[path.index(target) :], target]
                    item = self.step_ids[ident]
                    self._error(
                        item,
                        ("next", j, key),
                        f"{self._at(item, ('next', j, key))} leads back to '{target}', so the walk "
                        f"can go round in circles ({' → '.join(ring)})",
                        "let every branch lead on to a later step or to an outcome",
                    )
                elif target in self.step_ids and target not in state:
                    visit(target)
            path.pop()
            state[ident] = 2

        for ident in [start, *self.step_ids] if start is not None else self.step_ids:
            if ident not in state:
                visit(ident)


def _reach(start: str, edges: dict[str, list[tuple[int, str, str]]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for _j, _key, target in edges.get(queue.popleft(), []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
