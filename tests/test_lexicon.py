"""Word lists: word forms, compounds, phrases with gaps, exclusions, languages."""

from __future__ import annotations

from bot.lexicon import LexiconIndex, parse_term
from bot.normalize import tokenize

BOTH = frozenset({"nl", "en"})


def hits(terms: list[tuple[str, str]], text: str, *, excludes=None, langs=BOTH, masked=False):
    index = LexiconIndex([parse_term("x", t, lang, masked=masked) for t, lang in terms], excludes)
    tokens = tokenize(text)
    return [
        (h.term, text[tokens[h.first].start : tokens[h.last].end])
        for h in index.find(tokens, [langs] * len(tokens))
    ]


def test_word_forms_match_through_the_stemmer():
    assert hits([("belediging", "nl")], "Dat zijn beledigingen!") == [
        ("belediging", "beledigingen")
    ]
    assert hits([("threaten", "en")], "He threatened them") == [("threaten", "threatened")]


def test_prefix_suffix_and_exact_words():
    assert hits([("kanker*", "nl")], "die kankergemeente") == [("kanker*", "kankergemeente")]
    assert hits([("*vergadering", "nl")], "in de afdelingsvergadering") == [
        ("*vergadering", "afdelingsvergadering")
    ]
    assert hits([("=zak", "nl")], "vuile zakken") == []


def test_phrases_with_gaps_stay_in_one_sentence():
    terms = [("hoop dat ... dood", "nl")]
    assert hits(terms, "Ik hoop dat die man dood gaat") == [
        ("hoop dat ... dood", "hoop dat die man dood")
    ]
    assert hits(terms, "Ik hoop dat het lukt. Dood moe ben ik") == []


def test_excluded_words_never_match():
    terms = [("kanker*", "nl")]
    excludes = {"x": ["kankerbestrijding*"]}
    assert hits(terms, "KWF Kankerbestrijding", excludes=excludes) == []


def test_common_word_of_the_other_language_needs_its_own_language():
    terms = [("die", "en")]
    assert hits(terms, "de mensen die hier werken", langs=frozenset({"nl"})) == []
    assert hits(terms, "I hope they die", langs=frozenset({"en"})) == [("die", "die")]


def test_masked_and_misspelt_words_match_only_in_masked_lists():
    assert hits([("fuck", "en")], "f*** off", masked=True) == [("fuck", "f***")]
    assert hits([("foto", "nl")], "f*** off") == []
    assert hits([("wetback*", "en")], "those wetbcks", masked=True) == [("wetback*", "wetbcks")]
