"""The /protocol command: every form in Dutch and English on the shipped knowledge."""

from __future__ import annotations

import pytest

from bot.commands import FORMS, CommandResult, protocol
from bot.knowledge.loader import load_knowledge
from bot.messages import (
    Button,
    Buttons,
    Choice,
    Context,
    Divider,
    Fields,
    Header,
    Text,
)
from bot.texts import PROTOCOL, REQUIRED

ELEMENT_TYPES = (Header, Text, Fields, Context, Divider, Buttons, Choice)
# the /protocol phrases of the shipped knowledge/texts.yaml, per language, without 'protocol.'
PHRASES = {
    lang: {
        key.removeprefix(PROTOCOL): text.get(lang)
        for key, text in load_knowledge().texts.items()
        if key.startswith(PROTOCOL)
    }
    for lang in ("nl", "en")
}


@pytest.fixture(scope="module")
def profile(knowledge):
    return knowledge.organisation


@pytest.fixture(scope="module")
def run(knowledge, profile):
    def run(*args: str, lang: str = "nl", admin: bool = False, org=None) -> CommandResult:
        result = protocol(
            tuple(args), knowledge=knowledge, profile=org or profile, lang=lang, is_admin=admin
        )
        check_well_formed(result)
        return result

    return run


def check_well_formed(result: CommandResult) -> None:
    assert isinstance(result, CommandResult)
    assert result.ephemeral
    assert len(result.elements) <= 50
    for element in result.elements:
        assert isinstance(element, ELEMENT_TYPES)
        text = getattr(element, "text", "")
        assert len(text) <= 3000
        for marker in ("{organisation}", "{cmd}", "{n}", "{arg}", "{id}", "{query}"):
            assert marker not in text


def text_of(result: CommandResult) -> str:
    parts = []
    for element in result.elements:
        if isinstance(element, Header | Text | Context):
            parts.append(element.text)
        elif isinstance(element, Fields):
            parts += [f"{label}: {value}" for label, value in element.pairs]
        elif isinstance(element, Buttons):
            parts += [button.label for button in element.buttons]
    return "\n".join(parts)


def buttons_of(result: CommandResult) -> list[Button]:
    return [b for e in result.elements if isinstance(e, Buttons) for b in e.buttons]


EVERY_FORM = [
    (),
    ("help",),
    ("hulp",),
    ("8",),
    ("regel", "8"),
    ("rule", "8"),
    ("regel",),
    ("zoek", "belediging"),
    ("search", "insult"),
    ("casus",),
    ("case",),
    ("casus", "blokker-2012"),
    ("case", "blokker-2012"),
    ("rol",),
    ("rol", "leidinggevende"),
    ("role", "manager"),
    ("tips",),
    ("incident",),
    ("twijfel",),
    ("doubt",),
]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("args", EVERY_FORM, ids=lambda a: " ".join(a) or "(none)")
def test_every_form_answers_in_both_languages(run, args, lang):
    result = run(*args, lang=lang)
    assert result.elements
    assert result.action == ("start_walk" if args and args[0] in ("twijfel", "doubt") else None)
    assert result == run(*args, lang=lang)  # pure: the same question, the same answer


def test_phrases_exist_in_both_languages():
    assert PHRASES["nl"].keys() == PHRASES["en"].keys()
    assert {PROTOCOL + key for key in PHRASES["nl"]} == {
        k for k in REQUIRED if k.startswith(PROTOCOL)
    }
    assert all(PHRASES["nl"].values()) and all(PHRASES["en"].values())


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_language_of_the_answer(run, knowledge, lang):
    other = "en" if lang == "nl" else "nl"
    text = text_of(run("8", lang=lang))
    assert knowledge.rules[8].title.get(lang) in text
    assert knowledge.rules[8].title.get(other) not in text
    assert PHRASES[lang]["share"] in text


def test_a_platform_locale_is_read_as_its_language(run, knowledge):
    assert knowledge.rules[8].title.en in text_of(run("8", lang="en-GB"))


# -- overview and help ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_overview_names_the_organisation_every_rule_and_how_to_use_the_bot(
    run, knowledge, profile, lang
):
    result = run(lang=lang)
    assert isinstance(result.elements[0], Header)
    assert profile.name in result.elements[0].text
    text = text_of(result)
    for rule in knowledge.rules.values():
        assert rule.title.get(lang) in text
    assert "/protocol help" in text
    assert PHRASES[lang]["usage_search"].format(cmd="/protocol") in text
    for contact in profile.contacts:
        if contact.role in ("manager", "communications", "integrity"):
            assert contact.name in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_help_lists_every_form_and_the_admin_forms_only_to_admins(run, lang):
    text = text_of(run("help", lang=lang))
    for form in ("rule", "search", "case", "role", "tips", "incident", "doubt"):
        assert PHRASES[lang][f"usage_{form}"].format(cmd="/protocol") in text
    assert PHRASES[lang]["usage_reload"].format(cmd="/protocol") not in text
    admin = text_of(run("help", lang=lang, admin=True))
    for form in ("reload", "stats", "escalations"):
        assert PHRASES[lang][f"usage_{form}"].format(cmd="/protocol") in admin


