"""The /protocol command's answers: pure functions from its words to reply elements (no I/O).

The words themselves are the 'protocol.' texts of knowledge/texts.yaml (see bot/texts.py).

`protocol(args, knowledge=, profile=, lang=, is_admin=)` returns a `CommandResult`. Forms, Dutch
with English aliases: (none) overview; help; <n> | regel <n> | rule <n>; zoek | search <words>;
casus | case [id]; rol | role <role>; tips [medewerkers]; incident; twijfel | doubt; and for
admins reload, stats, escalaties | escalations. Actions the conversation core performs itself
(the rule-15 walk, reloading, statistics, open escalations) come back as `action`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.loader import Knowledge
from bot.knowledge.schema import RULE_NUMBERS, Case, Contact, Example, Organisation
from bot.messages import Button, Buttons, Context, Divider, Element, Fields, Header, Text
from bot.normalize import fold
from bot.search import SearchIndex
from bot.texts import PROTOCOL, Phrases

COMMAND = "/protocol"

# The words that open each form, in both languages (whatever the reply language).
FORMS: dict[str, tuple[str, ...]] = {
    "help": ("help", "hulp", "?"),
    "rule": ("regel", "rule", "regels", "rules"),
    "search": ("zoek", "zoeken", "search", "find"),
    "case": tuple("casus case cases casussen precedent precedenten precedents".split()),
    "role": ("rol", "role", "rollen", "roles"),
    "tips": ("tips", "tip"),
    "incident": ("incident", "draaiboek", "playbook"),
    "doubt": ("twijfel", "doubt"),
    "reload": ("reload", "herlaad", "herladen"),
    "stats": ("stats", "statistieken", "statistics"),
    "escalations": ("escalaties", "escalations", "escalatie", "escalation"),
}
ADMIN_FORMS = ("reload", "stats", "escalations")
# names of the roles; '_' and '-' stand for a space ('policy advisor')
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "employee": tuple("employee employees medewerker medewerkers werknemer werknemers".split()),
    "manager": tuple("manager managers leidinggevende leidinggevenden teamleider".split()),
    "communications": tuple(
        """communications communication comms communicatie voorlichting voorlichter
        communicatieadviseur woordvoerder spokesperson""".split()
    ),
    "policy_advisor": tuple(
        """policy_advisor policy_adviser policy beleidsadviseur beleidsmedewerker
        beleid""".split()
    ),
    "executive": tuple(
        """executive executives bestuurder bestuurders bestuur directie directeur director
        board ceo""".split()
    ),
}
_PLATFORMS = {
    "x": "X",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "blog": "blog",
}
_NUMBER = re.compile(r"#?-?\d+\.?")
_GLUED_RULE = re.compile(r"(?:regel|rule)(\d+)")
_TEXT_LIMIT = 2800  # one text element stays readable (and under the platforms' section limits)
_SEARCH_LIMIT = 5


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What to answer. `action`, when set, is work for the conversation core: 'start_walk'
    (the rule-15 walk; `elements` introduce it), 'reload', 'stats' or 'escalations' (admin forms;
    the core answers them itself, `elements` is empty)."""

    elements: tuple[Element, ...]
    ephemeral: bool = True
    action: str | None = None


def protocol(
    args: tuple[str, ...],
    *,
    knowledge: Knowledge,
    profile: Organisation,
    lang: str,
    is_admin: bool,
) -> CommandResult:
    """The answer to '/protocol <args>' for the organisation `profile`, in `lang` ('nl'/'en')."""
    lang = "en" if lang.lower().startswith("en") else "nl"
    ask = _Asked(knowledge, profile, lang, is_admin)
    words = " ".join(args).split()
    if not words:
        return CommandResult(ask.overview())
    head, rest = fold(words[0]), words[1:]
    if _NUMBER.fullmatch(head):
        return CommandResult(ask.rule(" ".join(words)))
    form = _form_of(head)
    glued = _GLUED_RULE.fullmatch(head)
    if form is None and glued:
        form, rest = "rule", [glued.group(1), *rest]  # 'regel8'
    if form is None:
        return CommandResult(ask.unknown(words[0], " ".join(words)))
    if form in ADMIN_FORMS:
        if not is_admin:
            return CommandResult(ask.refusal(words[0]))
        return CommandResult((), action=form)
    if form == "doubt":
        return CommandResult((Text(ask.say("doubt_intro")),), action="start_walk")
    argument = " ".join(rest)
    answers = {
        "help": lambda: ask.help(),
        "rule": lambda: ask.rule(argument) if argument else ask.rule_list(),
        "search": lambda: ask.search(argument),
        "case": lambda: ask.case(argument) if argument else ask.case_list(),
        "role": lambda: ask.role(argument) if argument else ask.role_list(),
        "tips": lambda: ask.tips(argument),
        "incident": lambda: ask.incident(),
    }
    return CommandResult(answers[form]())


