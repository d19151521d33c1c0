"""Tokenising: obfuscation folded, original spans kept."""

from __future__ import annotations

import pytest

from bot.normalize import fold, tokenize, unstretch


def forms(text: str) -> list[tuple[str, ...]]:
    return [t.forms for t in tokenize(text)]


def test_fold_strips_case_accents_lookalikes_and_zero_width():
    assert fold("Café") == "cafe"
    assert fold("іdіоt") == "idiot"  # Cyrillic і and о
    assert fold("ki\u200bl\u200dl") == "kill"
    assert fold("ＫＵＴ") == "kut"  # full-width


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("k@nker", "kanker"),
        ("kl00tzak", "klootzak"),
        ("1diot", "idiot"),
        ("$hit", "shit"),
    ],
)
def test_leetspeak_is_read_as_letters(text, reading):
    assert reading in tokenize(text)[0].forms


def test_digits_in_ordinary_words_are_left_alone():
    assert forms("Q3-cijfers A59 12,5 jaar") == [
        ("q3",),
        ("cijfers",),
        ("a59",),
        ("12",),
        ("5",),
        ("jaar",),
    ]


def test_spaced_and_dotted_letters_are_joined_with_their_span():
    text = "Stelletje k u t bureaucraten en t.e.r.i.n.g lijers"
    tokens = tokenize(text)
    joined = [t for t in tokens if "kut" in t.forms][0]
    assert text[joined.start : joined.end] == "k u t"
    assert joined.obfuscated
    assert any("tering" in t.forms for t in tokens)


def test_stretched_letters_are_read_both_ways_but_double_letters_are_not_touched():
    assert unstretch("kuuuut") == ("kut", "kuut")
    assert unstretch("stellen") == ()


def test_masked_letters_are_marked():
    token = tokenize("go f*** yourself")[1]
    assert token.masked and token.forms[0] == "f***"
    emoji = tokenize("wat een k🤬t dag")[2]
    assert emoji.masked and emoji.forms[0] == "k*t"


def test_letter_emoji_read_as_letters():
    assert "faggots" in tokenize("those f🅰️ggots")[1].forms


def test_hyphenated_compounds_are_split_and_handles_and_tags_marked():
    tokens = tokenize("kut-Marokkanen @Gemeente #vacature")
    assert [t.text for t in tokens] == ["kut", "marokkanen", "gemeente", "vacature"]
    assert tokens[2].handle and tokens[3].hashtag


def test_sentences_are_numbered():
    tokens = tokenize("Eerste zin. Tweede zin! Derde\nvierde")
    assert [t.sentence for t in tokens] == [0, 0, 1, 1, 2, 3]


def test_emoji_are_tokens_of_their_own():
    assert [t.text for t in tokenize("top 🙄 hoor")] == ["top", "🙄", "hoor"]