# -- rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("number", range(1, 16))
def test_every_rule_in_full_with_a_share_button(run, knowledge, profile, number, lang):
    rule = knowledge.rules[number]
    result = run("regel" if lang == "nl" else "rule", str(number), lang=lang)
    header = result.elements[0]
    assert isinstance(header, Header)
    assert str(number) in header.text and rule.title.get(lang) in header.text
    text = text_of(result)
    assert rule.text_for(profile.name, lang) in text
    assert rule.explanation.get(lang) in text
    if rule.do:
        assert getattr(rule.do[0], lang).replace("{organisation}", profile.name) in text
    if rule.dont:
        assert getattr(rule.dont[0], lang).replace("{organisation}", profile.name) in text
    for case_id in rule.cases:
        assert knowledge.cases[case_id].title.get(lang) in text
    assert buttons_of(result) == [
        Button(PHRASES[lang]["share"], "share", f"rule:{number}", "primary")
    ]


def test_a_rule_with_another_organisations_name(run, bakery):
    text = text_of(run("1", org=bakery))
    assert "Bakkerij Korenaar" in text
    assert "Gemeente Hofstede" not in text


def test_rule_13_says_who_writes_each_example(run):
    text = text_of(run("13", lang="en"))
    assert "as employee" in text and "as manager" in text


@pytest.mark.parametrize(
    "args", [("8",), ("#8",), ("8.",), ("regel8",), ("Rule", "8"), ("regel 8",)]
)
def test_ways_to_ask_for_a_rule(run, args):
    assert [b.value for b in buttons_of(run(*args))] == ["rule:8"]


def test_the_rule_list(run, knowledge, profile):
    for lang, word in (("nl", "regels"), ("en", "rules"), ("nl", "regel")):
        text = text_of(run(word, lang=lang))
        for rule in knowledge.rules.values():
            assert rule.text_for(profile.name, lang) in text


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("args", [("16",), ("0",), ("regel", "99"), ("rule", "16")])
def test_rule_numbers_outside_the_protocol(run, args, lang):
    result = run(*args, lang=lang)
    text = text_of(result)
    number = str(int(args[-1]))
    assert PHRASES[lang]["rule_range"].format(n=number) in text
    assert PHRASES[lang]["usage_search"].format(cmd="/protocol") in text  # the valid forms
    assert not buttons_of(result)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_rule_that_is_no_number(run, lang):
    text = text_of(run("regel", "acht", lang=lang))
    assert "‘acht’" in text
    assert "15" in text


# -- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,lang",
    [
        (("zoek", "beledging"), "nl"),  # a typo
        (("zoek", "beledigd"), "nl"),  # a word form
        (("search", "insluts"), "en"),
        (("zoek", "regel", "8"), "nl"),
        (("search", "rule", "8"), "en"),
    ],
)
def test_search_finds_rule_8(run, knowledge, args, lang):
    result = run(*args, lang=lang)
    first = result.elements[1]
    assert isinstance(first, Text)
    assert knowledge.rules[8].title.get(lang) in first.text
    assert "`/protocol 8`" in first.text


def test_search_results_say_how_to_open_them(run):
    text = text_of(run("zoek", "kunduz"))
    assert "`/protocol casus kunduz-militairen-2011`" in text


def test_search_leaves_out_law_of_the_other_sector(run, knowledge, bakery):
    public_only = [i.title.nl for i in knowledge.legal if i.applies_to == "public"]
    public = text_of(run("zoek", "ambtenaar", "geheimhouding"))
    private = text_of(run("zoek", "ambtenaar", "geheimhouding", org=bakery))
    assert any(title in public for title in public_only)
    assert not any(title in private for title in public_only)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_search_without_words_or_results(run, lang):
    assert PHRASES[lang]["search_empty"].format(cmd="/protocol") in text_of(run("zoek", lang=lang))
    text = text_of(run("search", "qqqqqq", lang=lang))
    assert "‘qqqqqq’" in text


# -- cases ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_case_list(run, knowledge, lang):
    text = text_of(run("casus" if lang == "nl" else "case", lang=lang))
    for case in knowledge.cases.values():
        assert case.id in text and case.title.get(lang) in text


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("case_id", ["blokker-2012", "nctv-ambtenaar-isis-tweet"])
def test_one_case_in_full_with_its_source(run, knowledge, case_id, lang):
    case = knowledge.cases[case_id]
    result = run("case", case_id, lang=lang)
    assert result.elements[0] == Header(case.title.get(lang))
    text = text_of(result)
    for part in (case.what_happened, case.outcome, case.lesson):
        assert part.get(lang) in text
    assert case.source.title in text
    assert case.source.ref in text
    assert case.date in text


def test_a_case_by_part_of_its_id(run, knowledge):
    assert run("casus", "Kunduz").elements[0] == Header(
        knowledge.cases["kunduz-militairen-2011"].title.nl
    )


def test_several_cases_match(run, knowledge):
    text = text_of(run("casus", "politie"))
    assert "‘politie’" in text
    assert "politie-walcheren-2023" in text
    assert "blokker-2012" not in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_an_unknown_case(run, lang):
    text = text_of(run("casus", "xyz", lang=lang))
    assert PHRASES[lang]["case_unknown"].format(arg="xyz") in text
    assert "blokker-2012" in text  # the ones there are