def _form_of(word: str) -> str | None:
    return next((form for form, names in FORMS.items() if word in names), None)


_INDEXES: dict[tuple[str, str, str], SearchIndex] = {}


def search_index(knowledge: Knowledge, organisation: str) -> SearchIndex:
    """The search index of this knowledge, built once (the version is a hash of the files)."""
    key = (knowledge.version, str(knowledge.directory), organisation)
    index = _INDEXES.get(key)
    if index is None:
        if len(_INDEXES) >= 8:
            _INDEXES.clear()
        index = _INDEXES[key] = SearchIndex(knowledge, organisation=organisation)
    return index


class _Asked:
    """One command's context: the knowledge, the organisation, the language."""

    def __init__(self, knowledge: Knowledge, profile: Organisation, lang: str, is_admin: bool):
        self.k = knowledge
        self.profile = profile
        self.lang = lang
        self.is_admin = is_admin
        self.phrases = Phrases(knowledge.texts, lang, PROTOCOL)

    def say(self, key: str, **values: object) -> str:
        """The phrase 'protocol.<key>' of texts.yaml, with {cmd} and `values` filled in."""
        return self.phrases(key, cmd=COMMAND, **values)

    # -- overview and help --------------------------------------------------------------------

    def overview(self) -> tuple[Element, ...]:
        rules = [f"*{n}* · {rule.title.get(self.lang)}" for n, rule in self.k.rules.items()]
        return (
            Header(self.say("overview_title", org=self.profile.name)),
            Text(self.say("overview_intro")),
            *_texts([self.say("overview_rules"), *rules]),
            Divider(),
            *_texts(self._forms()),
            Context(self.say("overview_more")),
            Divider(),
            *self._contacts(("manager", "communications", "integrity"), "contacts_title"),
        )

    def help(self) -> tuple[Element, ...]:
        elements: list[Element] = [Header(self.say("help_title")), *_texts(self._forms())]
        if self.is_admin:
            admin = [f"`{self.say('usage_' + f)}` · {self.say('form_' + f)}" for f in ADMIN_FORMS]
            elements += _texts([self.say("help_admin"), *admin])
        return tuple(elements)

    def _forms(self) -> list[str]:
        roles = ", ".join(self.say(f"role_{role}") for role in ROLE_NAMES)
        lines = [f"`{COMMAND}` · {self.say('form_overview')}"]
        for form in ("rule", "search", "case", "role", "tips", "incident", "doubt", "help"):
            lines.append(f"`{self.say('usage_' + form)}` · {self.say('form_' + form, roles=roles)}")
        return lines

    # -- rules --------------------------------------------------------------------------------

    def rule_list(self) -> tuple[Element, ...]:
        lines = [
            f"*{n}* · {rule.title.get(self.lang)}\n{rule.text_for(self.profile.name, self.lang)}"
            for n, rule in self.k.rules.items()
        ]
        return (
            Header(self.say("rule_list_title")),
            *_texts(lines, sep="\n\n"),
            Context(self.say("rule_open")),
        )

    def rule(self, arg: str) -> tuple[Element, ...]:
        number = arg.lstrip("#").rstrip(".")
        if not number.isdigit():
            return self._problem(self.say("not_a_number", arg=arg))
        n = int(number)
        if n not in RULE_NUMBERS or n not in self.k.rules:
            return self._problem(self.say("rule_range", n=n))
        rule = self.k.rules[n]
        elements: list[Element] = [
            Header(f"{self.say('rule', n=n)} · {rule.title.get(self.lang)}"),
            Text(_quote(rule.text_for(self.profile.name, self.lang))),
            Text(rule.explanation.get(self.lang)),
        ]
        # when a rule is about who writes (13: managers), every example says who writes it
        by_role = any(e.role != "employee" for e in (*rule.do, *rule.dont))
        for examples, key in ((rule.do, "example_do"), (rule.dont, "example_dont")):
            if examples:
                elements.append(Text(self._example(self.say(key), examples[0], by_role)))
        cases = [self.k.cases[c] for c in rule.cases if c in self.k.cases]
        if cases:
            lines = [self.say("rule_cases")] + [self._case_line(c) for c in cases]
            elements += _texts(lines)
        elements += [
            Buttons((Button(self.say("share"), "share", f"rule:{n}", "primary"),)),
            Context(self.say("source", source=rule.source.title)),
        ]
        return tuple(elements)

    def _example(self, label: str, example: Example, by_role: bool) -> str:
        where = [_PLATFORMS[example.platform]] if example.platform in _PLATFORMS else []
        if by_role:
            where.append(self.say("example_as", role=self.say(f"role_{example.role}")))
        heading = f"{label} _({', '.join(where)})_" if where else label
        text = getattr(example, self.lang).replace("{organisation}", self.profile.name)
        return f"{heading}\n{_quote(text)}"

    # -- search -------------------------------------------------------------------------------

    def search(self, query: str) -> tuple[Element, ...]:
        if not query.strip():
            return (Text(self.say("search_empty")),)
        index = search_index(self.k, self.profile.name)
        hits = index.search(query, lang=self.lang, limit=_SEARCH_LIMIT, sector=self.profile.sector)
        if not hits:
            return (Text(self.say("search_none", query=query)),)
        elements: list[Element] = [Header(self.say("search_title", query=_short(query, 60)))]
        for hit in hits:
            label = self.say(f"kind_{hit.kind}", id=hit.id)
            opener = f"open_{hit.kind}"
            how = f"\n{self.say(opener, id=hit.id)}" if self.phrases.has(opener) else ""
            elements.append(Text(f"*{label} · {hit.title}*\n{hit.snippet}{how}"))
        return tuple(elements)

    # -- cases --------------------------------------------------------------------------------

    def case_list(
        self, cases: Iterable[Case] | None = None, intro: str = ""
    ) -> tuple[Element, ...]:
        listed = list(self.k.cases.values()) if cases is None else list(cases)
        lines = [intro] if intro else []
        lines += [self._case_line(case) for case in listed]
        head = () if intro else (Header(self.say("case_list_title")),)
        return (*head, *_texts(lines), Context(self.say("case_list_open")))

    def _case_line(self, case: Case) -> str:
        sector = self.say(f"sector_{case.sector}")
        return f"- *{case.title.get(self.lang)}* ({case.date[:4]}, {sector}) · `{case.id}`"

    def case(self, arg: str) -> tuple[Element, ...]:
        wanted = fold(arg).strip().replace(" ", "-")
        case = self.k.cases.get(wanted)
        if case is None:
            matching = [c for c in self.k.cases.values() if wanted in c.id]
            if len(matching) > 1:
                return self.case_list(matching, self.say("case_several", arg=arg))
            if not matching:
                return self.case_list(None, self.say("case_unknown", arg=arg))
            case = matching[0]
        lang = self.lang
        rules = ", ".join(str(n) for n in sorted(case.rules))
        openers = "  ".join(f"`{COMMAND} {n}`" for n in sorted(case.rules))
        source = case.source.title + (f" ({case.source.ref})" if case.source.ref else "")
        return (
            Header(case.title.get(lang)),
            Fields(
                (
                    (self.say("case_date"), case.date),
                    (self.say("case_sector"), self.say(f"sector_{case.sector}")),
                    (self.say("case_kind"), self.say(f"kind_{case.kind}")),
                    (self.say("case_rules"), rules),
                )
            ),
            Text(f"{self.say('case_what')}\n{case.what_happened.get(lang)}"),
            Text(f"{self.say('case_outcome')}\n{case.outcome.get(lang)}"),
            Text(f"{self.say('case_lesson')}\n{case.lesson.get(lang)}"),
            Context(openers),
            Context(self.say("source", source=source)),
        )

    # -- roles, tips, incident ----------------------------------------------------------------

    def role_list(self, intro: str = "") -> tuple[Element, ...]:
        lines = [intro] if intro else []
        for role_id, guidance in self.k.roles.items():
            lines.append(f"- *{guidance.title.get(self.lang)}* · `{self.say(f'role_{role_id}')}`")
        head = () if intro else (Header(self.say("role_list_title")),)
        return (*head, *_texts(lines), Context(self.say("role_list_open")))

    def role(self, arg: str) -> tuple[Element, ...]:
        role_id = _role_of(arg, self.k)
        if role_id is None:
            return self.role_list(self.say("role_unknown", arg=arg))
        guidance = self.k.roles[role_id]
        public = self.profile.sector == "public"
        sector_text = (guidance.public_sector if public else guidance.private_sector).get(self.lang)
        rules = [
            f"- {self.say('rule', n=n)} · {self.k.rules[n].title.get(self.lang)}"
            for n in guidance.rules
            if n in self.k.rules
        ]
        elements: list[Element] = [
            Header(guidance.title.get(self.lang)),
            Text(guidance.guidance.get(self.lang)),
            Text(f"{self.say('role_in_public' if public else 'role_in_private')}\n{sector_text}"),
        ]
        if rules:
            elements += _texts([self.say("role_rules"), *rules])
        elements.append(Context(self.say("source", source=guidance.source.title)))
        return tuple(elements)

    def tips(self, arg: str) -> tuple[Element, ...]:
        audience = _role_of(arg, self.k) if arg else "manager"
        if audience not in ("manager", "employee"):
            return self._problem(self.say("tips_unknown", arg=arg))
        elements: list[Element] = [Header(self.say(f"tips_{audience}_title"))]
        for tip in self.k.tips:
            if tip.audience != audience:
                continue
            rules = ", ".join(str(n) for n in tip.rules)
            ref = "rule_ref_one" if len(tip.rules) == 1 else "rule_ref_many"
            note = f"\n_{self.say(ref, rules=rules)}_" if rules else ""
            elements.append(Text(f"*{tip.title.get(self.lang)}*\n{tip.text.get(self.lang)}{note}"))
        return tuple(elements)

    def incident(self) -> tuple[Element, ...]:
        steps = [
            Text(f"*{step.title.get(self.lang)}*\n{step.text.get(self.lang)}")
            for step in self.k.playbook
        ]
        return (
            Header(self.say("incident_title")),
            Text(self.say("incident_intro")),
            *steps,
            Divider(),
            *self._contacts(("hr", "integrity", "communications"), "incident_contacts"),
        )

    # -- contacts, refusals, mistakes ---------------------------------------------------------

    def _contacts(self, roles: tuple[str, ...], title: str) -> list[Element]:
        chosen = [c for role in roles for c in self.profile.contacts if c.role == role]
        if not chosen:
            return [Text(f"{self.say(title)}\n{self.say('no_contacts')}")]
        return [Text("\n".join([self.say(title), *(self._contact(c) for c in chosen)]))]

    def _contact(self, contact: Contact) -> str:
        email = f" · {contact.email}" if contact.email else ""
        return f"- {self.say(f'contact_{contact.role}')}: {contact.name}{email}"

    def refusal(self, form: str) -> tuple[Element, ...]:
        return (Text(self.say("admin_only", form=form)), Context(self.say("admin_ask")))

    def unknown(self, word: str, everything: str) -> tuple[Element, ...]:
        lines = [self.say("unknown", arg=_short(word, 40))]
        names = [name for form, names in FORMS.items() for name in names if form not in ADMIN_FORMS]
        if self.is_admin:
            names += [name for form in ADMIN_FORMS for name in FORMS[form]]
        guess = difflib.get_close_matches(fold(word), names, n=1, cutoff=0.75)
        if guess:
            rest = everything[len(word) :].strip()
            lines.append(self.say("did_you_mean", guess=f"{guess[0]} {rest}".strip()))
        elif word.isalpha() and len(word) > 2:
            lines.append(self.say("try_search", arg=_short(everything, 60)))
        return (Text("\n".join(lines)), *_texts([self.say("valid_forms"), *self._forms()]))

    def _problem(self, message: str) -> tuple[Element, ...]:
        return (Text(message), *_texts([self.say("valid_forms"), *self._forms()]))


def _role_of(arg: str, knowledge: Knowledge) -> str | None:
    wanted = " ".join(fold(arg).replace("_", " ").replace("-", " ").split())
    for role_id, names in ROLE_NAMES.items():
        if wanted in {" ".join(n.replace("_", " ").replace("-", " ").split()) for n in names}:
            return role_id
    for role_id, guidance in knowledge.roles.items():  # the titles the knowledge gives them
        if wanted in (fold(guidance.title.nl), fold(guidance.title.en)):
            return role_id
    return None


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _texts(lines: list[str], *, sep: str = "\n") -> list[Text]:
    """Lines as as few Text elements as fit, none longer than _TEXT_LIMIT."""
    texts: list[Text] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        if chunk and size + len(sep) + len(line) > _TEXT_LIMIT:
            texts.append(Text(sep.join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + len(sep)
    if chunk:
        texts.append(Text(sep.join(chunk)))
    return texts
