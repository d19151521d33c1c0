"""Search over the shipped knowledge: ranking, word forms, typos, rule numbers, both languages."""

from __future__ import annotations

import time

import pytest

from bot.search import Hit, SearchIndex


@pytest.fixture(scope="module")
def index(knowledge) -> SearchIndex:
    return SearchIndex(knowledge)


def ids(hits: list[Hit]) -> list[tuple[str, str]]:
    return [(hit.kind, hit.id) for hit in hits]


def test_indexes_every_rule_case_tip_step_and_legal_item(index, knowledge):
    expected = (
        len(knowledge.rules)
        + len(knowledge.cases)
        + len(knowledge.tips)
        + len(knowledge.playbook)
        + len(knowledge.legal)
    )
    assert len(index) == expected


@pytest.mark.parametrize("number", range(1, 16))
@pytest.mark.parametrize("words,lang", [("regel", "nl"), ("rule", "en"), ("Regel", "en")])
def test_a_rule_number_puts_that_rule_first(index, number, words, lang):
    hits = index.search(f"{words} {number}", lang=lang)
    assert ids(hits)[0] == ("rule", str(number))


@pytest.mark.parametrize("query", ["regel 15 twijfel", "rule 15 doubt", "regel15", "#15"])
def test_a_rule_number_wins_over_other_words(index, query):
    assert ids(index.search(query, lang="nl"))[0] == ("rule", "15")


def test_a_rule_number_brings_up_the_cases_that_cite_it(index, knowledge):
    hits = index.search("regel 8", lang="nl", limit=6)
    cited = {case.id for case in knowledge.cases.values() if 8 in case.rules}
    assert all(hit.id in cited for hit in hits[1:])


def test_a_number_outside_the_protocol_is_just_a_word(index):
    hits = index.search("regel 16", lang="nl")
    assert ("rule", "16") not in ids(hits)


@pytest.mark.parametrize(
    "query,lang,expected",
    [
        ("belediging", "nl", ("rule", "8")),
        ("beledigingen", "nl", ("rule", "8")),
        ("beledigd", "nl", ("rule", "8")),  # word form missing from the knowledge
        ("insults", "en", ("rule", "8")),
        ("insulting", "en", ("rule", "8")),
        ("portret", "nl", ("legal", "portretrecht-avg")),  # start of a compound
        ("spreekverbod", "nl", ("tip", "geen-spreekverbod-vooraf")),
        ("kunduz", "nl", ("case", "kunduz-militairen-2011")),
        ("AVG", "nl", ("legal", "portretrecht-avg")),
        ("media-analyse", "nl", ("playbook", "media-analyse")),
        ("ontslag op staande voet", "nl", ("case", "ktr-almere-facebook-2024")),
        ("summary dismissal", "en", ("case", "ktr-almere-facebook-2024")),
        ("disclaimer blog", "en", ("rule", "4")),
    ],
)
def test_word_forms_and_both_languages(index, query, lang, expected):
    assert ids(index.search(query, lang=lang))[0] == expected


@pytest.mark.parametrize(
    "query,lang,expected",
    [
        ("beledging", "nl", ("rule", "8")),  # a letter left out
        ("beleddiging", "nl", ("rule", "8")),  # a letter too many
        ("insluts", "en", ("rule", "8")),  # two letters swapped
        ("vertrouwlijk", "nl", ("rule", "1")),
        ("portetrecht", "nl", ("legal", "portretrecht-avg")),
        ("fotoo", "nl", ("legal", "portretrecht-avg")),
    ],
)
def test_one_typo_in_a_word_of_five_letters_or_more(index, query, lang, expected):
    assert expected in ids(index.search(query, lang=lang))[:2]


def test_confidential_with_a_typo_finds_the_confidentiality_rules(index):
    found = ids(index.search("confidentail", lang="en"))
    assert {("rule", "1"), ("rule", "6"), ("rule", "7")} <= set(found)


def test_short_words_are_not_guessed_at(index):
    assert index.search("foti", lang="nl") == []


def test_a_compound_the_knowledge_holds_only_in_parts(index):
    assert ("rule", "5") in ids(index.search("profielfoto", lang="nl"))


def test_titles_and_snippets_come_in_the_asked_language(index, knowledge):
    rule = knowledge.rules[8]
    english = index.search("belediging", lang="en")[0]
    dutch = index.search("insults", lang="nl")[0]
    assert english.title == rule.title.en
    assert dutch.title == rule.title.nl
    assert "insult" in english.snippet.lower()
    assert "belediging" in dutch.snippet.lower()


def test_the_snippet_shows_the_word_found(index):
    hit = index.search("kunduz", lang="nl")[0]
    assert "Kunduz" in hit.snippet
    assert len(hit.snippet) <= 200


def test_snippets_fill_in_the_organisation_but_its_name_is_no_topic(knowledge):
    index = SearchIndex(knowledge, organisation="Bakkerij Korenaar")
    hit = index.search("regel 6", lang="nl")[0]
    assert "Bakkerij Korenaar" in hit.snippet
    assert index.search("Korenaar", lang="nl") == []
    for query in ("regel 1", "regel 7", "vertrouwelijk", "rule 13"):
        assert all("{organisation}" not in h.snippet for h in index.search(query, lang="en"))


def test_ranked_best_first_within_the_limit(index):
    hits = index.search("facebook", lang="nl", limit=3)
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(isinstance(h, Hit) and h.title and h.snippet for h in hits)
    assert len(index.search("sociale media", lang="nl", limit=10)) == 10
    assert index.search("facebook", lang="nl", limit=0) == []


@pytest.mark.parametrize("query", ["", "   ", "?!", "zzzzzz", "de het een"])
def test_nothing_to_find(index, query):
    assert index.search(query, lang="nl") == []


def test_legal_items_of_the_other_sector_can_be_left_out(index, knowledge):
    public_only = {item.id for item in knowledge.legal if item.applies_to == "public"}
    everything = ids(index.search("ambtenaar geheimhouding", lang="nl", limit=20))
    private = ids(index.search("ambtenaar geheimhouding", lang="nl", limit=20, sector="private"))
    assert any(i in public_only for _, i in everything)
    assert not any(i in public_only for kind, i in private if kind == "legal")


def test_fast_enough(index):
    queries = [
        "belediging collega",
        "beledging",
        "regel 8",
        "rule 13 manager",
        "vertrouwelijke informatie over klanten",
        "confidentail client data",
        "foto van een collega zonder toestemming",
        "portetrecht",
        "wat doe ik als een medewerker iets kwetsends heeft gepost",
        "employee posted something offensive what now",
        "reglement xyzzyq faceboek twiter linkedn",
        "ontslag op staande voet",
    ]
    start = time.perf_counter()
    for query in queries:
        index.search(query, lang="nl")
    mean = (time.perf_counter() - start) / len(queries)
    assert mean < 0.005, f"{mean * 1000:.2f} ms per query"