# -- roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,role",
    [
        ("medewerker", "employee"),
        ("employee", "employee"),
        ("leidinggevende", "manager"),
        ("manager", "manager"),
        ("communicatie", "communications"),
        ("communications", "communications"),
        ("beleidsadviseur", "policy_advisor"),
        ("policy_advisor", "policy_advisor"),
        ("policy advisor", "policy_advisor"),
        ("bestuurder", "executive"),
        ("executive", "executive"),
        ("Directie", "executive"),
    ],
)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_role_guidance_for_the_public_sector(run, knowledge, name, role, lang):
    guidance = knowledge.roles[role]
    result = run("rol", *name.split(), lang=lang)
    assert result.elements[0] == Header(guidance.title.get(lang))
    text = text_of(result)
    assert guidance.guidance.get(lang) in text
    assert guidance.public_sector.get(lang) in text
    assert guidance.private_sector.get(lang) not in text
    for number in guidance.rules:
        assert knowledge.rules[number].title.get(lang) in text


def test_role_guidance_for_the_private_sector(run, knowledge, bakery):
    guidance = knowledge.roles["manager"]
    text = text_of(run("role", "manager", lang="en", org=bakery))
    assert guidance.private_sector.en in text
    assert guidance.public_sector.en not in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_role_list_and_an_unknown_role(run, knowledge, lang):
    listed = text_of(run("rol", lang=lang))
    for guidance in knowledge.roles.values():
        assert guidance.title.get(lang) in listed
    unknown = text_of(run("role", "astronaut", lang=lang))
    assert "‘astronaut’" in unknown
    assert knowledge.roles["executive"].title.get(lang) in unknown


# -- tips and incident ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_tips_are_for_managers_unless_asked_for_employees(run, knowledge, lang):
    managers = text_of(run("tips", lang=lang))
    employees = text_of(run("tips", "medewerkers" if lang == "nl" else "employees", lang=lang))
    for tip in knowledge.tips:
        title = tip.title.get(lang)
        assert (title in managers) == (tip.audience == "manager")
        assert (title in employees) == (tip.audience == "employee")


def test_tips_for_nobody(run):
    assert "‘stagiairs’" in text_of(run("tips", "stagiairs"))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_incident_gives_the_playbook_and_who_to_bring_in(run, knowledge, profile, lang):
    text = text_of(run("incident", lang=lang))
    for step in knowledge.playbook:
        assert step.title.get(lang) in text and step.text.get(lang) in text
    hr = [c for c in profile.contacts if c.role == "hr"]
    assert hr and hr[0].name in text and hr[0].email in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_profile_without_contacts(run, profile, lang):
    bare = profile.model_copy(update={"contacts": []})
    for args in ((), ("incident",)):
        text = text_of(run(*args, lang=lang, org=bare))
        assert PHRASES[lang]["no_contacts"] in text
        assert all(contact.name not in text for contact in profile.contacts)


# -- doubt, admin forms, mistakes ----------------------------------------------------------------


@pytest.mark.parametrize("word,lang", [("twijfel", "nl"), ("doubt", "en"), ("Twijfel", "en")])
def test_doubt_starts_the_walk(run, word, lang):
    result = run(word, lang=lang)
    assert result.action == "start_walk"
    assert text_of(result) == PHRASES[lang]["doubt_intro"]


@pytest.mark.parametrize(
    "word,action",
    [
        ("reload", "reload"),
        ("herladen", "reload"),
        ("stats", "stats"),
        ("escalaties", "escalations"),
        ("escalations", "escalations"),
    ],
)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_admin_forms(run, word, action, lang):
    allowed = run(word, lang=lang, admin=True)
    assert allowed.action == action
    assert allowed.elements == ()
    refused = run(word, lang=lang)
    assert refused.action is None
    assert PHRASES[lang]["admin_only"].format(form=word) in text_of(refused)


def test_every_admin_word_is_a_form():
    assert {"reload", "stats", "escalations"} <= FORMS.keys()


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("word", ["foo", "regel-acht", "!!"])
def test_unknown_forms_name_the_word_and_the_valid_forms(run, word, lang):
    text = text_of(run(word, lang=lang))
    assert PHRASES[lang]["unknown"].format(arg=word, cmd="/protocol") in text
    assert PHRASES[lang]["valid_forms"] in text
    assert PHRASES[lang]["usage_case"].format(cmd="/protocol") in text


def test_a_mistyped_form_is_recognised(run):
    assert "`/protocol regel 8`" in text_of(run("rgel", "8"))
    assert "`/protocol search insults`" in text_of(run("serch", "insults", lang="en"))


def test_an_unknown_word_suggests_searching_for_it(run):
    assert "`/protocol zoek belediging collega`" in text_of(run("belediging", "collega"))


def test_admin_words_are_not_suggested_to_others(run):
    assert "reload" not in text_of(run("relaod"))
    assert "`/protocol reload`" in text_of(run("relaod", admin=True))
