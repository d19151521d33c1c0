"""Pydantic schemas for every knowledge file integrity staff edit (unknown keys are errors)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Role = Literal["employee", "manager", "communications", "policy_advisor", "executive"]
Platform = Literal["x", "linkedin", "facebook", "instagram", "tiktok", "blog", "other"]
Sector = Literal["public", "private"]
Severity = Literal["stop", "caution", "note"]
Language = Literal["nl", "en"]

ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
PLATFORMS: tuple[str, ...] = Platform.__args__  # type: ignore[attr-defined]
RULE_NUMBERS = range(1, 16)

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"id {value!r} may only hold lower-case letters, digits, '-' and '_'")
    return value


class Text(Strict):
    """A text in Dutch (first language) and English."""

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


class Source(Strict):
    """Where a fact comes from: a seed article, a court ruling (ECLI), a publication."""

    title: str = Field(min_length=1)
    ref: str | None = None  # ECLI, URL, or seed file name


# --- organisation.yaml -------------------------------------------------------------------------


class Contact(Strict):
    role: Literal["manager", "communications", "integrity", "confidential_adviser", "hr"]
    name: str
    email: str | None = None
    slack_user: str | None = None
    teams_user: str | None = None
    # A team may be reached in a channel instead of one person; anyone in it may answer.
    slack_channel: str | None = None
    teams_channel: str | None = None


class Settings(Strict):
    """How long drafts are kept and when an unanswered escalation is brought up again."""

    draft_hours: float = Field(24, gt=0)  # a draft in a conversation
    escalated_draft_days: float = Field(30, ge=0)  # a consented draft after its escalation closes
    reminder_hours: float = Field(24, gt=0)  # an unanswered escalation is brought up again


class Organisation(Strict):
    name: str = Field(min_length=1)
    aliases: list[str] = []
    sector: Sector
    clients: list[str] = []
    partners: list[str] = []
    suppliers: list[str] = []
    competitors: list[str] = []
    confidential_terms: list[str] = []
    products: list[str] = []  # the organisation's own public products and services
    contacts: list[Contact] = []
    admins: list[str] = []
    settings: Settings = Settings()
    # drafts also go to the organisation's own language model for a second opinion (only when
    # the server has PROTOCOLBOT_LLM_URL set; users are told and can switch it off)
    second_opinion: bool = False


# --- rules.yaml --------------------------------------------------------------------------------


class Example(Strict):
    """A golden draft: a 'dont' must make the engine cite the rule, a 'do' must not."""

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)
    role: Role = "employee"
    platform: Platform = "other"


class Rule(Strict):
    number: int = Field(ge=1, le=15)
    title: Text
    text: Text  # may hold {organisation}, filled in from the profile
    explanation: Text
    do: list[Example] = []
    dont: list[Example] = []
    cases: list[str] = []  # case ids
    signals: list[str] = []  # signal ids that belong to this rule
    source: Source

    def text_for(self, organisation: str, lang: str) -> str:
        """The rule's text with the organisation's name filled in."""
        return self.text.get(lang).replace("{organisation}", organisation)


class RulesFile(Strict):
    rules: list[Rule]


# --- cases.yaml --------------------------------------------------------------------------------


class Case(Strict):
    id: str
    date: str  # ISO date, or a year/month when that is all the source gives ("2012-02", "2014")
    sector: Sector
    kind: Literal["incident", "good_practice"] = "incident"
    title: Text
    what_happened: Text
    outcome: Text
    lesson: Text
    rules: list[int] = Field(min_length=1)
    source: Source

    _id = field_validator("id")(_check_id)

    @field_validator("date")
    @classmethod
    def _date(cls, value: str) -> str:
        if not re.fullmatch(r"(19|20)\d\d(-[01]\d(-[0-3]\d)?)?", value):
            raise ValueError(f"date {value!r} must look like 2017-08-10, 2012-02 or 2014")
        return value


class CasesFile(Strict):
    cases: list[Case]


# --- legal.yaml --------------------------------------------------------------------------------


class LegalItem(Strict):
    id: str
    title: Text
    summary: Text
    applies_to: Literal["public", "private", "both"]
    rules: list[int] = []
    source: Source

    _id = field_validator("id")(_check_id)


class LegalFile(Strict):
    legal: list[LegalItem]


# --- roles.yaml --------------------------------------------------------------------------------


class RoleGuidance(Strict):
    id: Role
    title: Text
    guidance: Text
    public_sector: Text
    private_sector: Text
    rules: list[int] = []
    source: Source


class RolesFile(Strict):
    roles: list[RoleGuidance]


# --- tips.yaml ---------------------------------------------------------------------------------


class Tip(Strict):
    id: str
    audience: Literal["employee", "manager"]
    title: Text
    text: Text
    rules: list[int] = []
    source: Source

    _id = field_validator("id")(_check_id)


class PlaybookStep(Strict):
    """A step for managers and HR once a post has already caused trouble."""

    id: str
    title: Text
    text: Text
    source: Source

    _id = field_validator("id")(_check_id)


class TipsFile(Strict):
    tips: list[Tip]
    playbook: list[PlaybookStep]


# --- signals/*.yaml ----------------------------------------------------------------------------


class Terms(Strict):
    """Words and phrases per language.

    A term is one or more words. Each word matches its word forms (Snowball stem). A word ending
    in '*' matches every word that starts with it ('kanker*' matches 'kankergemeente'), a word
    starting with '*' every word that ends with it ('*vergadering' matches 'teamvergadering'); a
    word starting with '=' matches only exactly ('=zak'); '...' in a phrase stands for up to four
    words. Matching is done on normalised text: case,
    accents, spaced letters, leetspeak, repeated letters and look-alike characters are folded.
    """

    nl: list[str] = []
    en: list[str] = []


class Lexicon(Strict):
    id: str
    description: str
    terms: Terms
    exclude: list[str] = []  # whole words that never match (e.g. 'kankerbestrijding')
    masked: bool = False  # also match words with letters hidden by '*' or emoji ('f***', 'k🤬t')
    # false for lists of who or where ('group', 'colleague'): 'geen Antillianen' still names them
    negatable: bool = True
    source: Source | None = None

    _id = field_validator("id")(_check_id)


class Signal(Strict):
    """A review signal: when it fires, the engine reports a finding for `rule`.

    It fires on any hit of its `lexicons`, its `patterns` (regular expressions over the
    normalised text) or the occurrences of the built-in contexts named in `on` (a confidential
    term, a client's name, a phone number), provided all of `requires` hold, at least one of
    `requires_any` (when given), and none of `unless`. Conditions are context names: a lexicon id
    (true when that lexicon occurs, not negated) or a built-in context of the engine (see
    bot/contexts.py). With `within: sentence` the conditions (`unless` too) are looked for in
    the trigger's own sentence only; with `within: nearby` also in the sentence before it.
    `quoted` says whether a trigger inside quotation marks counts ('exclude': quoting someone
    else's words does not fire; 'only': only then).
    """

    id: str
    rule: int = Field(ge=1, le=15)
    also: list[int] = []  # further rules cited with this finding
    severity: Severity
    lexicons: list[str] = []
    patterns: list[str] = []
    on: list[str] = []
    within: Literal["draft", "sentence", "nearby"] = "draft"  # nearby: this or the previous one
    quoted: Literal["any", "exclude", "only"] = "any"
    requires: list[str] = []
    requires_any: list[str] = []
    unless: list[str] = []
    roles: list[Role] = []  # only for these roles (empty: every role)
    platforms: list[Platform] = []  # only on these platforms (empty: every platform)
    sector: Sector | None = None
    negatable: bool = True  # a negation just before the hit cancels it
    explanation: Text
    suggestion: Text
    case: str | None = None  # a precedent to point to

    _id = field_validator("id")(_check_id)


class SignalsFile(Strict):
    lexicons: list[Lexicon] = []
    signals: list[Signal] = []


# --- walk.yaml: the rule-15 doubt walk ----------------------------------------------------------
#
# A walk is data, the runner (bot/walk.py) is code. The models below only fix the shape; what
# cannot be said in a type (targets that exist, a final 'else', facts and operators that fit,
# no cycles, every step reachable) is checked by bot/knowledge/walkcheck.py when the knowledge
# loads, with the file, line and column of each problem.

ConditionOp = Literal["eq", "ne", "in", "not_in", "gte", "lte", "contains"]
ContactType = Literal["manager", "communications", "integrity", "confidential_adviser"]
OutcomeKind = Literal["post", "revise", "consult"]

CONDITION_OPS: tuple[str, ...] = ConditionOp.__args__  # type: ignore[attr-defined]
CONTACT_TYPES: tuple[str, ...] = ContactType.__args__  # type: ignore[attr-defined]
VERDICTS: tuple[str, ...] = ("go", "caution", "stop")  # in this order for gte / lte
SECTORS: tuple[str, ...] = Sector.__args__  # type: ignore[attr-defined]
ANSWER_FACT = "answer."  # 'answer.<step id>': the answer given to (or filled in for) that step
# the facts of the review a condition can test, and the operators that fit each of them
REVIEW_FACTS: dict[str, tuple[str, ...]] = {
    "verdict": ("eq", "ne", "in", "not_in", "gte", "lte"),
    "rules": ("contains",),
    "role": ("eq", "ne", "in", "not_in"),
    "sector": ("eq", "ne", "in", "not_in"),
    "has_finding": ("eq", "ne"),
}
ANSWER_OPS: tuple[str, ...] = ("eq", "ne", "in", "not_in")


class Condition(Strict):
    """Exactly one of: a test of one fact, `all` of a list, `any` of a list, or `not` one.

    A test is `{fact: <name>, op: <operator>, value: ...}`. Facts: `answer.<step id>`,
    `verdict` (go / caution / stop, ordered for gte and lte), `rules` (the rule numbers the
    review cites; only `contains`), `role`, `sector` and `has_finding` (true or false). With
    `in` and `not_in` the value is a list. An answer that was not given is missing: `eq` and
    `in` are then false, `ne` and `not_in` true.
    """

    fact: str | None = None
    op: ConditionOp | None = None
    value: Any = None  # checked against the fact by walkcheck, with a message per fact
    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")


class Choice(Strict):
    """One answer to a step: the value stored and matched, and the label people see."""

    value: str
    label: Text

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                f"choice value {value!r} may only hold lower-case letters, digits, '-' and '_'"
            )
        return value


class Branch(Strict):
    """`{if: <condition>, then: <step or outcome id>}`, or as the last branch `{else: <id>}`."""

    if_: Condition | None = Field(default=None, alias="if")
    then: str | None = None
    else_: str | None = Field(default=None, alias="else")

    @property
    def target(self) -> str:
        return self.else_ if self.if_ is None else (self.then or "")


class Step(Strict):
    """One question with its choices; `next` decides where each answer leads.

    With `prefill`, the step is answered with `prefill_value` without asking whenever the
    condition holds for the review (the bot already knows: the draft names a confidential term).
    """

    id: str
    question: Text
    help: Text | None = None
    choices: list[Choice] = Field(min_length=1)
    prefill: Condition | None = None
    prefill_value: str | None = None
    next: list[Branch]
    source: Source

    _id = field_validator("id")(_check_id)

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


class Outcome(Strict):
    """Where a walk ends: post it, revise it first, or consult a contact (with `contact`)."""

    id: str
    kind: OutcomeKind
    contact: ContactType | None = None
    text: Text
    source: Source

    _id = field_validator("id")(_check_id)


class Walk(Strict):
    start: str  # the id of the first step
    steps: list[Step]
    outcomes: list[Outcome]

    def step(self, ident: str) -> Step | None:
        return next((s for s in self.steps if s.id == ident), None)

    def outcome(self, ident: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.id == ident), None)


class WalkFile(Strict):
    walk: Walk


# --- texts.yaml: the bot's own phrases -----------------------------------------------------------
#
# Which keys there must be, and which {placeholders} each text holds, is declared by the code
# (REQUIRED in bot/texts.py) and checked by bot/knowledge/textcheck.py when the knowledge loads.


class TextsFile(Strict):
    texts: dict[str, Text]
